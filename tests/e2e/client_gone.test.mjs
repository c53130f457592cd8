// A client that gives up cancels the upstream call: while a request waits on its upstream, Baton
// probes the client connection about once a second, and when the client has closed it, closes the
// upstream connection (the upstream sees its request cancelled and stops generating tokens).
import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import {
  batonConfig, chat, listen, pollUntil, startBaton, trackServer, userMessage,
} from './support/harness.mjs';

// An upstream that accepts chat requests and never answers; it records when each request's
// connection closes.
async function startSilentUpstream() {
  const seen = [];
  const server = http.createServer((req, res) => {
    const entry = { closedAt: null, receivedAt: Date.now() };
    seen.push(entry);
    req.resume();
    res.on('close', () => { entry.closedAt = Date.now(); });
  });
  trackServer(server, 'silent upstream');
  const port = await listen(server);
  return { url: `http://127.0.0.1:${port}`, seen };
}

describe('client gone while waiting on the upstream', () => {
  let baton;
  let upstream;

  before(async () => {
    upstream = await startSilentUpstream();
    baton = await startBaton(batonConfig({
      server: { threads: 1, request_timeout: '60s' },
      providers: {
        up: {
          kind: 'openai-compatible', base_url: `${upstream.url}/v1`, first_byte_timeout: '60s',
        },
      },
      models: { slow: { deployments: ['up/slow-model'] } },
    }));
  });

  for (const stream of [false, true]) {
    test(`${stream ? 'streaming' : 'non-streaming'}: the upstream request is cancelled within ~2 s`, async () => {
      const before = upstream.seen.length;
      const controller = new AbortController();
      const pending = chat(baton, { model: 'slow', messages: userMessage(), stream }, { signal: controller.signal })
        .catch((e) => e);
      assert.ok(await pollUntil(() => upstream.seen.length > before, { timeoutMs: 3000 }),
        'the request reached the upstream');
      const entry = upstream.seen[upstream.seen.length - 1];
      const abortedAt = Date.now();
      controller.abort();
      await pending;
      assert.ok(await pollUntil(() => entry.closedAt !== null, { timeoutMs: 4000 }),
        'the upstream request was cancelled after the client gave up');
      const took = entry.closedAt - abortedAt;
      assert.ok(took < 3000, `upstream request closed ${took} ms after the client gave up`);
      // Baton still serves.
      const health = await fetch(`${baton.url}/health`);
      assert.equal(health.status, 200);
    });
  }
});
