// The request log written by the gateway itself (issue 6 item 1): one record per finished
// request — answered, streamed, refused by a budget, failed upstream — with the fields the
// docs name, never the key; `baton logs verify` accepts the chain and `baton logs cat` prints
// it; and a log that cannot be written refuses new requests with 503 in the client's dialect
// (on_failure = "refuse", the default) or serves them anyway (on_failure = "serve").
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
  BATON_BIN, assertOpenAIError, batonConfig, postJSON, runBinary, startBaton, startMock, tempDir, toToml,
} from './support/harness.mjs';

const MASTER = 'sk-master-request-log-e2e';

function config(mockPort, log) {
  return batonConfig({
    mockPort,
    server: { master_key: MASTER },
    models: {
      priced: { deployments: [{ target: 'mock/mock-gpt', input_cost_per_token: 0.000001, output_cost_per_token: 0.000002 }] },
    },
  }) + toToml({ log });
}

const ask = (baton, key, body) => postJSON(`${baton.url}/v1/chat/completions`, {
  messages: [{ role: 'user', content: 'log me' }], ...body,
}, { headers: { authorization: `Bearer ${key}` } });

async function records(dir) {
  const cat = await runBinary(BATON_BIN, ['logs', 'cat', '--dir', dir]);
  assert.equal(cat.code, 0, cat.stderr);
  return cat.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

describe('request log', () => {
  test('every finished request leaves one record; the chain verifies', async () => {
    const mock = await startMock();
    const dir = path.join(tempDir('baton-e2e-rlog-'), 'logs');
    const baton = await startBaton(config(mock.port, { dir }));
    const made = await postJSON(`${baton.url}/key/generate`, { key_alias: 'logged', max_budget: 0.0001 },
      { headers: { authorization: `Bearer ${MASTER}` } });
    const key = made.json.key;
    const ok = await ask(baton, key, { model: 'priced', max_tokens: 8 });
    assert.equal(ok.status, 200, ok.text);
    const streamed = await ask(baton, key, { model: 'priced', max_tokens: 8, stream: true });
    assert.equal(streamed.status, 200);
    const unknown = await ask(baton, key, { model: 'nope' });
    assert.equal(unknown.status, 404);
    const wrongKey = 'sk-wrong-key-never-logged-0123456789';
    const denied = await ask(baton, wrongKey, { model: 'priced', max_tokens: 8 });
    assert.equal(denied.status, 401);
    let refused;
    for (let i = 0; i < 10 && !refused; i++) {
      const r = await ask(baton, key, { model: 'priced', max_tokens: 8 });
      if (r.status === 429) refused = r;
    }
    assert.ok(refused, 'the small budget ran out');
    await baton.stop();

    const verify = await runBinary(BATON_BIN, ['logs', 'verify', '--dir', dir]);
    assert.equal(verify.code, 0, verify.stderr + verify.stdout);
    const all = await records(dir);
    const byId = new Map(all.map((r) => [r.request_id, r]));
    const first = byId.get(ok.headers.get('x-request-id'));
    assert.ok(first, 'the answered request has a record');
    assert.equal(first.status, 200);
    assert.equal(first.model_asked, 'priced');
    assert.equal(first.model_used, 'mock/mock-gpt');
    assert.equal(first.provider, 'mock');
    assert.equal(first.key_alias, 'logged');
    assert.equal(first.prompt_tokens, ok.json.usage.prompt_tokens);
    assert.equal(first.completion_tokens, ok.json.usage.completion_tokens);
    assert.equal(first.cost_pico, (ok.json.usage.prompt_tokens + 2 * ok.json.usage.completion_tokens) * 1e6);
    assert.equal(first.stream, false);
    assert.equal(first.ttft_ms, -1);
    const s = byId.get(streamed.headers.get('x-request-id'));
    assert.equal(s.stream, true);
    assert.ok(s.ttft_ms >= 0);
    assert.ok(s.completion_tokens > 0, 'the stream\'s usage was counted');
    const u = byId.get(unknown.headers.get('x-request-id'));
    assert.equal(u.status, 404);
    assert.equal(u.error, 'model_not_found');
    assert.equal(u.cost_pico, 0);
    const d = byId.get(denied.headers.get('x-request-id'));
    assert.ok(d, 'a request refused for its key has a record too');
    assert.equal(d.status, 401);
    assert.equal(d.error, denied.json.error.code);
    assert.equal(d.key_hash ?? '', '');
    assert.equal(d.dialect, 'openai');
    const r = byId.get(refused.headers.get('x-request-id'));
    assert.equal(r.status, 429);
    assert.equal(r.error, 'budget_exceeded');
    const text = fs.readdirSync(dir).filter((f) => f.endsWith('.jsonl'))
      .map((f) => fs.readFileSync(path.join(dir, f), 'utf8')).join('');
    assert.ok(!text.includes(key), 'the key itself is never logged');
    assert.ok(!text.includes(wrongKey), 'nor a wrong key');
  });

  test('a log that cannot be written: 503 in the client\'s dialect (refuse), or served anyway (serve)', async () => {
    const mock = await startMock();
    const blocker = path.join(tempDir('baton-e2e-rlog-bad-'), 'a-file');
    fs.writeFileSync(blocker, 'not a directory');
    const dir = path.join(blocker, 'logs');
    {
      const baton = await startBaton(config(mock.port, { dir }));
      const r = await ask(baton, MASTER, { model: 'priced', max_tokens: 8 });
      assertOpenAIError(r, 503, { code: 'request_log_unavailable' });
      const a = await postJSON(`${baton.url}/v1/messages`, { model: 'priced', max_tokens: 8, messages: [{ role: 'user', content: 'x' }] },
        { headers: { 'x-api-key': MASTER, 'anthropic-version': '2023-06-01' } });
      assert.equal(a.status, 503);
      assert.equal(a.json.type, 'error');
      assert.equal((await mock.chatRequests()).length, 0, 'nothing went upstream unaccounted');
    }
    {
      const baton = await startBaton(config(mock.port, { dir, on_failure: 'serve' }));
      const r = await ask(baton, MASTER, { model: 'priced', max_tokens: 8 });
      assert.equal(r.status, 200, r.text);
    }
  });
});
