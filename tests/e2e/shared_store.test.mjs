// PostgreSQL as the configured store (issue 5, item 1) and, with Redis, several instances sharing
// one set of keys, limits and budgets (item 8). PostgreSQL comes from scripts/with-postgres.sh
// (make e2e runs under it), Redis from startRedis() (Debian's redis-server on a free port).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  assertOpenAIError, batonConfig, pgDatabase, pollUntil, postJSON, sleep, startBaton, startMock, startRedis, toToml,
} from './support/harness.mjs';

const MASTER = 'sk-master-shared-store-e2e';
const AUTH = { authorization: `Bearer ${MASTER}` };

function config(mockPort, extra = {}) {
  return batonConfig({
    mockPort,
    server: { master_key: MASTER },
    models: {
      priced: { deployments: [{ target: 'mock/mock-gpt', input_cost_per_token: 0.000001, output_cost_per_token: 0.000002 }] },
    },
  }) + toToml({ store: { url: 'os.environ/BATON_DATABASE_URL' }, ...extra });
}

const ask = (baton, key, body = {}) => postJSON(`${baton.url}/v1/chat/completions`, {
  model: 'priced', max_tokens: 16, messages: [{ role: 'user', content: 'hello there' }], ...body,
}, { headers: { authorization: `Bearer ${key}` } });

describe('PostgreSQL store', () => {
  test('keys made on a PostgreSQL store work, survive a restart, and the URL password never shows', async (t) => {
    const dbUrl = await pgDatabase(t);
    if (!dbUrl) return;
    const mock = await startMock();
    const env = { BATON_DATABASE_URL: dbUrl };
    let baton = await startBaton(config(mock.port), { env });
    const made = await postJSON(`${baton.url}/key/generate`, { key_alias: 'pg-key', models: ['priced'] }, { headers: AUTH });
    assert.equal(made.status, 200, made.text);
    assert.equal((await ask(baton, made.json.key)).status, 200);
    await baton.stop();
    baton = await startBaton(config(mock.port), { env });
    assert.equal((await ask(baton, made.json.key)).status, 200, 'the key is read back from PostgreSQL');
    const info = await fetch(`${baton.url}/key/info?key=${made.json.key}`, { headers: AUTH });
    assert.equal((await info.json()).info.key_alias, 'pg-key');
    const password = new URL(dbUrl).password;
    if (password) assert.ok(!baton.stderrText().includes(password), 'no password in the log');
  });
});

// Two instances on one PostgreSQL and one Redis, like two replicas behind a load balancer.
async function startPair(t, cluster = {}) {
  const dbUrl = await pgDatabase(t);
  if (!dbUrl) return null;
  const redis = await startRedis();
  const mock = await startMock();
  const env = { BATON_DATABASE_URL: dbUrl, BATON_REDIS_URL: redis.url };
  const extra = { cluster: { redis_url: 'os.environ/BATON_REDIS_URL', ...cluster } };
  const a = await startBaton(config(mock.port, extra), { env });
  const b = await startBaton(config(mock.port, extra), { env });
  return { a, b, redis, mock, env, extra };
}

const microCost = (usage) => usage.prompt_tokens + 2 * usage.completion_tokens;

describe('two instances sharing PostgreSQL and Redis', () => {
  test('a key made on one instance works on the other within a second; revoked, it stops there too', async (t) => {
    const pair = await startPair(t);
    if (!pair) return;
    const made = await postJSON(`${pair.a.url}/key/generate`, { key_alias: 'shared' }, { headers: AUTH });
    assert.equal(made.status, 200, made.text);
    const t0 = Date.now();
    assert.ok(await pollUntil(async () => (await ask(pair.b, made.json.key)).status === 200, { timeoutMs: 1000, intervalMs: 20 }),
      'the other instance accepts the key within a second');
    const seen = Date.now() - t0;
    assert.ok(seen < 1000, `the other instance knew the key after ${seen} ms`);
    const del = await postJSON(`${pair.a.url}/key/delete`, { keys: [made.json.key] }, { headers: AUTH });
    assert.equal(del.status, 200, del.text);
    assert.ok(await pollUntil(async () => (await ask(pair.b, made.json.key)).status === 401, { timeoutMs: 1000, intervalMs: 20 }),
      'the other instance refuses the deleted key within a second');
  });

  test('200 concurrent requests over both instances, worth 5x a key\'s budget: one budget, held exactly', async (t) => {
    const pair = await startPair(t);
    if (!pair) return;
    const probeKey = (await postJSON(`${pair.a.url}/key/generate`, {}, { headers: AUTH })).json.key;
    const probe = await ask(pair.a, probeKey);
    assert.equal(probe.status, 200, probe.text);
    const one = microCost(probe.json.usage);
    const budgetMicro = (200 * one) / 5;
    const key = (await postJSON(`${pair.a.url}/key/generate`, { max_budget: budgetMicro / 1e6 }, { headers: AUTH })).json.key;
    assert.ok(await pollUntil(async () => (await fetch(`${pair.b.url}/v1/models`, { headers: { authorization: `Bearer ${key}` } })).status === 200,
      { timeoutMs: 1000, intervalMs: 20 }), 'the key reached the other instance');
    const before = (await pair.mock.chatRequests()).length;
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => ask(i % 2 ? pair.a : pair.b, key)));
    const ok = results.filter((r) => r.status === 200);
    for (const r of results.filter((x) => x.status !== 200)) assertOpenAIError(r, 429, { code: 'budget_exceeded' });
    const spent = ok.reduce((sum, r) => sum + microCost(r.json.usage), 0);
    assert.ok(spent <= budgetMicro, `spent ${spent} µ$ of ${budgetMicro} µ$ over two instances`);
    assert.ok(ok.length >= Math.floor((0.5 * budgetMicro) / one), `${ok.length} answered`);
    assert.ok(results.filter((r) => r.status === 429).length >= 100, 'most were refused');
    assert.equal((await pair.mock.chatRequests()).length - before, ok.length, 'refused requests never went upstream');
  });

  test('rate limits are shared: rpm 6 over two instances admits 6', async (t) => {
    const pair = await startPair(t);
    if (!pair) return;
    const key = (await postJSON(`${pair.a.url}/key/generate`, { rpm_limit: 6 }, { headers: AUTH })).json.key;
    assert.ok(await pollUntil(async () => (await fetch(`${pair.b.url}/v1/models`, { headers: { authorization: `Bearer ${key}` } })).status === 200,
      { timeoutMs: 1000, intervalMs: 20 }), 'the key reached the other instance');
    const statuses = [];
    for (let i = 0; i < 10; i++) statuses.push((await ask(i % 2 ? pair.a : pair.b, key)).status);
    assert.equal(statuses.filter((s) => s === 200).length, 6, statuses.join(' '));
  });

  test('Redis unreachable: fail closed with 503 by default, fail open when configured; back when Redis is', async (t) => {
    const pair = await startPair(t);
    if (!pair) return;
    const key = (await postJSON(`${pair.a.url}/key/generate`, { rpm_limit: 1000 }, { headers: AUTH })).json.key;
    assert.equal((await ask(pair.a, key)).status, 200);
    const port = pair.redis.port;
    await pair.redis.stop();
    const closed = await ask(pair.a, key);
    assertOpenAIError(closed, 503, { code: 'counters_unavailable' });
    // The same setup with on_redis_error = "open" serves (uncounted).
    const open = await startBaton(config(pair.mock.port, { cluster: { redis_url: 'os.environ/BATON_REDIS_URL', on_redis_error: 'open' } }),
      { env: pair.env });
    assert.equal((await ask(open, key)).status, 200, 'fail open');
    // Redis back on the same port: counting resumes.
    const again = await startRedis({ port });
    assert.ok(again);
    assert.ok(await pollUntil(async () => (await ask(pair.a, key)).status === 200, { timeoutMs: 5000, intervalMs: 100 }),
      'counting resumes once Redis is back');
  });
});
