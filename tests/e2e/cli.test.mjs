// The command line: `baton config check`, config errors naming FILE:LINE: KEY:, `serve` refusing
// bad config, and the warning when binding beyond loopback without a master key.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
  BATON_BIN, MOCK_KEY, batonConfig, getJSON, runBinary, startBaton, tempDir,
} from './support/harness.mjs';

const escapeRe = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function writeConfig(text, name = 'baton.toml') {
  const file = path.join(tempDir('baton-e2e-cli-'), name);
  fs.writeFileSync(file, text);
  return file;
}

const check = (file, env = {}) => runBinary(BATON_BIN, ['config', 'check', file], { env: { MOCK_KEY, ...env } });

function assertConfigError(result, file, line, keyRe, what) {
  const ctx = `${what}: exit ${result.code}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`;
  assert.notEqual(result.code, 0, `non-zero exit: ${ctx}`);
  const re = new RegExp(`${escapeRe(file)}:${line}: ${keyRe.source}:`);
  assert.match(result.stderr, re, `stderr names FILE:LINE: KEY: (${re}): ${ctx}`);
}

describe('baton config check', () => {
  test('a good config → exit 0 and "ok"', async () => {
    const file = writeConfig(batonConfig({ mockPort: 9 }));
    const r = await check(file);
    assert.equal(r.code, 0, `stdout: ${r.stdout}\nstderr: ${r.stderr}`);
    assert.match(r.stdout, /ok/i);
  });

  test('durations and sizes in every accepted form', async () => {
    const file = writeConfig([
      '[server]',
      'host = "127.0.0.1"',
      'port = 4000',
      'read_timeout = 2000',
      'idle_timeout = "1m30s"',
      'write_timeout = "500ms"',
      'drain_timeout = "2s"',
      'request_timeout = "10m"',
      'max_body_bytes = "1MiB"',
      'max_header_bytes = 16384',
      'threads = 2',
      '',
      '[providers.mock]',
      'kind = "openai-compatible"',
      'base_url = "http://127.0.0.1:9/v1"',
      'api_key = "os.environ/MOCK_KEY"',
      'headers = { "x-a" = "1" }',
      'connect_timeout = "1s"',
      'first_byte_timeout = 30000',
      'idle_timeout = "1.5s"',
      '',
      '[providers.groq]',
      'kind = "groq"',
      'api_key = "literal-key"',
      '',
      '[models.demo]',
      'deployments = ["mock/mock-gpt", "groq/llama"]',
      '',
    ].join('\n'));
    const r = await check(file);
    assert.equal(r.code, 0, `stdout: ${r.stdout}\nstderr: ${r.stderr}`);
  });

  test('a bad duration names FILE:LINE: KEY:', async () => {
    const file = writeConfig('[server]\nhost = "127.0.0.1"\nport = 4000\nread_timeout = "soon"\n');
    assertConfigError(await check(file), file, 4, /(?:server\.)?read_timeout/, 'bad duration');
  });

  test('a bad size names FILE:LINE: KEY:', async () => {
    const file = writeConfig('[server]\nmax_body_bytes = "lots"\n');
    assertConfigError(await check(file), file, 2, /(?:server\.)?max_body_bytes/, 'bad size');
  });

  test('a TOML syntax error names FILE:LINE', async () => {
    const file = writeConfig('[server]\nhost = "127.0.0.1"\nport = = 4000\n');
    const r = await check(file);
    assert.notEqual(r.code, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`${escapeRe(file)}:3:`), r.stderr);
  });

  test('a deployment naming an unknown provider is an error', async () => {
    const file = writeConfig([
      '[providers.mock]',
      'kind = "openai-compatible"',
      'base_url = "http://127.0.0.1:9/v1"',
      '',
      '[models.demo]',
      'deployments = ["nope/x"]',
      '',
    ].join('\n'));
    assertConfigError(await check(file), file, 6, /[\w.[\]]*deployments[\w.[\]]*/, 'unknown provider');
  });

  test('an unknown provider kind is an error', async () => {
    const file = writeConfig('[providers.p]\nkind = "frobnicator"\nbase_url = "http://127.0.0.1:9/v1"\n');
    assertConfigError(await check(file), file, 2, /(?:providers\.p\.)?kind/, 'unknown kind');
  });

  test('openai-compatible without base_url is an error', async () => {
    const file = writeConfig('[server]\nport = 4000\n\n[providers.p]\nkind = "openai-compatible"\n');
    const r = await check(file);
    assert.notEqual(r.code, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`${escapeRe(file)}:(\\d+:)? [\\w.]*(base_url|providers\\.p)`), r.stderr);
  });

  test('a missing file is an error naming it', async () => {
    const file = path.join(tempDir('baton-e2e-cli-'), 'does-not-exist.toml');
    const r = await check(file);
    assert.notEqual(r.code, 0);
    assert.ok(r.stderr.includes(file), r.stderr);
  });

  test('errors do not print secret values', async () => {
    const file = writeConfig('[providers.p]\nkind = "frobnicator"\napi_key = "sk-literal-secret-999"\n');
    const r = await check(file);
    assert.notEqual(r.code, 0);
    assert.ok(!r.stderr.includes('sk-literal-secret-999'), r.stderr);
  });
});

describe('baton serve', () => {
  test('refuses a bad config with the same error, non-zero exit, never listening', async () => {
    const file = writeConfig('[server]\nhost = "127.0.0.1"\nread_timeout = "soon"\n');
    const r = await runBinary(BATON_BIN, ['serve', '--config', file, '--port', '0'], { timeoutMs: 5000 });
    assert.notEqual(r.code, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`${escapeRe(file)}:3: (?:server\\.)?read_timeout:`), r.stderr);
    assert.doesNotMatch(r.stdout, /listening/);
  });

  test('refuses to start when master_key points at an unset variable', async () => {
    const file = writeConfig(batonConfig({ mockPort: 9, server: { master_key: 'os.environ/BATON_MASTER_KEY_E2E' } }));
    const r = await runBinary(BATON_BIN, ['serve', '--config', file, '--port', '0'], { timeoutMs: 5000 });
    assert.notEqual(r.code, 0, `exit ${r.code}; stdout ${r.stdout}`);
    assert.match(r.stderr, /BATON_MASTER_KEY_E2E/, r.stderr);
    assert.doesNotMatch(r.stdout, /listening/);
  });

  test('--host 0.0.0.0 without master_key prints a warning (and serves)', async () => {
    const baton = await startBaton(batonConfig({ mockPort: 9 }), { args: ['--host', '0.0.0.0'] });
    assert.equal(baton.host, '0.0.0.0');
    const res = await getJSON(`http://127.0.0.1:${baton.port}/health`);
    assert.equal(res.status, 200, res.text);
    await baton.proc.waitFor(/warning/i, { stream: 'stderr', timeoutMs: 3000 });
  });

  test('--host and --port override the file', async () => {
    const baton = await startBaton(batonConfig({ mockPort: 9, server: { host: '127.0.0.2', port: 1 } }), { args: ['--host', '127.0.0.1'] });
    assert.equal(baton.host, '127.0.0.1');
    assert.notEqual(baton.port, 1);
    const res = await getJSON(`${baton.url}/health`);
    assert.equal(res.status, 200);
  });

  test('an unknown subcommand exits non-zero', async () => {
    const r = await runBinary(BATON_BIN, ['frobnicate'], { timeoutMs: 5000 });
    assert.notEqual(r.code, 0);
    assert.ok(r.stderr.length > 0, 'says something on stderr');
  });
});
