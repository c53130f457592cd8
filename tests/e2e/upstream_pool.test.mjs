// The upstream connection pool: keep-alive reuse per origin, and a stale pooled connection (closed
// by the upstream while idle) retried once on a fresh connection.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  assertChatCompletion, batonConfig, chat, readSSE, sleep, startBaton, streamedContent, userMessage,
} from './support/harness.mjs';
import { FAKE_CONTENT, startClosingUpstream, startFakeUpstream } from './support/upstreams.mjs';

// One worker thread: upstream pools are per worker thread, and the client may spread its requests
// over more than one connection to Baton.
function providerConfig(baseUrl) {
  return batonConfig({
    server: { threads: 1 },
    providers: { up: { kind: 'openai-compatible', base_url: baseUrl, api_key: 'os.environ/MOCK_KEY' } },
    models: { demo: { deployments: ['up/fake-model'] } },
  });
}

describe('upstream pool', () => {
  test('sequential requests reuse one upstream connection', async () => {
    const up = await startFakeUpstream();
    const baton = await startBaton(providerConfig(up.url + '/v1'));
    for (let i = 0; i < 5; i++) {
      const res = await chat(baton, { model: 'demo', messages: userMessage(`r${i}`) });
      assert.equal(res.status, 200, res.text);
    }
    const sockets = new Set(up.requests.map((r) => r.socketId));
    assert.equal(up.requests.length, 5);
    assert.equal(sockets.size, 1, `upstream connections used for 5 sequential requests: ${sockets.size}`);
  });

  test('a stale pooled connection is retried on a fresh one: every request succeeds', async () => {
    const up = await startClosingUpstream({ closeAfterMs: 5 });
    const baton = await startBaton(providerConfig(up.url + '/v1'));
    const statuses = [];
    for (let i = 0; i < 6; i++) {
      const res = await chat(baton, { model: 'demo', messages: userMessage(`s${i}`) });
      statuses.push(res.status === 200 ? 200 : `${res.status} ${res.text}`);
      if (res.status === 200) assert.equal(assertChatCompletion(res.json).content, FAKE_CONTENT);
      // Let the upstream close the idle pooled connection before the next request.
      await sleep(50);
    }
    assert.deepEqual(statuses, [200, 200, 200, 200, 200, 200]);
    assert.equal(up.state.requests, 6, 'each request reached the upstream exactly once');
    assert.equal(up.state.connections, 6, 'every pooled connection had gone stale: one fresh connection per request');
  });

  test('a stale pooled connection for a streaming request is retried too', async () => {
    const up = await startClosingUpstream({ closeAfterMs: 5 });
    const baton = await startBaton(providerConfig(up.url + '/v1'));
    const first = await chat(baton, { model: 'demo', messages: userMessage() });
    assert.equal(first.status, 200, first.text);
    await sleep(50);
    const res = await fetch(`${baton.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'demo', messages: userMessage(), stream: true }),
    });
    assert.equal(res.status, 200);
    const sse = await readSSE(res);
    assert.ok(sse.done, sse.text);
    assert.ok(!sse.chunks.some((c) => c.error), sse.text);
    assert.equal(streamedContent(sse.chunks), FAKE_CONTENT);
    assert.equal(up.state.requests, 2);
  });
});
