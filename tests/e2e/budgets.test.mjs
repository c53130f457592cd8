// Budgets and rate limits on one instance (issue 5, items 4 and 6): worst-case reservations hold a
// key's budget under 200 concurrent requests, refusals are 429 in the client's dialect with
// nothing sent upstream, rpm/tpm windows per key, alias and zone with retry-after and
// x-ratelimit-* headers, budget periods that reset on schedule, zone and global budgets, and the
// output cap a budget puts on requests without max_tokens.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import {
  assertOpenAIError, batonConfig, parseSSE, pollUntil, postJSON, setMockFault, sleep, startBaton, startMock, tempDir, toToml,
} from './support/harness.mjs';

const MASTER = 'sk-master-budgets-e2e-1';
const AUTH = { authorization: `Bearer ${MASTER}` };
// USD per token of the priced alias: every cost below is a whole number of micro-dollars.
const IN = 0.000001;
const OUT = 0.000002;

function config(mockPort, extra = {}) {
  return batonConfig({
    mockPort,
    server: { master_key: MASTER },
    models: {
      priced: { deployments: [{ target: 'mock/mock-gpt', input_cost_per_token: IN, output_cost_per_token: OUT }] },
      limited: { deployments: ['mock/mock-gpt'], rpm: 4 },
    },
  }) + toToml(extra);
}

async function start(extra = {}, mockArgs = []) {
  const mock = await startMock(mockArgs);
  const home = tempDir('baton-e2e-budget-home-');
  const env = { HOME: home, XDG_DATA_HOME: path.join(home, 'data') };
  const baton = await startBaton(config(mock.port, extra), { env });
  return { mock, baton };
}

async function newKey(baton, body) {
  const res = await postJSON(`${baton.url}/key/generate`, body, { headers: AUTH });
  assert.equal(res.status, 200, res.text);
  return res.json.key;
}

const ask = (baton, key, body, headers = {}) => postJSON(`${baton.url}/v1/chat/completions`, {
  messages: [{ role: 'user', content: 'hello there' }],
  ...body,
}, { headers: { authorization: `Bearer ${key}`, ...headers } });

// Micro-dollars of one answer at the priced alias's prices.
const microCost = (usage) => usage.prompt_tokens * 1 + usage.completion_tokens * 2;

describe('budgets', () => {
  test('200 concurrent requests worth 5x the budget: spend stays within it, the rest get 429 and never reach the upstream', async () => {
    const { mock, baton } = await start();
    // One answer's real cost, to size the budget at a fifth of 200 answers.
    const probeKey = await newKey(baton, {});
    const probe = await ask(baton, probeKey, { model: 'priced', max_tokens: 16 });
    assert.equal(probe.status, 200, probe.text);
    const one = microCost(probe.json.usage);
    assert.ok(one > 0);
    const budgetMicro = (200 * one) / 5;
    const key = await newKey(baton, { max_budget: budgetMicro / 1e6 });
    const upstreamBefore = (await mock.chatRequests()).length;

    const results = await Promise.all(Array.from({ length: 200 }, () => ask(baton, key, { model: 'priced', max_tokens: 16 })));
    const ok = results.filter((r) => r.status === 200);
    const refused = results.filter((r) => r.status !== 200);
    for (const r of refused) assertOpenAIError(r, 429, { code: 'budget_exceeded', what: 'over budget' });
    const spent = ok.reduce((sum, r) => sum + microCost(r.json.usage), 0);
    assert.ok(spent <= budgetMicro, `spent ${spent} µ$ of a ${budgetMicro} µ$ budget`);
    // Reservations are worst cases (prompt estimate + max_tokens), so not every dollar is used,
    // but most: at least 60 % of the budget with these sizes.
    assert.ok(ok.length >= Math.floor((0.6 * budgetMicro) / one), `${ok.length} answered`);
    assert.ok(refused.length >= 100, `${refused.length} refused`);
    const upstream = (await mock.chatRequests()).length - upstreamBefore;
    assert.equal(upstream, ok.length, 'only admitted requests reached the upstream');
    assert.match(refused[0].json.error.message, /Budget exceeded for this key: the budget is \$/);
    assert.ok(!refused[0].text.includes(key), 'the key is never echoed');
  });

  test('an Anthropic client over budget gets an Anthropic rate_limit_error', async () => {
    const { baton } = await start();
    const key = await newKey(baton, { max_budget: 0 });
    const res = await postJSON(`${baton.url}/v1/messages`, {
      model: 'priced', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }],
    }, { headers: { 'x-api-key': key, 'anthropic-version': '2023-06-01' } });
    assert.equal(res.status, 429, res.text);
    assert.equal(res.json.type, 'error');
    assert.equal(res.json.error.type, 'rate_limit_error');
    assert.match(res.json.error.message, /Budget exceeded/);
  });

  test('a budget period resets on schedule (budget_duration)', async () => {
    const { baton } = await start();
    const probeKey = await newKey(baton, {});
    const probe = await ask(baton, probeKey, { model: 'priced', max_tokens: 16 });
    const one = microCost(probe.json.usage);
    // Room for about two answers' worst case per 3 s period.
    const key = await newKey(baton, { max_budget: (one * 6) / 1e6, budget_duration: '3s' });
    let first429 = null;
    for (let i = 0; i < 20 && !first429; i++) {
      const r = await ask(baton, key, { model: 'priced', max_tokens: 16 });
      if (r.status === 429) first429 = r;
    }
    assert.ok(first429, 'the budget ran out');
    assertOpenAIError(first429, 429, { code: 'budget_exceeded' });
    assert.ok(Number(first429.headers.get('retry-after')) <= 3, `retry-after ${first429.headers.get('retry-after')}`);
    await sleep(3200);
    const again = await ask(baton, key, { model: 'priced', max_tokens: 16 });
    assert.equal(again.status, 200, `a new period: ${again.text}`);
  });

  test('zone and global budgets: hard stop refuses, soft only warns', async () => {
    {
      const { baton } = await start({ 'zones.clinic': { max_budget: 0 }, budget: { daily: 1000 } });
      const r = await ask(baton, MASTER, { model: 'priced', max_tokens: 8 }, { 'x-maestro-zone': 'clinic' });
      assertOpenAIError(r, 429, { code: 'budget_exceeded' });
      assert.match(r.json.error.message, /this zone/);
      const outside = await ask(baton, MASTER, { model: 'priced', max_tokens: 8 });
      assert.equal(outside.status, 200, outside.text);
    }
    {
      const { baton } = await start({ budget: { daily: 0.000001 } });
      const r = await ask(baton, MASTER, { model: 'priced', max_tokens: 8 });
      assertOpenAIError(r, 429, { code: 'budget_exceeded' });
      assert.match(r.json.error.message, /the gateway/);
    }
    {
      const { baton } = await start({ budget: { daily: 0.000001, hard_stop: false } });
      const r = await ask(baton, MASTER, { model: 'priced', max_tokens: 8 });
      assert.equal(r.status, 200, r.text);
      await pollUntil(() => /budget warning: global budget/.test(baton.stderrText()));
    }
  });

  test('a request without max_tokens under a budget is capped upstream at default_max_tokens', async () => {
    const { mock, baton } = await start({ budget: { daily: 100, default_max_tokens: 321 } });
    const r = await ask(baton, MASTER, { model: 'priced' });
    assert.equal(r.status, 200, r.text);
    const sent = JSON.parse((await mock.lastChatRequest()).body);
    assert.equal(sent.max_tokens ?? sent.max_completion_tokens, 321);
    const own = await ask(baton, MASTER, { model: 'priced', max_tokens: 12 });
    assert.equal(own.status, 200);
    const sent2 = JSON.parse((await mock.lastChatRequest()).body);
    assert.equal(sent2.max_tokens, 12, 'a smaller limit of the client stays');
  });
});

describe('rate limits', () => {
  test('key rpm: the window admits rpm requests, then 429 with retry-after and x-ratelimit-* headers', async () => {
    const { mock, baton } = await start();
    const key = await newKey(baton, { rpm_limit: 5 });
    const statuses = [];
    let last;
    for (let i = 0; i < 8; i++) {
      last = await ask(baton, key, { model: 'demo' });
      statuses.push(last.status);
      if (i === 0) {
        assert.equal(last.headers.get('x-ratelimit-limit-requests'), '5');
        assert.equal(last.headers.get('x-ratelimit-remaining-requests'), '4', 'the gateway\'s window, not the upstream\'s');
      }
    }
    assert.deepEqual(statuses, [200, 200, 200, 200, 200, 429, 429, 429]);
    assertOpenAIError(last, 429, { code: 'rate_limit_exceeded' });
    assert.match(last.json.error.message, /this key: 5 requests per minute/);
    const wait = Number(last.headers.get('retry-after'));
    assert.ok(wait >= 1 && wait <= 120, `retry-after ${wait}`);
    assert.equal(last.headers.get('x-ratelimit-remaining-requests'), '0');
    assert.equal((await mock.chatRequests()).length, 5, 'refused requests never reach the upstream');
    // Another key has its own window.
    const other = await newKey(baton, { rpm_limit: 5 });
    assert.equal((await ask(baton, other, { model: 'demo' })).status, 200);
  });

  test('key tpm: a prompt bigger than what is left of the window is refused', async () => {
    const { baton } = await start();
    const key = await newKey(baton, { tpm_limit: 400 });
    const big = 'word '.repeat(240);  // ~1200 bytes ≈ 300 tokens estimated
    const first = await ask(baton, key, { model: 'demo', messages: [{ role: 'user', content: big }] });
    assert.equal(first.status, 200, first.text);
    const second = await ask(baton, key, { model: 'demo', messages: [{ role: 'user', content: big }] });
    assertOpenAIError(second, 429, { code: 'rate_limit_exceeded' });
    assert.match(second.json.error.message, /tokens per minute/);
    assert.equal(second.headers.get('x-ratelimit-limit-tokens'), '400');
  });

  test('alias rpm counts every caller; concurrency does not overshoot', async () => {
    const { baton } = await start();
    const results = await Promise.all(Array.from({ length: 12 }, () => ask(baton, MASTER, { model: 'limited' })));
    assert.equal(results.filter((r) => r.status === 200).length, 4);
    for (const r of results.filter((x) => x.status !== 200)) {
      assertOpenAIError(r, 429, { code: 'rate_limit_exceeded' });
      assert.match(r.json.error.message, /this model: 4 requests per minute/);
    }
  });
});

describe('budget stats and reset', () => {
  test('/budget/stats shows the live accounts; /budget/reset frees a key; zone spend survives a restart', async () => {
    const mock = await startMock();
    const home = tempDir('baton-e2e-budget-stats-');
    const env = { HOME: home, XDG_DATA_HOME: path.join(home, 'data'), XDG_STATE_HOME: path.join(home, 'state') };
    const extra = { 'zones.clinic': { max_budget: 100, budget_duration: '1d' }, budget: { daily: 500 } };
    let baton = await startBaton(config(mock.port, extra), { env });
    const key = await newKey(baton, { key_alias: 'stats', max_budget: 0.0001 });
    let spent = 0;
    let refused = null;
    for (let i = 0; i < 10 && !refused; i++) {
      const r = await ask(baton, key, { model: 'priced', max_tokens: 8 }, { 'x-maestro-zone': 'clinic' });
      if (r.status === 200) spent += microCost(r.json.usage);
      else refused = r;
    }
    assert.ok(refused && spent > 0);
    const stats = await (await fetch(`${baton.url}/budget/stats`, { headers: AUTH })).json();
    const byScope = (scope, id) => stats.budgets.find((b) => b.scope === scope && (id === undefined || b.id === id));
    const k = byScope('key');
    assert.ok(k, JSON.stringify(stats));
    assert.equal(k.key_alias, 'stats');
    assert.equal(Math.round(k.spend * 1e6), spent, 'settled spend of the key');
    assert.equal(k.max_budget, 0.0001);
    assert.equal(Math.round(byScope('zone', 'clinic').spend * 1e6), spent);
    assert.equal(Math.round(byScope('global', '').spend * 1e6), spent);
    assert.ok(!JSON.stringify(stats).includes(key), 'never the key');

    const reset = await postJSON(`${baton.url}/budget/reset`, { key }, { headers: AUTH });
    assert.equal(reset.status, 200, reset.text);
    assert.equal((await ask(baton, key, { model: 'priced', max_tokens: 8 })).status, 200, 'room again after the reset');

    // A restart reads the zone's and the day's spend back from the store.
    await baton.stop();
    baton = await startBaton(config(mock.port, extra), { env });
    const after = await (await fetch(`${baton.url}/budget/stats`, { headers: AUTH })).json();
    const zone = after.budgets.find((b) => b.scope === 'zone');
    assert.equal(Math.round(zone.spend * 1e6), spent, `zone spend after restart: ${JSON.stringify(zone)}`);
    const global = after.budgets.find((b) => b.scope === 'global');
    assert.ok(Math.round(global.spend * 1e6) > spent, 'the global budget also counts the request after the reset');
  });
});

describe('billing what was delivered', () => {
  test('a stream cut mid-way is billed for what was streamed: not nothing, not the whole', async () => {
    const { mock, baton } = await start();
    const key = await newKey(baton, { key_alias: 'cut', max_budget: 10 });
    const full = await ask(baton, key, { model: 'priced', max_tokens: 16 });
    assert.equal(full.status, 200);
    const fullCompletion = full.json.usage.completion_tokens;
    assert.ok(fullCompletion > 3, `a whole answer has ${fullCompletion} tokens`);
    await setMockFault(mock, { drop_after_chunks: 3 });
    const res = await fetch(`${baton.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'priced', max_tokens: 16, stream: true, messages: [{ role: 'user', content: 'hello there' }] }),
    });
    assert.equal(res.status, 200);
    const text = await res.text();
    assert.match(text, /upstream/, 'the cut stream ends with an error event');
    const id = res.headers.get('x-request-id');
    const row = await pollUntil(async () => {
      const r = await fetch(`${baton.url}/spend/logs?api_key=${key}`, { headers: AUTH });
      const rows = await r.json();
      return rows.find((x) => x.request_id === id);
    }, { timeoutMs: 3000, intervalMs: 50 });
    assert.ok(row, 'the cut stream has a spend row');
    // What the client saw: the content chunks before the error event.
    const chunkContent = (e) => {
      try {
        return JSON.parse(e.data).choices?.[0]?.delta?.content;
      } catch {
        return undefined;
      }
    };
    const delivered = parseSSE(text).filter(chunkContent).length;
    assert.ok(delivered > 0 && delivered < fullCompletion, `${delivered} chunks delivered`);
    assert.equal(row.completion_tokens, delivered, 'one token per streamed chunk');
    assert.ok(row.prompt_tokens > 0, 'the prompt is billed');
    const expected = row.prompt_tokens * 1 + delivered * 2;
    assert.equal(Math.round(row.spend * 1e6), expected, `billed ${row.spend} USD`);
    assert.ok(row.completion_tokens < fullCompletion);
    assert.equal(row.metadata.status, 200);
  });
});

describe('team limits', () => {
  test('a team\'s rpm counts the requests of all its keys', async () => {
    const { baton } = await start();
    const team = await postJSON(`${baton.url}/team/new`, { team_alias: 'squad', rpm_limit: 3 }, { headers: AUTH });
    assert.equal(team.status, 200, team.text);
    const k1 = await newKey(baton, { team_id: team.json.team_id });
    const k2 = await newKey(baton, { team_id: team.json.team_id });
    const statuses = [];
    for (const k of [k1, k2, k1, k2, k1]) statuses.push((await ask(baton, k, { model: 'demo' })).status);
    assert.deepEqual(statuses, [200, 200, 200, 429, 429]);
    const r = await ask(baton, k2, { model: 'demo' });
    assert.match(r.json.error.message, /this team: 3 requests per minute/);
  });
});
