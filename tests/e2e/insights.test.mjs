// Insights (issue 6 items 5 and 6, docs/insights.md): /insights/stats, /trends, /summary,
// /similar and /judge over what real requests through baton + baton-mock recorded, and
// `baton stats` against the server and against the local SQLite store (--local, and on its own
// when no server answers). PostgreSQL (pg_trgm similarity) runs under scripts/with-postgres.sh.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import {
  BATON_BIN, batonConfig, clearMockFault, getJSON, pgDatabase, pollUntil, postJSON, runBinary,
  setMockFault, startBaton, startMock, tempDir, toToml,
} from './support/harness.mjs';

const MASTER = 'sk-master-insights-e2e';
const AUTH = { authorization: `Bearer ${MASTER}` };

function config(mockPort, { content = true, logDir, store } = {}) {
  return batonConfig({
    mockPort,
    server: { master_key: MASTER },
    models: {
      alpha: { deployments: [{ target: 'mock/mock-gpt', input_cost_per_token: 0.000001, output_cost_per_token: 0.000002 }] },
      beta: { deployments: ['mock/mock-gpt'] },
    },
  }) + toToml({ log: { dir: logDir, content }, store });
}

const ask = (baton, key, model, text) => postJSON(`${baton.url}/v1/chat/completions`, {
  model, max_tokens: 16, messages: [{ role: 'user', content: text }],
}, { headers: { authorization: `Bearer ${key}` } });

function homeEnv() {
  const home = tempDir('baton-e2e-insights-');
  return {
    home,
    env: { HOME: home, XDG_DATA_HOME: path.join(home, 'data'), XDG_STATE_HOME: path.join(home, 'state'), XDG_CONFIG_HOME: path.join(home, 'config') },
  };
}

const TEXTS = {
  bread: 'Give me a sourdough bread recipe with rye flour and a long cold proof',
  list: 'Write a Python function that reverses a singly linked list in place',
  paris: 'What is the capital of France and how many people live there',
};

// Sends the requests of the scenario; returns what the clients saw.
async function scenario(baton, mock, key) {
  const sent = { alpha: { ok: 0, prompt: 0, completion: 0 }, beta: { ok: 0, failed: 0, prompt: 0, completion: 0 } };
  for (const text of [TEXTS.bread, TEXTS.list, TEXTS.paris]) {
    const r = await ask(baton, key, 'alpha', text);
    assert.equal(r.status, 200, r.text);
    sent.alpha.ok += 1;
    sent.alpha.prompt += r.json.usage.prompt_tokens;
    sent.alpha.completion += r.json.usage.completion_tokens;
  }
  for (let i = 0; i < 2; i++) {
    const r = await ask(baton, key, 'beta', `beta question number ${i}`);
    assert.equal(r.status, 200, r.text);
    sent.beta.ok += 1;
    sent.beta.prompt += r.json.usage.prompt_tokens;
    sent.beta.completion += r.json.usage.completion_tokens;
  }
  await setMockFault(mock, { status: 500 });
  const failed = await ask(baton, key, 'beta', 'this one fails upstream');
  await clearMockFault(mock);
  assert.ok(failed.status >= 500, `upstream failure answered ${failed.status}`);
  sent.beta.failed += 1;
  const unknown = await ask(baton, key, 'nope', 'no such model');
  assert.equal(unknown.status, 404);
  return sent;
}

async function statsWhen(baton, requests) {
  let last;
  await pollUntil(async () => {
    last = await getJSON(`${baton.url}/insights/stats?hours=24`, { headers: AUTH });
    return last.status === 200 && last.json.totals.requests === requests;
  }, { timeoutMs: 10_000 }).catch(() => {});
  assert.equal(last.status, 200, last.text);
  assert.equal(last.json.totals.requests, requests, `stats: ${last.text}`);
  return last.json;
}

describe('insights', () => {
  test('stats, trends, summary, similar and judge match the requests made; baton stats renders them from the server and the local store', async () => {
    const mock = await startMock();
    const { home, env } = homeEnv();
    const logDir = path.join(home, 'logs');
    let baton = await startBaton(config(mock.port, { logDir }), { env });
    const made = await postJSON(`${baton.url}/key/generate`, { key_alias: 'insights-key' }, { headers: AUTH });
    assert.equal(made.status, 200, made.text);
    const key = made.json.key;
    const sent = await scenario(baton, mock, key);

    const stats = await statsWhen(baton, 7);
    const byModel = Object.fromEntries(stats.models.map((m) => [m.model, m]));
    assert.deepEqual(Object.keys(byModel).sort(), ['alpha', 'beta', 'nope']);
    assert.equal(stats.models[0].model, 'alpha', 'most requests first');
    assert.equal(byModel.alpha.requests, 3);
    assert.equal(byModel.alpha.errors, 0);
    assert.equal(byModel.alpha.error_rate, 0);
    assert.equal(byModel.alpha.prompt_tokens, sent.alpha.prompt);
    assert.equal(byModel.alpha.completion_tokens, sent.alpha.completion);
    assert.equal(byModel.alpha.total_tokens, sent.alpha.prompt + sent.alpha.completion);
    assert.equal(byModel.alpha.deployment, 'mock/mock-gpt');
    const micro = sent.alpha.prompt + 2 * sent.alpha.completion;
    assert.equal(Math.round(byModel.alpha.cost_usd * 1e6), micro);
    assert.ok(byModel.alpha.p50_latency_ms >= 0 && byModel.alpha.p95_latency_ms >= byModel.alpha.p50_latency_ms);
    assert.equal(byModel.alpha.hourly.reduce((n, h) => n + h.requests, 0), 3);
    assert.equal(byModel.beta.requests, 3);
    assert.equal(byModel.beta.errors, 1);
    assert.equal(byModel.beta.error_rate, 0.3333);
    assert.equal(byModel.beta.prompt_tokens >= sent.beta.prompt, true);
    assert.equal(byModel.nope.requests, 1);
    assert.equal(byModel.nope.errors, 1);
    assert.equal(stats.totals.errors, 2);

    const trends = await getJSON(`${baton.url}/insights/trends?days=7`, { headers: AUTH });
    assert.equal(trends.status, 200, trends.text);
    assert.equal(trends.json.daily.length, 7);
    const today = trends.json.daily[6];
    assert.equal(today.date, new Date().toISOString().slice(0, 10));
    assert.equal(today.requests, 7);
    assert.equal(trends.json.daily.slice(0, 6).reduce((n, d) => n + d.requests, 0), 0);
    assert.equal(today.total_tokens, stats.totals.total_tokens);

    const summary = await getJSON(`${baton.url}/insights/summary?days=1`, { headers: AUTH });
    assert.equal(summary.status, 200, summary.text);
    assert.equal(summary.json.total.requests, 7);
    assert.deepEqual(summary.json.by_key.map((k) => k.key), ['insights-key']);
    assert.ok(!summary.text.includes(key), 'never the key');
    assert.equal(summary.json.by_provider.find((p) => p.provider === 'mock').requests, 5);

    const similar = await getJSON(`${baton.url}/insights/similar?query=${encodeURIComponent('rye sourdough bread')}&limit=2`, { headers: AUTH });
    assert.equal(similar.status, 200, similar.text);
    assert.ok(similar.json.results.length >= 1, similar.text);
    assert.ok(similar.json.results[0].text.includes('sourdough'), similar.text);
    assert.equal(similar.json.results[0].model, 'alpha');
    const linked = await getJSON(`${baton.url}/insights/similar?query=${encodeURIComponent('reverse a linked list')}`, { headers: AUTH });
    assert.ok(linked.json.results[0].text.includes('linked list'), linked.text);
    const empty = await getJSON(`${baton.url}/insights/similar?query=`, { headers: AUTH });
    assert.equal(empty.status, 400);
    assert.equal(empty.json.error.code, 'bad_query');

    const judge = await getJSON(`${baton.url}/insights/judge?by=query_type`, { headers: AUTH });
    assert.equal(judge.status, 200, judge.text);
    assert.equal(judge.json.verdicts, 0);
    assert.match(judge.json.message, /no judge verdicts yet/);

    // Only the master key.
    assert.equal((await getJSON(`${baton.url}/insights/stats`)).status, 401);
    const refused = await getJSON(`${baton.url}/insights/stats`, { headers: { authorization: `Bearer ${key}` } });
    assert.equal(refused.status, 401, `a virtual key is refused: ${refused.text}`);

    // The CLI against the server.
    const cli = (args, extraEnv = {}) => runBinary(BATON_BIN, ['stats', ...args], { env: { ...env, NO_COLOR: '1', ...extraEnv } });
    const viaServer = await cli(['summary', '--days', '1', '--url', baton.url, '--master-key', MASTER]);
    assert.equal(viaServer.code, 0, viaServer.stderr);
    assert.match(viaServer.stdout, /7 requests/);
    assert.match(viaServer.stdout, /^alpha\s+3\s/m);
    assert.match(viaServer.stdout, /^insights-key\s+7\s/m);
    const heat = await cli(['--days', '30', '--heatmap', '--url', baton.url, '--master-key', MASTER]);
    assert.equal(heat.code, 0, heat.stderr);
    const lines = heat.stdout.split('\n');
    assert.ok(lines.some((l) => l.startsWith('Mon')) && lines.some((l) => l.startsWith('Sun')), heat.stdout);
    assert.ok(heat.stdout.includes('less  .:-=+*#%@ more'), heat.stdout);
    assert.ok(heat.stdout.includes('@'), 'today is the busiest day');
    assert.ok(!heat.stdout.includes('\x1b['), 'no colour with NO_COLOR / not a tty');
    assert.match(heat.stdout, new RegExp(`${stats.totals.total_tokens} tokens over 30 days`));
    const judgeCli = await cli(['judge', '--by-query-type', '--url', baton.url, '--master-key', MASTER]);
    assert.equal(judgeCli.code, 0, judgeCli.stderr);
    assert.match(judgeCli.stdout, /no judge verdicts yet \(fan-out judge not configured\)/);
    const wrongKey = await cli(['summary', '--url', baton.url, '--master-key', 'sk-wrong']);
    assert.equal(wrongKey.code, 1);

    // The local store: the same output, with --local and when no server answers.
    await baton.stop();
    const local = await cli(['summary', '--days', '1', '--local']);
    assert.equal(local.code, 0, local.stderr);
    assert.equal(local.stdout, viaServer.stdout);
    const fallback = await cli(['summary', '--days', '1', '--url', baton.url]);
    assert.equal(fallback.code, 0, fallback.stderr);
    assert.match(fallback.stderr, /no server answers/);
    assert.equal(fallback.stdout, viaServer.stdout);
    const localHeat = await cli(['--days', '30', '--heatmap', '--local']);
    assert.equal(localHeat.stdout, heat.stdout);

    // Content logging off: /insights/similar says so.
    baton = await startBaton(config(mock.port, { logDir, content: false }), { env });
    const off = await getJSON(`${baton.url}/insights/similar?query=bread`, { headers: AUTH });
    assert.equal(off.status, 400, off.text);
    assert.equal(off.json.error.code, 'content_logging_off');
    await baton.stop();
  });

  test('similar on a PostgreSQL store (pg_trgm)', async (t) => {
    const dbUrl = await pgDatabase(t, 'baton_e2e_insights');
    if (!dbUrl) return;
    const mock = await startMock();
    const { home, env } = homeEnv();
    const baton = await startBaton(config(mock.port, {
      logDir: path.join(home, 'logs'), store: { url: 'os.environ/BATON_DATABASE_URL' },
    }), { env: { ...env, BATON_DATABASE_URL: dbUrl } });
    const made = await postJSON(`${baton.url}/key/generate`, { key_alias: 'pg-insights' }, { headers: AUTH });
    assert.equal(made.status, 200, made.text);
    await scenario(baton, mock, made.json.key);
    const stats = await statsWhen(baton, 7);
    assert.equal(stats.models.find((m) => m.model === 'beta').errors, 1);
    let similar;
    await pollUntil(async () => {
      similar = await getJSON(`${baton.url}/insights/similar?query=${encodeURIComponent('rye sourdough bread')}`, { headers: AUTH });
      return similar.status === 200 && similar.json.results.length > 0;
    }, { timeoutMs: 10_000 }).catch(() => {});
    assert.equal(similar.status, 200, similar.text);
    assert.ok(similar.json.results[0].text.includes('sourdough'), similar.text);
    await baton.stop();
  });
});
