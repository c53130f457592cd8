// Error answers: always OpenAI's {"error":{message,type,param,code}} with the right status, for
// bad client input, auth, unknown models and paths, and upstream faults (unreachable, reset, 5xx,
// 4xx pass-through, first-byte timeout). Messages never leak internals.
import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import {
  assertNoLeak, assertOpenAIError, assertStillServing, batonConfig, chat, freePort, getJSON, request, startBaton,
  readSSE, startMock, startPair, userMessage,
} from './support/harness.mjs';
import { startBrokenUpstream } from './support/upstreams.mjs';

describe('client errors', () => {
  let baton;
  let mock;

  before(async () => {
    ({ mock, baton } = await startPair());
  });

  test('invalid JSON → 400', async () => {
    for (const body of ['{"model":"demo","messages":[', 'not json at all', '', '[1,2]', '"str"']) {
      const res = await request(`${baton.url}/v1/chat/completions`, { method: 'POST', body });
      const err = assertOpenAIError(res, 400, { what: `body ${JSON.stringify(body)}` });
      assertNoLeak(err.message);
    }
  });

  test('missing model → 400; missing messages → 400', async () => {
    let res = await chat(baton, { messages: userMessage() });
    assertOpenAIError(res, 400, { what: 'no model' });
    res = await chat(baton, { model: 'demo' });
    assertOpenAIError(res, 400, { what: 'no messages' });
    res = await chat(baton, { model: 42, messages: userMessage() });
    assertOpenAIError(res, 400, { what: 'model not a string' });
  });

  test('unknown model → 404 model_not_found; nothing sent upstream', async () => {
    await mock.reset();
    for (const model of ['no-such-alias', 'nosuchprovider/some-model']) {
      const res = await chat(baton, { model, messages: userMessage() });
      const err = assertOpenAIError(res, 404, { code: 'model_not_found', what: model });
      assertNoLeak(err.message);
    }
    assert.equal((await mock.chatRequests()).length, 0);
  });

  test('unknown path → 404 in OpenAI shape', async () => {
    for (const p of ['/v1/nope', '/nope', '/v2/chat/completions']) {
      const res = await getJSON(`${baton.url}${p}`);
      assertOpenAIError(res, 404, { what: `GET ${p}` });
    }
    const res = await request(`${baton.url}/v1/nope`, { method: 'POST', body: { model: 'demo' } });
    assertOpenAIError(res, 404, { what: 'POST /v1/nope' });
  });

  test('wrong method → 405 or 404 in OpenAI shape', async () => {
    let res = await getJSON(`${baton.url}/v1/chat/completions`);
    assertOpenAIError(res, [404, 405], { what: 'GET /v1/chat/completions' });
    res = await request(`${baton.url}/v1/models`, { method: 'DELETE' });
    assertOpenAIError(res, [404, 405], { what: 'DELETE /v1/models' });
  });
});

describe('master key', () => {
  const MASTER = 'sk-master-e2e-0123456789';
  let baton;

  before(async () => {
    const mock = await startMock();
    baton = await startBaton(
      batonConfig({ mockPort: mock.port, server: { master_key: 'os.environ/BATON_MASTER_KEY' } }),
      { env: { BATON_MASTER_KEY: MASTER } },
    );
  });

  test('no Authorization → 401 invalid_api_key', async () => {
    const res = await chat(baton, { model: 'demo', messages: userMessage() });
    assertOpenAIError(res, 401, { code: 'invalid_api_key' });
    assert.ok(res.headers.get('x-request-id'));
  });

  test('wrong key → 401 invalid_api_key, and the presented key is not echoed', async () => {
    const wrong = 'sk-wrong-QWERTYUIOPASDFGH';
    const res = await chat(baton, { model: 'demo', messages: userMessage() }, { headers: { authorization: `Bearer ${wrong}` } });
    const err = assertOpenAIError(res, 401, { code: 'invalid_api_key' });
    assert.ok(!res.text.includes(wrong), `body echoes the key: ${res.text}`);
    assert.ok(!res.text.includes('QWERTYUIOPASDFGH'), `body echoes part of the key: ${res.text}`);
    assert.ok(!err.message.includes(MASTER), 'message shows the master key');
  });

  test('non-Bearer scheme and the master key with a suffix → 401', async () => {
    for (const auth of [`Basic ${Buffer.from(`u:${MASTER}`).toString('base64')}`, `Bearer ${MASTER}x`, `Bearer ${MASTER.slice(0, -1)}`, 'Bearer ']) {
      const res = await chat(baton, { model: 'demo', messages: userMessage() }, { headers: { authorization: auth } });
      assertOpenAIError(res, 401, { code: 'invalid_api_key', what: auth });
    }
  });

  test('the right key → 200', async () => {
    const res = await chat(baton, { model: 'demo', messages: userMessage() }, { headers: { authorization: `Bearer ${MASTER}` } });
    assert.equal(res.status, 200, res.text);
  });

  test('/v1/models also needs the key', async () => {
    const res = await getJSON(`${baton.url}/v1/models`);
    assertOpenAIError(res, 401, { code: 'invalid_api_key' });
    const ok = await getJSON(`${baton.url}/v1/models`, { headers: { authorization: `Bearer ${MASTER}` } });
    assert.equal(ok.status, 200, ok.text);
  });
});

describe('upstream faults', () => {
  // Each test gets its own pair, so a crash in one fault path does not hide the others.
  const pair = () => startPair({ provider: { first_byte_timeout: '500ms' } });

  test('upstream 5xx → 502 naming the upstream status', async () => {
    const { baton } = await pair();
    for (const code of [500, 503]) {
      const res = await chat(baton, { model: `mock/mock-fail-${code}`, messages: userMessage() });
      const err = assertOpenAIError(res, 502, { what: `mock-fail-${code}` });
      assert.match(err.message, new RegExp(String(code)), `message mentions ${code}: ${err.message}`);
      assertNoLeak(err.message);
      assert.ok(res.headers.get('x-request-id'));
      await assertStillServing(baton, `mock-fail-${code}`);
    }
  });

  test('upstream 4xx passes through with status, body and retry-after', async () => {
    const { mock, baton } = await pair();
    const direct = await fetch(`${mock.url}/v1/chat/completions`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'mock-fail-429', messages: userMessage() }),
    });
    const directBody = await direct.json();
    const res = await chat(baton, { model: 'mock/mock-fail-429', messages: userMessage() });
    assertOpenAIError(res, 429, { what: 'mock-fail-429' });
    assert.equal(res.headers.get('retry-after'), '1');
    assert.deepEqual(res.json, directBody, 'upstream error body passed through');
    await assertStillServing(baton, 'mock-fail-429');
    const bad = await chat(baton, { model: 'mock/mock-fail-400', messages: userMessage() });
    assertOpenAIError(bad, 400, { what: 'mock-fail-400' });
    await assertStillServing(baton, 'mock-fail-400');
  });

  test('upstream does not answer within first_byte_timeout (mock-hang) → 504', async () => {
    const { baton } = await pair();
    const started = Date.now();
    const res = await chat(baton, { model: 'mock/mock-hang', messages: userMessage() });
    const elapsed = Date.now() - started;
    const err = assertOpenAIError(res, 504, { what: 'mock-hang' });
    assertNoLeak(err.message);
    assert.ok(elapsed >= 400 && elapsed < 4000, `answered after ${elapsed} ms (first_byte_timeout 500ms)`);
    await assertStillServing(baton, 'mock-hang');
  });

  test('unreachable upstream (nothing listening) → 502', async () => {
    const port = await freePort();
    const b = await startBaton(batonConfig({ mockPort: port }));
    const res = await chat(b, { model: 'demo', messages: userMessage() });
    const err = assertOpenAIError(res, 502, { what: 'closed port' });
    assertNoLeak(err.message);
    const stream = await chat(b, { model: 'demo', messages: userMessage(), stream: true });
    assertOpenAIError(stream, 502, { what: 'closed port, stream' });
    await assertStillServing(b, 'unreachable upstream');
  });

  test('upstream resets the connection → 502', async () => {
    for (const mode of ['reset', 'close', 'garbage']) {
      const up = await startBrokenUpstream(mode);
      const b = await startBaton(batonConfig({ mockPort: up.port }));
      const res = await chat(b, { model: 'demo', messages: userMessage() });
      const err = assertOpenAIError(res, 502, { what: `upstream ${mode}` });
      assertNoLeak(err.message, `message for upstream ${mode}`);
      await assertStillServing(b, `upstream ${mode}`);
      await b.stop();
      await up.stop();
    }
  });
});

describe('request_timeout (one deadline for the whole request)', () => {
  let baton;

  before(async () => {
    // first_byte_timeout is long; only request_timeout can end these requests early.
    ({ baton } = await startPair({
      server: { request_timeout: '700ms' },
      provider: { first_byte_timeout: '30s', idle_timeout: '30s' },
    }));
  });

  test('a hung upstream is cut at request_timeout → 504', async () => {
    const t0 = Date.now();
    const res = await chat(baton, { model: 'mock/mock-hang', messages: userMessage() });
    const took = Date.now() - t0;
    assertOpenAIError(res, 504, { what: 'mock-hang under request_timeout' });
    assert.ok(took >= 600 && took < 5000, `answered after ${took} ms`);
  });

  test('a stream still running at request_timeout ends with an error event and [DONE]', async () => {
    const res = await fetch(`${baton.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'mock/mock-slow-200', messages: userMessage(), stream: true }),
    });
    assert.equal(res.status, 200);
    const sse = await readSSE(res);
    assert.ok(sse.done, `stream terminated with [DONE]: ${sse.text.slice(-300)}`);
    const errors = sse.chunks.filter((c) => c && c.error);
    assert.equal(errors.length, 1, sse.text.slice(-400));
    assert.match(errors[0].error.message, /time limit/);
  });
});
