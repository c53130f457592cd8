// Routing policy end to end (issue 4, docs/routing.md): the automatic choice (`auto` /
// `router-maestro` over [router] priorities, skipping unconfigured providers), task defaults
// (X-Baton-Task), a zone's default model, context-window fallbacks (the deployment's
// context_window pre-check and an upstream's own context_length_exceeded answer), a deployment's
// output cap, and the Anthropic dialect holding a stream back until its first content event.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import {
  startMock, startBaton, toToml, postJSON, userMessage, parseSSE, listen, trackServer,
} from './support/harness.mjs';

function provider(mock, extra = {}) {
  return { kind: 'openai-compatible', base_url: `${mock.url}/v1`, ...extra };
}

// An OpenAI-dialect upstream that refuses every chat request as too long for its context.
async function startContextRefuser() {
  let hits = 0;
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      hits += 1;
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(JSON.stringify({
        error: {
          message: "This model's maximum context length is 8192 tokens. However, your messages resulted in 9000 tokens.",
          type: 'invalid_request_error', param: 'messages', code: 'context_length_exceeded',
        },
      }));
    });
  });
  trackServer(server, 'context refuser');
  const port = await listen(server);
  return { url: `http://127.0.0.1:${port}`, hits: () => hits };
}

test('routing policy', async (t) => {
  const a = await startMock();
  const b = await startMock();
  const c = await startMock();
  const refuser = await startContextRefuser();
  const wordy = await startMock(['--chunks', '30']);  // 30 completion tokens per answer
  const config = toToml({
    server: { host: '127.0.0.1', port: 0 },
    'providers.a': provider(a),
    'providers.b': provider(b),
    'providers.c': provider(c),
    'providers.wordy': provider(wordy),
    'providers.nokey': provider(a, { api_key: 'os.environ/BATON_TEST_UNSET_KEY' }),
    'providers.refuser': { kind: 'openai-compatible', base_url: `${refuser.url}/v1` },
    router: { priorities: ['nokey/first', 'b/second', 'a/third'], max_retries: 0 },
    'models.small': {
      context_fallbacks: ['large'],
      deployments: [{ target: 'a/small-window', context_window: 50 }],
    },
    'models.refusing': { context_fallbacks: ['c/roomy'], deployments: ['refuser/tiny'] },
    'models.large': { deployments: ['c/large-window'] },
    'models.capped': { deployments: [{ target: 'a/capped', max_tokens: 3 }] },
    'models.metered': { deployments: [{ target: 'wordy/metered', tpm: 100 }, 'b/overflow'] },
    'models.clinic-default': { deployments: ['c/clinic'] },
    'zones.clinic': { default_model: 'clinic-default' },
    defaults: { vitals: 'large' },
  });
  const baton = await startBaton(config);
  const chat = (body, headers = {}) => postJSON(`${baton.url}/v1/chat/completions`, body, { headers });

  await t.test('auto skips an unconfigured provider and takes the next priority', async () => {
    for (const model of ['auto', 'router-maestro']) {
      const res = await chat({ model, messages: userMessage() });
      assert.equal(res.status, 200, res.text);
      assert.equal(res.headers.get('x-baton-model'), 'b/second', model);
      assert.equal(res.json.model, 'second');
    }
  });

  await t.test('a task default replaces auto, an explicit model stays', async () => {
    let res = await chat({ model: 'auto', messages: userMessage() }, { 'x-baton-task': 'vitals' });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.headers.get('x-baton-model'), 'c/large-window');
    res = await chat({ model: 'capped', messages: userMessage() }, { 'x-baton-task': 'vitals' });
    assert.equal(res.headers.get('x-baton-model'), 'a/capped');
    res = await chat({ model: 'auto', messages: userMessage() }, { 'x-baton-task': 'no-such-task' });
    assert.equal(res.headers.get('x-baton-model'), 'b/second', 'an unknown task is ignored');
  });

  await t.test("a zone's default model fills in model \"default\"", async () => {
    const res = await chat({ model: 'default', messages: userMessage() }, { 'x-maestro-zone': 'clinic' });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.headers.get('x-baton-model'), 'c/clinic');
  });

  await t.test('a prompt over the context_window goes to context_fallbacks without calling', async () => {
    await a.reset();
    const short = await chat({ model: 'small', messages: userMessage('hi') });
    assert.equal(short.headers.get('x-baton-model'), 'a/small-window');
    const long = await chat({ model: 'small', messages: userMessage('word '.repeat(200)) });
    assert.equal(long.status, 200, long.text);
    assert.equal(long.headers.get('x-baton-model'), 'c/large-window');
    const aModels = (await a.chatRequests()).map((r) => JSON.parse(r.body).model);
    assert.deepEqual(aModels, ['small-window'], 'the small deployment saw only the short prompt');
  });

  await t.test("an upstream's context_length_exceeded goes to context_fallbacks", async () => {
    const before = refuser.hits();
    const res = await chat({ model: 'refusing', messages: userMessage() });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.headers.get('x-baton-model'), 'c/roomy');
    assert.equal(res.headers.get('x-baton-attempts'), '2');
    assert.equal(refuser.hits() - before, 1, 'a context error is not retried');
  });

  await t.test('a direct request to the refusing upstream gets its 400 as is', async () => {
    const res = await chat({ model: 'refuser/tiny', messages: userMessage() });
    assert.equal(res.status, 400);
    assert.equal(res.json.error.code, 'context_length_exceeded');
  });

  await t.test("a deployment's tpm counts the tokens the upstream reported", async () => {
    const used = [];
    for (let i = 0; i < 8; i += 1) {
      const res = await chat({ model: 'metered', messages: userMessage('hi') });
      assert.equal(res.status, 200, res.text);
      used.push(res.headers.get('x-baton-model'));
    }
    // Each answer reports 31 tokens (1 prompt + 30 completion), so the minute is full after 4
    // (124 >= 100). Counting only the prompt estimate (~15 a request) would allow 7.
    assert.deepEqual(used, [...Array(4).fill('wordy/metered'), ...Array(4).fill('b/overflow')]);
  });

  await t.test("a deployment's max_tokens caps the client's value upstream", async () => {
    await a.reset();
    let res = await chat({ model: 'capped', max_tokens: 100, messages: userMessage() });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.choices[0].finish_reason, 'length');
    assert.equal(JSON.parse((await a.lastChatRequest()).body).max_tokens, 3);
    res = await chat({ model: 'capped', messages: userMessage() });
    assert.equal(JSON.parse((await a.lastChatRequest()).body).max_tokens, 3, 'added when absent');
    res = await chat({ model: 'capped', max_completion_tokens: 2, messages: userMessage() });
    assert.equal(JSON.parse((await a.lastChatRequest()).body).max_completion_tokens, 2, 'a smaller value stays');
  });
});

test('an Anthropic stream cut before its first content falls back cleanly', async () => {
  const cut = await startMock(['--drop-after-chunks', '2']);  // message_start + one more event
  const good = await startMock();
  const baton = await startBaton(toToml({
    server: { host: '127.0.0.1', port: 0 },
    'providers.cut': { kind: 'anthropic', base_url: `${cut.url}/v1`, api_key: 'k' },
    'providers.good': { kind: 'anthropic', base_url: `${good.url}/v1`, api_key: 'k' },
    router: { max_retries: 0 },
    'models.claude': { deployments: ['cut/claude-x', 'good/claude-x'] },
  }));
  const res = await fetch(`${baton.url}/v1/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
    body: JSON.stringify({ model: 'claude', max_tokens: 50, stream: true, messages: userMessage() }),
  });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('x-baton-model'), 'good/claude-x');
  const events = parseSSE(await res.text());
  const types = events.map((e) => e.event).filter(Boolean);
  assert.equal(types.filter((x) => x === 'message_start').length, 1, `one message_start: ${types}`);
  assert.equal(types.at(-1), 'message_stop');
  assert.ok(!types.includes('error'), `no error event: ${types}`);
  const cutStats = await cut.stats();
  assert.equal(cutStats.streams_dropped, 1);
  // The same cut, on a route with nowhere else to go: an Anthropic error answer, not a broken
  // stream (nothing had been sent yet).
  const direct = await fetch(`${baton.url}/v1/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
    body: JSON.stringify({ model: 'cut/claude-x', max_tokens: 50, stream: true, messages: userMessage() }),
  });
  assert.equal(direct.status, 502);
  const body = await direct.json();
  assert.equal(body.type, 'error');
  assert.match(body.error.message, /before any content/);
});

