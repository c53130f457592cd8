// Graceful shutdown on SIGTERM / SIGINT: stop accepting, let in-flight requests and streams
// finish (up to drain_timeout), exit 0; idle keep-alive connections do not hold the exit.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import {
  RawConn, batonConfig, iterSSE, pollUntil, startBaton, startMock, startPair, summarizeSSE, userMessage,
} from './support/harness.mjs';

// Resolves true when a new request on a new connection is served (any HTTP answer) within
// timeoutMs, false when the connection is refused, reset, closed or left unanswered.
async function newConnectionServed(port, timeoutMs = 1000) {
  return new Promise((resolve) => {
    const s = net.connect({ port, host: '127.0.0.1' });
    let data = '';
    const done = (v) => {
      clearTimeout(timer);
      s.destroy();
      resolve(v);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    s.on('connect', () => s.write('GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n'));
    s.on('data', (d) => {
      data += d;
      if (/^HTTP\/1\.1 200/.test(data)) done(true);
    });
    s.on('error', () => done(false));
    s.on('close', () => done(false));
  });
}

describe('graceful shutdown', () => {
  test('SIGTERM while idle → exit 0 promptly', async () => {
    const baton = await startBaton(batonConfig({ mockPort: 9 }));
    const started = Date.now();
    const info = await baton.stop('SIGTERM', 5000);
    assert.ok(!info.killedAfterGrace, `baton did not exit within 5 s of SIGTERM:\n${baton.proc.describe()}`);
    assert.equal(info.code, 0, baton.proc.describe());
    assert.ok(Date.now() - started < 2000, `exit took ${Date.now() - started} ms`);
  });

  test('SIGTERM mid-stream: no new connections, the stream finishes, exit 0', async () => {
    const { baton } = await startPair({ server: { drain_timeout: '10s' } });
    const res = await fetch(`${baton.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'mock/mock-slow-150', messages: userMessage(), stream: true }),
    });
    assert.equal(res.status, 200);
    const events = [];
    const it = iterSSE(res);
    const first = await it.next();
    assert.ok(!first.done, 'first event');
    events.push(first.value);
    baton.proc.signal('SIGTERM');
    const signalledAt = Date.now();
    // Collect the rest of the stream concurrently with the checks below.
    let lastAt = signalledAt;
    const rest = (async () => {
      for await (const e of it) {
        events.push(e);
        lastAt = Date.now();
      }
    })();
    const refused = await pollUntil(async () => !(await newConnectionServed(baton.port, 300)), { timeoutMs: 1500 });
    assert.ok(refused, 'new connections are still served after SIGTERM');
    await rest;
    // mock-slow-150 has ~1.5 s of stream left after its first event: the drain must have waited.
    assert.ok(lastAt - signalledAt >= 500,
      `the stream was still in flight at SIGTERM (last event ${lastAt - signalledAt} ms after the signal)`);
    const sse = summarizeSSE(events.map((e) => `data: ${e.data}\n\n`).join(''));
    assert.ok(sse.done, `the in-flight stream finished with [DONE] (${events.length} events)`);
    assert.ok(!sse.chunks.some((c) => c.error), 'no error event in the drained stream');
    assert.ok(sse.chunks.some((c) => c.choices?.[0]?.finish_reason === 'stop'), 'finish chunk delivered');
    const info = await baton.proc.waitExit(5000);
    assert.ok(info, `baton exited after the stream:\n${baton.proc.describe()}`);
    assert.equal(info.code, 0, baton.proc.describe());
    assert.ok(Date.now() - signalledAt < 8000);
  });

  test('SIGINT with a non-streaming request in flight: it is answered, exit 0', async () => {
    const mock = await startMock(['--latency-ms', '800']);
    const baton = await startBaton(batonConfig({ mockPort: mock.port, server: { drain_timeout: '10s' } }));
    const pending = fetch(`${baton.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'demo', messages: userMessage() }),
    }).then(async (r) => ({ status: r.status, text: await r.text() }), (err) => ({ error: err }));
    const reached = await pollUntil(async () => (await mock.chatRequests()).length > 0, { timeoutMs: 2000 });
    assert.ok(reached, 'the request reached the upstream');
    baton.proc.signal('SIGINT');
    const res = await pending;
    assert.ok(!res.error, `in-flight request failed: ${res.error?.cause?.message || res.error?.message}`);
    assert.equal(res.status, 200, res.text);
    assert.equal(JSON.parse(res.text).object, 'chat.completion');
    const info = await baton.proc.waitExit(5000);
    assert.ok(info, `baton exited:\n${baton.proc.describe()}`);
    assert.equal(info.code, 0, baton.proc.describe());
  });

  test('idle keep-alive connections do not hold the exit', async () => {
    const baton = await startBaton(batonConfig({ mockPort: 9, server: { drain_timeout: '10s', idle_timeout: '60s' } }));
    const conns = [];
    for (let i = 0; i < 3; i++) {
      const conn = await RawConn.connect(baton.port);
      await conn.write('GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n');
      const r = await conn.waitResponses(1);
      assert.equal(r[0]?.status, 200);
      conns.push(conn);
    }
    const started = Date.now();
    baton.proc.signal('SIGTERM');
    const info = await baton.proc.waitExit(5000);
    const took = Date.now() - started;
    assert.ok(info, `baton still running 5 s after SIGTERM with idle keep-alive connections:\n${baton.proc.describe()}`);
    assert.equal(info.code, 0, baton.proc.describe());
    assert.ok(took < 2000, `exit took ${took} ms with only idle connections (drain_timeout 10s)`);
    for (const c of conns) assert.ok(await c.waitClose(1000), 'idle connection closed');
  });

  test('drain_timeout bounds the wait for a request that never finishes', async () => {
    const { baton } = await startPair({
      server: { drain_timeout: '500ms' },
      provider: { first_byte_timeout: '60s' },
    });
    const pending = fetch(`${baton.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'mock/mock-hang', messages: userMessage() }),
    }).then((r) => r.text().then((text) => ({ status: r.status, text })), (err) => ({ error: err }));
    await new Promise((r) => setTimeout(r, 200));
    const started = Date.now();
    baton.proc.signal('SIGTERM');
    const info = await baton.proc.waitExit(5000);
    const took = Date.now() - started;
    assert.ok(info, `baton still running 5 s after SIGTERM (drain_timeout 500ms):\n${baton.proc.describe()}`);
    assert.ok(took < 3000, `exit took ${took} ms (drain_timeout 500ms)`);
    const res = await pending;
    assert.ok(res.error || res.status >= 500, `the hung request ended: ${JSON.stringify(res.status)}`);
  });
});
