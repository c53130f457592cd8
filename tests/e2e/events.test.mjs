// Live events (issue 6 item 3, docs/events.md): a WebSocket client and an SSE client receive the
// events of real requests in order with the right fields (start, streaming start, complete with
// usage and cost, cooldown, fallback, budget warning and refusal); never a key; filters; only the
// master key (in a header) may subscribe; with Redis the events land in a capped stream.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import WebSocket from 'ws';
import {
  iterSSE, pollUntil, postJSON, sleep, startBaton, startMock, startRedis, setMockFault, tempDir, toToml,
} from './support/harness.mjs';

const MASTER = 'sk-master-events-e2e-1';
const AUTH = { authorization: `Bearer ${MASTER}` };
const IN = 0.000001;
const OUT = 0.000002;

function config({ mockA, mockB, extra = {} }) {
  const provider = (m) => ({ kind: 'openai-compatible', base_url: `${m.url}/v1`, api_key: 'os.environ/MOCK_KEY' });
  return toToml({
    server: { host: '127.0.0.1', port: 4000, read_timeout: '5s', master_key: MASTER },
    router: { max_retries: 0, retry_backoff: '10ms', allowed_fails: 0, fail_window: '30s', cooldown: '60s' },
    'providers.a': provider(mockA),
    'providers.b': provider(mockB),
    'models.demo': {
      deployments: [{ target: 'b/mock-gpt', input_cost_per_token: IN, output_cost_per_token: OUT }],
    },
    'models.fo': { deployments: ['a/fo', 'b/fo'], max_retries: 0 },
    ...extra,
  });
}

async function startAll(extra = {}) {
  const mockA = await startMock();
  const mockB = await startMock();
  const home = tempDir('baton-e2e-events-home-');
  const env = { HOME: home, XDG_DATA_HOME: path.join(home, 'data'), XDG_STATE_HOME: path.join(home, 'state') };
  const baton = await startBaton(config({ mockA, mockB, extra }), { env });
  return { mockA, mockB, baton };
}

// A WebSocket subscriber collecting parsed events; resolves once subscribed.
async function wsSubscribe(baton, { query = '', headers = AUTH } = {}) {
  const ws = new WebSocket(`ws://127.0.0.1:${baton.port}/events${query}`, { headers });
  const events = [];
  ws.on('message', (data) => events.push(JSON.parse(String(data))));
  await new Promise((resolve, reject) => {
    ws.once('error', reject);
    ws.once('unexpected-response', (req, res) => reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { status: res.statusCode })));
    ws.once('message', () => resolve());
  });
  assert.equal(events[0].type, 'events.subscribed');
  return { ws, events, close: () => ws.terminate() };
}

// An SSE subscriber (fetch + iterSSE); resolves once subscribed.
async function sseSubscribe(baton, { query = '', headers = AUTH } = {}) {
  const ctl = new AbortController();
  const res = await fetch(`${baton.url}/events${query}`, {
    headers: { accept: 'text/event-stream', ...headers },
    signal: ctl.signal,
  });
  assert.equal(res.status, 200, await (res.status === 200 ? '' : res.text()));
  assert.match(res.headers.get('content-type'), /text\/event-stream/);
  const events = [];
  const names = [];
  let subscribed;
  const ready = new Promise((resolve) => { subscribed = resolve; });
  (async () => {
    try {
      for await (const ev of iterSSE(res)) {
        names.push(ev.event);
        const parsed = JSON.parse(ev.data);
        events.push(parsed);
        if (parsed.type === 'events.subscribed') subscribed();
      }
    } catch { /* aborted */ }
  })();
  await ready;
  return { events, names, close: () => ctl.abort() };
}

const ofRequest = (events, id) => events.filter((e) => e.request_id === id);
const types = (events) => events.map((e) => e.type);

async function newKey(baton, body) {
  const res = await postJSON(`${baton.url}/key/generate`, body, { headers: AUTH });
  assert.equal(res.status, 200, res.text);
  return res.json.key;
}

describe('events', () => {
  let env;
  before(async () => { env = await startAll(); });
  after(async () => { await env?.baton.stop(); });

  test('WebSocket and SSE subscribers get every event of real requests, in order, with the right fields', async () => {
    const { baton, mockA } = env;
    const key = await newKey(baton, { key_alias: 'ev-app', models: ['demo', 'fo'] });
    const ws = await wsSubscribe(baton);
    const sse = await sseSubscribe(baton);
    try {
      const headers = { authorization: `Bearer ${key}`, 'x-maestro-session': 's1' };
      // 1. a plain request
      const r1 = await postJSON(`${baton.url}/v1/chat/completions`,
        { model: 'demo', max_tokens: 16, messages: [{ role: 'user', content: 'hello' }] },
        { headers: { ...headers, 'x-request-id': 'ev-plain-1' } });
      assert.equal(r1.status, 200, r1.text);
      // 2. a stream
      const r2 = await fetch(`${baton.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json', 'x-request-id': 'ev-stream-1' },
        body: JSON.stringify({ model: 'demo', stream: true, max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] }),
      });
      assert.equal(r2.status, 200);
      await r2.text();
      // 3. a failing first deployment: cooldown (allowed_fails = 0), then fallback to b
      await setMockFault(mockA, { status: 500 });
      const r3 = await postJSON(`${baton.url}/v1/chat/completions`,
        { model: 'fo', messages: [{ role: 'user', content: 'x' }] },
        { headers: { ...headers, 'x-request-id': 'ev-fallback-1' } });
      assert.equal(r3.status, 200, r3.text);

      const expect = {
        'ev-plain-1': ['model.request.start', 'model.request.complete'],
        'ev-stream-1': ['model.request.start', 'model.streaming.start', 'model.request.complete'],
        'ev-fallback-1': ['model.request.start', 'model.cooldown', 'model.fallback', 'model.request.complete'],
      };
      for (const [name, sub] of [['ws', ws], ['sse', sse]]) {
        await pollUntil(() => ofRequest(sub.events, 'ev-fallback-1').length >= 4, { timeoutMs: 3000 })
          .catch(() => assert.fail(`${name}: ${JSON.stringify(sub.events)}`));
        for (const [id, want] of Object.entries(expect)) {
          assert.deepEqual(types(ofRequest(sub.events, id)), want, `${name} ${id}: ${JSON.stringify(sub.events)}`);
        }
        // Order across requests too: all of r1's before r2's before r3's.
        const seq = sub.events.filter((e) => e.request_id in expect).map((e) => e.request_id);
        assert.deepEqual(seq, [...expect['ev-plain-1'].map(() => 'ev-plain-1'),
          ...expect['ev-stream-1'].map(() => 'ev-stream-1'), ...expect['ev-fallback-1'].map(() => 'ev-fallback-1')]);
        const [start, complete] = ofRequest(sub.events, 'ev-plain-1');
        assert.equal(start.model, 'demo');
        assert.equal(start.key_alias, 'ev-app');
        assert.equal(typeof start.time, 'number');
        assert.ok(Math.abs(start.time - Date.now()) < 60_000);
        assert.equal(complete.status, 200);
        assert.equal(complete.model_used, 'b/mock-gpt');
        assert.equal(complete.provider, 'b');
        assert.equal(complete.stream, false);
        assert.deepEqual(complete.usage, {
          prompt_tokens: r1.json.usage.prompt_tokens,
          completion_tokens: r1.json.usage.completion_tokens,
          cached_tokens: 0,
        });
        const cost = r1.json.usage.prompt_tokens * IN + r1.json.usage.completion_tokens * OUT;
        assert.ok(Math.abs(complete.cost_usd - cost) < 1e-12, `${complete.cost_usd} vs ${cost}`);
        assert.ok(complete.latency_ms >= 0);
        assert.match(complete.key_prefix, /^sk-/);
        const streamed = ofRequest(sub.events, 'ev-stream-1');
        assert.equal(streamed[1].deployment, 'b/mock-gpt');
        assert.equal(streamed[2].stream, true);
        assert.ok(streamed[2].ttft_ms >= 0);
        const [, cooldown, fallback, done] = ofRequest(sub.events, 'ev-fallback-1');
        assert.equal(cooldown.deployment, 'a/fo');
        assert.equal(cooldown.cooldown_ms, 60000);
        assert.equal(fallback.from, 'a/fo');
        assert.equal(fallback.to, 'b/fo');
        assert.ok(fallback.reason.length > 0);
        assert.equal(done.fallbacks, 1);
        assert.equal(done.attempts, 2);
        // Never a key.
        const text = JSON.stringify(sub.events);
        assert.ok(!text.includes(key), `${name}: the key leaked`);
        assert.ok(!text.includes(MASTER), `${name}: the master key leaked`);
      }
      // SSE event names are the types.
      assert.deepEqual(sse.names.slice(0, 3), ['events.subscribed', 'model.request.start', 'model.request.complete']);
    } finally {
      ws.close();
      sse.close();
    }
  });

  test('budget warning and refusal events carry the scope, the budget and what is committed', async () => {
    const { baton } = env;
    const ws = await wsSubscribe(baton, { query: '?types=model.budget.warning,model.budget.exceeded' });
    try {
      // Worst case of one request: prompt estimate + 1000 output tokens at $2e-6 = ~$0.002.
      const tight = await newKey(baton, { key_alias: 'tight', max_budget: 0.0001 });
      const refused = await postJSON(`${baton.url}/v1/chat/completions`,
        { model: 'demo', max_tokens: 1000, messages: [{ role: 'user', content: 'hello' }] },
        { headers: { authorization: `Bearer ${tight}`, 'x-request-id': 'ev-budget-refused' } });
      assert.equal(refused.status, 429, refused.text);
      // A budget this request's worst case fills past 80% but not past 100%.
      const warn = await newKey(baton, { key_alias: 'warn', max_budget: 0.0022 });
      const warned = await postJSON(`${baton.url}/v1/chat/completions`,
        { model: 'demo', max_tokens: 1000, messages: [{ role: 'user', content: 'hello' }] },
        { headers: { authorization: `Bearer ${warn}`, 'x-request-id': 'ev-budget-warn' } });
      assert.equal(warned.status, 200, warned.text);
      await pollUntil(() => ws.events.length >= 3, { timeoutMs: 3000 })
        .catch(() => assert.fail(JSON.stringify(ws.events)));
      const [, exceeded, warning] = ws.events;
      assert.equal(exceeded.type, 'model.budget.exceeded');
      assert.equal(exceeded.request_id, 'ev-budget-refused');
      assert.equal(exceeded.key_alias, 'tight');
      assert.equal(exceeded.scope, 'key');
      assert.equal(exceeded.budget_usd, 0.0001);
      assert.equal(exceeded.committed_usd, 0);
      assert.equal(warning.type, 'model.budget.warning');
      assert.equal(warning.request_id, 'ev-budget-warn');
      assert.equal(warning.scope, 'key');
      assert.equal(warning.budget_usd, 0.0022);
      assert.ok(warning.committed_usd >= 0.8 * 0.0022 && warning.committed_usd <= 0.0022, JSON.stringify(warning));
      // The filter: nothing else came.
      assert.deepEqual(types(ws.events).slice(1), ['model.budget.exceeded', 'model.budget.warning']);
    } finally {
      ws.close();
    }
  });

  test('the types filter: a subscriber gets only what it asked for', async () => {
    const { baton } = env;
    const only = await wsSubscribe(baton, { query: '?types=model.request.complete' });
    const sse = await sseSubscribe(baton, { query: '?format=sse&types=model.request.start' });
    try {
      for (let i = 0; i < 3; i++) {
        const r = await postJSON(`${baton.url}/v1/chat/completions`,
          { model: 'demo', messages: [{ role: 'user', content: 'x' }] }, { headers: AUTH });
        assert.equal(r.status, 200);
      }
      await pollUntil(() => only.events.length >= 4 && sse.events.length >= 4, { timeoutMs: 3000 });
      await sleep(100);
      assert.deepEqual(types(only.events), ['events.subscribed', ...Array(3).fill('model.request.complete')]);
      assert.deepEqual(types(sse.events), ['events.subscribed', ...Array(3).fill('model.request.start')]);
      assert.deepEqual(only.events[0].types, ['model.request.complete']);
    } finally {
      only.close();
      sse.close();
    }
  });

  test('only the master key, in a header, may subscribe', async () => {
    const { baton } = env;
    const key = await newKey(baton, { key_alias: 'not-admin' });
    await assert.rejects(wsSubscribe(baton, { headers: { authorization: `Bearer ${key}` } }), (e) => e.status === 401);
    await assert.rejects(wsSubscribe(baton, { headers: {} }), (e) => e.status === 401);
    await assert.rejects(wsSubscribe(baton, { query: `?key=${MASTER}`, headers: {} }), (e) => e.status === 401);
    for (const headers of [{ authorization: `Bearer ${key}` }, {}]) {
      const res = await fetch(`${baton.url}/events?format=sse`, { headers });
      assert.equal(res.status, 401);
      const body = await res.text();
      assert.ok(!body.includes(key));
    }
    const res = await fetch(`${baton.url}/events?format=sse&key=${MASTER}`);
    assert.equal(res.status, 401);
    await res.text();
    const bad = await fetch(`${baton.url}/events?format=sse&types=model.nope`, { headers: AUTH });
    assert.equal(bad.status, 400);
    assert.match(await bad.text(), /model\.nope/);
    const plain = await fetch(`${baton.url}/events`, { headers: AUTH });
    assert.equal(plain.status, 400);
    await plain.text();
  });

  test('a subscriber that closes is unsubscribed; the server drains with subscribers connected', async () => {
    const { baton } = env;
    const subs = [];
    for (let i = 0; i < 20; i++) subs.push(await wsSubscribe(baton));
    for (const s of subs.slice(0, 10)) s.ws.close();
    const r = await postJSON(`${baton.url}/v1/chat/completions`,
      { model: 'demo', messages: [{ role: 'user', content: 'x' }] }, { headers: AUTH });
    assert.equal(r.status, 200);
    await pollUntil(() => subs.slice(10).every((s) => s.events.length >= 3), { timeoutMs: 3000 });
    const closed = subs.slice(10).map((s) => new Promise((resolve) => s.ws.once('close', resolve)));
    const t0 = Date.now();
    await baton.stop('SIGTERM');
    await Promise.all(closed);
    assert.ok(Date.now() - t0 < 5000, `drain took ${Date.now() - t0} ms`);
    env = undefined;
  });
});

describe('events to a Redis stream', () => {
  test('every event is XADDed to the configured stream, capped near max_len', async () => {
    const redis = await startRedis();
    const { baton } = await startAll({
      cluster: { redis_url: redis.url },
      events: { stream: 'e2e.events', max_len: 100 },
    });
    try {
      const cli = (...args) => execFileSync('redis-cli', ['-p', String(redis.port), ...args], { encoding: 'utf8' });
      const r = await postJSON(`${baton.url}/v1/chat/completions`,
        { model: 'demo', messages: [{ role: 'user', content: 'x' }] },
        { headers: { ...AUTH, 'x-request-id': 'ev-redis-1' } });
      assert.equal(r.status, 200);
      await pollUntil(() => Number(cli('XLEN', 'e2e.events')) >= 2, { timeoutMs: 3000 });
      const raw = cli('--json', 'XRANGE', 'e2e.events', '-', '+');
      const entries = JSON.parse(raw);
      const got = entries.map(([, fields]) => ({ type: fields[1], json: JSON.parse(fields[3]), names: [fields[0], fields[2]] }));
      assert.deepEqual(got.map((g) => g.type), ['model.request.start', 'model.request.complete']);
      assert.deepEqual(got[0].names, ['type', 'json']);
      assert.equal(got[1].json.request_id, 'ev-redis-1');
      assert.equal(got[1].json.status, 200);
      // Capped: 400 events into a stream of max_len 100 (MAXLEN ~ trims whole nodes: at most
      // about 100 more than max_len remain).
      await Promise.all(Array.from({ length: 200 }, () => postJSON(`${baton.url}/v1/chat/completions`,
        { model: 'demo', messages: [{ role: 'user', content: 'x' }] }, { headers: AUTH })));
      await pollUntil(() => {
        const last = JSON.parse(cli('--json', 'XREVRANGE', 'e2e.events', '+', '-', 'COUNT', '1'));
        return last.length === 1 && last[0][1][1] === 'model.request.complete' && Number(cli('XINFO', 'STREAM', 'e2e.events').match(/entries-added\s+(\d+)/)?.[1] ?? 0) >= 402;
      }, { timeoutMs: 5000 }).catch(() => {});
      const len = Number(cli('XLEN', 'e2e.events'));
      assert.ok(len >= 100 && len <= 250, `XLEN ${len}`);
    } finally {
      await baton.stop();
      await redis.stop();
    }
  });
});
