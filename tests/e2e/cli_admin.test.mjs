// The admin CLI (issue 5, item 9): every `baton keys|teams|budget|client` command against a real
// baton with a master key (URL and key from flags or BATON_URL / BATON_MASTER_KEY), --json, the
// server's message and exit 1 on errors, a non-master key refused, and the key printed by
// `client setup` working for a chat completion through the mock.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import {
  BATON_BIN, batonConfig, getJSON, postJSON, runBinary, startBaton, startMock, tempDir,
} from './support/harness.mjs';

const MASTER = 'sk-master-cli-admin-e2e-42';

async function start() {
  const mock = await startMock();
  const home = tempDir('baton-e2e-cli-admin-home-');
  const env = { HOME: home, XDG_DATA_HOME: path.join(home, 'data') };
  const baton = await startBaton(batonConfig({ mockPort: mock.port, server: { master_key: MASTER } }), { env });
  return { mock, baton };
}

// Runs `baton ARGS` with BATON_URL and BATON_MASTER_KEY set (unless overridden).
async function cli(baton, args, env = {}) {
  const r = await runBinary(BATON_BIN, args, { env: { BATON_URL: baton.url, BATON_MASTER_KEY: MASTER, ...env } });
  r.ctx = `baton ${args.join(' ')} → exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`;
  return r;
}

async function ok(baton, args, env) {
  const r = await cli(baton, args, env);
  assert.equal(r.code, 0, r.ctx);
  assert.ok(!r.stdout.includes(MASTER) && !r.stderr.includes(MASTER), `the master key is never printed: ${r.ctx}`);
  return r;
}

async function fails(baton, args, messageRe, env) {
  const r = await cli(baton, args, env);
  assert.equal(r.code, 1, r.ctx);
  assert.match(r.stderr, messageRe, r.ctx);
  assert.ok(!r.stderr.includes(MASTER), r.ctx);
  return r;
}

const AUTH = { authorization: `Bearer ${MASTER}` };

describe('baton admin CLI', () => {
  test('teams create|list|update, keys create|list|info|revoke, budget stats|reset', async () => {
    const { baton } = await start();

    let r = await ok(baton, ['teams', 'create', 'acme', '--budget', '50', '--duration', '30d', '--rpm', '60', '--models', 'demo']);
    assert.match(r.stdout, /Team acme created/);
    assert.match(r.stdout, /^TEAM\s+ALIAS\s+SPEND\s+BUDGET/m);
    let team = (await getJSON(`${baton.url}/team/info?team_id=acme`, { headers: AUTH })).json.team_info;
    assert.equal(team.max_budget, 50);
    assert.equal(team.rpm_limit, 60);
    assert.deepEqual(team.models, ['demo']);

    r = await ok(baton, ['teams', 'create', 'beta', '--id', 'beta-id', '--json']);
    assert.equal(JSON.parse(r.stdout).team_id, 'beta-id');
    r = await ok(baton, ['teams', 'list']);
    assert.match(r.stdout, /^acme\s+acme\s+0\s+50\s+30d\s+60/m, r.stdout);
    assert.match(r.stdout, /^beta-id\s+beta/m);
    r = await ok(baton, ['teams', 'list', '--json']);
    assert.deepEqual(JSON.parse(r.stdout).map((t) => t.team_id).sort(), ['acme', 'beta-id']);

    r = await ok(baton, ['teams', 'update', 'acme', '--budget', '75', '--tpm', '1000', '--block']);
    assert.match(r.stdout, /Team acme updated/);
    team = (await getJSON(`${baton.url}/team/info?team_id=acme`, { headers: AUTH })).json.team_info;
    assert.equal(team.max_budget, 75);
    assert.equal(team.tpm_limit, 1000);
    assert.equal(team.blocked, true);
    await ok(baton, ['teams', 'update', 'acme', '--unblock']);
    await fails(baton, ['teams', 'update', 'acme'], /nothing to update/);
    await fails(baton, ['teams', 'update', 'ghost', '--rpm', '1'], /Team not found, passed team_id=ghost/);
    await fails(baton, ['teams', 'create', 'acme'], /exists/);
    await fails(baton, ['teams', 'create', 'x', '--budget', 'lots'], /max_budget/);

    // keys create prints the key once, with its alias and hash.
    r = await ok(baton, ['keys', 'create', '--alias', 'bot', '--team', 'acme', '--budget', '5', '--duration', '30d',
      '--models', 'demo', '--zone', 'lab', '--rpm', '10', '--tpm', '500', '--expires', '7d']);
    const key = r.stdout.match(/Key \(shown once, store it now\): (sk-\S+)/)[1];
    const hash = r.stdout.match(/^hash:\s+([0-9a-f]{64})$/m)[1];
    assert.match(r.stdout, /^alias:\s+bot$/m);
    let info = (await getJSON(`${baton.url}/key/info?key=${hash}`, { headers: AUTH })).json.info;
    assert.equal(info.team_id, 'acme');
    assert.equal(info.max_budget, 5);
    assert.equal(info.zone, 'lab');
    assert.equal(info.rpm_limit, 10);
    assert.equal(info.tpm_limit, 500);
    assert.ok(Date.parse(info.expires) > Date.now() + 6 * 86_400_000);

    r = await ok(baton, ['keys', 'create', '--json']);
    const other = JSON.parse(r.stdout);
    assert.match(other.key, /^sk-/);

    r = await ok(baton, ['keys', 'list']);
    assert.match(r.stdout, /^KEY\s+ALIAS\s+HASH/m);
    assert.match(r.stdout, new RegExp(`bot\\s+${hash.slice(0, 12)}\\s+acme\\s+lab`));
    assert.ok(!r.stdout.includes(key), 'list never shows a key');
    r = await ok(baton, ['keys', 'list', '--team', 'acme', '--json']);
    assert.deepEqual(JSON.parse(r.stdout).map((k) => k.token), [hash]);

    r = await ok(baton, ['keys', 'info', key]);
    assert.match(r.stdout, /^key_alias:\s+bot$/m);
    assert.match(r.stdout, new RegExp(`^token:\\s+${hash}$`, 'm'));
    r = await ok(baton, ['keys', 'info', hash, '--json']);
    assert.equal(JSON.parse(r.stdout).key_alias, 'bot');

    r = await ok(baton, ['budget', 'stats']);
    assert.ok(r.stdout.length > 0);
    r = await ok(baton, ['budget', 'stats', '--json']);
    assert.ok(Array.isArray(JSON.parse(r.stdout).budgets));
    r = await ok(baton, ['budget', 'reset', '--key', key]);
    assert.match(r.stdout, new RegExp(`Budget reset: key ${hash.slice(0, 12)}`));
    assert.ok(!r.stdout.includes(key));
    r = await ok(baton, ['budget', 'reset', '--team', 'acme', '--json']);
    assert.deepEqual(JSON.parse(r.stdout), { status: 'success', scope: 'team', id: 'acme' });
    await fails(baton, ['budget', 'reset'], /exactly one of/);
    await fails(baton, ['budget', 'reset', '--team', 'ghost'], /Team not found/);
    r = await cli(baton, ['budget', 'reset', '--global']);
    assert.ok(r.code === 0 || /budgets are off|budget/.test(r.stderr), r.ctx);

    r = await ok(baton, ['keys', 'revoke', key]);
    assert.match(r.stdout, /Revoked key sk-\.\.\./);
    assert.ok(!r.stdout.includes(key));
    assert.equal((await getJSON(`${baton.url}/key/info?key=${hash}`, { headers: AUTH })).status, 404);
    await fails(baton, ['keys', 'revoke', key], /No keys found/);
    await fails(baton, ['keys', 'info', key], /Key not found/);
  });

  test('client setup prints a working key and the client env', async () => {
    const { mock, baton } = await start();
    const r = await ok(baton, ['client', 'setup', 'clinic-a', '50']);
    const env = Object.fromEntries([...r.stdout.matchAll(/^([A-Z_]+)=(\S+)$/gm)].map((m) => [m[1], m[2]]));
    assert.equal(env.OPENAI_BASE_URL, `${baton.url}/v1`);
    assert.equal(env.ANTHROPIC_BASE_URL, baton.url);
    assert.match(env.OPENAI_API_KEY, /^sk-/);
    assert.equal(env.ANTHROPIC_API_KEY, env.OPENAI_API_KEY);
    assert.equal(r.stdout.split(env.OPENAI_API_KEY).length - 1, 2, 'the key appears only in the env lines');

    const team = (await getJSON(`${baton.url}/team/info?team_id=clinic-a`, { headers: AUTH })).json;
    assert.equal(team.team_info.max_budget, 50);
    assert.equal(team.team_info.budget_duration, '1mo');
    assert.equal(team.keys.length, 1);
    assert.equal(team.keys[0].key_alias, 'clinic-a');

    // The printed key works against the mock through baton.
    const res = await postJSON(`${env.OPENAI_BASE_URL}/chat/completions`,
      { model: 'demo', messages: [{ role: 'user', content: 'hi' }] },
      { headers: { authorization: `Bearer ${env.OPENAI_API_KEY}` } });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.object, 'chat.completion');
    assert.ok(mock.port > 0);

    // Without a budget: a team with none; the same name again fails with the server's message.
    const plain = await ok(baton, ['client', 'setup', 'clinic-b', '--json']);
    const out = JSON.parse(plain.stdout);
    assert.equal(out.team.max_budget, null);
    assert.equal(out.env.OPENAI_API_KEY, out.key.key);
    await fails(baton, ['client', 'setup', 'clinic-a'], /exists/);
  });

  test('flags instead of env; a non-master key and an unreachable server are refused with exit 1', async () => {
    const { baton } = await start();
    const flags = ['--url', baton.url, '--master-key', MASTER];
    const r = await runBinary(BATON_BIN, ['teams', 'create', 'flagged', ...flags], { env: {} });
    assert.equal(r.code, 0, r.stderr);
    const listed = await runBinary(BATON_BIN, ['teams', 'list', '--json', ...flags], { env: {} });
    assert.deepEqual(JSON.parse(listed.stdout).map((t) => t.team_id), ['flagged']);

    const gen = await postJSON(`${baton.url}/key/generate`, {}, { headers: AUTH });
    const virtualKey = gen.json.key;
    for (const args of [['teams', 'list'], ['keys', 'list'], ['keys', 'create'], ['budget', 'stats'],
      ['client', 'setup', 'sneaky']]) {
      const res = await cli(baton, args, { BATON_MASTER_KEY: virtualKey });
      assert.equal(res.code, 1, res.ctx);
      assert.match(res.stderr, /^baton: .+/m, res.ctx);
      assert.ok(!res.stderr.includes(virtualKey), `the key is not echoed: ${res.ctx}`);
    }
    const none = await cli(baton, ['keys', 'list'], { BATON_MASTER_KEY: '' });
    assert.equal(none.code, 1, none.ctx);
    const teams = (await getJSON(`${baton.url}/team/list`, { headers: AUTH })).json;
    assert.deepEqual(teams.map((t) => t.team_id), ['flagged'], 'nothing made by refused calls');

    const down = await cli(baton, ['teams', 'list'], { BATON_URL: 'http://127.0.0.1:1' });
    assert.equal(down.code, 1, down.ctx);
    assert.match(down.stderr, /cannot reach http:\/\/127\.0\.0\.1:1/);
  });
});
