// The routing engine against failing upstreams (docs/routing.md): several baton-mock instances,
// one per provider, whose faults are switched at run time (POST /mock/fault), and a baton whose
// aliases span them. Each case checks what the client sees (status, body, x-baton-model /
// x-baton-attempts, stream shape), how many attempts each mock received, and the timing where it
// matters: faults on the first deployment (500, 429 + retry-after, timeout, reset, stream cut
// before / after the first content byte, hang, connection refused, 404, 400), every strategy,
// the fallback modes, max_retries, everything failing (OpenAI and Anthropic dialects), cooldown
// and the half-open probe, the weighted distribution, zones.
//
// Every alias uses its own upstream model names, so each deployment id ("a/f500") and its
// breaker belong to one test. The main baton runs with cooldowns off; the cooldown cases have a
// baton of their own.
import { describe, test, before, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import {
  assertChatCompletion, assertOpenAIError, chat, clearMockFault, freePort, getJSON, mockRequestsFor, postJSON,
  readSSE, setMockFault, sleep, startBaton, startMock, streamedContent, toToml, userMessage,
} from './support/harness.mjs';

// ---------------------------------------------------------------------------------------------
// Helpers

const ms = (t0) => performance.now() - t0;

function provider(mock) {
  return { kind: 'openai-compatible', base_url: `${mock.url}/v1`, api_key: 'os.environ/MOCK_KEY' };
}

// An alias over `deployments` ("p/model" strings or inline tables) with extra alias keys.
const alias = (deployments, extra = {}) => ({ deployments, ...extra });

async function count(mock, model) {
  return (await mockRequestsFor(mock, model)).length;
}

// Attempts per mock for one upstream model: {a: n, b: n, ...}.
async function counts(mocks, model) {
  const out = {};
  for (const [name, mock] of Object.entries(mocks)) out[name] = await count(mock, model);
  return out;
}

function describeRes(res) {
  const h = (n) => res.headers.get(n);
  return `${res.status} x-baton-model=${h('x-baton-model')} x-baton-attempts=${h('x-baton-attempts')} ` +
    `body=${(res.text ?? '').slice(0, 400)}`;
}

// Status and the x-baton-* headers of a routed answer.
function assertRouted(res, { status = 200, model, attempts, what = '' }) {
  const ctx = `${what}: ${describeRes(res)}`;
  assert.equal(res.status, status, `status, ${ctx}`);
  if (model !== undefined) {
    assert.equal(res.headers.get('x-baton-model'), model, `x-baton-model, ${ctx}`);
    assert.equal(res.headers.get('x-baton-provider'), model.split('/')[0], `x-baton-provider, ${ctx}`);
  }
  if (attempts !== undefined) {
    assert.equal(res.headers.get('x-baton-attempts'), String(attempts), `x-baton-attempts, ${ctx}`);
  }
}

const ask = (baton, model, extra = {}, opts = {}) => chat(baton, { model, messages: userMessage(), ...extra }, opts);

// A streamed chat request: {res (with status/headers), sse (readSSE summary)}.
async function askStream(baton, model, headers = {}) {
  const response = await fetch(`${baton.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ model, stream: true, messages: userMessage() }),
  });
  const sse = await readSSE(response);
  const res = { status: response.status, headers: response.headers, text: sse.text };
  return { res, sse };
}

function askAnthropic(baton, model, headers = {}) {
  return postJSON(`${baton.url}/v1/messages`, { model, max_tokens: 50, messages: userMessage() }, {
    headers: { 'anthropic-version': '2023-06-01', ...headers },
  });
}

async function deploymentState(baton, id) {
  const res = await getJSON(`${baton.url}/health/deployments`);
  assert.equal(res.status, 200, `GET /health/deployments: ${res.status} ${res.text.slice(0, 300)}`);
  assert.ok(Array.isArray(res.json?.deployments), `deployments array: ${res.text.slice(0, 300)}`);
  const d = res.json.deployments.find((x) => x.id === id);
  assert.ok(d, `deployment ${id} in /health/deployments: ${res.text.slice(0, 600)}`);
  return d;
}

// ---------------------------------------------------------------------------------------------
// Mocks and the main baton

let A;
let B;
let C;
let R; // only for the reset case: baton has no pooled connection to it (see that test)
let mocks;
let deadPort;
let baton;

const STRATEGIES = ['priority', 'weighted', 'least-busy', 'lowest-latency', 'lowest-cost'];

function strategyAlias(strategy) {
  const m = `s-${strategy}`;
  if (strategy === 'lowest-cost') {
    // a is the cheaper one, so it is always chosen first.
    return alias([
      { target: `a/${m}`, input_cost_per_token: 1e-7, output_cost_per_token: 1e-7 },
      { target: `b/${m}`, input_cost_per_token: 1e-5, output_cost_per_token: 1e-5 },
    ], { strategy, max_retries: 0 });
  }
  return alias([`a/${m}`, `b/${m}`], { strategy, max_retries: 0 });
}

function mainConfig() {
  const models = {
    f500: alias(['a/f500', 'b/f500'], { max_retries: 1 }),
    f429: alias(['a/f429', 'b/f429'], { max_retries: 2 }),
    f503ms: alias(['a/f503ms', 'b/f503ms'], { max_retries: 2 }),
    f429long: alias(['a/f429long', 'b/f429long'], { max_retries: 2 }),
    ftimeout: alias([{ target: 'a/ftimeout', timeout: '300ms' }, 'b/ftimeout'], { max_retries: 1 }),
    freset: alias(['r/freset', 'b/freset'], { max_retries: 1 }),
    fcut1: alias(['a/fcut1', 'b/fcut1'], { max_retries: 0 }),
    fcut3: alias(['a/fcut3', 'b/fcut3'], { max_retries: 0 }),
    fcutsdk: alias(['a/fcutsdk', 'b/fcutsdk'], { max_retries: 0 }),
    fhang: alias([{ target: 'a/fhang', timeout: '300ms' }, 'b/fhang'], { max_retries: 0 }),
    frefused: alias(['dead/frefused', 'b/frefused'], { max_retries: 2 }),
    f404: alias(['a/f404', 'b/f404'], { max_retries: 2 }),
    f400: alias(['a/f400', 'b/f400'], { max_retries: 2 }),
    fbprio: alias(['a/fbprio', 'c/fbprio-other'], { fallback: 'priority', max_retries: 0 }),
    fbsame: alias(['a/fbsame', 'c/fbsame-other', 'b/fbsame'], { fallback: 'same-model', max_retries: 0 }),
    fbsame2: alias(['a/fbsame2', 'c/fbsame2-other'], { fallback: 'same-model', max_retries: 0 }),
    fbnone: alias(['a/fbnone', 'b/fbnone'], { fallback: 'none', max_retries: 1 }),
    r2: alias(['a/r2', 'b/r2'], { max_retries: 2 }),
    rdefault: alias(['a/rdefault', 'b/rdefault']), // [router] max_retries = 2
    r0: alias(['a/r0', 'b/r0'], { max_retries: 0 }),
    all5xx: alias(['a/all5xx', 'b/all5xx'], { max_retries: 0 }),
    all429: alias(['a/all429', 'b/all429'], { max_retries: 0 }),
    allanth: alias(['a/allanth', 'b/allanth'], { max_retries: 0 }),
    alltimeout: alias([{ target: 'a/alltimeout', timeout: '300ms' }], { max_retries: 0 }),
    wdist: alias([{ target: 'a/wdist', weight: 1 }, { target: 'b/wdist', weight: 3 }], { strategy: 'weighted' }),
    zm: alias(['a/zm', 'b/zm']),
    zother: alias(['c/zother']),
    ztight: alias(['b/ztight']),
  };
  for (const s of STRATEGIES) models[`s-${s}`] = strategyAlias(s);
  const tables = {
    server: { host: '127.0.0.1', port: 4000, read_timeout: '5s' },
    router: {
      max_retries: 2,
      retry_backoff: '20ms',
      max_retry_wait: '1500ms',
      cooldown: '0', // no breaker here: every case sees the same deployments every time
    },
    'providers.a': provider(A),
    'providers.b': provider(B),
    'providers.c': provider(C),
    'providers.r': provider(R),
    'providers.dead': { kind: 'openai-compatible', base_url: `http://127.0.0.1:${deadPort}/v1`, api_key: 'os.environ/MOCK_KEY' },
    'zones.clinic': { default_model: 'zm', allowed_providers: ['b'], allowed_models: ['zm'] },
    'zones.tight': { rpm: 2 },
  };
  for (const [name, m] of Object.entries(models)) tables[`models.${name}`] = m;
  return toToml(tables);
}

before(async () => {
  [A, B, C, R] = await Promise.all([startMock(), startMock(), startMock(), startMock()]);
  mocks = { a: A, b: B, c: C };
  deadPort = await freePort();
  baton = await startBaton(mainConfig());
});

// Every case starts with healthy mocks and empty request logs.
beforeEach(async () => {
  await Promise.all([A, B, C, R].map(async (m) => {
    await clearMockFault(m);
    await m.reset();
  }));
});

// ---------------------------------------------------------------------------------------------

describe('baton-mock run-time faults', () => {
  test('POST/GET/DELETE /mock/fault, count, 400 on a bad body', async () => {
    assert.deepEqual(await setMockFault(A, { status: 503, retry_after: 2, count: 1 }),
      { status: 503, retry_after: 2, count: 1 });
    let res = await postJSON(`${A.url}/v1/chat/completions`, { model: 'x', messages: userMessage() });
    assert.equal(res.status, 503);
    assert.equal(res.headers.get('retry-after'), '2');
    res = await postJSON(`${A.url}/v1/chat/completions`, { model: 'x', messages: userMessage() });
    assert.equal(res.status, 200, 'the counted fault cleared itself');
    assert.deepEqual((await getJSON(`${A.url}/mock/fault`)).json, {});
    res = await postJSON(`${A.url}/mock/fault`, '{"status":');
    assertOpenAIError(res, 400);
    await setMockFault(A, { reset: true });
    res = await fetch(`${A.url}/mock/fault`, { method: 'DELETE' });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), {});
  });
});

describe('faults on the first deployment', () => {
  test('500: retried max_retries times, then the next deployment answers', async () => {
    await setMockFault(A, { status: 500 });
    const res = await ask(baton, 'f500');
    assertRouted(res, { model: 'b/f500', attempts: 3, what: 'f500' });
    assertChatCompletion(res.json);
    assert.deepEqual(await counts(mocks, 'f500'), { a: 2, b: 1, c: 0 });
    // stderr is its own pipe: the line may arrive after the HTTP answer.
    await baton.proc.waitFor(/baton: fallback a\/f500 -> b\/f500 for "[^"]+": .* \(request [^,)]+\)/, { stream: 'stderr', timeoutMs: 2000 });
  });

  test('429 with retry-after: the retry waits for it and the same deployment answers', async () => {
    await setMockFault(A, { status: 429, retry_after: 1, count: 1 });
    const t0 = performance.now();
    const res = await ask(baton, 'f429');
    const elapsed = ms(t0);
    assertRouted(res, { model: 'a/f429', attempts: 2, what: 'f429' });
    assert.ok(elapsed >= 1000, `waited ${elapsed.toFixed(0)} ms, retry-after is 1 s`);
    assert.ok(elapsed < 1800, `waited ${elapsed.toFixed(0)} ms: far more than retry-after 1 s`);
    assert.deepEqual(await counts(mocks, 'f429'), { a: 2, b: 0, c: 0 });
  });

  test('503 with retry-after-ms: the retry waits for it', async () => {
    await setMockFault(A, { status: 503, retry_after_ms: 400, count: 1 });
    const t0 = performance.now();
    const res = await ask(baton, 'f503ms');
    const elapsed = ms(t0);
    assertRouted(res, { model: 'a/f503ms', attempts: 2, what: 'f503ms' });
    assert.ok(elapsed >= 400, `waited ${elapsed.toFixed(0)} ms, retry-after-ms is 400`);
    assert.ok(elapsed < 1200, `waited ${elapsed.toFixed(0)} ms`);
    assert.deepEqual(await counts(mocks, 'f503ms'), { a: 2, b: 0, c: 0 });
  });

  test('429 with a retry-after above max_retry_wait: falls back at once', async () => {
    await setMockFault(A, { status: 429, retry_after: 3 });
    const t0 = performance.now();
    const res = await ask(baton, 'f429long');
    const elapsed = ms(t0);
    assertRouted(res, { model: 'b/f429long', attempts: 2, what: 'f429long' });
    assert.ok(elapsed < 700, `fell back after ${elapsed.toFixed(0)} ms, should not wait for retry-after`);
    assert.deepEqual(await counts(mocks, 'f429long'), { a: 1, b: 1, c: 0 });
  });

  test('timeout (deployment timeout < upstream latency): retried, then the next deployment', async () => {
    await setMockFault(A, { latency_ms: 2000 });
    const t0 = performance.now();
    const res = await ask(baton, 'ftimeout');
    const elapsed = ms(t0);
    assertRouted(res, { model: 'b/ftimeout', attempts: 3, what: 'ftimeout' });
    assert.ok(elapsed >= 600, `two 300 ms timeouts took only ${elapsed.toFixed(0)} ms`);
    assert.ok(elapsed < 1600, `two 300 ms timeouts took ${elapsed.toFixed(0)} ms`);
    assert.deepEqual(await counts(mocks, 'ftimeout'), { a: 2, b: 1, c: 0 });
  });

  test('connection reset before the answer: retried, then the next deployment', async () => {
    await setMockFault(R, { reset: true });
    const res = await ask(baton, 'freset');
    assertRouted(res, { model: 'b/freset', attempts: 3, what: 'freset' });
    assertChatCompletion(res.json);
    // Baton's upstream client re-sends a request once by itself when a *pooled* connection turns
    // out closed before any byte, so R may see up to two requests per attempt. R is a mock baton
    // never talked to before, so normally it sees exactly the two attempts.
    const onR = await count(R, 'freset');
    assert.ok(onR >= 2 && onR <= 4, `r got ${onR} requests for 2 attempts`);
    assert.equal(await count(B, 'freset'), 1);
    assert.ok((await R.stats()).connections_reset >= 2);
  });

  test('stream cut before the first content byte: one clean stream from the next deployment', async () => {
    await setMockFault(A, { drop_after_chunks: 1 }); // the role chunk, then the cut
    const { res, sse } = await askStream(baton, 'fcut1');
    assertRouted(res, { model: 'b/fcut1', attempts: 2, what: 'fcut1 stream' });
    assert.match(res.headers.get('content-type') || '', /text\/event-stream/);
    assert.ok(sse.done, `ends with [DONE]: ${sse.text}`);
    assert.equal(sse.doneIndex, sse.events.length - 1, `[DONE] is last: ${sse.text}`);
    assert.ok(!sse.chunks.some((c) => c.error || c.__unparsed), `no error event: ${sse.text}`);
    const roles = sse.chunks.filter((c) => c.choices?.[0]?.delta?.role);
    assert.equal(roles.length, 1, `one role chunk (the failed attempt's was held back): ${sse.text}`);
    assert.equal(new Set(sse.chunks.map((c) => c.id)).size, 1, `all chunks from one upstream: ${sse.text}`);
    // Exactly what the healthy upstream says for this prompt.
    const direct = await postJSON(`${B.url}/v1/chat/completions`, { model: 'direct', messages: userMessage() });
    assert.equal(streamedContent(sse.chunks), direct.json.choices[0].message.content);
    assert.deepEqual(await counts(mocks, 'fcut1'), { a: 1, b: 1, c: 0 });
    assert.equal((await A.stats()).streams_dropped, 1);
  });

  test('stream cut after content: the error goes inside the stream, then [DONE]', async () => {
    await setMockFault(A, { drop_after_chunks: 3 }); // role, "Mock", " word", then the cut
    const { res, sse } = await askStream(baton, 'fcut3');
    assertRouted(res, { model: 'a/fcut3', attempts: 1, what: 'fcut3 stream' });
    assert.ok(streamedContent(sse.chunks).startsWith('Mock '), `content before the cut: ${sse.text}`);
    assert.ok(sse.done, `terminated with [DONE]: ${sse.text}`);
    assert.equal(sse.doneIndex, sse.events.length - 1, `[DONE] is last: ${sse.text}`);
    const last = JSON.parse(sse.events[sse.doneIndex - 1].data);
    assert.ok(last.error && typeof last.error.message === 'string', `an error event before [DONE]: ${sse.text}`);
    assert.deepEqual(await counts(mocks, 'fcut3'), { a: 1, b: 0, c: 0 });
  });

  test('stream cut after content: the openai SDK iteration throws', async () => {
    await setMockFault(A, { drop_after_chunks: 3 });
    const client = new OpenAI({ baseURL: `${baton.url}/v1`, apiKey: 'sk-test', maxRetries: 0 });
    const stream = await client.chat.completions.create({ model: 'fcutsdk', stream: true, messages: userMessage() });
    let text = '';
    await assert.rejects(async () => {
      for await (const chunk of stream) text += chunk.choices?.[0]?.delta?.content ?? '';
    }, (err) => err instanceof OpenAI.APIError);
    assert.ok(text.startsWith('Mock '), `content before the error: ${JSON.stringify(text)}`);
    assert.deepEqual(await counts(mocks, 'fcutsdk'), { a: 1, b: 0, c: 0 });
  });

  test('hang: the deployment timeout ends it, the next deployment answers (plain and stream)', async () => {
    await setMockFault(A, { hang: true });
    let t0 = performance.now();
    const res = await ask(baton, 'fhang');
    let elapsed = ms(t0);
    assertRouted(res, { model: 'b/fhang', attempts: 2, what: 'fhang' });
    assert.ok(elapsed >= 300 && elapsed < 1300, `timeout 300 ms, took ${elapsed.toFixed(0)} ms`);

    t0 = performance.now();
    const { res: sres, sse } = await askStream(baton, 'fhang');
    elapsed = ms(t0);
    assertRouted(sres, { model: 'b/fhang', attempts: 2, what: 'fhang stream' });
    assert.ok(sse.done && !sse.chunks.some((c) => c.error), `clean stream: ${sse.text}`);
    assert.ok(elapsed >= 300 && elapsed < 1300, `timeout 300 ms, took ${elapsed.toFixed(0)} ms`);
    assert.deepEqual(await counts(mocks, 'fhang'), { a: 2, b: 2, c: 0 });
  });

  test('connection refused: the next deployment at once, no retry', async () => {
    const t0 = performance.now();
    const res = await ask(baton, 'frefused');
    const elapsed = ms(t0);
    assertRouted(res, { model: 'b/frefused', attempts: 2, what: 'frefused' });
    assert.ok(elapsed < 250, `fell back after ${elapsed.toFixed(0)} ms`);
    assert.equal(await count(B, 'frefused'), 1);
  });

  test('404 (model missing upstream): the next deployment at once, no retry', async () => {
    await setMockFault(A, { status: 404 });
    const res = await ask(baton, 'f404');
    assertRouted(res, { model: 'b/f404', attempts: 2, what: 'f404' });
    assert.deepEqual(await counts(mocks, 'f404'), { a: 1, b: 1, c: 0 });
  });

  test('400: returned to the client as it is, no retry, no fallback', async () => {
    await setMockFault(A, { status: 400 });
    const res = await ask(baton, 'f400');
    assertRouted(res, { status: 400, model: 'a/f400', attempts: 1, what: 'f400' });
    const err = assertOpenAIError(res, 400);
    assert.equal(err.type, 'invalid_request_error');
    assert.deepEqual(await counts(mocks, 'f400'), { a: 1, b: 0, c: 0 });
  });
});

describe('fail-over under every strategy', () => {
  for (const strategy of STRATEGIES) {
    test(`${strategy}: a failing deployment never reaches the client`, async () => {
      await setMockFault(A, { status: 500 });
      const model = `s-${strategy}`;
      const n = 6;
      const results = await Promise.all(Array.from({ length: n }, () => ask(baton, model)));
      let extra = 0;
      for (const res of results) {
        assertRouted(res, { model: `b/${model}`, what: strategy });
        const attempts = Number(res.headers.get('x-baton-attempts'));
        assert.ok(attempts === 1 || attempts === 2, describeRes(res));
        if (strategy === 'priority' || strategy === 'lowest-cost') {
          assert.equal(attempts, 2, `${strategy} always tries a first: ${describeRes(res)}`);
        }
        extra += attempts - 1;
      }
      assert.deepEqual(await counts(mocks, model), { a: extra, b: n, c: 0 });
    });
  }
});

describe('fallback modes', () => {
  test('priority: any other deployment, whatever its model', async () => {
    await setMockFault(A, { status: 500 });
    const res = await ask(baton, 'fbprio');
    assertRouted(res, { model: 'c/fbprio-other', attempts: 2, what: 'fbprio' });
  });

  test('same-model: only deployments of the same upstream model are tried', async () => {
    await setMockFault(A, { status: 500 });
    const res = await ask(baton, 'fbsame');
    assertRouted(res, { model: 'b/fbsame', attempts: 2, what: 'fbsame' });
    assert.equal(await count(C, 'fbsame-other'), 0, 'the other model was skipped');
    assert.equal(await count(A, 'fbsame'), 1);

    const alone = await ask(baton, 'fbsame2');
    assertRouted(alone, { status: 502, model: 'a/fbsame2', attempts: 1, what: 'fbsame2' });
    assertOpenAIError(alone, 502);
    assert.equal(await count(C, 'fbsame2-other'), 0, 'no same-model deployment: nothing else tried');
  });

  test('none: the error after the retries, no other deployment', async () => {
    await setMockFault(A, { status: 500 });
    const res = await ask(baton, 'fbnone');
    assertRouted(res, { status: 502, model: 'a/fbnone', attempts: 2, what: 'fbnone' });
    assertOpenAIError(res, 502);
    assert.deepEqual(await counts(mocks, 'fbnone'), { a: 2, b: 0, c: 0 });
  });
});

describe('retries and total failure', () => {
  test('max_retries is exact: 2 → 3 attempts on a, then b (4 in all); the [router] default is 2; 0 → 1 + 1', async () => {
    await setMockFault(A, { status: 500 });
    const [r2, rdefault, r0] = await Promise.all([ask(baton, 'r2'), ask(baton, 'rdefault'), ask(baton, 'r0')]);
    assertRouted(r2, { model: 'b/r2', attempts: 4, what: 'r2' });
    assertRouted(rdefault, { model: 'b/rdefault', attempts: 4, what: 'rdefault' });
    assertRouted(r0, { model: 'b/r0', attempts: 2, what: 'r0' });
    assert.deepEqual(await counts(mocks, 'r2'), { a: 3, b: 1, c: 0 });
    assert.deepEqual(await counts(mocks, 'rdefault'), { a: 3, b: 1, c: 0 });
    assert.deepEqual(await counts(mocks, 'r0'), { a: 1, b: 1, c: 0 });
  });

  test('every deployment failing: the last error in the client\'s dialect', async () => {
    await setMockFault(A, { status: 500 });
    await setMockFault(B, { status: 503 });
    const res = await ask(baton, 'all5xx');
    assertRouted(res, { status: 502, model: 'b/all5xx', attempts: 2, what: 'all5xx' });
    const err = assertOpenAIError(res, 502);
    assert.match(err.message, /"b"/, 'names the provider that failed last');

    // An upstream 429 stays a 429 (here the last one tried).
    await setMockFault(B, { status: 429, retry_after: 3 });
    const limited = await ask(baton, 'all429');
    assertRouted(limited, { status: 429, model: 'b/all429', attempts: 2, what: 'all429' });
    assertOpenAIError(limited, 429);
    assert.deepEqual(await counts(mocks, 'all429'), { a: 1, b: 1, c: 0 });

    // Anthropic client, OpenAI upstreams.
    await setMockFault(B, { status: 500 });
    const anth = await askAnthropic(baton, 'allanth');
    assertRouted(anth, { status: 502, model: 'b/allanth', attempts: 2, what: 'allanth' });
    assert.equal(anth.json?.type, 'error', `Anthropic error shape: ${anth.text}`);
    assert.equal(anth.json?.error?.type, 'api_error', `Anthropic error type: ${anth.text}`);
    assert.equal(typeof anth.json?.error?.message, 'string');
    assert.deepEqual(await counts(mocks, 'allanth'), { a: 1, b: 1, c: 0 });
  });

  test('a deployment that only times out: 504', async () => {
    await setMockFault(A, { hang: true });
    const res = await ask(baton, 'alltimeout');
    assertRouted(res, { status: 504, model: 'a/alltimeout', attempts: 1, what: 'alltimeout' });
    assertOpenAIError(res, 504);
  });
});

describe('weighted distribution', () => {
  test('weights 1 and 3: shares within 7 points of 25/75 % over 400 requests', async () => {
    const total = 400;
    const seen = { 'a/wdist': 0, 'b/wdist': 0 };
    let next = 0;
    const worker = async () => {
      while (next < total) {
        next += 1;
        const res = await ask(baton, 'wdist');
        assert.equal(res.status, 200, describeRes(res));
        seen[res.headers.get('x-baton-model')] += 1;
      }
    };
    await Promise.all(Array.from({ length: 16 }, worker));
    assert.equal(seen['a/wdist'] + seen['b/wdist'], total, JSON.stringify(seen));
    const shareA = (100 * seen['a/wdist']) / total;
    assert.ok(Math.abs(shareA - 25) <= 7, `a got ${shareA}% (${JSON.stringify(seen)})`);
    // The mocks agree with the headers.
    assert.equal((await A.stats()).requests, seen['a/wdist']);
    assert.equal((await B.stats()).requests, seen['b/wdist']);
  });
});

describe('zones', () => {
  const zone = (name) => ({ 'x-maestro-zone': name, 'x-maestro-session': 'sess-e2e' });

  test('the zone keeps an alias to its allowed providers, and fills in its default model', async () => {
    const res = await ask(baton, 'zm', {}, { headers: zone('clinic') });
    assertRouted(res, { model: 'b/zm', attempts: 1, what: 'zm in clinic' });
    const dflt = await ask(baton, 'default', {}, { headers: zone('clinic') });
    assertRouted(dflt, { model: 'b/zm', attempts: 1, what: 'default in clinic' });
    assert.deepEqual(await counts(mocks, 'zm'), { a: 0, b: 2, c: 0 });
  });

  test('a model outside the zone: 403 zone_policy_violation (OpenAI and Anthropic dialects)', async () => {
    const res = await ask(baton, 'zother', {}, { headers: zone('clinic') });
    const err = assertOpenAIError(res, 403, { code: 'zone_policy_violation' });
    assert.match(err.message, /clinic/, 'says which zone');
    const anth = await askAnthropic(baton, 'zother', zone('clinic'));
    assert.equal(anth.status, 403, anth.text);
    assert.equal(anth.json?.type, 'error', anth.text);
    assert.equal(anth.json?.error?.type, 'permission_error', anth.text);
    assert.match(anth.json?.error?.message ?? '', /clinic/, anth.text);
    assert.equal(await count(C, 'zother'), 0, 'nothing went upstream');
  });

  test('an unknown zone: 403 zone_not_found', async () => {
    const res = await ask(baton, 'zm', {}, { headers: zone('nowhere') });
    assertOpenAIError(res, 403, { code: 'zone_not_found' });
    assert.equal(await count(B, 'zm'), 0);
  });

  test('over the zone rpm: 429 zone_rate_limited with retry-after', async () => {
    const statuses = [];
    for (let i = 0; i < 2; i++) statuses.push((await ask(baton, 'ztight', {}, { headers: zone('tight') })).status);
    assert.deepEqual(statuses, [200, 200]);
    const res = await ask(baton, 'ztight', {}, { headers: zone('tight') });
    assertOpenAIError(res, 429, { code: 'zone_rate_limited' });
    assert.ok(Number(res.headers.get('retry-after')) >= 1, `retry-after: ${res.headers.get('retry-after')}`);
    assert.equal(await count(B, 'ztight'), 2);
  });
});

// ---------------------------------------------------------------------------------------------
// Cooldown: a baton of its own with a hair-trigger breaker.

describe('cooldown and the half-open probe', () => {
  let cb;
  const COOLDOWN_MS = 1000;

  before(async () => {
    cb = await startBaton(toToml({
      server: { host: '127.0.0.1', port: 4000, read_timeout: '5s' },
      router: { max_retries: 0, retry_backoff: '10ms', allowed_fails: 1, fail_window: '30s', cooldown: '1s' },
      'providers.a': provider(A),
      'providers.b': provider(B),
      'models.cd': alias(['a/cd', 'b/cd']),
      'models.cd1': alias(['a/cd1']),
    }));
  });

  test('after allowed_fails+1 failures the deployment is skipped; one probe after the cooldown', async () => {
    await setMockFault(A, { status: 500 });
    for (let i = 0; i < 2; i++) {
      const res = await ask(cb, 'cd');
      assertRouted(res, { model: 'b/cd', attempts: 2, what: `failure ${i + 1}` });
    }
    const cooledAt = performance.now();
    await cb.proc.waitFor(/baton: cooldown a\/cd /, { stream: 'stderr', timeoutMs: 2000 });
    assert.equal(await count(A, 'cd'), 2);

    // Cooling: a gets nothing more.
    const skipped = await Promise.all([1, 2, 3].map(() => ask(cb, 'cd')));
    for (const res of skipped) assertRouted(res, { model: 'b/cd', attempts: 1, what: 'while cooling' });
    assert.equal(await count(A, 'cd'), 2, 'a is skipped while cooling down');
    const cooling = await deploymentState(cb, 'a/cd');
    assert.equal(cooling.state, 'cooldown', JSON.stringify(cooling));
    assert.ok(cooling.cooldown_remaining_ms > 0 && cooling.cooldown_remaining_ms <= COOLDOWN_MS, JSON.stringify(cooling));
    assert.equal((await deploymentState(cb, 'b/cd')).state, 'healthy');

    // After the cooldown: exactly one request goes to a as the probe, however many arrive.
    await sleep(Math.max(0, COOLDOWN_MS + 100 - ms(cooledAt)));
    await setMockFault(A, { status: 500, latency_ms: 300 }); // the probe is still out when the others arrive
    const burst = await Promise.all([1, 2, 3, 4].map(() => ask(cb, 'cd')));
    for (const res of burst) assertRouted(res, { model: 'b/cd', what: 'burst after the cooldown' });
    const attempts = burst.map((r) => Number(r.headers.get('x-baton-attempts'))).sort();
    assert.deepEqual(attempts, [1, 1, 1, 2], 'one request probed a, the others went straight to b');
    assert.equal(await count(A, 'cd'), 3, 'exactly one probe');
    const reopened = performance.now();
    assert.equal((await deploymentState(cb, 'a/cd')).state, 'cooldown', 'the failed probe cools it down again');

    // Healthy again: the next probe succeeds and closes the breaker.
    await clearMockFault(A);
    await sleep(Math.max(0, COOLDOWN_MS + 100 - ms(reopened)));
    const probe = await ask(cb, 'cd');
    assertRouted(probe, { model: 'a/cd', attempts: 1, what: 'successful probe' });
    assert.equal((await deploymentState(cb, 'a/cd')).state, 'healthy');
    const after = await Promise.all([1, 2, 3].map(() => ask(cb, 'cd')));
    for (const res of after) assertRouted(res, { model: 'a/cd', attempts: 1, what: 'closed again' });
  });

  test('every deployment cooling down: 503 deployments_cooling_down with retry-after, nothing sent', async () => {
    await setMockFault(A, { status: 500 });
    for (let i = 0; i < 2; i++) {
      const res = await ask(cb, 'cd1');
      assertRouted(res, { status: 502, model: 'a/cd1', attempts: 1, what: `failure ${i + 1}` });
    }
    const res = await ask(cb, 'cd1');
    assertOpenAIError(res, 503, { code: 'deployments_cooling_down' });
    const retryAfter = Number(res.headers.get('retry-after'));
    assert.ok(retryAfter >= 1 && retryAfter <= 1, `retry-after ${res.headers.get('retry-after')}`);
    assert.equal(await count(A, 'cd1'), 2, 'no attempt while cooling');
  });
});
