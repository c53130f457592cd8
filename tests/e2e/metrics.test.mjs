// Prometheus metrics at GET /metrics (issue 6 item 2, docs/metrics.md): the numbers exposed match
// the requests that were made (answered, unknown model, refused by a budget, streamed, failed
// upstream), the endpoint needs the master key when one is set and is open otherwise, and
// `promtool check metrics` (Debian's prometheus package) finds no problem in the text.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {
  batonConfig, clearMockFault, parseSSE, postJSON, request, setMockFault, startBaton, startMock, tempDir, toToml,
} from './support/harness.mjs';

const MASTER = 'sk-master-metrics-e2e-1';
const AUTH = { authorization: `Bearer ${MASTER}` };
const PROMTOOL = '/usr/bin/promtool';

function config(mockPort, { master = MASTER, extra = {} } = {}) {
  return batonConfig({
    mockPort,
    server: master ? { master_key: master } : {},
    models: {
      priced: { deployments: [{ target: 'mock/mock-gpt', input_cost_per_token: 0.000001, output_cost_per_token: 0.000002 }] },
      streamed: { deployments: ['mock/mock-gpt'] },
    },
  }) + toToml(extra);
}

async function start(opts = {}) {
  const mock = await startMock();
  const home = tempDir('baton-e2e-metrics-home-');
  const env = { HOME: home, XDG_DATA_HOME: path.join(home, 'data') };
  const baton = await startBaton(config(mock.port, opts), { env });
  return { mock, baton };
}

// {series text (name{labels}) → number} of an exposition.
function parseMetrics(text) {
  const out = new Map();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const cut = line.lastIndexOf(' ');
    out.set(line.slice(0, cut), Number(line.slice(cut + 1)));
  }
  return out;
}

async function scrape(baton, headers = AUTH) {
  const res = await request(`${baton.url}/metrics`, { headers });
  assert.equal(res.status, 200, res.text);
  assert.equal(res.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
  return res.text;
}

function promtoolCheck(text) {
  assert.ok(fs.existsSync(PROMTOOL), 'promtool is not installed (scripts/install-deps.sh installs prometheus)');
  const r = spawnSync(PROMTOOL, ['check', 'metrics'], { input: text, encoding: 'utf8' });
  assert.equal(r.status, 0, `promtool check metrics failed:\n${r.stdout}${r.stderr}\n--- text ---\n${text}`);
  assert.equal(`${r.stdout}${r.stderr}`.trim(), '', `promtool reported problems:\n${r.stdout}${r.stderr}`);
}

const ask = (baton, key, body) => postJSON(`${baton.url}/v1/chat/completions`, {
  messages: [{ role: 'user', content: 'count me' }], ...body,
}, { headers: { authorization: `Bearer ${key}` } });

describe('metrics', () => {
  test('the exposed numbers match the requests made, and promtool accepts the text', async () => {
    const { baton } = await start();
    const empty = await scrape(baton);
    promtoolCheck(empty);
    assert.match(empty, /^baton_build_info\{version="[^"]+"\} 1$/m);

    const made = await postJSON(`${baton.url}/key/generate`, { key_alias: 'broke', max_budget: 0 }, { headers: AUTH });
    assert.equal(made.status, 200, made.text);

    const ok = await ask(baton, MASTER, { model: 'priced', max_tokens: 8 });
    assert.equal(ok.status, 200, ok.text);
    const unknown = await ask(baton, MASTER, { model: 'no-such-model' });
    assert.equal(unknown.status, 404, unknown.text);
    const refused = await ask(baton, made.json.key, { model: 'priced', max_tokens: 8 });
    assert.equal(refused.status, 429, refused.text);
    const streamed = await ask(baton, MASTER, {
      model: 'streamed', max_tokens: 8, stream: true, stream_options: { include_usage: true },
    });
    assert.equal(streamed.status, 200, streamed.text);
    const streamUsage = parseSSE(streamed.text).filter((e) => e && e.usage).map((e) => e.usage).pop();

    const text = await scrape(baton);
    promtoolCheck(text);
    const m = parseMetrics(text);
    const get = (series) => {
      assert.ok(m.has(series), `${series} missing from:\n${text}`);
      return m.get(series);
    };
    assert.equal(get('baton_requests_total{model="priced",provider="mock",status="200"}'), 1);
    assert.equal(get('baton_requests_total{model="_unknown_",provider="none",status="404"}'), 1);
    assert.equal(get('baton_requests_total{model="priced",provider="none",status="429"}'), 1);
    assert.equal(get('baton_requests_total{model="streamed",provider="mock",status="200"}'), 1);
    assert.ok(!text.includes('no-such-model'), 'client-chosen unknown names never become labels');
    const total = [...m].filter(([k]) => k.startsWith('baton_requests_total{')).reduce((s, [, v]) => s + v, 0);
    assert.equal(total, 4, 'one count per request; the scrapes and the key generation are not model requests');

    assert.equal(get('baton_budget_refusals_total{scope="key"}'), 1);
    assert.equal(get('baton_rate_limit_refusals_total'), 0);
    assert.equal(get('baton_requests_in_flight'), 0);
    assert.equal(get('baton_fallbacks_total'), 0);

    assert.equal(get('baton_tokens_total{model="priced",type="prompt"}'), ok.json.usage.prompt_tokens);
    assert.equal(get('baton_tokens_total{model="priced",type="completion"}'), ok.json.usage.completion_tokens);
    const usd = ok.json.usage.prompt_tokens * 0.000001 + ok.json.usage.completion_tokens * 0.000002;
    assert.ok(Math.abs(get('baton_cost_usd_total{model="priced"}') - usd) < 1e-12,
      `cost ${get('baton_cost_usd_total{model="priced"}')} vs ${usd}`);
    if (streamUsage) {
      assert.equal(get('baton_tokens_total{model="streamed",type="completion"}'), streamUsage.completion_tokens);
    }

    // Latency: the answered and the refused request of "priced"; time to first token: the stream.
    assert.equal(get('baton_request_duration_seconds_count{model="priced"}'), 2);
    assert.equal(get('baton_request_duration_seconds_bucket{model="priced",le="+Inf"}'), 2);
    assert.ok(get('baton_request_duration_seconds_sum{model="priced"}') >= 0);
    assert.equal(get('baton_request_duration_seconds_count{model="streamed"}'), 1);
    assert.equal(get('baton_time_to_first_token_seconds_count{model="streamed"}'), 1);
    assert.ok(!m.has('baton_time_to_first_token_seconds_count{model="priced"}'), 'no stream, no ttft');
    // Buckets are cumulative.
    const buckets = [...m].filter(([k]) => k.startsWith('baton_request_duration_seconds_bucket{model="priced"'));
    assert.ok(buckets.length > 5);
    for (let i = 1; i < buckets.length; i++) assert.ok(buckets[i][1] >= buckets[i - 1][1], buckets[i][0]);

    // Answered requests left their upstream connection idle in the pool.
    assert.equal(get('baton_upstream_pool_connections{state="busy"}'), 0);
    assert.ok(get('baton_upstream_pool_connections{state="idle"}') >= 1);
    assert.equal(get('baton_deployment_up{deployment="mock/mock-gpt"}'), 1);
    assert.equal(get('baton_cooldowns_total{deployment="mock/mock-gpt"}'), 0);
  });

  test('a budget warning and a request in flight show', async () => {
    const { mock, baton } = await start();
    // The worst case of one request (~21 prompt tokens estimated + 35 output tokens at the priced
    // alias's prices, about $0.00009) crosses 80 % of a $0.0001 budget without passing it.
    const made = await postJSON(`${baton.url}/key/generate`, { key_alias: 'warned', max_budget: 0.0001 }, { headers: AUTH });
    assert.equal(made.status, 200, made.text);
    const warned = await ask(baton, made.json.key, { model: 'priced', max_tokens: 35 });
    assert.equal(warned.status, 200, warned.text);
    await baton.proc.waitFor(/budget warning: key budget/, { stream: 'stderr', timeoutMs: 3000 });
    let m = parseMetrics(await scrape(baton));
    assert.equal(m.get('baton_budget_warnings_total{scope="key"}'), 1);

    await setMockFault(mock, { latency_ms: 600 });
    const slow = ask(baton, MASTER, { model: 'priced', max_tokens: 8 });
    let inFlight = 0;
    for (let i = 0; i < 40 && inFlight === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      m = parseMetrics(await scrape(baton));
      inFlight = m.get('baton_requests_in_flight');
    }
    assert.equal(inFlight, 1, 'the slow request is counted while it runs');
    assert.equal(m.get('baton_upstream_pool_connections{state="busy"}'), 1, 'its upstream connection is busy');
    assert.equal((await slow).status, 200);
    await clearMockFault(mock);
    m = parseMetrics(await scrape(baton));
    assert.equal(m.get('baton_requests_in_flight'), 0);
  });

  test('the master key is required when one is configured', async () => {
    const { baton } = await start();
    const none = await request(`${baton.url}/metrics`);
    assert.equal(none.status, 401, none.text);
    const wrong = await request(`${baton.url}/metrics`, { headers: { authorization: 'Bearer sk-wrong' } });
    assert.equal(wrong.status, 401);
    assert.ok(!wrong.text.includes('sk-wrong'), 'the key is never echoed');
    const made = await postJSON(`${baton.url}/key/generate`, {}, { headers: AUTH });
    const virtual = await request(`${baton.url}/metrics`, { headers: { authorization: `Bearer ${made.json.key}` } });
    assert.equal(virtual.status, 401, 'a virtual key cannot read the metrics');
    const post = await request(`${baton.url}/metrics`, { method: 'POST', headers: AUTH, body: {} });
    assert.equal(post.status, 405);
  });

  test('open server without request log: metrics still counted; upstream errors and cooldowns show', async () => {
    const { mock, baton } = await start({ master: null, extra: { log: { enabled: false } } });
    await setMockFault(mock, { status: 500 });
    const failed = await ask(baton, 'anything', { model: 'priced', max_tokens: 8 });
    assert.ok(failed.status >= 500, `${failed.status} ${failed.text}`);
    await clearMockFault(mock);
    const text = await scrape(baton, {});
    promtoolCheck(text);
    const m = parseMetrics(text);
    const errors = [...m].filter(([k]) => k.startsWith('baton_upstream_errors_total{')).reduce((s, [, v]) => s + v, 0);
    assert.equal(errors, 1, text);
    const requests = [...m].filter(([k]) => k.startsWith('baton_requests_total{model="priced"')).reduce((s, [, v]) => s + v, 0);
    assert.equal(requests, 1, text);
    assert.ok(m.has('baton_cooldowns_total{deployment="mock/mock-gpt"}'), text);
  });

  test('[metrics] enabled = false: /metrics is 404 and requests still work', async () => {
    const { baton } = await start({ master: null, extra: { metrics: { enabled: false } } });
    const answered = await ask(baton, 'hello', { model: 'priced', max_tokens: 8 });
    assert.equal(answered.status, 200, answered.text);
    const res = await request(`${baton.url}/metrics`);
    assert.equal(res.status, 404, res.text);
    assert.equal(res.json.error.code, 'unknown_url');
  });
});
