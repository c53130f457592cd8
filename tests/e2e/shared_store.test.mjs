// PostgreSQL as the configured store (issue 5, item 1) and, with Redis, several instances sharing
// one set of keys, limits and budgets (item 8). PostgreSQL comes from scripts/with-postgres.sh
// (make e2e runs under it), Redis from startRedis() (Debian's redis-server on a free port).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { batonConfig, postJSON, startBaton, startMock, toToml, pgDatabase } from './support/harness.mjs';

const MASTER = 'sk-master-shared-store-e2e';
const AUTH = { authorization: `Bearer ${MASTER}` };

function config(mockPort, extra = {}) {
  return batonConfig({
    mockPort,
    server: { master_key: MASTER },
    models: {
      priced: { deployments: [{ target: 'mock/mock-gpt', input_cost_per_token: 0.000001, output_cost_per_token: 0.000002 }] },
    },
  }) + toToml({ store: { url: 'os.environ/BATON_DATABASE_URL' }, ...extra });
}

const ask = (baton, key, body = {}) => postJSON(`${baton.url}/v1/chat/completions`, {
  model: 'priced', max_tokens: 16, messages: [{ role: 'user', content: 'hello there' }], ...body,
}, { headers: { authorization: `Bearer ${key}` } });

describe('PostgreSQL store', () => {
  test('keys made on a PostgreSQL store work, survive a restart, and the URL password never shows', async (t) => {
    const dbUrl = await pgDatabase(t);
    if (!dbUrl) return;
    const mock = await startMock();
    const env = { BATON_DATABASE_URL: dbUrl };
    let baton = await startBaton(config(mock.port), { env });
    const made = await postJSON(`${baton.url}/key/generate`, { key_alias: 'pg-key', models: ['priced'] }, { headers: AUTH });
    assert.equal(made.status, 200, made.text);
    assert.equal((await ask(baton, made.json.key)).status, 200);
    await baton.stop();
    baton = await startBaton(config(mock.port), { env });
    assert.equal((await ask(baton, made.json.key)).status, 200, 'the key is read back from PostgreSQL');
    const info = await fetch(`${baton.url}/key/info?key=${made.json.key}`, { headers: AUTH });
    assert.equal((await info.json()).info.key_alias, 'pg-key');
    const password = new URL(dbUrl).password;
    if (password) assert.ok(!baton.stderrText().includes(password), 'no password in the log');
  });
});
