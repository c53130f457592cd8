// Teams, spend and budget admin endpoints (issue 5, item 2) in LiteLLM's shapes, against a real
// baton with a master key and its SQLite store: /team/new|update|info|list|delete (team keys
// follow their team), /spend/logs|keys|teams (shapes; the store has no spend rows until the
// spend writer is wired, so rows are checked at unit level), /budget/stats|reset; every one of
// them refuses virtual keys and callers without a key.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import OpenAI from 'openai';
import {
  assertOpenAIError, batonConfig, getJSON, postJSON, startBaton, startMock, tempDir,
} from './support/harness.mjs';

const MASTER = 'sk-master-admin-api-e2e-1';
const AUTH = { authorization: `Bearer ${MASTER}` };

async function start() {
  const mock = await startMock();
  const home = tempDir('baton-e2e-admin-home-');
  const env = { HOME: home, XDG_DATA_HOME: path.join(home, 'data') };
  const baton = await startBaton(batonConfig({ mockPort: mock.port, server: { master_key: MASTER } }), { env });
  return { mock, baton };
}

const post = (baton, p, body, headers = AUTH) => postJSON(`${baton.url}${p}`, body, { headers });
const get = (baton, p, headers = AUTH) => getJSON(`${baton.url}${p}`, { headers });

describe('admin API: teams, spend, budgets', () => {
  test('team lifecycle in LiteLLM shapes; a team key works and goes with its team', async () => {
    const { baton } = await start();
    let res = await post(baton, '/team/new', {
      team_alias: 'intenx-dev', models: ['demo'], max_budget: 50, budget_duration: '30d', rpm_limit: 100,
      metadata: { owner: 'ops' },
    });
    assert.equal(res.status, 200, res.text);
    const team = res.json;
    assert.match(team.team_id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(team.team_alias, 'intenx-dev');
    assert.deepEqual(team.models, ['demo']);
    assert.equal(team.max_budget, 50);
    assert.equal(team.spend, 0);
    assert.equal(team.rpm_limit, 100);
    assert.equal(team.tpm_limit, null);
    assert.equal(team.budget_duration, '30d');
    assert.ok(Date.parse(team.budget_reset_at) > Date.now());
    assert.equal(team.blocked, false);
    assert.deepEqual(team.metadata, { owner: 'ops' });

    // Duplicate id → 400; bad field → 400.
    res = await post(baton, '/team/new', { team_id: team.team_id });
    assert.equal(res.status, 400, res.text);
    res = await post(baton, '/team/new', { max_budget: -1 });
    assertOpenAIError(res, 400);

    res = await post(baton, '/team/update', { team_id: team.team_id, max_budget: 75.5, tpm_limit: 1000 });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.team_id, team.team_id);
    assert.equal(res.json.data.max_budget, 75.5);
    assert.equal(res.json.data.tpm_limit, 1000);
    assert.equal(res.json.data.rpm_limit, 100, 'absent = unchanged');
    res = await post(baton, '/team/update', { team_id: 'nope', max_budget: 1 });
    assert.equal(res.status, 404);
    assert.match(res.json.error.message, /Team not found, passed team_id=nope/);

    // A key in the team, used through the gateway.
    res = await post(baton, '/key/generate', { team_id: team.team_id, key_alias: 'team-bot' });
    assert.equal(res.status, 200, res.text);
    const { key, token } = res.json;
    const client = new OpenAI({ apiKey: key, baseURL: `${baton.url}/v1`, maxRetries: 0 });
    const done = await client.chat.completions.create({ model: 'demo', messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(done.object, 'chat.completion');

    res = await get(baton, `/team/info?team_id=${team.team_id}`);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.team_info.team_alias, 'intenx-dev');
    assert.equal(res.json.keys.length, 1);
    assert.equal(res.json.keys[0].token, token);
    assert.ok(!res.text.includes(key), 'the key itself is never shown again');
    assert.equal((await get(baton, '/team/info?team_id=nope')).status, 404);
    assert.equal((await get(baton, '/team/info')).status, 422);

    await post(baton, '/team/new', { team_id: 'aaa', team_alias: 'aaa-first' });
    res = await get(baton, '/team/list');
    assert.equal(res.status, 200, res.text);
    assert.ok(Array.isArray(res.json));
    assert.deepEqual(res.json.map((t) => t.team_alias), ['aaa-first', 'intenx-dev']);

    // Blocking the team refuses its key.
    res = await post(baton, '/team/update', { team_id: team.team_id, blocked: true });
    assert.equal(res.status, 200, res.text);
    let err = await client.chat.completions.create({ model: 'demo', messages: [{ role: 'user', content: 'hi' }] }).catch((e) => e);
    assert.equal(err.status, 401, 'a blocked team blocks its keys');

    // Deleting the team deletes its keys.
    res = await post(baton, '/team/delete', { team_ids: [team.team_id] });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.json, { deleted_teams: [team.team_id] });
    assert.equal((await get(baton, `/key/info?key=${token}`)).status, 404);
    err = await client.chat.completions.create({ model: 'demo', messages: [{ role: 'user', content: 'hi' }] }).catch((e) => e);
    assert.equal(err.status, 401, 'the deleted team\'s key is refused');
    assert.equal((await post(baton, '/team/delete', { team_ids: [team.team_id] })).status, 404);
  });

  test('spend endpoints answer LiteLLM-shaped arrays; dates and paging are validated', async () => {
    const { baton } = await start();
    const gen = await post(baton, '/key/generate', { key_alias: 'spender' });
    const { key, token } = gen.json;
    const client = new OpenAI({ apiKey: key, baseURL: `${baton.url}/v1`, maxRetries: 0 });
    await client.chat.completions.create({ model: 'demo', messages: [{ role: 'user', content: 'hi' }] });

    for (const q of ['', `?api_key=${key}`, `?api_key=${token}&start_date=2025-01-01&end_date=2099-12-31`,
      '?team_id=t&page_size=10&page=1', '?start_date=2025-06-02T10:00:00Z&end_date=2025-06-03T00:00:00%2B02:00']) {
      const res = await get(baton, `/spend/logs${q}`);
      assert.equal(res.status, 200, `${q}: ${res.text}`);
      assert.ok(Array.isArray(res.json), `${q}: a bare array`);
      for (const row of res.json) {
        for (const field of ['request_id', 'api_key', 'spend', 'total_tokens', 'prompt_tokens', 'completion_tokens',
          'startTime', 'endTime', 'model', 'model_group', 'metadata']) {
          assert.ok(field in row, `${field} in a spend row`);
        }
      }
    }
    for (const p of ['/spend/keys', '/spend/keys?start_date=2025-01-01&team_id=x', '/spend/teams', '/spend/teams?end_date=2099-01-01']) {
      const res = await get(baton, p);
      assert.equal(res.status, 200, `${p}: ${res.text}`);
      assert.ok(Array.isArray(res.json), p);
    }
    for (const q of ['?start_date=yesterday', '?end_date=2025-13-01', '?page_size=0', '?page_size=5000', '?cursor=nope']) {
      const res = await get(baton, `/spend/logs${q}`);
      assertOpenAIError(res, 400);
    }
    const res = await postJSON(`${baton.url}/spend/logs`, {}, { headers: AUTH });
    assert.equal(res.status, 405);
    assert.equal(res.headers.get('allow'), 'GET');
  });

  test('budget stats and reset', async () => {
    const { baton } = await start();
    let res = await get(baton, '/budget/stats');
    assert.equal(res.status, 200, res.text);
    assert.ok(Array.isArray(res.json.budgets));

    await post(baton, '/team/new', { team_id: 'core', max_budget: 10 });
    const gen = await post(baton, '/key/generate', { team_id: 'core', max_budget: 5 });
    const { key, token } = gen.json;
    res = await post(baton, '/budget/reset', { key });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.scope, 'key');
    assert.equal(res.json.id, token);
    assert.ok(!res.text.includes(key));
    assert.equal((await get(baton, `/key/info?key=${token}`)).json.info.spend, 0);
    res = await post(baton, '/budget/reset', { team_id: 'core' });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.scope, 'team');

    assert.equal((await post(baton, '/budget/reset', { team_id: 'ghost' })).status, 404);
    assertOpenAIError(await post(baton, '/budget/reset', {}), 400);
    assertOpenAIError(await post(baton, '/budget/reset', { key, team_id: 'core' }), 400);
    // Zone and global resets touch only live accounts: 200 when budgets run, 404 when off.
    res = await post(baton, '/budget/reset', { global: true });
    assert.ok([200, 404].includes(res.status), res.text);
    assert.equal((await get(baton, '/budget/reset')).status, 405);
  });

  test('non-master callers are refused on every new endpoint', async () => {
    const { baton } = await start();
    const gen = await post(baton, '/key/generate', { key_alias: 'not-admin' });
    const virtual = { authorization: `Bearer ${gen.json.key}` };
    const calls = [
      ['POST', '/team/new', { team_alias: 'x' }], ['POST', '/team/update', { team_id: 'x' }],
      ['GET', '/team/info?team_id=x'], ['GET', '/team/list'], ['POST', '/team/delete', { team_ids: ['x'] }],
      ['GET', '/spend/logs'], ['GET', '/spend/keys'], ['GET', '/spend/teams'],
      ['GET', '/budget/stats'], ['POST', '/budget/reset', { global: true }],
    ];
    for (const [method, p, body] of calls) {
      for (const headers of [virtual, {}, { authorization: 'Bearer sk-wrong-master' }]) {
        const res = method === 'GET' ? await get(baton, p, headers) : await post(baton, p, body, headers);
        assert.ok([401, 403].includes(res.status), `${method} ${p} with ${JSON.stringify(headers)}: ${res.status} ${res.text}`);
        assert.ok(res.json && res.json.error, `${p}: an error body`);
      }
    }
    // Nothing was created by the refused calls.
    assert.deepEqual((await get(baton, '/team/list')).json, []);
  });
});
