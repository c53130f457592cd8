// Every upstream dialect behind the official `openai` SDK (Baton translates OpenAI Chat to
// Anthropic Messages, Gemini, Ollama's /api/chat, Azure OpenAI and Bedrock Converse and back,
// streaming included); same-dialect passthrough for Anthropic and Gemini clients; the OpenAI
// Responses API and the Gemini SDK (@google/genai) in front of an OpenAI-dialect upstream; and
// POST /proxy/{model}. baton-mock plays every upstream and checks each one's auth (with
// MOCK_AWS_SECRET it verifies Bedrock's SigV4 signatures in full).
import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { GoogleGenAI } from '@google/genai';
import {
  MOCK_KEY, batonConfig, getJSON, parseSSE, postJSON, startBaton, startMock,
} from './support/harness.mjs';

const AWS_SECRET = 'mock-aws-secret-access-key/EXAMPLE';
const tools = [{
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Weather in a city',
    parameters: { type: 'object', properties: { location: { type: 'string' } }, required: ['location'] },
  },
}];
const messages = [{ role: 'user', content: 'What is the weather in Paris today?' }];

let mock;
let baton;
let client;

async function upstreamRequests() {
  const r = await getJSON(`${mock.url}/mock/requests`);
  return r.json.requests.filter((x) => x.method === 'POST');
}
async function lastUpstream() {
  const list = await upstreamRequests();
  const last = list[list.length - 1];
  return { ...last, json: JSON.parse(last.body) };
}

before(async () => {
  mock = await startMock([], { MOCK_REQUIRE_KEY: MOCK_KEY, MOCK_AWS_SECRET: AWS_SECRET });
  const base = `http://127.0.0.1:${mock.port}`;
  baton = await startBaton(batonConfig({
    mockPort: mock.port,
    providers: {
      anth: { kind: 'anthropic', base_url: `${base}/v1`, api_key: 'os.environ/MOCK_KEY' },
      gem: { kind: 'gemini', base_url: `${base}/v1beta`, api_key: 'os.environ/MOCK_KEY' },
      oll: { kind: 'ollama', api: 'native', base_url: base, api_key: 'os.environ/MOCK_KEY' },
      az: { kind: 'azure', base_url: base, api_key: 'os.environ/MOCK_KEY', api_version: '2024-10-21' },
      br: { kind: 'bedrock', base_url: base, region: 'us-east-1' },
    },
    models: {
      'claude-via-openai': { deployments: ['mock/mock-gpt'] },
    },
  }), { env: { AWS_ACCESS_KEY_ID: MOCK_KEY, AWS_SECRET_ACCESS_KEY: AWS_SECRET } });
  client = new OpenAI({ baseURL: `${baton.url}/v1`, apiKey: 'k', maxRetries: 0, timeout: 10_000 });
});

// How each upstream received the tool result of the second turn.
const toolResultCheck = {
  anth: (body, id) => {
    const user = body.messages[body.messages.length - 1];
    const result = user.content.find((b) => b.type === 'tool_result');
    assert.equal(result.tool_use_id, id);
    assert.match(JSON.stringify(result.content), /18°C/);
    const assistant = body.messages[body.messages.length - 2];
    assert.equal(assistant.content.find((b) => b.type === 'tool_use').id, id);
  },
  gem: (body) => {
    const last = body.contents[body.contents.length - 1];
    const fr = last.parts.find((p) => p.functionResponse).functionResponse;
    assert.equal(fr.name, 'get_weather');
    assert.match(JSON.stringify(fr.response), /18°C/);
    const model = body.contents[body.contents.length - 2];
    assert.equal(model.role, 'model');
    assert.equal(model.parts.find((p) => p.functionCall).functionCall.name, 'get_weather');
  },
  oll: (body, id) => {
    const tool = body.messages.find((m) => m.role === 'tool');
    assert.equal(tool.tool_name, 'get_weather');
    assert.match(tool.content, /18°C/);
    const assistant = body.messages.find((m) => m.role === 'assistant');
    assert.equal(typeof assistant.tool_calls[0].function.arguments, 'object');
    assert.ok(id);
  },
  az: (body, id) => {
    const tool = body.messages.find((m) => m.role === 'tool');
    assert.equal(tool.tool_call_id, id);
  },
  br: (body, id) => {
    const last = body.messages[body.messages.length - 1];
    const tr = last.content.find((c) => c.toolResult).toolResult;
    assert.equal(tr.toolUseId, id);
    const assistant = body.messages[body.messages.length - 2];
    assert.equal(assistant.content.find((c) => c.toolUse).toolUse.toolUseId, id);
  },
};
const upstreamPath = {
  anth: /^\/v1\/messages$/,
  gem: /^\/v1beta\/models\/mock-model:(generateContent|streamGenerateContent)$/,
  oll: /^\/api\/chat$/,
  az: /^\/openai\/deployments\/mock-model\/chat\/completions$/,
  br: /^\/model\/mock-model\/converse(-stream)?$/,
};

for (const p of ['anth', 'gem', 'oll', 'az', 'br']) {
  describe(`openai SDK → Baton → ${p} upstream`, () => {
    const model = `${p}/mock-model`;

    test('create (non-streaming): text, finish stop, usage; the upstream got its own dialect', async () => {
      const r = await client.chat.completions.create({ model, messages });
      assert.equal(r.object, 'chat.completion');
      assert.ok(r.choices[0].message.content.length > 0, JSON.stringify(r));
      assert.equal(r.choices[0].finish_reason, 'stop');
      assert.ok(r.usage.prompt_tokens > 0 && r.usage.completion_tokens > 0, JSON.stringify(r.usage));
      assert.equal(r.usage.total_tokens, r.usage.prompt_tokens + r.usage.completion_tokens);
      const up = await lastUpstream();
      assert.match(up.path, upstreamPath[p]);
    });

    test('stream() + finalChatCompletion() gives the same text', async () => {
      const plain = await client.chat.completions.create({ model, messages });
      const final = await client.chat.completions.stream({ model, messages, stream_options: { include_usage: true } }).finalChatCompletion();
      assert.equal(final.choices[0].message.content, plain.choices[0].message.content);
      assert.equal(final.choices[0].finish_reason, 'stop');
      assert.ok(final.usage?.completion_tokens > 0, JSON.stringify(final.usage));
    });

    test('tool call, streamed and not, and the tool result round trip', async () => {
      const r = await client.chat.completions.create({ model, messages, tools });
      const call = r.choices[0].message.tool_calls?.[0];
      assert.ok(call, JSON.stringify(r.choices[0]));
      assert.equal(call.function.name, 'get_weather');
      // (the OpenAI-dialect mock fills strings with "mock", the others with "Paris")
      assert.equal(typeof JSON.parse(call.function.arguments).location, 'string');
      assert.equal(r.choices[0].finish_reason, 'tool_calls');
      assert.match(call.id, /\S/);

      const streamed = await client.chat.completions.stream({ model, messages, tools }).finalChatCompletion();
      const scall = streamed.choices[0].message.tool_calls?.[0];
      assert.equal(scall?.function.name, 'get_weather', JSON.stringify(streamed.choices[0]));
      assert.deepEqual(JSON.parse(scall.function.arguments), JSON.parse(call.function.arguments));
      assert.equal(streamed.choices[0].finish_reason, 'tool_calls');

      const second = await client.chat.completions.create({
        model,
        tools,
        messages: [
          ...messages,
          { role: 'assistant', content: null, tool_calls: [call] },
          { role: 'tool', tool_call_id: call.id, content: '18°C and sunny' },
        ],
      });
      if (p !== 'az') {
        // The OpenAI-dialect mock calls the tool again whenever tools are offered.
        assert.equal(second.choices[0].finish_reason, 'stop');
        assert.ok(second.choices[0].message.content.length > 0);
      }
      toolResultCheck[p]((await lastUpstream()).json, call.id);
    });

    test('upstream 404 and 401 reach the SDK as typed errors', async () => {
      await assert.rejects(
        client.chat.completions.create({ model: `${p}/mock-fail-404`, messages }),
        (err) => {
          assert.ok(err instanceof OpenAI.NotFoundError, `${err.constructor.name} ${err.status}: ${err.message}`);
          return true;
        },
      );
      await assert.rejects(
        client.chat.completions.create({ model: `${p}/mock-fail-401`, messages }),
        (err) => {
          assert.ok(err instanceof OpenAI.AuthenticationError, `${err.constructor.name} ${err.status}: ${err.message}`);
          return true;
        },
      );
    });

    test('a mid-stream upstream error ends the stream with an error the SDK throws', async () => {
      const stream = await client.chat.completions.create({ model: `${p}/mock-error-mid`, messages, stream: true });
      await assert.rejects(async () => {
        for await (const chunk of stream) assert.ok(chunk);
      });
    });
  });
}

describe('wrong upstream credentials', () => {
  test('a Bedrock signature made with the wrong secret is refused upstream and reported', async () => {
    const other = await startBaton(batonConfig({
      mockPort: mock.port,
      providers: { br: { kind: 'bedrock', base_url: `http://127.0.0.1:${mock.port}`, region: 'us-east-1' } },
    }), { env: { AWS_ACCESS_KEY_ID: MOCK_KEY, AWS_SECRET_ACCESS_KEY: 'not-the-secret' } });
    const c = new OpenAI({ baseURL: `${other.url}/v1`, apiKey: 'k', maxRetries: 0 });
    await assert.rejects(c.chat.completions.create({ model: 'br/mock-model', messages }), (err) => {
      assert.equal(err.status, 403, err.message);
      assert.ok(!err.message.includes('not-the-secret'));
      return true;
    });
  });

  test('no AWS credentials at all: 503 saying so', async () => {
    const other = await startBaton(batonConfig({
      mockPort: mock.port,
      providers: { br: { kind: 'bedrock', base_url: `http://127.0.0.1:${mock.port}`, region: 'us-east-1' } },
    }), { env: { AWS_SHARED_CREDENTIALS_FILE: '/nonexistent', AWS_CONFIG_FILE: '/nonexistent' } });
    const r = await postJSON(`${other.url}/v1/chat/completions`, { model: 'br/m', messages });
    assert.equal(r.status, 503, r.text);
    assert.match(r.json.error.message, /AWS credentials/);
  });
});

describe('Anthropic SDK → Anthropic upstream (same dialect: passthrough)', () => {
  test('create and stream go through with the model replaced and the beta header passed on', async () => {
    const c = new Anthropic({ apiKey: 'k', baseURL: baton.url, maxRetries: 0 });
    const msg = await c.messages.create(
      { model: 'anth/mock-upstream-claude', max_tokens: 64, messages },
      { headers: { 'anthropic-beta': 'prompt-caching-2024-07-31' } },
    );
    assert.equal(msg.type, 'message');
    assert.match(msg.id, /^msg_mock/, 'the upstream message id comes through untouched');
    const up = await lastUpstream();
    assert.equal(up.json.model, 'mock-upstream-claude');
    assert.equal(up.headers['anthropic-beta'], 'prompt-caching-2024-07-31');
    assert.equal(up.headers['x-api-key'], MOCK_KEY);
    const final = await c.messages.stream({ model: 'anth/mock-upstream-claude', max_tokens: 64, messages }).finalMessage();
    assert.equal(final.content[0].text, msg.content[0].text);
  });

  test('count_tokens is forwarded to an Anthropic upstream', async () => {
    const c = new Anthropic({ apiKey: 'k', baseURL: baton.url, maxRetries: 0 });
    const r = await c.messages.countTokens({ model: 'anth/whatever', messages });
    assert.ok(r.input_tokens > 0);
    const up = await lastUpstream();
    assert.equal(up.path, '/v1/messages/count_tokens');
    assert.equal(up.json.model, 'whatever');
  });

  test('a cut upstream stream ends with an Anthropic error event', async () => {
    const r = await postJSON(`${baton.url}/v1/messages`, {
      model: 'anth/mock-drop-4', max_tokens: 64, messages, stream: true,
    }, { headers: { 'anthropic-version': '2023-06-01' } });
    const events = parseSSE(r.text);
    assert.equal(events[events.length - 1].event, 'error', r.text);
  });
});

describe('OpenAI Responses API (openai SDK) → OpenAI-dialect upstream', () => {
  test('responses.create: output_text, usage, upstream got chat completions', async () => {
    const r = await client.responses.create({ model: 'demo', input: 'What is the weather in Paris?', instructions: 'Be brief.' });
    assert.equal(r.object, 'response');
    assert.equal(r.status, 'completed');
    assert.ok(r.output_text.length > 0, JSON.stringify(r));
    assert.ok(r.usage.input_tokens > 0);
    const up = await lastUpstream();
    assert.equal(up.path, '/v1/chat/completions');
    assert.deepEqual(up.json.messages[0], { role: 'system', content: 'Be brief.' });
  });

  test('responses.stream(): text deltas and the final response', async () => {
    const plain = await client.responses.create({ model: 'demo', input: 'Hello there' });
    const stream = client.responses.stream({ model: 'demo', input: 'Hello there' });
    let text = '';
    stream.on('response.output_text.delta', (e) => {
      text += e.delta;
    });
    const final = await stream.finalResponse();
    assert.equal(final.output_text, plain.output_text);
    assert.equal(text, plain.output_text);
  });

  test('function calls: a function_call item, then function_call_output', async () => {
    const rtools = [{ type: 'function', name: 'get_weather', parameters: tools[0].function.parameters }];
    const r = await client.responses.create({ model: 'demo', input: 'Weather in Paris?', tools: rtools });
    const call = r.output.find((o) => o.type === 'function_call');
    assert.ok(call, JSON.stringify(r.output));
    assert.equal(call.name, 'get_weather');
    const r2 = await client.responses.create({
      model: 'demo',
      tools: rtools,
      input: [
        { role: 'user', content: 'Weather in Paris?' },
        call,
        { type: 'function_call_output', call_id: call.call_id, output: '18°C' },
      ],
    });
    assert.equal(r2.status, 'completed');
    const up = await lastUpstream();
    const tool = up.json.messages.find((m) => m.role === 'tool');
    assert.equal(tool.tool_call_id, call.call_id);
  });

  test('previous_response_id is refused with a clear 400', async () => {
    await assert.rejects(client.responses.create({ model: 'demo', input: 'x', previous_response_id: 'resp_1' }), (err) => {
      assert.ok(err instanceof OpenAI.BadRequestError);
      assert.match(err.message, /previous_response_id/);
      return true;
    });
  });
});

describe('Gemini SDK (@google/genai) → Baton', () => {
  test('generateContent and generateContentStream against an OpenAI-dialect upstream', async () => {
    const ai = new GoogleGenAI({ apiKey: 'k', httpOptions: { baseUrl: baton.url } });
    const r = await ai.models.generateContent({ model: 'demo', contents: 'What is the weather in Paris?' });
    assert.ok(r.text.length > 0, JSON.stringify(r));
    assert.ok(r.usageMetadata.promptTokenCount > 0);
    let text = '';
    for await (const chunk of await ai.models.generateContentStream({ model: 'demo', contents: 'What is the weather in Paris?' })) {
      text += chunk.text ?? '';
    }
    assert.equal(text, r.text);
  });

  test('function calling through the Gemini SDK', async () => {
    const ai = new GoogleGenAI({ apiKey: 'k', httpOptions: { baseUrl: baton.url } });
    const r = await ai.models.generateContent({
      model: 'demo',
      contents: 'Weather in Paris?',
      config: { tools: [{ functionDeclarations: [{ name: 'get_weather', parametersJsonSchema: tools[0].function.parameters }] }] },
    });
    assert.equal(r.functionCalls?.[0]?.name, 'get_weather', JSON.stringify(r));
  });

  test('same dialect: a Gemini upstream gets the body untouched, the model from the path', async () => {
    const ai = new GoogleGenAI({ apiKey: 'k', httpOptions: { baseUrl: baton.url } });
    const r = await ai.models.generateContent({ model: 'gem/mock-gemini', contents: 'Hi there' });
    assert.ok(r.text.length > 0);
    const up = await lastUpstream();
    assert.equal(up.path, '/v1beta/models/mock-gemini:generateContent');
  });
});

describe('POST /proxy/{model}', () => {
  test('the model comes from the path', async () => {
    const r = await postJSON(`${baton.url}/proxy/anth/mock-model`, { messages });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.object, 'chat.completion');
    const up = await lastUpstream();
    assert.equal(up.path, '/v1/messages');
    assert.equal(up.json.model, 'mock-model');
  });
});
