// Teams, spend and budget admin endpoints (issue 5, item 2) in LiteLLM's shapes, against a real
// baton with a master key and its SQLite store: /team/new|update|info|list|delete (team keys
// follow their team), /spend/logs|keys|teams (the rows of requests made through the gateway with
// a team key, paging by the x-next-cursor header), /budget/stats|reset; every one of them refuses
// virtual keys and callers without a key.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import OpenAI from 'openai';
import {
  assertOpenAIError, batonConfig, getJSON, pollUntil, postJSON, startBaton, startMock, tempDir,
} from './support/harness.mjs';

const MASTER = 'sk-master-admin-api-e2e-1';
const AUTH = { authorization: `Bearer ${MASTER}` };

async function start() {
  const mock = await startMock();
  const home = tempDir('baton-e2e-admin-home-');
  const env = { HOME: home, XDG_DATA_HOME: path.join(home, 'data'), XDG_STATE_HOME: path.join(home, 'state') };
  const baton = await startBaton(batonConfig({
    mockPort: mock.port,
    server: { master_key: MASTER },
    models: {
      priced: { deployments: [{ target: 'mock/mock-gpt', input_cost_per_token: 0.000001, output_cost_per_token: 0.000002 }] },
    },
  }), { env });
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

  test('spend endpoints: rows of gateway requests, newest first, cursor paging, totals per key and team', async () => {
    const { baton } = await start();
    // Empty store: bare empty arrays.
    for (const p of ['/spend/logs', '/spend/keys', '/spend/teams']) {
      const res = await get(baton, p);
      assert.equal(res.status, 200, `${p}: ${res.text}`);
      assert.deepEqual(res.json, [], p);
    }
    await post(baton, '/team/new', { team_id: 'payers', team_alias: 'Payers' });
    const gen = await post(baton, '/key/generate', { key_alias: 'spender', team_id: 'payers' });
    const { key, token } = gen.json;
    const client = new OpenAI({ apiKey: key, baseURL: `${baton.url}/v1`, maxRetries: 0 });
    const usages = [];
    for (let i = 0; i < 3; i += 1) {
      const done = await client.chat.completions.create({ model: 'priced', max_tokens: 8, messages: [{ role: 'user', content: `hi ${i}` }] });
      usages.push(done.usage);
    }
    const expectedMicro = usages.reduce((sum, u) => sum + u.prompt_tokens + 2 * u.completion_tokens, 0);

    // The spend writer is batched: wait for the three rows.
    let rows = [];
    await pollUntil(async () => {
      rows = (await get(baton, `/spend/logs?api_key=${key}`)).json;
      return rows.length === 3;
    }, { timeoutMs: 5000 });
    assert.equal(rows.length, 3, JSON.stringify(rows));
    const times = rows.map((r) => Date.parse(r.endTime));
    assert.deepEqual([...times].sort((x, y) => y - x), times, 'newest first');
    let micro = 0;
    for (const row of rows) {
      assert.equal(row.api_key, token, 'the hash, never the key');
      assert.equal(row.team_id, 'payers');
      assert.equal(row.model_group, 'priced');
      assert.equal(row.model, 'mock-gpt');
      assert.equal(row.metadata.deployment, 'mock/mock-gpt');
      assert.equal(row.metadata.status, 200);
      assert.equal(typeof row.metadata.latency_ms, 'number');
      assert.equal(row.total_tokens, row.prompt_tokens + row.completion_tokens);
      assert.ok(row.prompt_tokens > 0 && row.completion_tokens > 0, JSON.stringify(row));
      assert.ok(Date.parse(row.startTime) <= Date.parse(row.endTime));
      assert.equal(typeof row.spend, 'number');
      micro += Math.round(row.spend * 1e6);
      assert.ok(!JSON.stringify(row).includes(key));
    }
    assert.equal(micro, expectedMicro, 'spend per row = the deployment prices × the tokens');

    // By hash, by team, by date; other filters find nothing.
    assert.equal((await get(baton, `/spend/logs?key=${token}`)).json.length, 3);
    assert.equal((await get(baton, '/spend/logs?team_id=payers')).json.length, 3);
    const today = new Date().toISOString().slice(0, 10);
    assert.equal((await get(baton, `/spend/logs?start_date=${today}&end_date=${today}`)).json.length, 3);
    assert.equal((await get(baton, '/spend/logs?end_date=2020-01-01')).json.length, 0);
    assert.equal((await get(baton, '/spend/logs?team_id=other')).json.length, 0);

    // Cursor paging through the x-next-cursor header.
    let res = await get(baton, '/spend/logs?page_size=2');
    assert.equal(res.json.length, 2);
    const cursor = res.headers.get('x-next-cursor');
    assert.ok(cursor, 'a next cursor when more rows match');
    res = await get(baton, `/spend/logs?page_size=2&cursor=${encodeURIComponent(cursor)}`);
    assert.equal(res.json.length, 1);
    assert.equal(res.headers.get('x-next-cursor'), null);
    assert.deepEqual(res.json[0], rows[2]);

    res = await get(baton, '/spend/keys');
    assert.equal(res.status, 200, res.text);
    const mine = res.json.find((k) => k.api_key === token);
    assert.ok(mine, res.text);
    assert.equal(mine.key_alias, 'spender');
    assert.equal(mine.requests, 3);
    assert.equal(Math.round(mine.spend * 1e6), expectedMicro);
    res = await get(baton, '/spend/teams');
    assert.deepEqual(res.json.map((t) => [t.team_id, t.team_alias, t.requests]), [['payers', 'Payers', 3]]);
    assert.equal((await get(baton, `/spend/keys?team_id=payers&start_date=${today}`)).json.length, 1);

    for (const q of ['?start_date=yesterday', '?end_date=2025-13-01', '?page_size=0', '?page_size=5000', '?cursor=nope']) {
      const res = await get(baton, `/spend/logs${q}`);
      assertOpenAIError(res, 400);
    }
    res = await postJSON(`${baton.url}/spend/logs`, {}, { headers: AUTH });
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
