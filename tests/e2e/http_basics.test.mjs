// Baton's HTTP front door with a healthy upstream: health endpoints, request ids, keep-alive,
// /v1/models, and chat completions forwarded to an OpenAI-dialect upstream (model rewrite,
// byte-identical body, upstream auth, pass-through headers).
import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import {
  MOCK_KEY, RawConn, assertChatCompletion, chat, getJSON, startBaton, batonConfig, startMock,
  startPair, userMessage, request,
} from './support/harness.mjs';

describe('http basics', () => {
  let mock;
  let baton;

  before(async () => {
    ({ mock, baton } = await startPair());
  });

  test('GET /health → 200 {"status":"ok"} with an x-request-id', async () => {
    const res = await getJSON(`${baton.url}/health`);
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.json, { status: 'ok' });
    assert.match(res.headers.get('content-type') || '', /application\/json/);
    assert.ok(res.headers.get('x-request-id'), 'x-request-id on /health');
  });

  test('GET /health/readiness → ready, config path, providers', async () => {
    const res = await getJSON(`${baton.url}/health/readiness`);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.status, 'ready', res.text);
    assert.equal(res.json.config, baton.configPath, res.text);
    assert.ok(Array.isArray(res.json.providers), res.text);
    const p = res.json.providers.find((x) => x.name === 'mock');
    assert.ok(p, `provider mock listed: ${res.text}`);
    assert.equal(p.kind, 'openai-compatible', res.text);
    assert.equal(p.available, true, res.text);
    assert.ok(!res.text.includes(MOCK_KEY), 'readiness must not show the provider key');
  });

  test('x-request-id: generated when absent, different per response', async () => {
    const a = await getJSON(`${baton.url}/health`);
    const b = await getJSON(`${baton.url}/health`);
    const ida = a.headers.get('x-request-id');
    const idb = b.headers.get('x-request-id');
    assert.ok(ida && idb);
    assert.notEqual(ida, idb);
  });

  test('x-request-id: a reasonable client id is reused (also on chat and on errors)', async () => {
    const id = 'client-Req_42.abc';
    const h = await getJSON(`${baton.url}/health`, { headers: { 'x-request-id': id } });
    assert.equal(h.headers.get('x-request-id'), id);
    const c = await chat(baton, { model: 'demo', messages: userMessage() }, { headers: { 'x-request-id': `${id}-2` } });
    assert.equal(c.status, 200, c.text);
    assert.equal(c.headers.get('x-request-id'), `${id}-2`);
    const e = await chat(baton, { model: 'no-such-model', messages: userMessage() }, { headers: { 'x-request-id': `${id}-3` } });
    assert.equal(e.status, 404, e.text);
    assert.equal(e.headers.get('x-request-id'), `${id}-3`);
    const n = await getJSON(`${baton.url}/no/such/path`, { headers: { 'x-request-id': `${id}-4` } });
    assert.equal(n.headers.get('x-request-id'), `${id}-4`);
  });

  test('x-request-id: an unreasonable client id is replaced by Baton\'s own', async () => {
    for (const bad of ['x'.repeat(129), 'has space', 'slash/inside', 'semi;colon', '']) {
      const res = await getJSON(`${baton.url}/health`, { headers: { 'x-request-id': bad } });
      const got = res.headers.get('x-request-id');
      assert.ok(got, `x-request-id present when client sent ${JSON.stringify(bad)}`);
      assert.notEqual(got, bad, `client id ${JSON.stringify(bad)} must not be reused`);
      assert.match(got, /^[A-Za-z0-9._-]{1,128}$/);
    }
    const ok128 = 'a'.repeat(128);
    const res = await getJSON(`${baton.url}/health`, { headers: { 'x-request-id': ok128 } });
    assert.equal(res.headers.get('x-request-id'), ok128, '128 chars is still reasonable');
  });

  test('keep-alive: several requests reuse one connection (node http Agent)', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const reused = [];
      const ports = [];
      for (let i = 0; i < 4; i++) {
        const body = JSON.stringify({ model: 'demo', messages: userMessage(`hi ${i}`) });
        const r = await new Promise((resolve, reject) => {
          const req = http.request(
            `${baton.url}/${i % 2 ? 'health' : 'v1/chat/completions'}`,
            { agent, method: i % 2 ? 'GET' : 'POST', headers: { 'content-type': 'application/json' } },
            (res) => {
              let text = '';
              res.on('data', (d) => {
                text += d;
              });
              res.on('end', () => resolve({ status: res.statusCode, text, headers: res.headers }));
            },
          );
          req.on('socket', (s) => {
            reused.push(req.reusedSocket);
            s.once('connect', () => ports.push(s.localPort));
            if (!s.connecting) ports.push(s.localPort);
          });
          req.on('error', reject);
          if (i % 2 === 0) req.end(body);
          else req.end();
        });
        assert.equal(r.status, 200, r.text);
        assert.notEqual(r.headers.connection, 'close', 'server asked to close a keep-alive connection');
      }
      assert.deepEqual(reused, [false, true, true, true], 'requests 2..4 reused the first connection');
      assert.equal(new Set(ports).size, 1, `one client port: ${ports}`);
    } finally {
      agent.destroy();
    }
  });

  test('keep-alive: raw socket, two requests in sequence, connection stays open', async () => {
    const conn = await RawConn.connect(baton.port);
    await conn.write('GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n');
    let responses = await conn.waitResponses(1);
    assert.equal(responses.length, 1, `first response: ${conn.text}`);
    assert.equal(responses[0].status, 200);
    const body = JSON.stringify({ model: 'demo', messages: userMessage() });
    await conn.write(
      `POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
    responses = await conn.waitResponses(2);
    assert.equal(responses.length, 2, `second response: ${conn.text}`);
    assert.equal(responses[1].status, 200, responses[1].body.toString());
    assertChatCompletion(JSON.parse(responses[1].body.toString()));
    assert.equal(conn.closed, false, 'connection still open after two keep-alive requests');
    conn.destroy();
  });

  test('GET /v1/models lists aliases and provider/model ids in OpenAI shape', async () => {
    const res = await getJSON(`${baton.url}/v1/models`);
    assert.equal(res.status, 200, res.text);
    assert.match(res.headers.get('content-type') || '', /application\/json/);
    assert.equal(res.json.object, 'list');
    assert.ok(Array.isArray(res.json.data));
    for (const m of res.json.data) {
      assert.equal(typeof m.id, 'string', JSON.stringify(m));
      assert.equal(m.object, 'model', JSON.stringify(m));
      assert.equal(typeof m.created, 'number', JSON.stringify(m));
      assert.equal(typeof m.owned_by, 'string', JSON.stringify(m));
    }
    const ids = res.json.data.map((m) => m.id);
    assert.ok(ids.includes('demo'), `alias demo in ${ids}`);
    assert.ok(ids.includes('mock/mock-gpt'), `mock/mock-gpt in ${ids}`);
  });

  test('chat (non-streaming) via alias: OpenAI response, model rewritten upstream', async () => {
    await mock.reset();
    const res = await chat(baton, { model: 'demo', messages: userMessage('Say hello') });
    assert.equal(res.status, 200, res.text);
    assert.match(res.headers.get('content-type') || '', /application\/json/);
    const msg = assertChatCompletion(res.json);
    assert.equal(typeof msg.content, 'string');
    assert.ok(msg.content.length > 0);
    assert.equal(typeof res.json.usage.total_tokens, 'number');
    const reqs = await mock.chatRequests();
    assert.equal(reqs.length, 1, 'exactly one upstream request');
    assert.equal(reqs[0].method, 'POST');
    assert.equal(reqs[0].path, '/v1/chat/completions');
    assert.equal(JSON.parse(reqs[0].body).model, 'mock-gpt');
  });

  test('chat via provider/model id: model after the slash goes upstream', async () => {
    await mock.reset();
    const res = await chat(baton, { model: 'mock/some-other-model', messages: userMessage() });
    assert.equal(res.status, 200, res.text);
    assertChatCompletion(res.json);
    const req = await mock.lastChatRequest();
    assert.equal(JSON.parse(req.body).model, 'some-other-model');
  });

  test('forwarded body is byte-identical except the model value (key order, spacing, unknown fields)', async () => {
    await mock.reset();
    const raw =
      '{ "messages" :[ {"content":"caf\\u00e9 \u00fc \\"q\\"","role" : "user"} ],\n' +
      '  "x_custom":{"a":[1,2]},"temperature": 0.50,\t"model" : "demo",  "max_tokens":7 ,"n":1}';
    const res = await request(`${baton.url}/v1/chat/completions`, { method: 'POST', body: raw });
    assert.equal(res.status, 200, res.text);
    const got = (await mock.lastChatRequest()).body;
    const expected = raw.replace('"model" : "demo"', '"model" : "mock-gpt"');
    assert.equal(got, expected);
  });

  test('forwarded body (compact JSON, model last) is byte-identical except the model value', async () => {
    await mock.reset();
    const raw = '{"messages":[{"role":"user","content":"hi"}],"x_custom":{"a":[1,2]},"model":"mock/mock-gpt-4"}';
    const res = await request(`${baton.url}/v1/chat/completions`, { method: 'POST', body: raw });
    assert.equal(res.status, 200, res.text);
    assert.equal((await mock.lastChatRequest()).body, raw.replace('"mock/mock-gpt-4"', '"mock-gpt-4"'));
  });

  test('upstream auth: provider key as Bearer; the client\'s Authorization is not forwarded', async () => {
    await mock.reset();
    const res = await chat(baton, { model: 'demo', messages: userMessage() }, {
      headers: { authorization: 'Bearer sk-client-should-not-leak' },
    });
    assert.equal(res.status, 200, res.text);
    const req = await mock.lastChatRequest();
    assert.equal(req.headers.authorization, `Bearer ${MOCK_KEY}`);
    assert.ok(!JSON.stringify(req.headers).includes('sk-client-should-not-leak'), JSON.stringify(req.headers));
  });

  test('upstream rate-limit headers and request id pass through', async () => {
    await mock.reset();
    const direct = await fetch(`${mock.url}/v1/chat/completions`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'mock-gpt', messages: userMessage() }),
    });
    await direct.text();
    const res = await chat(baton, { model: 'demo', messages: userMessage() });
    assert.equal(res.status, 200, res.text);
    for (const h of ['x-ratelimit-limit-requests', 'x-ratelimit-limit-tokens']) {
      assert.equal(res.headers.get(h), direct.headers.get(h), `${h} value passed through`);
    }
    for (const h of [
      'x-ratelimit-limit-requests', 'x-ratelimit-remaining-requests', 'x-ratelimit-limit-tokens',
      'x-ratelimit-remaining-tokens', 'x-ratelimit-reset-requests', 'x-ratelimit-reset-tokens',
    ]) {
      assert.ok(res.headers.get(h), `${h} passed through (headers: ${[...res.headers.keys()]})`);
    }
    const upstreamId = res.headers.get('x-upstream-request-id');
    assert.match(upstreamId || '', /^req_mock\d+$/, 'x-upstream-request-id is the mock\'s id');
    const ownId = res.headers.get('x-request-id');
    assert.ok(ownId, 'x-request-id');
    assert.notEqual(ownId, upstreamId, 'x-request-id is Baton\'s own, not the upstream\'s');
  });

  test('two concurrent requests are both answered', async () => {
    const [a, b] = await Promise.all([
      chat(baton, { model: 'demo', messages: userMessage('one') }),
      chat(baton, { model: 'demo', messages: userMessage('two') }),
    ]);
    assert.equal(a.status, 200, a.text);
    assert.equal(b.status, 200, b.text);
  });
});

describe('provider options', () => {
  test('literal api_key and extra headers reach the upstream (mock requires the key)', async () => {
    const mock = await startMock([], { MOCK_REQUIRE_KEY: 'literal-key-xyz' });
    const baton = await startBaton(batonConfig({
      mockPort: mock.port,
      provider: { api_key: 'literal-key-xyz', headers: { 'x-extra-header': 'extra-1', 'OpenAI-Organization': 'org-e2e' } },
    }));
    const res = await chat(baton, { model: 'demo', messages: userMessage() });
    assert.equal(res.status, 200, res.text);
    const req = await mock.lastChatRequest();
    assert.equal(req.headers.authorization, 'Bearer literal-key-xyz');
    assert.equal(req.headers['x-extra-header'], 'extra-1');
    assert.equal(req.headers['openai-organization'], 'org-e2e');
  });

  test('a preset kind needs only its key variable (groq → GROQ_API_KEY), base_url overridable', async () => {
    const mock = await startMock([], { MOCK_REQUIRE_KEY: 'gsk-e2e-key' });
    const baton = await startBaton(batonConfig({
      providers: { groq: { kind: 'groq', base_url: `http://127.0.0.1:${mock.port}/v1` } },
      models: { fast: { deployments: ['groq/llama-3.1-8b-instant'] } },
    }), { env: { GROQ_API_KEY: 'gsk-e2e-key' } });
    const res = await chat(baton, { model: 'fast', messages: userMessage() });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.headers.get('x-baton-provider'), 'groq');
    const req = await mock.lastChatRequest();
    assert.equal(req.headers.authorization, 'Bearer gsk-e2e-key');
    assert.equal(JSON.parse(req.body).model, 'llama-3.1-8b-instant');
    // Without the variable the provider is listed as unavailable and a request says why.
    const bare = await startBaton(batonConfig({
      providers: { groq: { kind: 'groq', base_url: `http://127.0.0.1:${mock.port}/v1` } },
      models: { fast: { deployments: ['groq/llama-3.1-8b-instant'] } },
    }));
    const ready = await getJSON(`${bare.url}/health/readiness`);
    const groq = ready.json.providers.find((p) => p.name === 'groq');
    assert.equal(groq.available, false);
    assert.match(groq.reason, /GROQ_API_KEY/);
    const refused = await chat(bare, { model: 'fast', messages: userMessage() });
    assert.equal(refused.status, 503, refused.text);
    assert.match(refused.json.error.message, /GROQ_API_KEY is not set/);
  });

  test('mock requiring a key: baton sends the os.environ/ key it resolved', async () => {
    const mock = await startMock([], { MOCK_REQUIRE_KEY: MOCK_KEY });
    const baton = await startBaton(batonConfig({ mockPort: mock.port }));
    const res = await chat(baton, { model: 'demo', messages: userMessage() });
    assert.equal(res.status, 200, res.text);
  });
});
