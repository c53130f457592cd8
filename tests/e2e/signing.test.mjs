// Signed responses (docs/signing.md): with [signing] secret, JSON answers carry a "signature"
// member and an x-baton-signature header, SSE events a chained "x_signature" and a signed
// terminal comment. The signatures are checked here by an independent implementation written
// from docs/signing.md with node's crypto (not by calling baton), for every client dialect
// (OpenAI Chat, Responses, Anthropic, Gemini; translated and passthrough), and `baton verify` is
// run on the saved answers: intact → exit 0, edited / dropped / reordered / truncated → exit 1
// with a message naming what is wrong. The official SDKs still parse signed answers, and without
// [signing] nothing carries a signature.
import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import {
  BATON_BIN, batonConfig, postJSON, request, runBinary, startBaton, startMock, tempDir, userMessage,
} from './support/harness.mjs';

const SECRET = 'e2e-signing-secret-0123456789abcdef';
const MASTER = 'sk-master-signing-e2e-1';
const auth = { authorization: `Bearer ${MASTER}` };

// ---------------------------------------------------------------------------------------------
// The independent verifier, from docs/signing.md.

const hmac = (message, secret = SECRET) =>
  crypto.createHmac('sha256', secret).update(message, 'utf8').digest('hex');

// Non-streamed: remove `,"signature":"<64 hex>"` (or without the comma when it is the only
// member) right before the final '}'; HMAC over what is left, blanks around the object excluded.
function checkJson(text, secret = SECRET) {
  const m = /(,?)"signature":"([0-9a-f]{64})"(\s*\}\s*)$/.exec(text);
  if (!m) return { ok: false, why: 'no signature member' };
  const signedBytes = (text.slice(0, m.index) + m[3]).trim();
  if (hmac(signedBytes, secret) !== m[2]) return { ok: false, why: 'bad signature' };
  const rid = /"baton_request_id":"([^"]*)"\s*\}\s*$/.exec(signedBytes);
  return { ok: true, signature: m[2], requestId: rid ? rid[1] : null };
}

// SSE blocks per the WHATWG rules: lines end in CRLF, LF or CR; a blank line ends a block;
// `data:` values (one optional space removed) joined with "\n"; comment lines kept.
function sseBlocks(text) {
  const blocks = [];
  let cur = { data: [], comments: [], hasData: false };
  const lines = text.split(/\r\n|\n|\r/);
  const complete = /(\r\n|\n|\r)(\r\n|\n|\r)$/.test(text) || text === '';
  lines.forEach((line, i) => {
    if (line === '') {
      if (cur.hasData || cur.comments.length > 0) blocks.push(cur);
      cur = { data: [], comments: [], hasData: false };
      return;
    }
    if (line.startsWith(':')) {
      cur.comments.push(line.slice(1).replace(/^ /, ''));
      return;
    }
    const c = line.indexOf(':');
    const field = c < 0 ? line : line.slice(0, c);
    let value = c < 0 ? '' : line.slice(c + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') {
      cur.data.push(value);
      cur.hasData = true;
    }
    if (i === lines.length - 1 && !complete) cur.incomplete = true;
  });
  if (cur.hasData || cur.comments.length > 0) {
    cur.incomplete = true;
    blocks.push(cur);
  }
  return blocks;
}

// Chained stream check: sig_0 = HMAC(request_id); sig_i = HMAC(sig_{i-1} \n request_id \n i \n
// data_i without its x_signature member); a terminal `: x_signature_end {...}` comment signed as
// event N+1 over {"baton_request_id":"<id>","events":N}. requestId: from the terminal event
// unless given.
function checkStream(text, { secret = SECRET, requestId } = {}) {
  const blocks = sseBlocks(text);
  let rid = requestId;
  if (!rid) {
    for (const b of blocks) {
      for (const c of b.comments) {
        const m = /^x_signature_end \{"baton_request_id":"([^"]*)"/.exec(c);
        if (m) rid = m[1];
      }
    }
  }
  if (!rid) return { ok: false, why: 'no terminal event (and no request id)' };
  let prev = hmac(rid, secret);
  let n = 0;
  let terminal = false;
  for (const b of blocks) {
    if (b.incomplete) return { ok: false, why: `incomplete event after event ${n}` };
    const end = b.comments.find((c) => c.startsWith('x_signature_end '));
    if (end !== undefined) {
      if (terminal) return { ok: false, why: 'second terminal event' };
      const payload = end.slice('x_signature_end '.length);
      const m = /^(\{.*),"x_signature":"([0-9a-f]{64})"\}$/.exec(payload);
      if (!m) return { ok: false, why: 'malformed terminal event' };
      const data = `${m[1]}}`;
      if (data !== JSON.stringify({ baton_request_id: rid, events: n })) {
        return { ok: false, why: `terminal event does not match the ${n} events received` };
      }
      if (hmac(`${prev}\n${rid}\n${n + 1}\n${data}`, secret) !== m[2]) {
        return { ok: false, why: 'terminal event: bad signature' };
      }
      terminal = true;
      continue;
    }
    if (!b.hasData) continue; // keep-alive comments
    const data = b.data.join('\n');
    if (data === '[DONE]') {
      if (!terminal) return { ok: false, why: '[DONE] before the terminal event' };
      continue;
    }
    if (terminal) return { ok: false, why: 'data after the terminal event' };
    const m = /^([\s\S]*?)(,?)"x_signature":"([0-9a-f]{64})"(\s*\}\s*)$/.exec(data);
    if (!m) return { ok: false, why: `event ${n + 1}: no x_signature` };
    const unsigned = m[1] + m[4];
    const sig = hmac(`${prev}\n${rid}\n${n + 1}\n${unsigned}`, secret);
    if (sig !== m[3]) return { ok: false, why: `event ${n + 1}: bad signature` };
    prev = sig;
    n += 1;
  }
  if (!terminal) return { ok: false, why: `no terminal event after event ${n}` };
  return { ok: true, events: n, requestId: rid };
}

// A stream's event blocks as raw text (each with its blank line), for dropping/reordering.
function rawBlocks(text) {
  const parts = text.split(/(?<=\n\n|\r\n\r\n)/);
  return parts.filter((p) => p.length > 0);
}
const dataBlockIndexes = (blocks) =>
  blocks.map((b, i) => (/^data: \{/m.test(b) ? i : -1)).filter((i) => i >= 0);

// ---------------------------------------------------------------------------------------------
// baton verify on a saved answer.

let saveDir;
function save(name, text) {
  const file = path.join(saveDir, name);
  fs.writeFileSync(file, text);
  return file;
}
async function batonVerify(file, extraArgs = [], env = { BATON_SIGNING_SECRET: SECRET }) {
  return runBinary(BATON_BIN, ['verify', '--secret', 'env:BATON_SIGNING_SECRET', ...extraArgs, file],
    { env });
}
async function expectVerifyOk(name, text, events) {
  const r = await batonVerify(save(name, text));
  assert.equal(r.code, 0, `baton verify ${name}: ${r.stdout}${r.stderr}`);
  assert.equal(r.stdout.trim(), `ok (${events} events)`);
}
async function expectVerifyFails(name, text, messageRe) {
  const r = await batonVerify(save(name, text));
  assert.equal(r.code, 1, `baton verify ${name} should fail: ${r.stdout}${r.stderr}`);
  assert.match(r.stderr, messageRe, `baton verify ${name}`);
  assert.equal(r.stdout, '');
  return r;
}

// ---------------------------------------------------------------------------------------------

let mock;
let baton;     // with [signing]
let unsigned;  // the same without [signing]

function config(withSigning) {
  const base = `http://127.0.0.1:${mock.port}`;
  let toml = batonConfig({
    mockPort: mock.port,
    server: { master_key: 'os.environ/BATON_MASTER_KEY' },
    providers: {
      anth: { kind: 'anthropic', base_url: `${base}/v1`, api_key: 'os.environ/MOCK_KEY' },
      gem: { kind: 'gemini', base_url: `${base}/v1beta`, api_key: 'os.environ/MOCK_KEY' },
    },
    models: { 'claude-via-mock': { deployments: ['mock/mock-gpt'] } },
  });
  if (withSigning) toml += '\n[signing]\nsecret = "env:BATON_SIGNING_SECRET"\n';
  return toml;
}

before(async () => {
  saveDir = tempDir('baton-e2e-signed-');
  mock = await startMock(['--chunks', '6']);
  baton = await startBaton(config(true), {
    env: { BATON_MASTER_KEY: MASTER, BATON_SIGNING_SECRET: SECRET },
  });
  unsigned = await startBaton(config(false), { env: { BATON_MASTER_KEY: MASTER } });
});

const streamChat = (url, extra = {}) => request(`${url}/v1/chat/completions`, {
  method: 'POST',
  headers: auth,
  body: { model: 'demo', messages: userMessage('Tell me a story'), stream: true, ...extra },
});

describe('non-streamed answers', () => {
  test('OpenAI chat: signature member = x-baton-signature header = HMAC of the documented bytes', async () => {
    const res = await postJSON(`${baton.url}/v1/chat/completions`,
      { model: 'demo', messages: userMessage() }, { headers: auth });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.object, 'chat.completion');
    const sig = res.headers.get('x-baton-signature');
    assert.match(sig || '', /^[0-9a-f]{64}$/);
    assert.equal(res.json.signature, sig);
    assert.equal(res.json.baton_request_id, res.headers.get('x-request-id'));
    const check = checkJson(res.text);
    assert.ok(check.ok, check.why);
    assert.equal(check.signature, sig);
    assert.equal(checkJson(res.text, 'another-secret-0123456789').ok, false);
    await expectVerifyOk('chat.json', res.text, 1);
    await expectVerifyOk('chat-newline.json', `${res.text}\n`, 1); // an editor's final newline
    // --request-id: the answer must have been signed for that request.
    const file = save('chat-rid.json', res.text);
    let r = await batonVerify(file, ['--request-id', res.json.baton_request_id]);
    assert.equal(r.code, 0, r.stderr);
    r = await batonVerify(file, ['--request-id', 'some-other-request']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /signed for request .*, not some-other-request/);
    // Edited answer: both checks fail.
    const content = res.json.choices[0].message.content;
    const edited = res.text.replace(JSON.stringify(content).slice(1, -1), 'I was edited');
    assert.notEqual(edited, res.text);
    assert.equal(checkJson(edited).ok, false);
    await expectVerifyFails('chat-edited.json', edited, /bad signature/);
    // Signature removed: "not signed".
    const stripped = JSON.stringify({ ...res.json, signature: undefined });
    await expectVerifyFails('chat-stripped.json', stripped, /not signed/);
    // Wrong secret: exit 1.
    const wrong = await batonVerify(save('chat-wrong.json', res.text), [],
      { BATON_SIGNING_SECRET: 'another-secret-0123456789' });
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /bad signature/);
    assert.ok(!wrong.stderr.includes('another-secret') && !wrong.stderr.includes(SECRET));
  });

  test('a client-chosen x-request-id is what is signed', async () => {
    const res = await postJSON(`${baton.url}/v1/chat/completions`,
      { model: 'demo', messages: userMessage() }, { headers: { ...auth, 'x-request-id': 'my-req-42' } });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.baton_request_id, 'my-req-42');
    assert.ok(checkJson(res.text).ok);
  });

  for (const [label, model] of [['translated', 'claude-via-mock'], ['passthrough', 'anth/claude-mock']]) {
    test(`Anthropic Messages (${label}): signed, and the verifiers agree`, async () => {
      const res = await postJSON(`${baton.url}/v1/messages`, {
        model, max_tokens: 64, messages: userMessage(),
      }, { headers: { ...auth, 'anthropic-version': '2023-06-01' } });
      assert.equal(res.status, 200, res.text);
      assert.equal(res.json.type, 'message');
      assert.equal(res.json.signature, res.headers.get('x-baton-signature'));
      const check = checkJson(res.text);
      assert.ok(check.ok, check.why);
      await expectVerifyOk(`anthropic-${label}.json`, res.text, 1);
      const edited = res.text.replace('"end_turn"', '"max_tokens"');
      assert.notEqual(edited, res.text);
      assert.equal(checkJson(edited).ok, false);
      await expectVerifyFails(`anthropic-${label}-edited.json`, edited, /bad signature/);
    });
  }

  test('errors after authentication are signed (404 unknown model, 400 bad body); 401 is not', async () => {
    const notFound = await postJSON(`${baton.url}/v1/chat/completions`,
      { model: 'no-such-model', messages: userMessage() }, { headers: auth });
    assert.equal(notFound.status, 404, notFound.text);
    assert.ok(notFound.json.error);
    assert.equal(notFound.json.signature, notFound.headers.get('x-baton-signature'));
    assert.ok(checkJson(notFound.text).ok);
    const bad = await request(`${baton.url}/v1/messages`, {
      method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: '{"model": ',
    });
    assert.equal(bad.status, 400, bad.text);
    assert.equal(bad.json.type, 'error');
    assert.ok(checkJson(bad.text).ok, bad.text);
    const unauth = await postJSON(`${baton.url}/v1/chat/completions`,
      { model: 'demo', messages: userMessage() }, { headers: { authorization: 'Bearer wrong-key' } });
    assert.equal(unauth.status, 401);
    assert.equal(unauth.headers.get('x-baton-signature'), null);
    assert.equal(unauth.json.signature, undefined);
  });
});

describe('streamed answers', () => {
  test('OpenAI chat stream: chained x_signature, terminal event before [DONE]; tampering detected', async () => {
    const res = await streamChat(baton.url);
    assert.equal(res.status, 200, res.text);
    const text = res.text;
    const check = checkStream(text);
    assert.ok(check.ok, `${check.why}\n${text}`);
    assert.equal(check.requestId, res.headers.get('x-request-id'));
    assert.ok(check.events >= 6, `${check.events} events`);
    // Every JSON data event is signed; the terminal comment sits right before data: [DONE].
    const blocks = rawBlocks(text);
    const last = blocks[blocks.length - 1];
    assert.equal(last.trim(), 'data: [DONE]');
    assert.match(blocks[blocks.length - 2], /^: x_signature_end \{"baton_request_id":"[^"]+","events":\d+,"x_signature":"[0-9a-f]{64}"\}\n\n$/);
    // Also the chain checks when the request id comes from the response header instead.
    assert.ok(checkStream(text, { requestId: res.headers.get('x-request-id') }).ok);
    assert.equal(checkStream(text, { requestId: 'another-id' }).ok, false);
    assert.equal(checkStream(text, { secret: 'another-secret-0123456789' }).ok, false);
    await expectVerifyOk('stream.sse', text, check.events);

    const idx = dataBlockIndexes(blocks);
    // Dropped chunk.
    const dropped = blocks.filter((_, i) => i !== idx[2]).join('');
    assert.match(checkStream(dropped).why, /event 3: bad signature/);
    await expectVerifyFails('stream-dropped.sse', dropped, /event 3: bad signature/);
    // Reordered chunks.
    const reordered = [...blocks];
    [reordered[idx[1]], reordered[idx[2]]] = [reordered[idx[2]], reordered[idx[1]]];
    assert.match(checkStream(reordered.join('')).why, /event 2: bad signature/);
    await expectVerifyFails('stream-reordered.sse', reordered.join(''), /event 2: bad signature/);
    // Truncated: cut after some chunks (terminal event and [DONE] gone).
    const truncated = blocks.slice(0, idx[3] + 1).join('');
    assert.equal(checkStream(truncated).ok, false);
    assert.match(checkStream(truncated, { requestId: check.requestId }).why, /no terminal event after event 4/);
    await expectVerifyFails('stream-truncated.sse', truncated, /missing terminal signature event/);
    // With the request id given, the events received are checked and the cut is named.
    const r = await batonVerify(save('stream-truncated2.sse', truncated), ['--request-id', check.requestId]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /missing terminal signature event after event 4: the stream was cut off/);
    // Truncated by dropping the final content chunk only (terminal event kept): the count disagrees.
    const lastDropped = blocks.filter((_, i) => i !== idx[idx.length - 1]).join('');
    assert.equal(checkStream(lastDropped).ok, false);
    await expectVerifyFails('stream-lastdropped.sse', lastDropped, /terminal signature event: does not match/);
    // Edited chunk text.
    const edited = text.replace(/"content":"([^"]+)"/, '"content":"EDITED"');
    assert.notEqual(edited, text);
    assert.match(checkStream(edited).why, /bad signature/);
    await expectVerifyFails('stream-edited.sse', edited, /bad signature/);
  });

  test('OpenAI chat stream with include_usage: the usage chunk is signed too', async () => {
    const res = await streamChat(baton.url, { stream_options: { include_usage: true } });
    const check = checkStream(res.text);
    assert.ok(check.ok, check.why);
    assert.match(res.text, /"usage":\{.*"x_signature":"[0-9a-f]{64}"\}/);
  });

  for (const [label, model] of [['translated', 'claude-via-mock'], ['passthrough', 'anth/claude-mock']]) {
    test(`Anthropic Messages stream (${label}): every event signed, terminal event last`, async () => {
      const res = await request(`${baton.url}/v1/messages`, {
        method: 'POST',
        headers: { ...auth, 'anthropic-version': '2023-06-01' },
        body: { model, max_tokens: 64, stream: true, messages: userMessage() },
      });
      assert.equal(res.status, 200, res.text);
      const check = checkStream(res.text);
      assert.ok(check.ok, `${check.why}\n${res.text}`);
      const blocks = rawBlocks(res.text);
      assert.match(blocks[0], /^event: message_start\ndata: \{.*"x_signature":"[0-9a-f]{64}"\}\n\n$/);
      assert.match(blocks[blocks.length - 2], /^event: message_stop\n/);
      assert.match(blocks[blocks.length - 1], /^: x_signature_end /);
      await expectVerifyOk(`anthropic-${label}.sse`, res.text, check.events);
      const idx = dataBlockIndexes(blocks);
      const dropped = blocks.filter((_, i) => i !== idx[1]).join('');
      assert.equal(checkStream(dropped).ok, false);
      await expectVerifyFails(`anthropic-${label}-dropped.sse`, dropped, /event 2: bad signature/);
      const truncated = blocks.slice(0, -1).join('');
      assert.equal(checkStream(truncated).ok, false);
      await expectVerifyFails(`anthropic-${label}-truncated.sse`, truncated, /missing terminal/);
    });
  }

  test('Responses API and Gemini (CRLF framing) streams are signed the same way', async () => {
    const responses = await request(`${baton.url}/v1/responses`, {
      method: 'POST', headers: auth, body: { model: 'demo', input: 'Hello', stream: true },
    });
    assert.equal(responses.status, 200, responses.text);
    let check = checkStream(responses.text);
    assert.ok(check.ok, `${check.why}\n${responses.text}`);
    assert.match(responses.text, /^event: response\.created\n/);
    await expectVerifyOk('responses.sse', responses.text, check.events);

    const gemini = await request(
      `${baton.url}/v1beta/models/gem%2Fmock-gemini:streamGenerateContent?alt=sse`, {
        method: 'POST', headers: { 'x-goog-api-key': MASTER },
        body: { contents: [{ role: 'user', parts: [{ text: 'Hello' }] }] },
      });
    assert.equal(gemini.status, 200, gemini.text);
    check = checkStream(gemini.text);
    assert.ok(check.ok, `${check.why}\n${gemini.text}`);
    await expectVerifyOk('gemini.sse', gemini.text, check.events);
    const edited = gemini.text.replace(/"text": ?"([^"]+)"/, '"text":"EDITED"');
    assert.notEqual(edited, gemini.text);
    assert.equal(checkStream(edited).ok, false);
    await expectVerifyFails('gemini-edited.sse', edited, /bad signature/);
  });
});

describe('official SDKs parse signed answers', () => {
  test('openai SDK: create and stream', async () => {
    const client = new OpenAI({ baseURL: `${baton.url}/v1`, apiKey: MASTER, maxRetries: 0, timeout: 10_000 });
    const completion = await client.chat.completions.create({ model: 'demo', messages: userMessage() });
    assert.ok(completion.choices[0].message.content.length > 0);
    assert.match(completion.signature, /^[0-9a-f]{64}$/);
    const stream = await client.chat.completions.create({ model: 'demo', messages: userMessage(), stream: true });
    let text = '';
    let chunks = 0;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta?.content || '';
      assert.match(chunk.x_signature, /^[0-9a-f]{64}$/);
      chunks += 1;
    }
    assert.ok(chunks >= 6);
    assert.equal(text, completion.choices[0].message.content);
  });

  test('@anthropic-ai/sdk: create and stream', async () => {
    const client = new Anthropic({ apiKey: MASTER, baseURL: baton.url, maxRetries: 0, timeout: 10_000 });
    const msg = await client.messages.create({ model: 'claude-via-mock', max_tokens: 64, messages: userMessage() });
    assert.equal(msg.type, 'message');
    assert.ok(msg.content[0].text.length > 0);
    assert.match(msg.signature, /^[0-9a-f]{64}$/);
    const stream = client.messages.stream({ model: 'claude-via-mock', max_tokens: 64, messages: userMessage() });
    let deltas = '';
    stream.on('text', (t) => {
      deltas += t;
    });
    const final = await stream.finalMessage();
    assert.equal(final.content[0].text, msg.content[0].text);
    assert.equal(deltas, msg.content[0].text);
    assert.equal(final.stop_reason, 'end_turn');
  });
});

describe('without [signing]', () => {
  test('no signature member, header, x_signature or terminal event', async () => {
    const res = await postJSON(`${unsigned.url}/v1/chat/completions`,
      { model: 'demo', messages: userMessage() }, { headers: auth });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.headers.get('x-baton-signature'), null);
    assert.equal(res.json.signature, undefined);
    assert.equal(res.json.baton_request_id, undefined);
    const stream = await streamChat(unsigned.url);
    assert.equal(stream.status, 200);
    assert.ok(!stream.text.includes('x_signature'), stream.text);
    const anth = await request(`${unsigned.url}/v1/messages`, {
      method: 'POST',
      headers: { ...auth, 'anthropic-version': '2023-06-01' },
      body: { model: 'anth/claude-mock', max_tokens: 64, stream: true, messages: userMessage() },
    });
    assert.equal(anth.status, 200);
    assert.ok(!anth.text.includes('x_signature'), anth.text);
    // baton verify on an unsigned answer: exit 1, "not signed" / no terminal event.
    await expectVerifyFails('unsigned.json', res.text, /not signed/);
    await expectVerifyFails('unsigned.sse', stream.text, /missing terminal signature event/);
  });

  test('baton verify without any secret: exit 2', async () => {
    const file = save('nosecret.json', '{"a":1}');
    const r = await runBinary(BATON_BIN, ['verify', file], { env: {} });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /no signing secret/);
  });
});
