// Spend survives kill -9 (issue 5 item 7, DESIGN.md §6): a finished request's record is in the
// request log before its answer leaves, and the store is fed from the log (replayed at start), so
// after a kill -9 under load and a restart the stored spend covers every request a client saw
// succeed — plus, at most, the few that were in flight at the kill.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import {
  batonConfig, getJSON, postJSON, sleep, startBaton, startMock, tempDir,
} from './support/harness.mjs';

const MASTER = 'sk-master-spend-durability';
const AUTH = { authorization: `Bearer ${MASTER}` };

const config = (mockPort) => batonConfig({
  mockPort,
  server: { master_key: MASTER },
  models: {
    priced: { deployments: [{ target: 'mock/mock-gpt', input_cost_per_token: 0.000001, output_cost_per_token: 0.000002 }] },
  },
});

const micro = (usage) => usage.prompt_tokens + 2 * usage.completion_tokens;

describe('spend durability', () => {
  test('kill -9 under load, restart: stored spend = what the clients saw succeed (+ at most the requests in flight)', async () => {
    const mock = await startMock();
    const home = tempDir('baton-e2e-kill-');
    const env = { HOME: home, XDG_DATA_HOME: path.join(home, 'data'), XDG_STATE_HOME: path.join(home, 'state') };
    let baton = await startBaton(config(mock.port), { env });
    const made = await postJSON(`${baton.url}/key/generate`, { key_alias: 'loaded', max_budget: 1000 }, { headers: AUTH });
    assert.equal(made.status, 200, made.text);
    const key = made.json.key;

    let okMicro = 0;
    let okCount = 0;
    let inFlightLost = 0;
    let maxOne = 0;
    let stop = false;
    const worker = async () => {
      while (!stop) {
        try {
          const r = await postJSON(`${baton.url}/v1/chat/completions`, {
            model: 'priced', max_tokens: 16, messages: [{ role: 'user', content: 'count me' }],
          }, { headers: { authorization: `Bearer ${key}` } });
          if (r.status !== 200) throw new Error(`status ${r.status}: ${r.text}`);
          const c = micro(r.json.usage);
          okMicro += c;
          okCount += 1;
          maxOne = Math.max(maxOne, c);
        } catch (e) {
          if (!stop) throw e;
          inFlightLost += 1;  // the connection died with the server: outcome unknown
          return;
        }
      }
    };
    const workers = Array.from({ length: 8 }, worker);
    await sleep(1500);
    stop = true;
    baton.proc.expectExit = true;
    baton.proc.child.kill('SIGKILL');
    await Promise.allSettled(workers);
    assert.ok(okCount > 50, `${okCount} requests succeeded before the kill`);

    baton = await startBaton(config(mock.port), { env });
    const info = await getJSON(`${baton.url}/key/info?key=${key}`, { headers: AUTH });
    assert.equal(info.status, 200, info.text);
    const storedMicro = Math.round(info.json.info.spend * 1e6);
    assert.ok(storedMicro >= okMicro, `stored ${storedMicro} µ$ < ${okMicro} µ$ that ${okCount} clients saw succeed`);
    assert.ok(storedMicro <= okMicro + inFlightLost * maxOne,
      `stored ${storedMicro} µ$ > ${okMicro} µ$ + ${inFlightLost} in flight × ${maxOne}`);
  });
});
