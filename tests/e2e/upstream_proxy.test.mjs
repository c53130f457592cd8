// Outbound proxies from the environment: HTTPS_PROXY (CONNECT tunnel), NO_PROXY, HTTP_PROXY
// (absolute-form requests), against a small Node forward proxy.
import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import {
  MOCK_KEY, assertChatCompletion, batonConfig, chat, startBaton, userMessage,
} from './support/harness.mjs';
import {
  FAKE_CONTENT, makeCerts, startFakeUpstream, startProxy, startTlsUpstream,
} from './support/upstreams.mjs';

function providerConfig(baseUrl, provider = {}) {
  return batonConfig({
    providers: { up: { kind: 'openai-compatible', base_url: baseUrl, api_key: 'os.environ/MOCK_KEY', ...provider } },
    models: { demo: { deployments: ['up/fake-model'] } },
  });
}

describe('upstream proxy', () => {
  let certs;
  let tlsUp;
  let httpUp;
  let proxy;

  before(async () => {
    certs = makeCerts();
    tlsUp = await startTlsUpstream(certs);
    httpUp = await startFakeUpstream();
    proxy = await startProxy();
  });

  test('HTTPS_PROXY: HTTPS upstream requests go through a CONNECT tunnel', async () => {
    const baton = await startBaton(
      providerConfig(`https://localhost:${tlsUp.port}/v1`, { ca_file: certs.caFile }),
      { env: { HTTPS_PROXY: proxy.url } },
    );
    const seen = proxy.seen.length;
    const res = await chat(baton, { model: 'demo', messages: userMessage() });
    assert.equal(res.status, 200, res.text);
    assert.equal(assertChatCompletion(res.json).content, FAKE_CONTENT);
    const mine = proxy.seen.slice(seen);
    assert.ok(mine.some((s) => s.type === 'connect' && s.target === `localhost:${tlsUp.port}`),
      `proxy saw CONNECT localhost:${tlsUp.port}: ${JSON.stringify(mine.map((s) => `${s.type} ${s.target}`))}`);
    const req = tlsUp.requests[tlsUp.requests.length - 1];
    assert.equal(req.servername, 'localhost', 'SNI through the tunnel');
    assert.equal(req.headers.authorization, `Bearer ${MOCK_KEY}`);
  });

  test('NO_PROXY=localhost: HTTPS upstream requests bypass the proxy', async () => {
    const baton = await startBaton(
      providerConfig(`https://localhost:${tlsUp.port}/v1`, { ca_file: certs.caFile }),
      { env: { HTTPS_PROXY: proxy.url, NO_PROXY: 'localhost' } },
    );
    const seen = proxy.seen.length;
    const res = await chat(baton, { model: 'demo', messages: userMessage() });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(proxy.seen.slice(seen).map((s) => `${s.type} ${s.target}`), [], 'proxy not used');
  });

  test('HTTP_PROXY: an http:// upstream request is sent in absolute-form through the proxy', async () => {
    const baton = await startBaton(
      providerConfig(`http://127.0.0.1:${httpUp.port}/v1`),
      { env: { HTTP_PROXY: proxy.url } },
    );
    const seen = proxy.seen.length;
    const res = await chat(baton, { model: 'demo', messages: userMessage() });
    assert.equal(res.status, 200, res.text);
    assert.equal(assertChatCompletion(res.json).content, FAKE_CONTENT);
    const mine = proxy.seen.slice(seen);
    assert.ok(
      mine.some((s) => s.type === 'request' && s.target === `http://127.0.0.1:${httpUp.port}/v1/chat/completions`),
      `proxy saw an absolute-form request: ${JSON.stringify(mine.map((s) => `${s.type} ${s.target}`))}`,
    );
    const req = httpUp.requests[httpUp.requests.length - 1];
    assert.equal(req.url, '/v1/chat/completions');
    assert.equal(JSON.parse(req.body).model, 'fake-model');
  });

  test('HTTPS_PROXY does not apply to http:// upstreams (and HTTP_PROXY not to https://)', async () => {
    const baton = await startBaton(
      batonConfig({
        providers: {
          plain: { kind: 'openai-compatible', base_url: `http://127.0.0.1:${httpUp.port}/v1`, api_key: 'os.environ/MOCK_KEY' },
          tls: { kind: 'openai-compatible', base_url: `https://localhost:${tlsUp.port}/v1`, api_key: 'os.environ/MOCK_KEY', ca_file: certs.caFile },
        },
        models: {},
      }),
      { env: { HTTPS_PROXY: `http://127.0.0.1:9`, HTTP_PROXY: proxy.url, NO_PROXY: '' } },
    );
    // HTTPS_PROXY points at a dead port: the http:// upstream must not use it.
    const seen = proxy.seen.length;
    const a = await chat(baton, { model: 'plain/fake-model', messages: userMessage() });
    assert.equal(a.status, 200, a.text);
    // HTTP_PROXY must not be used for https://, and HTTPS_PROXY is dead → 502 proves it was tried.
    const b = await chat(baton, { model: 'tls/fake-model', messages: userMessage() });
    assert.equal(b.status, 502, `https:// upstream through a dead HTTPS_PROXY: ${b.status} ${b.text}`);
    assert.ok(!proxy.seen.slice(seen).some((s) => s.type === 'connect'), 'HTTP_PROXY not used for https://');
  });
});
