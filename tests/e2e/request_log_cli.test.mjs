// `baton logs verify` and `baton logs cat` on request logs written here, in node, from the
// format documented in docs/request-log.md: an independent implementation of the hash chain and
// of the encryption (XChaCha20-Poly1305 built from HChaCha20 + node's ChaCha20-Poly1305).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { BATON_BIN, runBinary, tempDir } from './support/harness.mjs';

const GENESIS = '0'.repeat(64);
const sha256 = (text) => crypto.createHash('sha256').update(text).digest('hex');

function record(i) {
  return {
    time_ms: 1780000000000 + i, request_id: `req-${i}`, key_alias: 'alice', key_hash: 'a'.repeat(64),
    key_prefix: 'sk-...ab12', team_id: 't1', zone: '', session: '', dialect: 'openai',
    operation: 'chat', model_asked: 'gpt-4o', model_used: 'openai/gpt-4o', provider: 'openai',
    attempts: 1, fallbacks: 0, status: 200, latency_ms: 100 + i, ttft_ms: -1, prompt_tokens: 10,
    completion_tokens: 5, cached_tokens: 0, cost_pico: 1000000 * i, cost_usd: i * 1e-6, error: '',
    stream: false,
  };
}

// HChaCha20 (draft-irtf-cfrg-xchacha): the subkey for a 24-byte nonce's first 16 bytes.
function hchacha20(key, nonce16) {
  const s = new Uint32Array(16);
  s.set([0x61707865, 0x3320646e, 0x79622d32, 0x6b206574]);
  for (let i = 0; i < 8; i++) s[4 + i] = key.readUInt32LE(4 * i);
  for (let i = 0; i < 4; i++) s[12 + i] = nonce16.readUInt32LE(4 * i);
  const rotl = (v, n) => ((v << n) | (v >>> (32 - n))) >>> 0;
  const qr = (a, b, c, d) => {
    s[a] = (s[a] + s[b]) >>> 0; s[d] = rotl(s[d] ^ s[a], 16);
    s[c] = (s[c] + s[d]) >>> 0; s[b] = rotl(s[b] ^ s[c], 12);
    s[a] = (s[a] + s[b]) >>> 0; s[d] = rotl(s[d] ^ s[a], 8);
    s[c] = (s[c] + s[d]) >>> 0; s[b] = rotl(s[b] ^ s[c], 7);
  };
  for (let i = 0; i < 10; i++) {
    qr(0, 4, 8, 12); qr(1, 5, 9, 13); qr(2, 6, 10, 14); qr(3, 7, 11, 15);
    qr(0, 5, 10, 15); qr(1, 6, 11, 12); qr(2, 7, 8, 13); qr(3, 4, 9, 14);
  }
  const out = Buffer.alloc(32);
  [0, 1, 2, 3, 12, 13, 14, 15].forEach((w, i) => out.writeUInt32LE(s[w], 4 * i));
  return out;
}

function encryptLine(key, json) {
  const nonce = crypto.randomBytes(24);
  const iv = Buffer.concat([Buffer.alloc(4), nonce.subarray(16)]);
  const cipher = crypto.createCipheriv('chacha20-poly1305', hchacha20(key, nonce.subarray(0, 16)), iv,
    { authTagLength: 16 });
  const ct = Buffer.concat([cipher.update(json, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return Buffer.concat([nonce, ct]).toString('base64');
}

// Writes `files` (arrays of records) as a chained log; returns the stored lines per file.
function writeLog(dir, files, key) {
  let prev = GENESIS;
  const stored = [];
  files.forEach((records, f) => {
    const lines = records.map((r) => {
      const json = JSON.stringify({ prev, ...r });
      const line = key ? encryptLine(key, json) : json;
      prev = sha256(line);
      return line;
    });
    const name = `requests-20260528-${String(f).padStart(3, '0')}.jsonl`;
    fs.writeFileSync(path.join(dir, name), lines.map((l) => `${l}\n`).join(''));
    stored.push({ name, lines });
  });
  return stored;
}

const logs = (args, env = {}) => runBinary(BATON_BIN, ['logs', ...args], { env });

describe('baton logs verify', () => {
  test('an intact log written from the documented format passes; an edited line fails naming it', async () => {
    const dir = tempDir('baton-e2e-log-');
    const files = writeLog(dir, [
      Array.from({ length: 20 }, (_, i) => record(i)),
      Array.from({ length: 5 }, (_, i) => record(20 + i)),
    ]);
    let r = await logs(['verify', '--dir', dir]);
    assert.equal(r.code, 0, `stdout: ${r.stdout}\nstderr: ${r.stderr}`);
    assert.match(r.stdout, /ok: 25 lines in 2 files/);

    // Edit line 17 of the first file (a cost changed by hand).
    const { name, lines } = files[0];
    const edited = [...lines];
    edited[16] = edited[16].replace('"cost_pico":16000000', '"cost_pico":1');
    assert.notEqual(edited[16], lines[16]);
    fs.writeFileSync(path.join(dir, name), edited.map((l) => `${l}\n`).join(''));
    r = await logs(['verify', '--dir', dir]);
    assert.equal(r.code, 1, `stdout: ${r.stdout}\nstderr: ${r.stderr}`);
    assert.match(r.stderr, new RegExp(`${name}:18: line 17 was edited or removed`));

    // Removing line 17 instead is caught at the same place.
    fs.writeFileSync(path.join(dir, name), lines.filter((_, i) => i !== 16).map((l) => `${l}\n`).join(''));
    r = await logs(['verify', '--dir', dir]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`${name}:17: line 16 was edited or removed`));

    // Lines cut from the end of the first file: the second no longer follows it.
    fs.writeFileSync(path.join(dir, name), lines.slice(0, 18).map((l) => `${l}\n`).join(''));
    r = await logs(['verify', '--dir', dir]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`${files[1].name}:1: line 1 does not follow the last line of ${name}`));
  });

  test('an empty or missing folder is intact with 0 lines', async () => {
    const dir = tempDir('baton-e2e-log-');
    const r = await logs(['verify', '--dir', path.join(dir, 'none')]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /ok: 0 lines/);
  });
});

describe('baton logs cat', () => {
  test('decrypts lines encrypted by an independent XChaCha20-Poly1305 implementation', async () => {
    const dir = tempDir('baton-e2e-log-');
    const key = crypto.randomBytes(32);
    writeLog(dir, [Array.from({ length: 3 }, (_, i) => record(i))], key);
    const env = { BATON_LOG_KEY: key.toString('hex') };
    let r = await logs(['cat', '--dir', dir, '--key', 'env:BATON_LOG_KEY'], env);
    assert.equal(r.code, 0, r.stderr);
    const out = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(out.length, 3);
    assert.deepEqual(out.map((o) => o.request_id), ['req-0', 'req-1', 'req-2']);
    assert.equal(out[0].prev, GENESIS);
    assert.equal(out[2].cost_pico, 2000000);

    // The key as base64 in a file works the same; verify checks the chain over the stored lines.
    const keyFile = path.join(dir, 'log.key');
    fs.writeFileSync(keyFile, `${key.toString('base64')}\n`);
    r = await logs(['verify', '--dir', dir, '--key', `file:${keyFile}`]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /ok: 3 lines in 1 files/);

    // Wrong key: a clear error, no output, no key in the message.
    const wrong = crypto.randomBytes(32).toString('hex');
    r = await logs(['cat', '--dir', dir, '--key', 'env:BATON_LOG_KEY'], { BATON_LOG_KEY: wrong });
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /requests-20260528-000\.jsonl:1: cannot decrypt: wrong key/);
    assert.ok(!r.stderr.includes(wrong));
    // No key: says it is needed.
    r = await logs(['cat', '--dir', dir]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /encrypted: give the key/);
  });

  test('the folder and key come from the config file\'s [log] section', async () => {
    const dir = tempDir('baton-e2e-log-');
    const key = crypto.randomBytes(32);
    writeLog(dir, [[record(7)]], key);
    const config = path.join(dir, 'baton.toml');
    fs.writeFileSync(config, `[log]\ndir = "."\nencrypt_key = "env:BATON_LOG_KEY"\n`);
    const r = await logs(['cat', '--config', config], { BATON_LOG_KEY: key.toString('hex') });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).request_id, 'req-7');
  });
});
