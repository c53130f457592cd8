// The official @anthropic-ai/sdk, 1.x (Bearer auth, new anthropic-version) and 0.x (x-api-key),
// in front of an OpenAI-dialect upstream (baton-mock): Baton translates Anthropic Messages to
// OpenAI Chat and back, streaming included. Also a Claude Code style setup (ANTHROPIC_BASE_URL
// pointed at Baton, the Claude model name mapped to a non-Anthropic provider).
import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import Anthropic from '@anthropic-ai/sdk';
import Anthropic0 from 'anthropic-sdk-0';
import {
  assertNoLeak, assertStillServing, batonConfig, getJSON, parseSSE, postJSON, startBaton, startMock,
} from './support/harness.mjs';

const MASTER = 'sk-master-anthropic-e2e-7';

const weatherTool = {
  name: 'get_weather',
  description: 'Weather in a city',
  input_schema: { type: 'object', properties: { location: { type: 'string' } }, required: ['location'] },
};

const ask = [{ role: 'user', content: 'What is the weather in Paris?' }];

async function lastUpstreamRequest(mock) {
  const r = await getJSON(`${mock.url}/mock/requests`);
  const list = r.json.requests.filter((x) => x.method === 'POST');
  return { ...list[list.length - 1], json: JSON.parse(list[list.length - 1].body) };
}

for (const [label, Sdk, authStyle] of [['1.x', Anthropic, 'bearer'], ['0.x', Anthropic0, 'x-api-key']]) {
  describe(`@anthropic-ai/sdk ${label} → Baton → OpenAI-dialect upstream`, () => {
    let mock;
    let baton;
    let client;

    before(async () => {
      mock = await startMock();
      baton = await startBaton(batonConfig({
        mockPort: mock.port,
        server: { master_key: 'os.environ/BATON_MASTER_KEY' },
        models: { 'claude-sonnet-4-5': { deployments: ['mock/mock-gpt'] } },
      }), { env: { BATON_MASTER_KEY: MASTER } });
      client = new Sdk({ apiKey: MASTER, baseURL: baton.url, maxRetries: 0, timeout: 10_000 });
    });

    test('messages.create: a text message with usage, request-id, upstream got OpenAI chat', async () => {
      const { data: msg, response } = await client.messages
        .create({ model: 'claude-sonnet-4-5', max_tokens: 100, system: 'Be brief.', messages: ask })
        .withResponse();
      assert.equal(msg.type, 'message');
      assert.equal(msg.role, 'assistant');
      assert.match(msg.id, /^msg_/);
      assert.equal(msg.content[0].type, 'text');
      assert.ok(msg.content[0].text.length > 0);
      assert.equal(msg.stop_reason, 'end_turn');
      assert.equal(typeof msg.usage.input_tokens, 'number');
      assert.ok(msg.usage.output_tokens > 0);
      assert.match(response.headers.get('request-id') || '', /^req_/);
      const up = await lastUpstreamRequest(mock);
      assert.equal(up.path, '/v1/chat/completions');
      assert.equal(up.json.model, 'mock-gpt');
      assert.equal(up.json.max_tokens, 100);
      assert.deepEqual(up.json.messages[0], { role: 'system', content: 'Be brief.' });
      assert.equal(up.json.messages[1].role, 'user');
      const sent = up.headers;
      if (authStyle === 'bearer') assert.equal(sent['x-api-key'], undefined);
    });

    test('messages.stream() + finalMessage() gives the same text as create()', async () => {
      const plain = await client.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 100, messages: ask });
      const stream = client.messages.stream({ model: 'claude-sonnet-4-5', max_tokens: 100, messages: ask });
      let deltas = '';
      stream.on('text', (t) => {
        deltas += t;
      });
      const final = await stream.finalMessage();
      assert.equal(final.content[0].text, plain.content[0].text);
      assert.equal(deltas, plain.content[0].text);
      assert.equal(final.stop_reason, 'end_turn');
      assert.ok(final.usage.output_tokens > 0);
    });

    test('raw stream: event order and every event has its event: line', async () => {
      const raw = await postJSON(`${baton.url}/v1/messages`, {
        model: 'claude-sonnet-4-5', max_tokens: 50, messages: ask, stream: true,
      }, { headers: { 'x-api-key': MASTER, 'anthropic-version': '2023-06-01' } });
      assert.equal(raw.status, 200, raw.text);
      assert.match(raw.headers.get('content-type'), /text\/event-stream/);
      const events = parseSSE(raw.text);
      for (const e of events) {
        assert.equal(e.event, JSON.parse(e.data).type, `event line matches data.type: ${e.data}`);
      }
      const types = events.map((e) => e.event);
      assert.equal(types[0], 'message_start');
      assert.equal(types[1], 'content_block_start');
      assert.deepEqual(types.slice(-3), ['content_block_stop', 'message_delta', 'message_stop']);
      assert.ok(types.filter((t) => t === 'content_block_delta').length >= 1);
      const delta = JSON.parse(events[events.length - 2].data);
      assert.equal(delta.delta.stop_reason, 'end_turn');
      assert.ok(delta.usage.output_tokens > 0);
      assert.ok(!events.incomplete);
    });

    test('tool round trip: tool_use with an id, then tool_result answered by the upstream', async () => {
      const first = await client.messages.create({
        model: 'claude-sonnet-4-5', max_tokens: 200, messages: ask, tools: [weatherTool],
      });
      assert.equal(first.stop_reason, 'tool_use');
      const use = first.content.find((b) => b.type === 'tool_use');
      assert.ok(use, JSON.stringify(first.content));
      assert.equal(use.name, 'get_weather');
      assert.match(use.id, /\S/);
      assert.equal(typeof use.input, 'object');
      assert.equal(typeof use.input.location, 'string');

      const second = await client.messages.create({
        model: 'claude-sonnet-4-5',
        max_tokens: 200,
        tools: [weatherTool],
        tool_choice: { type: 'none' },
        messages: [
          ...ask,
          { role: 'assistant', content: first.content },
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: use.id, content: '18°C and sunny' }] },
        ],
      });
      assert.equal(second.stop_reason, 'end_turn');
      const up = await lastUpstreamRequest(mock);
      const assistant = up.json.messages.find((m) => m.role === 'assistant');
      assert.equal(assistant.tool_calls[0].id, use.id);
      assert.equal(assistant.tool_calls[0].function.name, 'get_weather');
      assert.deepEqual(JSON.parse(assistant.tool_calls[0].function.arguments), use.input);
      const toolMsg = up.json.messages.find((m) => m.role === 'tool');
      assert.equal(toolMsg.tool_call_id, use.id);
      assert.match(JSON.stringify(toolMsg.content), /18°C and sunny/);
      assert.equal(up.json.tool_choice, 'none');
    });

    test('streamed tool use: finalMessage() has the tool_use block with parsed input', async () => {
      const stream = client.messages.stream({
        model: 'claude-sonnet-4-5', max_tokens: 200, messages: ask, tools: [weatherTool],
      });
      const events = [];
      stream.on('streamEvent', (e) => events.push(e));
      const final = await stream.finalMessage();
      assert.equal(final.stop_reason, 'tool_use');
      const use = final.content.find((b) => b.type === 'tool_use');
      assert.ok(use, JSON.stringify(final.content));
      assert.equal(use.name, 'get_weather');
      assert.equal(typeof use.input.location, 'string');
      const start = events.find((e) => e.type === 'content_block_start' && e.content_block.type === 'tool_use');
      assert.ok(start);
      assert.ok(events.some((e) => e.type === 'content_block_delta' && e.delta.type === 'input_json_delta'));
    });

    test('messages.countTokens() counts locally for a non-Anthropic upstream', async () => {
      const r = await client.messages.countTokens({ model: 'claude-sonnet-4-5', messages: ask, system: 'Be brief.' });
      assert.equal(typeof r.input_tokens, 'number');
      assert.ok(r.input_tokens > 5 && r.input_tokens < 40, String(r.input_tokens));
    });

    test('models.list() in Anthropic shape', async () => {
      const ids = [];
      for await (const m of client.models.list()) {
        assert.equal(m.type, 'model');
        ids.push(m.id);
      }
      assert.ok(ids.includes('claude-sonnet-4-5'), ids.join(','));
    });

    test('wrong key → AuthenticationError; unknown model → NotFoundError', async () => {
      const bad = new Sdk({ apiKey: 'sk-wrong-key-123', baseURL: baton.url, maxRetries: 0 });
      await assert.rejects(
        bad.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 10, messages: ask }),
        (err) => {
          assert.ok(err instanceof Sdk.AuthenticationError, `${err.constructor.name}: ${err.message}`);
          assert.equal(err.status, 401);
          assert.equal(err.error?.type, 'error');
          assert.equal(err.error?.error?.type, 'authentication_error');
          assert.ok(!String(err.message).includes('sk-wrong-key-123'));
          return true;
        },
      );
      await assert.rejects(
        client.messages.create({ model: 'claude-nope', max_tokens: 10, messages: ask }),
        (err) => {
          assert.ok(err instanceof Sdk.NotFoundError, `${err.constructor.name}: ${err.message}`);
          assert.equal(err.error?.error?.type, 'not_found_error');
          assertNoLeak(err.message);
          return true;
        },
      );
      await assert.rejects(
        client.messages.create({ model: 'claude-sonnet-4-5', messages: ask }),
        (err) => {
          assert.ok(err instanceof Sdk.BadRequestError, `${err.constructor.name}: ${err.message}`);
          assert.equal(err.error?.error?.type, 'invalid_request_error');
          assert.match(err.message, /max_tokens/);
          return true;
        },
      );
    });

    test('upstream failure mid-stream reaches the SDK as an error, not a hang', async () => {
      const local = await startBaton(batonConfig({
        mockPort: mock.port,
        models: { 'claude-cut': { deployments: ['mock/mock-drop-3'] } },
      }));
      const c = new Sdk({ apiKey: 'x', baseURL: local.url, maxRetries: 0, timeout: 10_000 });
      await assert.rejects(c.messages.stream({ model: 'claude-cut', max_tokens: 50, messages: ask }).finalMessage());
      await assertStillServing(local);
    });
  });
}

describe('Claude Code style setup: ANTHROPIC_BASE_URL → Baton → non-Anthropic provider', () => {
  let mock;
  let baton;

  before(async () => {
    mock = await startMock();
    baton = await startBaton(batonConfig({
      mockPort: mock.port,
      server: { master_key: 'os.environ/BATON_MASTER_KEY' },
      models: {
        'claude-sonnet-4-5-20250929': { deployments: ['mock/mock-gpt'] },
        'claude-haiku-4-5': { deployments: ['mock/mock-gpt-mini'] },
      },
    }), { env: { BATON_MASTER_KEY: MASTER } });
  });

  test('a Claude Code shaped streaming request with beta headers, cached system blocks and tools', async () => {
    const saved = { url: process.env.ANTHROPIC_BASE_URL, key: process.env.ANTHROPIC_API_KEY };
    process.env.ANTHROPIC_BASE_URL = baton.url;
    process.env.ANTHROPIC_API_KEY = MASTER;
    try {
      const client = new Anthropic({ maxRetries: 0, timeout: 10_000 });
      const stream = client.beta.messages.stream({
        model: 'claude-sonnet-4-5-20250929',
        max_tokens: 32000,
        betas: ['claude-code-20250219', 'interleaved-thinking-2025-05-14'],
        system: [
          { type: 'text', text: "You are Claude Code, Anthropic's official CLI for Claude." },
          { type: 'text', text: 'Work in /repo.', cache_control: { type: 'ephemeral' } },
        ],
        metadata: { user_id: 'user_abc_account__session_1' },
        tools: [
          { name: 'Bash', description: 'Run a command', input_schema: { type: 'object', properties: { command: { type: 'string' } }, required: ['command'] } },
          weatherTool,
        ],
        messages: [{ role: 'user', content: [{ type: 'text', text: 'List the files', cache_control: { type: 'ephemeral' } }] }],
        temperature: 1,
      });
      const final = await stream.finalMessage();
      assert.equal(final.stop_reason, 'tool_use');
      const use = final.content.find((b) => b.type === 'tool_use');
      assert.equal(use.name, 'Bash');
      assert.equal(typeof use.input.command, 'string');
      const up = await lastUpstreamRequest(mock);
      assert.equal(up.json.model, 'mock-gpt');
      assert.equal(up.json.messages[0].role, 'system');
      assert.match(JSON.stringify(up.json.messages[0]), /Claude Code/);
      assert.equal(up.json.tools.length, 2);
      assert.equal(up.json.tools[0].function.name, 'Bash');
      assert.equal(up.json.stream, true);
      assert.deepEqual(up.json.stream_options, { include_usage: true });
      assert.equal(up.json.user, 'user_abc_account__session_1');
      // The ?beta=true query the SDK adds for beta endpoints is accepted.
      const haiku = await client.messages.create({ model: 'claude-haiku-4-5', max_tokens: 20, messages: [{ role: 'user', content: 'hi' }] });
      assert.equal(haiku.type, 'message');
      const count = await client.beta.messages.countTokens({ model: 'claude-haiku-4-5', messages: [{ role: 'user', content: 'hi there' }] });
      assert.ok(count.input_tokens > 0);
    } finally {
      if (saved.url === undefined) delete process.env.ANTHROPIC_BASE_URL;
      else process.env.ANTHROPIC_BASE_URL = saved.url;
      if (saved.key === undefined) delete process.env.ANTHROPIC_API_KEY;
      else process.env.ANTHROPIC_API_KEY = saved.key;
    }
  });

  test('the /api/anthropic prefix serves the same API', async () => {
    const client = new Anthropic({ apiKey: MASTER, baseURL: `${baton.url}/api/anthropic`, maxRetries: 0 });
    const msg = await client.messages.create({ model: 'claude-haiku-4-5', max_tokens: 20, messages: ask });
    assert.equal(msg.type, 'message');
  });
});
