// `baton serve` without --config: ~/.config/baton/baton.toml when it exists, otherwise the
// embedded default, whose `demo` model is served by the built-in echo provider (no keys needed).
import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
  assertChatCompletion, batonConfig, chat, getJSON, readSSE, startBaton, startMock, streamedContent,
  tempDir, userMessage,
} from './support/harness.mjs';

describe('embedded default config', () => {
  let baton;
  let home;

  before(async () => {
    home = tempDir('baton-e2e-emptyhome-');
    baton = await startBaton(null, { env: { HOME: home } });
  });

  test('binds loopback by default', async () => {
    assert.equal(baton.host, '127.0.0.1', 'the default binds loopback');
  });

  test('model demo (echo provider) answers non-streaming', async () => {
    const text = 'ping from the e2e suite 7431';
    const res = await chat(baton, { model: 'demo', messages: [{ role: 'system', content: 'sys' }, ...userMessage(text)] });
    assert.equal(res.status, 200, res.text);
    assert.match(res.headers.get('content-type') || '', /application\/json/);
    const msg = assertChatCompletion(res.json);
    assert.equal(typeof msg.content, 'string');
    assert.ok(msg.content.trim().length > 0, 'non-empty assistant message');
    assert.ok(msg.content.includes('7431'), `echo of the last user message: ${JSON.stringify(msg.content)}`);
    assert.equal(typeof res.json.usage?.total_tokens, 'number', `usage: ${res.text}`);
  });

  test('model demo answers streaming', async () => {
    const res = await fetch(`${baton.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'demo', messages: userMessage('stream echo 5150'), stream: true, stream_options: { include_usage: true } }),
    });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') || '', /^text\/event-stream/);
    const sse = await readSSE(res);
    assert.ok(sse.done, `[DONE]: ${sse.text.slice(-300)}`);
    for (const c of sse.chunks) assert.equal(c.object, 'chat.completion.chunk', JSON.stringify(c));
    assert.equal(sse.chunks[0].choices[0].delta.role, 'assistant');
    const content = streamedContent(sse.chunks);
    assert.ok(content.trim().length > 0, 'non-empty streamed content');
    assert.ok(sse.chunks.some((c) => c.choices?.[0]?.finish_reason), 'a finish chunk');
    assert.ok(sse.chunks.some((c) => c.usage && Array.isArray(c.choices) && c.choices.length === 0), 'usage chunk when asked');
  });

  test('/health/readiness lists echo, openai, anthropic, ollama; openai unavailable without a key', async () => {
    const res = await getJSON(`${baton.url}/health/readiness`);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.status, 'ready');
    assert.equal(typeof res.json.config, 'string');
    const byName = Object.fromEntries(res.json.providers.map((p) => [p.name, p]));
    for (const name of ['echo', 'openai', 'anthropic', 'ollama']) assert.ok(byName[name], `provider ${name}: ${res.text}`);
    assert.equal(byName.echo.available, true, res.text);
    assert.equal(byName.openai.available, false, res.text);
    assert.equal(byName.anthropic.available, false, res.text);
  });

  test('/v1/models lists demo', async () => {
    const res = await getJSON(`${baton.url}/v1/models`);
    assert.equal(res.status, 200, res.text);
    assert.ok(res.json.data.some((m) => m.id === 'demo'), res.text);
  });

  test('with OPENAI_API_KEY set, the openai provider becomes available', async () => {
    const b = await startBaton(null, { env: { HOME: tempDir('baton-e2e-emptyhome-'), OPENAI_API_KEY: 'sk-e2e-not-a-real-key' } });
    const res = await getJSON(`${b.url}/health/readiness`);
    assert.equal(res.status, 200, res.text);
    const openai = res.json.providers.find((p) => p.name === 'openai');
    assert.equal(openai?.available, true, res.text);
    assert.ok(!res.text.includes('sk-e2e-not-a-real-key'), 'readiness must not show the key');
    await b.stop();
  });
});

describe('~/.config/baton/baton.toml', () => {
  test('is used when it exists', async () => {
    const mock = await startMock();
    const home = tempDir('baton-e2e-home-');
    const cfgDir = path.join(home, '.config', 'baton');
    fs.mkdirSync(cfgDir, { recursive: true });
    const cfgPath = path.join(cfgDir, 'baton.toml');
    fs.writeFileSync(cfgPath, batonConfig({ mockPort: mock.port, models: { fromhome: { deployments: ['mock/home-model'] } } }));
    const baton = await startBaton(null, { env: { HOME: home } });
    const ready = await getJSON(`${baton.url}/health/readiness`);
    assert.equal(ready.json.config, cfgPath, ready.text);
    const res = await chat(baton, { model: 'fromhome', messages: userMessage() });
    assert.equal(res.status, 200, res.text);
    assert.equal(JSON.parse((await mock.lastChatRequest()).body).model, 'home-model');
  });
});
