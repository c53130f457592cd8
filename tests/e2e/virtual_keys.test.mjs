// Virtual keys (issue 5, first slice): keys made with the master key through LiteLLM's
// /key/generate, used with the official `openai` SDK, refused when wrong, expired, deleted or
// outside their model list or zone, kept in the SQLite store under $XDG_DATA_HOME (only as
// hashes) across a restart; the admin endpoints refuse them.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import OpenAI from 'openai';
import {
  assertOpenAIError, batonConfig, getJSON, postJSON, sleep, startBaton, startMock, tempDir, toToml,
} from './support/harness.mjs';

const MASTER = 'sk-master-virtual-keys-e2e-7';
const AUTH = { authorization: `Bearer ${MASTER}` };

function config(mockPort) {
  return batonConfig({
    mockPort,
    server: { master_key: MASTER },
    models: { other: { deployments: ['mock/mock-gpt-mini'] } },
  }) + toToml({ 'zones.clinic': { default_model: 'demo' }, 'zones.lab': {} });
}

async function start() {
  const mock = await startMock();
  const home = tempDir('baton-e2e-vk-home-');
  const env = { HOME: home, XDG_DATA_HOME: path.join(home, 'data') };
  const baton = await startBaton(config(mock.port), { env });
  return { mock, home, env, baton };
}

async function generate(baton, body, headers = AUTH) {
  const res = await postJSON(`${baton.url}/key/generate`, body, { headers });
  return res;
}

const sdk = (baton, apiKey) => new OpenAI({ apiKey, baseURL: `${baton.url}/v1`, maxRetries: 0 });

async function sdkError(promise) {
  try {
    await promise;
  } catch (e) {
    return e;
  }
  assert.fail('the request should have failed');
}

describe('virtual keys', () => {
  test('generate, use with the openai SDK, refuse wrong/disallowed/deleted keys, survive a restart', async () => {
    const { mock, home, env, baton } = await start();
    const res = await generate(baton, { key_alias: 'e2e', models: ['demo'], max_budget: 5, duration: '1h', metadata: { app: 'e2e' } });
    assert.equal(res.status, 200, res.text);
    const { key, token } = res.json;
    assert.match(key, /^sk-[A-Za-z0-9_-]{43}$/);
    assert.equal(token, crypto.createHash('sha256').update(key).digest('hex'));
    assert.equal(res.json.key_alias, 'e2e');
    assert.deepEqual(res.json.models, ['demo']);
    assert.equal(res.json.max_budget, 5);
    assert.ok(Date.parse(res.json.expires) > Date.now() + 59 * 60_000, res.json.expires);

    // The store: in $XDG_DATA_HOME/baton (mode 0700), holding the hash, never the key.
    const dir = path.join(home, 'data', 'baton');
    assert.equal(fs.statSync(dir).mode & 0o777, 0o700);
    const dbFiles = fs.readdirSync(dir).map((f) => fs.readFileSync(path.join(dir, f)));
    assert.ok(dbFiles.some((b) => b.includes(token)), 'the hash is stored');
    assert.ok(!dbFiles.some((b) => b.includes(key)), 'the key itself is never stored');

    // The official SDK with the virtual key.
    const client = sdk(baton, key);
    const done = await client.chat.completions.create({ model: 'demo', messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(done.object, 'chat.completion');
    assert.ok(done.choices[0].message.content.length > 0);
    const models = [];
    for await (const m of client.models.list()) models.push(m.id);
    assert.deepEqual(models, ['demo'], 'a key lists only its models');

    // A model outside the key's list: 403, nothing sent upstream.
    const before = (await getJSON(`http://127.0.0.1:${mock.port}/mock/requests`)).json;
    const denied = await sdkError(client.chat.completions.create({ model: 'other', messages: [{ role: 'user', content: 'hi' }] }));
    assert.equal(denied.status, 403, String(denied));
    assert.equal(denied.code, 'model_not_allowed');
    const after = (await getJSON(`http://127.0.0.1:${mock.port}/mock/requests`)).json;
    assert.deepEqual(after, before, 'nothing reached the upstream');

    // A wrong key: 401, and the answer does not echo it.
    const wrongKey = `sk-${crypto.randomBytes(32).toString('base64url')}`;
    const wrong = await postJSON(`${baton.url}/v1/chat/completions`, { model: 'demo', messages: [{ role: 'user', content: 'hi' }] }, { headers: { authorization: `Bearer ${wrongKey}` } });
    assertOpenAIError(wrong, 401, { code: 'invalid_api_key' });
    assert.ok(!wrong.text.includes(wrongKey), wrong.text);
    assert.ok(!wrong.text.includes(wrongKey.slice(3, 20)), wrong.text);
    const wrongSdk = await sdkError(sdk(baton, wrongKey).chat.completions.create({ model: 'demo', messages: [{ role: 'user', content: 'hi' }] }));
    assert.equal(wrongSdk.status, 401);

    // The admin endpoints refuse a virtual key.
    const vk = { authorization: `Bearer ${key}` };
    assertOpenAIError(await generate(baton, {}, vk), 401);
    assertOpenAIError(await getJSON(`${baton.url}/key/list`, { headers: vk }), 401);
    assertOpenAIError(await getJSON(`${baton.url}/key/info?key=${key}`, { headers: vk }), 401);
    assertOpenAIError(await postJSON(`${baton.url}/key/delete`, { keys: [key] }, { headers: vk }), 401);
    assertOpenAIError(await getJSON(`${baton.url}/api/admin/priorities`, { headers: vk }), 401);

    // info and list with the master key.
    const info = await getJSON(`${baton.url}/key/info?key=${token}`, { headers: AUTH });
    assert.equal(info.status, 200, info.text);
    assert.equal(info.json.info.key_alias, 'e2e');
    assert.deepEqual(info.json.info.metadata, { app: 'e2e' });
    assert.ok(!info.text.includes(key));
    const list = await getJSON(`${baton.url}/key/list`, { headers: AUTH });
    assert.equal(list.status, 200, list.text);
    assert.deepEqual(list.json.keys, [token]);
    assert.equal(list.json.total_count, 1);

    // update: the model list changes at once.
    const upd = await postJSON(`${baton.url}/key/update`, { key, models: ['demo', 'other'] }, { headers: AUTH });
    assert.equal(upd.status, 200, upd.text);
    const other = await client.chat.completions.create({ model: 'other', messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(other.object, 'chat.completion');

    // A restart keeps the key (same store).
    await baton.stop();
    const again = await startBaton(config(mock.port), { env });
    const client2 = sdk(again, key);
    const still = await client2.chat.completions.create({ model: 'demo', messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(still.object, 'chat.completion');

    // delete → 401 from then on.
    const del = await postJSON(`${again.url}/key/delete`, { keys: [key] }, { headers: AUTH });
    assert.equal(del.status, 200, del.text);
    assert.deepEqual(del.json.deleted_keys, [key]);
    const gone = await sdkError(client2.chat.completions.create({ model: 'demo', messages: [{ role: 'user', content: 'hi' }] }));
    assert.equal(gone.status, 401);
    assert.ok(!String(gone.message).includes(key));
  });

  test('blocked and expired keys get 401; a key bound to a zone uses it and may not leave it', async () => {
    const { baton } = await start();
    const msg = [{ role: 'user', content: 'hi' }];
    const zoned = (await generate(baton, { zone: 'clinic' })).json.key;
    // No header: the key's zone applies (its default model fills in "default").
    const viaZone = await sdk(baton, zoned).chat.completions.create({ model: 'default', messages: msg });
    assert.equal(viaZone.object, 'chat.completion');
    const sameZone = await postJSON(`${baton.url}/v1/chat/completions`, { model: 'default', messages: msg },
      { headers: { authorization: `Bearer ${zoned}`, 'x-maestro-zone': 'clinic' } });
    assert.equal(sameZone.status, 200, sameZone.text);
    const otherZone = await postJSON(`${baton.url}/v1/chat/completions`, { model: 'demo', messages: msg },
      { headers: { authorization: `Bearer ${zoned}`, 'x-maestro-zone': 'lab' } });
    assertOpenAIError(otherZone, 403, { code: 'zone_not_allowed' });
    // The master key is not bound to any zone.
    const master = await postJSON(`${baton.url}/v1/chat/completions`, { model: 'demo', messages: msg },
      { headers: { ...AUTH, 'x-maestro-zone': 'lab' } });
    assert.equal(master.status, 200, master.text);

    const blocked = (await generate(baton, { blocked: true })).json.key;
    const b = await postJSON(`${baton.url}/v1/chat/completions`, { model: 'demo', messages: msg }, { headers: { authorization: `Bearer ${blocked}` } });
    assertOpenAIError(b, 401, { code: 'key_blocked' });
    assert.ok(!b.text.includes(blocked));

    const expiring = (await generate(baton, { duration: '1s' })).json.key;
    await sleep(2100);
    const e = await postJSON(`${baton.url}/v1/chat/completions`, { model: 'demo', messages: msg }, { headers: { authorization: `Bearer ${expiring}` } });
    assertOpenAIError(e, 401, { code: 'key_expired' });
    // Anthropic clients get the refusal in their own dialect.
    const anthropic = await postJSON(`${baton.url}/v1/messages`, { model: 'demo', max_tokens: 5, messages: msg }, { headers: { 'x-api-key': blocked, 'anthropic-version': '2023-06-01' } });
    assert.equal(anthropic.status, 401, anthropic.text);
    assert.equal(anthropic.json.type, 'error');
    assert.equal(anthropic.json.error.type, 'authentication_error');
  });
});
