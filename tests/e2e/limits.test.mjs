// Server limits: slow clients (read and idle timeouts), header and body size limits, malformed
// HTTP. Uses raw sockets so the bytes on the wire are exactly the ones under test.
import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import {
  RawConn, assertOpenAIError, batonConfig, chat, getJSON, parseHttpResponses, pollUntil, rawRequest,
  readSSE, request, sleep, startBaton, startMock, startPair, userMessage,
} from './support/harness.mjs';

const READ_TIMEOUT_MS = 1000;
const IDLE_TIMEOUT_MS = 1000;
const MAX_BODY = 4096;
const MAX_HEADER = 8192;

// A valid chat request body of exactly `size` bytes (padded with spaces inside the JSON).
function chatBodyOfSize(size) {
  const base = JSON.stringify({ model: 'demo', messages: userMessage('pad') });
  assert.ok(size >= base.length);
  return `${base.slice(0, -1)}${' '.repeat(size - base.length)}}`;
}

function statusOf(result) {
  return result.responses.length ? result.responses[0].status : null;
}

describe('limits', () => {
  let baton;
  let mock;

  before(async () => {
    ({ mock, baton } = await startPair({
      server: {
        read_timeout: `${READ_TIMEOUT_MS}ms`,
        idle_timeout: `${IDLE_TIMEOUT_MS}ms`,
        max_body_bytes: MAX_BODY,
        max_header_bytes: MAX_HEADER,
      },
    }));
  });

  test('half a request head then silence: disconnected after read_timeout', async () => {
    const conn = await RawConn.connect(baton.port);
    const start = Date.now();
    await conn.write('POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: appl');
    const closed = await conn.waitClose(READ_TIMEOUT_MS + 3000);
    const elapsed = Date.now() - start;
    assert.ok(closed, `connection still open after ${elapsed} ms`);
    assert.ok(elapsed >= READ_TIMEOUT_MS * 0.7, `closed too early (${elapsed} ms)`);
    const responses = parseHttpResponses(conn.buffer, { closed: true }).complete;
    if (responses.length) assert.equal(responses[0].status, 408, conn.text);
  });

  test('head complete, body stalls: disconnected after read_timeout', async () => {
    const conn = await RawConn.connect(baton.port);
    const start = Date.now();
    await conn.write('POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{"model":');
    const closed = await conn.waitClose(READ_TIMEOUT_MS + 3000);
    const elapsed = Date.now() - start;
    assert.ok(closed, `connection still open after ${elapsed} ms`);
    assert.ok(elapsed >= READ_TIMEOUT_MS * 0.7, `closed too early (${elapsed} ms)`);
    const responses = parseHttpResponses(conn.buffer, { closed: true }).complete;
    if (responses.length) assert.equal(responses[0].status, 408, conn.text);
  });

  test('a head trickled one byte at a time cannot hold the connection past read_timeout', async () => {
    const conn = await RawConn.connect(baton.port);
    const start = Date.now();
    const head = `GET /health HTTP/1.1\r\nHost: localhost\r\nX-Slow: ${'s'.repeat(200)}\r\n\r\n`;
    for (let i = 0; i < head.length && !conn.closed; i++) {
      if (Date.now() - start > READ_TIMEOUT_MS + 3000) break;
      await conn.write(head[i]);
      await sleep(100);
    }
    const closed = await conn.waitClose(100);
    const elapsed = Date.now() - start;
    assert.ok(closed, `a trickling client held the connection for ${elapsed} ms (read_timeout ${READ_TIMEOUT_MS} ms)`);
    assert.ok(elapsed < READ_TIMEOUT_MS + 2000, `closed only after ${elapsed} ms`);
  });

  test('a connection that never sends anything is closed', async () => {
    const conn = await RawConn.connect(baton.port);
    const closed = await conn.waitClose(Math.max(READ_TIMEOUT_MS, IDLE_TIMEOUT_MS) + 3000);
    assert.ok(closed, 'silent connection still open');
  });

  test('an idle keep-alive connection is closed after idle_timeout', async () => {
    const conn = await RawConn.connect(baton.port);
    await conn.write('GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n');
    const responses = await conn.waitResponses(1);
    assert.equal(responses[0]?.status, 200, conn.text);
    const answeredAt = Date.now();
    const closed = await conn.waitClose(IDLE_TIMEOUT_MS + 3000);
    const idle = Date.now() - answeredAt;
    assert.ok(closed, 'idle keep-alive connection still open');
    assert.ok(idle >= IDLE_TIMEOUT_MS * 0.7, `closed too early (${idle} ms)`);
  });

  test('timeouts do not cut a long streamed response (longer than read and idle timeouts)', async () => {
    const res = await fetch(`${baton.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'mock/mock-slow-250', messages: userMessage(), stream: true }),
    });
    assert.equal(res.status, 200);
    const sse = await readSSE(res);
    assert.ok(sse.done, `stream completed with [DONE]: ${sse.text.slice(-300)}`);
    assert.ok(!sse.chunks.some((c) => c.error), `no error event: ${sse.text.slice(-300)}`);
  });

  test('headers over max_header_bytes → 431 (or 400) and the connection is closed', async () => {
    const big = 'h'.repeat(MAX_HEADER * 2);
    const r = await rawRequest(baton.port, `GET /health HTTP/1.1\r\nHost: localhost\r\nX-Big: ${big}\r\n\r\n`);
    assert.ok([431, 400].includes(statusOf(r)), `status ${statusOf(r)}: ${r.text.slice(0, 300)}`);
    assert.ok(r.closed, 'connection closed after the oversized head');
    const many = Array.from({ length: 400 }, (_, i) => `X-H${i}: ${'v'.repeat(30)}\r\n`).join('');
    const r2 = await rawRequest(baton.port, `GET /health HTTP/1.1\r\nHost: localhost\r\n${many}\r\n`);
    assert.ok([431, 400].includes(statusOf(r2)), `many headers: status ${statusOf(r2)}: ${r2.text.slice(0, 300)}`);
    assert.ok(r2.closed, 'connection closed after too many header bytes');
  });

  test('headers under max_header_bytes are fine', async () => {
    const res = await getJSON(`${baton.url}/health`, { headers: { 'x-medium': 'm'.repeat(MAX_HEADER / 2) } });
    assert.equal(res.status, 200, res.text);
  });

  test('body of exactly max_body_bytes is accepted; one byte more → 413', async () => {
    await mock.reset();
    const ok = await request(`${baton.url}/v1/chat/completions`, { method: 'POST', body: chatBodyOfSize(MAX_BODY) });
    assert.equal(ok.status, 200, ok.text);
    const big = await request(`${baton.url}/v1/chat/completions`, { method: 'POST', body: chatBodyOfSize(MAX_BODY + 1) });
    assertOpenAIError(big, 413, { what: `${MAX_BODY + 1}-byte body` });
    assert.equal((await mock.chatRequests()).length, 1, 'the oversized request did not reach the upstream');
  });

  test('413 with Expect: 100-continue (no body sent before the answer)', async (t) => {
    const conn = await RawConn.connect(baton.port);
    const size = MAX_BODY * 4;
    await conn.write(
      `POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${size}\r\nExpect: 100-continue\r\n\r\n`,
    );
    await conn.waitResponses(1, 3000);
    let responses = parseHttpResponses(conn.buffer).complete;
    if (responses.length && responses[0].status === 100) {
      // Allowed, though wasteful: the server asked for a body it will reject. Send it.
      t.diagnostic('baton answered 100 Continue to a request whose Content-Length exceeds max_body_bytes');
      await conn.write(chatBodyOfSize(size));
      await conn.waitResponses(2, 3000);
      responses = parseHttpResponses(conn.buffer, { closed: conn.closed }).complete.filter((r) => r.status !== 100);
    }
    assert.ok(responses.length >= 1, `an answer: ${conn.text.slice(0, 300)}`);
    assert.equal(responses[0].status, 413, conn.text.slice(0, 500));
    const body = JSON.parse(responses[0].body.toString());
    assert.equal(typeof body.error?.message, 'string');
    conn.destroy();
  });

  test('chunked body over max_body_bytes → 413', async () => {
    const chunk = 'a'.repeat(1000);
    let payload = '';
    for (let i = 0; i < 8; i++) payload += `${chunk.length.toString(16)}\r\n${chunk}\r\n`;
    payload += '0\r\n\r\n';
    const r = await rawRequest(
      baton.port,
      `POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n${payload}`,
      { waitForClose: false },
    );
    assert.equal(statusOf(r), 413, r.text.slice(0, 300));
  });

  test('malformed HTTP → 400 and the connection is closed', async () => {
    const cases = {
      'garbage request line': 'GARBAGE\r\n\r\n',
      'bad Content-Length': 'POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nContent-Length: abc\r\n\r\n',
      'header line without colon': 'GET /health HTTP/1.1\r\nHost localhost\r\n\r\n',
      'conflicting Content-Length': 'POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!',
      'bad chunk size': 'POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n',
      'space in header name': 'GET /health HTTP/1.1\r\nHost: localhost\r\nBad Header: x\r\n\r\n',
    };
    const failures = [];
    for (const [name, bytes] of Object.entries(cases)) {
      const r = await rawRequest(baton.port, bytes, { timeoutMs: 3000 });
      if (statusOf(r) !== 400 || !r.closed) {
        failures.push(`${name}: status ${statusOf(r)}, closed ${r.closed}: ${JSON.stringify(r.text.slice(0, 200))}`);
      }
    }
    assert.deepEqual(failures, []);
  });

  test('still serving after all of the above', async () => {
    const res = await chat(baton, { model: 'demo', messages: userMessage() });
    assert.equal(res.status, 200, res.text);
  });
});

describe('slow readers', () => {
  test('a client that stops reading a large stream is dropped after write_timeout, upstream cancelled', async () => {
    // ~50 MB of stream: far more than the socket buffers between Baton and a client that never reads.
    const mock = await startMock(['--chunks', '200000']);
    const baton = await startBaton(batonConfig({ mockPort: mock.port, server: { write_timeout: '1s' } }));
    const body = JSON.stringify({ model: 'demo', messages: userMessage(), stream: true });
    const socket = net.connect(baton.port, '127.0.0.1');
    await new Promise((resolve, reject) => { socket.once('connect', resolve); socket.once('error', reject); });
    socket.on('error', () => {});
    socket.pause(); // never read
    socket.write(`POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n`
      + `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    const aborted = await pollUntil(async () => (await mock.stats()).streams_aborted_by_client >= 1,
      { timeoutMs: 8000, intervalMs: 100 });
    socket.destroy();
    assert.ok(aborted, 'the upstream stream was cancelled once Baton gave up on the slow reader');
    const health = await fetch(`${baton.url}/health`);
    assert.equal(health.status, 200, 'baton still serves');
  });
});
