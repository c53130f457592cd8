// The upstream client over TLS, against a local Node https server whose certificate (for
// DNS:localhost) is signed by a throwaway CA: verification against the system store (fails),
// ca_file and SSL_CERT_FILE (succeed), host-name checking, SNI, connection reuse.
import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import {
  MOCK_KEY, assertChatCompletion, assertNoLeak, assertOpenAIError, batonConfig, chat, readSSE,
  startBaton, streamedContent, userMessage,
} from './support/harness.mjs';
import { FAKE_CONTENT, makeCerts, startTlsUpstream } from './support/upstreams.mjs';

function tlsConfig(baseUrl, provider = {}, server = {}) {
  return batonConfig({
    server,
    providers: { tls: { kind: 'openai-compatible', base_url: baseUrl, api_key: 'os.environ/MOCK_KEY', ...provider } },
    models: { demo: { deployments: ['tls/fake-model'] } },
  });
}

describe('upstream TLS', () => {
  let certs;
  let up;

  before(async () => {
    certs = makeCerts();
    up = await startTlsUpstream(certs);
  });

  test('a certificate from an untrusted CA → 502', async () => {
    const baton = await startBaton(tlsConfig(`https://localhost:${up.port}/v1`));
    const before = up.requests.length;
    const res = await chat(baton, { model: 'demo', messages: userMessage() });
    const err = assertOpenAIError(res, 502, { what: 'untrusted CA' });
    assertNoLeak(err.message);
    assert.equal(up.requests.length, before, 'no request was sent over the unverified connection');
  });

  test('ca_file in the provider config → 200, SNI localhost, key sent, model rewritten', async () => {
    const baton = await startBaton(tlsConfig(`https://localhost:${up.port}/v1`, { ca_file: certs.caFile }));
    const hs = up.handshakes.length;
    const res = await chat(baton, { model: 'demo', messages: userMessage() });
    assert.equal(res.status, 200, res.text);
    assert.equal(assertChatCompletion(res.json).content, FAKE_CONTENT);
    const req = up.requests[up.requests.length - 1];
    assert.equal(req.servername, 'localhost', 'SNI');
    assert.equal(up.handshakes[hs]?.servername, 'localhost', 'SNI in the handshake');
    assert.equal(req.url, '/v1/chat/completions');
    assert.equal(req.headers.authorization, `Bearer ${MOCK_KEY}`);
    assert.equal(JSON.parse(req.body).model, 'fake-model');
    assert.match(req.headers.host || '', /^localhost(:\d+)?$/, `Host header: ${req.headers.host}`);
  });

  test('streaming over TLS', async () => {
    const baton = await startBaton(tlsConfig(`https://localhost:${up.port}/v1`, { ca_file: certs.caFile }));
    const res = await fetch(`${baton.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'demo', messages: userMessage(), stream: true }),
    });
    assert.equal(res.status, 200);
    const sse = await readSSE(res);
    assert.ok(sse.done, sse.text);
    assert.equal(streamedContent(sse.chunks), FAKE_CONTENT);
  });

  test('sequential requests reuse one pooled TLS connection', async () => {
    // One worker thread: pools are per worker thread, and the client may use more than one
    // connection to Baton.
    const baton = await startBaton(tlsConfig(`https://localhost:${up.port}/v1`, { ca_file: certs.caFile }, { threads: 1 }));
    const hs = up.handshakes.length;
    for (let i = 0; i < 4; i++) {
      const res = await chat(baton, { model: 'demo', messages: userMessage(`n${i}`) });
      assert.equal(res.status, 200, res.text);
    }
    assert.equal(up.handshakes.length - hs, 1, `TLS handshakes for 4 sequential requests: ${up.handshakes.length - hs}`);
  });

  test('SSL_CERT_FILE in baton\'s environment → 200', async () => {
    const baton = await startBaton(tlsConfig(`https://localhost:${up.port}/v1`), { env: { SSL_CERT_FILE: certs.caFile } });
    const res = await chat(baton, { model: 'demo', messages: userMessage() });
    assert.equal(res.status, 200, res.text);
    assert.equal(up.requests[up.requests.length - 1].servername, 'localhost');
  });

  test('host name mismatch (https://127.0.0.1, certificate for localhost) with the CA trusted → 502', async () => {
    const baton = await startBaton(tlsConfig(`https://127.0.0.1:${up.port}/v1`, { ca_file: certs.caFile }));
    const before = up.requests.length;
    const res = await chat(baton, { model: 'demo', messages: userMessage() });
    const err = assertOpenAIError(res, 502, { what: 'name mismatch' });
    assertNoLeak(err.message);
    assert.equal(up.requests.length, before, 'no request was sent to the mismatched host');
  });

  test('a ca_file that does not exist is a config error', async () => {
    await assert.rejects(
      startBaton(tlsConfig(`https://localhost:${up.port}/v1`, { ca_file: '/nonexistent/e2e-ca.pem' }), { timeoutMs: 5000 }),
      /exited before printing/,
    );
  });
});
