// Streaming chat completions through Baton: SSE relay, include_usage handling, incremental
// delivery, tool-call streams, upstream cuts mid-stream and client disconnects.
import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import {
  assertOpenAIError, chat, iterSSE, pollUntil, readSSE, startPair, streamedContent, summarizeSSE,
  usageChunks, userMessage, assertNoLeak, assertStillServing,
} from './support/harness.mjs';

function streamRequest(baton, body, opts = {}) {
  return fetch(`${baton.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(opts.headers || {}) },
    body: JSON.stringify({ ...body, stream: true }),
    signal: opts.signal,
  });
}

function assertChunkShape(chunks, what) {
  for (const c of chunks) {
    if (c.error) continue;
    assert.equal(c.object, 'chat.completion.chunk', `${what}: ${JSON.stringify(c)}`);
    assert.ok(Array.isArray(c.choices), `${what}: ${JSON.stringify(c)}`);
  }
}

describe('streaming', () => {
  let mock;
  let baton;

  before(async () => {
    ({ mock, baton } = await startPair());
  });

  test('text stream: role chunk, content deltas, finish chunk, [DONE], then the body ends', async () => {
    const res = await streamRequest(baton, { model: 'demo', messages: userMessage('stream please') });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') || '', /^text\/event-stream/);
    assert.ok(res.headers.get('x-request-id'), 'x-request-id on a stream');
    const sse = await readSSE(res);
    assert.ok(sse.done, `saw data: [DONE]: ${sse.text.slice(-300)}`);
    assert.equal(sse.doneIndex, sse.events.length - 1, '[DONE] is the last event');
    assertChunkShape(sse.chunks, 'chunk');
    assert.equal(sse.chunks[0].choices[0].delta.role, 'assistant', 'first chunk carries the role');
    const finish = sse.chunks.filter((c) => c.choices?.[0]?.finish_reason);
    assert.equal(finish.length, 1, 'one finish chunk');
    assert.equal(finish[0].choices[0].finish_reason, 'stop');
    const content = streamedContent(sse.chunks);
    assert.ok(content.length > 0, 'some content streamed');
    assert.equal(usageChunks(sse.chunks).length, 0, 'no usage chunk when the client did not ask');
    // The mock is deterministic: the streamed text equals the non-streamed answer.
    const whole = await chat(baton, { model: 'demo', messages: userMessage('stream please') });
    assert.equal(whole.status, 200, whole.text);
    assert.equal(content, whole.json.choices[0].message.content);
  });

  test('usage is always requested upstream; the client sees the usage chunk only if it asked', async () => {
    await mock.reset();
    const without = await readSSE(await streamRequest(baton, { model: 'demo', messages: userMessage() }));
    assert.ok(without.done);
    assert.equal(usageChunks(without.chunks).length, 0, `no usage chunk: ${without.text.slice(-400)}`);
    let up = JSON.parse((await mock.lastChatRequest()).body);
    assert.equal(up.stream, true);
    assert.equal(up.stream_options?.include_usage, true, `upstream stream_options: ${JSON.stringify(up.stream_options)}`);

    await mock.reset();
    const withUsage = await readSSE(await streamRequest(baton, {
      model: 'demo', messages: userMessage(), stream_options: { include_usage: true },
    }));
    assert.ok(withUsage.done);
    const usage = usageChunks(withUsage.chunks);
    assert.equal(usage.length, 1, `one usage chunk: ${withUsage.text.slice(-400)}`);
    assert.deepEqual(usage[0].choices, []);
    assert.equal(typeof usage[0].usage.prompt_tokens, 'number');
    assert.equal(typeof usage[0].usage.completion_tokens, 'number');
    assert.equal(usage[0].usage.total_tokens, usage[0].usage.prompt_tokens + usage[0].usage.completion_tokens);
    assert.ok(withUsage.chunks.indexOf(usage[0]) > withUsage.chunks.findIndex((c) => c.choices?.[0]?.finish_reason),
      'usage after the finish chunk');
    up = JSON.parse((await mock.lastChatRequest()).body);
    assert.equal(up.stream_options?.include_usage, true);

    await mock.reset();
    const off = await readSSE(await streamRequest(baton, {
      model: 'demo', messages: userMessage(), stream_options: { include_usage: false },
    }));
    assert.ok(off.done);
    assert.equal(usageChunks(off.chunks).length, 0, 'include_usage:false → no usage chunk to the client');
    up = JSON.parse((await mock.lastChatRequest()).body);
    assert.equal(up.stream_options?.include_usage, true, 'include_usage forced to true upstream');
  });

  test('streaming request: only model and stream_options change upstream', async () => {
    await mock.reset();
    const raw = '{"model":"demo","x_custom":{"a":[1,2]},"stream":true,"messages":[{"role":"user","content":"hi"}],"temperature":0.25}';
    const res = await fetch(`${baton.url}/v1/chat/completions`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: raw,
    });
    assert.equal(res.status, 200);
    const sse = await readSSE(res);
    assert.ok(sse.done);
    const up = JSON.parse((await mock.lastChatRequest()).body);
    const expected = { ...JSON.parse(raw), model: 'mock-gpt' };
    const { stream_options: so, ...rest } = up;
    assert.deepEqual(rest, expected);
    assert.equal(so?.include_usage, true);
    assert.deepEqual(Object.keys(rest), Object.keys(expected), 'key order kept');
  });

  test('chunks are relayed as they arrive (not buffered until the end)', async () => {
    const res = await streamRequest(baton, { model: 'mock/mock-slow-150', messages: userMessage() });
    assert.equal(res.status, 200);
    const arrivals = [];
    let done = false;
    for await (const e of iterSSE(res)) {
      arrivals.push(e.at);
      if (e.data === '[DONE]') done = true;
    }
    assert.ok(done, 'stream finished with [DONE]');
    assert.ok(arrivals.length >= 5, `events: ${arrivals.length}`);
    const spread = arrivals[arrivals.length - 1] - arrivals[0];
    assert.ok(spread >= 600, `events spread over time (${arrivals.join(',')} ms), not delivered in one burst`);
  });

  test('tools given → streamed tool call to the first tool, finish_reason tool_calls', async () => {
    const tools = [
      { type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } },
      { type: 'function', function: { name: 'other', parameters: { type: 'object', properties: {} } } },
    ];
    const sse = await readSSE(await streamRequest(baton, { model: 'demo', messages: userMessage('weather?'), tools }));
    assert.ok(sse.done);
    const calls = sse.chunks.flatMap((c) => c.choices?.[0]?.delta?.tool_calls || []);
    assert.ok(calls.length > 0, `tool call deltas: ${sse.text.slice(0, 600)}`);
    assert.equal(calls[0].function.name, 'get_weather');
    const args = calls.map((c) => c.function?.arguments || '').join('');
    assert.doesNotThrow(() => JSON.parse(args), `arguments JSON: ${args}`);
    const finish = sse.chunks.find((c) => c.choices?.[0]?.finish_reason);
    assert.equal(finish?.choices[0].finish_reason, 'tool_calls');
  });

  test('upstream cuts the stream after content (mock-drop-3): error event, then [DONE], body ends', async () => {
    const res = await streamRequest(baton, { model: 'mock/mock-drop-3', messages: userMessage() });
    assert.equal(res.status, 200);
    const text = await Promise.race([
      res.text(),
      new Promise((_, reject) => setTimeout(() => reject(new Error('stream did not end within 5 s')), 5000)),
    ]);
    const sse = summarizeSSE(text);
    const errIdx = sse.chunks.findIndex((c) => c.error);
    assert.ok(errIdx >= 0, `an error event: ${text}`);
    const err = sse.chunks[errIdx].error;
    assert.equal(typeof err.message, 'string');
    assert.ok(err.message.length > 0);
    assert.ok('type' in err && 'param' in err && 'code' in err, JSON.stringify(err));
    assertNoLeak(err.message);
    assert.ok(errIdx >= 1, 'content arrived before the error event');
    assert.ok(sse.done, `data: [DONE] after the error: ${text.slice(-300)}`);
    assert.equal(sse.doneIndex, sse.events.length - 1, '[DONE] last');
    const errEventIdx = sse.events.findIndex((e) => e.data.includes('"error"'));
    assert.ok(errEventIdx < sse.doneIndex, 'error before [DONE]');
    await assertStillServing(baton, 'a cut upstream stream');
  });

  test('client disconnect mid-stream cancels the upstream request', async () => {
    const before = await mock.stats();
    const ac = new AbortController();
    const res = await streamRequest(baton, { model: 'mock/mock-slow-100', messages: userMessage() }, { signal: ac.signal });
    assert.equal(res.status, 200);
    let first = null;
    try {
      for await (const e of iterSSE(res)) {
        first = e;
        break;
      }
    } finally {
      ac.abort();
    }
    assert.ok(first, 'got a first chunk');
    const after = await pollUntil(async () => {
      const s = await mock.stats();
      return s.streams_aborted_by_client > before.streams_aborted_by_client ? s : null;
    }, { timeoutMs: 2000 });
    assert.ok(after, `baton-mock saw the upstream stream aborted within 2 s (before ${JSON.stringify(before)}, now ${JSON.stringify(await mock.stats())})`);
    // Baton keeps serving.
    const ok = await chat(baton, { model: 'demo', messages: userMessage() });
    assert.equal(ok.status, 200, ok.text);
  });
});

describe('streaming: upstream errors before the stream starts', () => {
  // Own baton per test, so a crash in an error path does not hide other results.
  test('upstream 5xx before the stream starts → 502 JSON error, not an SSE stream', async () => {
    const { baton } = await startPair();
    const res = await chat(baton, { model: 'mock/mock-fail-500', messages: userMessage(), stream: true });
    assertOpenAIError(res, 502, { what: 'stream to mock-fail-500' });
    assert.match(res.json.error.message, /500/);
    assertNoLeak(res.json.error.message);
    await assertStillServing(baton, 'a 5xx to a stream request');
  });

  test('upstream 429 before the stream starts passes through with retry-after', async () => {
    const { baton } = await startPair();
    const res = await chat(baton, { model: 'mock/mock-fail-429', messages: userMessage(), stream: true });
    assertOpenAIError(res, 429, { what: 'stream to mock-fail-429' });
    assert.equal(res.headers.get('retry-after'), '1');
    await assertStillServing(baton, 'a 429 to a stream request');
  });
});

describe('streaming upstream timeouts', () => {
  test('an upstream that stalls mid-stream is cut after idle_timeout: error event and [DONE]', async () => {
    const { baton } = await startPair({
      provider: { first_byte_timeout: '5s', idle_timeout: '400ms' },
      mockArgs: [],
    });
    const started = Date.now();
    // mock-slow-1500: 1.5 s before each chunk, far beyond the 400 ms idle timeout.
    const res = await streamRequest(baton, { model: 'mock/mock-slow-1500', messages: userMessage() });
    const text = await Promise.race([
      res.text(),
      new Promise((_, reject) => setTimeout(() => reject(new Error('stream did not end within 6 s')), 6000)),
    ]);
    const elapsed = Date.now() - started;
    assert.ok(elapsed < 5000, `ended after ${elapsed} ms, long before the 8 chunks × 1.5 s`);
    if (res.status === 200) {
      const sse = summarizeSSE(text);
      assert.ok(sse.chunks.some((c) => c.error), `error event: ${text}`);
      assert.ok(sse.done, `[DONE] after the error: ${text}`);
    } else {
      assert.ok([502, 504].includes(res.status), `status ${res.status}: ${text}`);
    }
  });
});
