// Shared harness of the end-to-end suite: starts the real `baton` and `baton-mock` binaries on
// port 0, talks to them over sockets, and cleans everything up (processes, servers, sockets, temp
// dirs) in an `after` hook even when a test fails.
//
// Binaries: $BATON_BIN and $BATON_MOCK_BIN, defaulting to ../../build/{baton,baton-mock} relative
// to this directory's parent (tests/e2e).
import { spawn } from 'node:child_process';
import { after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const E2E_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const REPO_ROOT = path.resolve(E2E_DIR, '../..');
export const BATON_BIN = path.resolve(process.env.BATON_BIN || path.join(E2E_DIR, '../../build/baton'));
export const BATON_MOCK_BIN = path.resolve(
  process.env.BATON_MOCK_BIN || path.join(E2E_DIR, '../../build/baton-mock'),
);

const STARTUP_TIMEOUT_MS = 10_000;

// ---------------------------------------------------------------------------------------------
// Cleanup registry. Every process, server, socket and temp dir made through this module is
// registered here and released in reverse order by cleanupAll(), which runs as a top-level
// `after` hook of every test file that imports the harness. A process 'exit' handler SIGKILLs
// whatever is still alive as a last resort (e.g. when the runner kills the file on a timeout).
const resources = [];

export function track(name, close) {
  const entry = { name, close, done: false };
  resources.push(entry);
  return async () => {
    if (entry.done) return;
    entry.done = true;
    await close();
  };
}

export async function cleanupAll() {
  while (resources.length > 0) {
    const entry = resources.pop();
    if (entry.done) continue;
    entry.done = true;
    try {
      await entry.close();
    } catch {
      // best effort
    }
  }
}

after(cleanupAll);

const liveChildren = new Set();
// Processes that died without being asked to (crashes), for clearer failure messages.
const unexpectedExits = [];

// A description of every binary that died on its own so far, or ''.
export function crashReport() {
  return unexpectedExits
    .map((p) => `\n*** ${p.name} (pid ${p.pid}) died unexpectedly: ${p.describe()}`)
    .join('');
}
const liveDirs = new Set();
process.on('exit', () => {
  for (const child of liveChildren) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
  for (const dir of liveDirs) {
    try {
      fs.rmSync(dir, { recursive: true, force: true });
    } catch {
      // best effort
    }
  }
});

// A fresh temp dir, removed at cleanup.
export function tempDir(prefix = 'baton-e2e-') {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  liveDirs.add(dir);
  track(`dir ${dir}`, () => {
    fs.rmSync(dir, { recursive: true, force: true });
    liveDirs.delete(dir);
  });
  return dir;
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Polls fn() until it returns a truthy value or the deadline passes; returns the last value.
export async function pollUntil(fn, { timeoutMs = 2000, intervalMs = 25 } = {}) {
  const deadline = Date.now() + timeoutMs;
  let value;
  for (;;) {
    value = await fn();
    if (value) return value;
    if (Date.now() >= deadline) return value;
    await sleep(intervalMs);
  }
}

// ---------------------------------------------------------------------------------------------
// Child processes.

// The environment given to the binaries: nothing from the runner's environment that could change
// their behaviour (proxies, CA bundles, provider keys, master key), only PATH plus what the test
// passes. HOME is an empty temp dir unless the test sets one, so no ~/.config/baton is read.
const PASS_THROUGH_ENV = [
  'PATH', 'LANG', 'LC_ALL', 'TZ', 'LD_LIBRARY_PATH',
  'ASAN_OPTIONS', 'UBSAN_OPTIONS', 'LSAN_OPTIONS', 'TSAN_OPTIONS', 'MSAN_OPTIONS',
];

export function cleanEnv(extra = {}) {
  const env = {};
  for (const name of PASS_THROUGH_ENV) {
    if (process.env[name] !== undefined) env[name] = process.env[name];
  }
  if (!env.PATH) env.PATH = '/usr/local/bin:/usr/bin:/bin';
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined || v === null) delete env[k];
    else env[k] = String(v);
  }
  if (env.HOME === undefined) env.HOME = tempDir('baton-e2e-home-');
  return env;
}

// A spawned binary with its output captured.
export class Proc {
  constructor(name, bin, args, env, cwd) {
    this.name = name;
    this.bin = bin;
    this.args = args;
    this.stdout = '';
    this.stderr = '';
    this.exitInfo = null;
    this.child = spawn(bin, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    liveChildren.add(this.child);
    this.child.stdout.setEncoding('utf8');
    this.child.stderr.setEncoding('utf8');
    this.child.stdout.on('data', (d) => {
      this.stdout += d;
      this._notify();
    });
    this.child.stderr.on('data', (d) => {
      this.stderr += d;
      this._notify();
    });
    this._waiters = new Set();
    this.exited = new Promise((resolve) => {
      this.child.on('error', (err) => {
        this.spawnError = err;
        this.exitInfo = { code: null, signal: null, error: err };
        liveChildren.delete(this.child);
        this._notify();
        resolve(this.exitInfo);
      });
      this.child.on('close', (code, signal) => {
        if (!this.exitInfo) this.exitInfo = { code, signal };
        if (this.started && !this.expectExit) unexpectedExits.push(this);
        liveChildren.delete(this.child);
        this._notify();
        resolve(this.exitInfo);
      });
    });
    this.release = track(`${name} pid ${this.child.pid}`, () => this.kill());
  }

  _notify() {
    for (const w of this._waiters) w();
  }

  get pid() {
    return this.child.pid;
  }

  get running() {
    return this.exitInfo === null;
  }

  describe() {
    const exit = this.exitInfo
      ? `exited code=${this.exitInfo.code} signal=${this.exitInfo.signal}${this.exitInfo.error ? ` error=${this.exitInfo.error.message}` : ''}`
      : 'still running';
    return `${this.bin} ${this.args.join(' ')} (${exit})\n--- stdout ---\n${this.stdout}\n--- stderr ---\n${this.stderr}`;
  }

  // Resolves with the regex match once `regex` matches the captured stdout (or stderr when
  // stream = 'stderr'); rejects with the captured output when the process exits first or after
  // timeoutMs.
  waitFor(regex, { stream = 'stdout', timeoutMs = STARTUP_TIMEOUT_MS } = {}) {
    return new Promise((resolve, reject) => {
      let timer;
      const check = () => {
        const m = regex.exec(stream === 'stdout' ? this.stdout : this.stderr);
        if (m) {
          done();
          resolve(m);
        } else if (this.exitInfo) {
          done();
          reject(new Error(`${this.name} exited before printing ${regex}:\n${this.describe()}`));
        }
      };
      const done = () => {
        clearTimeout(timer);
        this._waiters.delete(check);
      };
      timer = setTimeout(() => {
        done();
        reject(new Error(`${this.name} did not print ${regex} within ${timeoutMs} ms:\n${this.describe()}`));
      }, timeoutMs);
      this._waiters.add(check);
      check();
    });
  }

  // Resolves with {code, signal} or null when it did not exit within timeoutMs.
  async waitExit(timeoutMs) {
    let timer;
    const timeout = new Promise((resolve) => {
      timer = setTimeout(() => resolve(null), timeoutMs);
    });
    const result = await Promise.race([this.exited, timeout]);
    clearTimeout(timer);
    return result;
  }

  signal(sig) {
    this.expectExit = true;
    if (this.running) this.child.kill(sig);
  }

  // Sends `sig`, waits up to graceMs, then SIGKILLs. Resolves with the exit info.
  async stop(sig = 'SIGTERM', graceMs = 5000) {
    this.expectExit = true;
    if (this.running) {
      this.child.kill(sig);
      const info = await this.waitExit(graceMs);
      if (!info) {
        this.child.kill('SIGKILL');
        await this.exited;
        this.exitInfo = { ...this.exitInfo, killedAfterGrace: true };
      }
    }
    return this.exitInfo;
  }

  async kill() {
    this.expectExit = true;
    if (this.running) {
      this.child.kill('SIGKILL');
      await this.exited;
    }
  }
}

// Runs a binary to completion: {code, signal, stdout, stderr}.
export async function runBinary(bin, args, { env = {}, timeoutMs = 10_000, cwd } = {}) {
  checkBinary(bin, path.basename(bin));
  const proc = new Proc(path.basename(bin), bin, args, cleanEnv(env), cwd);
  proc.expectExit = true;
  const info = await proc.waitExit(timeoutMs);
  if (!info) {
    await proc.kill();
    throw new Error(`${bin} ${args.join(' ')} did not finish within ${timeoutMs} ms:\n${proc.describe()}`);
  }
  await proc.release();
  if (info.error) throw new Error(`cannot run ${bin}: ${info.error.message}`);
  return { code: info.code, signal: info.signal, stdout: proc.stdout, stderr: proc.stderr, error: info.error };
}

function checkBinary(bin, what) {
  if (!fs.existsSync(bin)) {
    const envName = what === 'baton-mock' ? 'BATON_MOCK_BIN' : 'BATON_BIN';
    throw new Error(`${what} binary not found at ${bin} (build it first, or set ${envName})`);
  }
}

// ---------------------------------------------------------------------------------------------
// baton-mock

// Spawns `baton-mock --port 0 ...args` and waits for `baton-mock listening on http://HOST:PORT`.
export async function startMock(args = [], env = {}) {
  checkBinary(BATON_MOCK_BIN, 'baton-mock');
  const proc = new Proc('baton-mock', BATON_MOCK_BIN, ['--port', '0', ...args], cleanEnv(env));
  const m = await proc.waitFor(/baton-mock listening on (http:\/\/(\S+?):(\d+))\s*$/m);
  proc.started = true;
  const url = m[1];
  const mock = {
    url,
    host: m[2],
    port: Number(m[3]),
    proc,
    stderrText: () => proc.stderr,
    stop: (sig = 'SIGTERM') => proc.stop(sig),
    // Requests the mock received (last 100), oldest first.
    async requests() {
      const res = await fetch(`${url}/mock/requests`);
      assert.equal(res.status, 200, 'GET /mock/requests');
      return (await res.json()).requests;
    },
    // Chat-completion requests only.
    async chatRequests() {
      return (await mock.requests()).filter((r) => r.path.startsWith('/v1/chat/completions'));
    },
    async lastChatRequest() {
      const reqs = await mock.chatRequests();
      assert.ok(reqs.length > 0, 'baton-mock received no chat completion request');
      return reqs[reqs.length - 1];
    },
    async reset() {
      const res = await fetch(`${url}/mock/reset`, { method: 'POST' });
      await res.arrayBuffer();
    },
    async stats() {
      const res = await fetch(`${url}/mock/stats`);
      assert.equal(res.status, 200, 'GET /mock/stats');
      return res.json();
    },
  };
  return mock;
}

// ---------------------------------------------------------------------------------------------
// baton

// Tiny TOML writer for the tables the tests use: { table: { key: value } } with string, number,
// boolean, array and plain-object (inline table) values. Keys whose value is undefined are left
// out. Table names are written as given (e.g. "providers.mock").
export function toToml(tables) {
  const lines = [];
  const value = (v) => {
    if (typeof v === 'string') return JSON.stringify(v);
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
    if (Array.isArray(v)) return `[${v.map(value).join(', ')}]`;
    if (v && typeof v === 'object') {
      return `{ ${Object.entries(v)
        .filter(([, x]) => x !== undefined)
        .map(([k, x]) => `${tomlKey(k)} = ${value(x)}`)
        .join(', ')} }`;
    }
    throw new Error(`cannot write ${v} as TOML`);
  };
  for (const [table, entries] of Object.entries(tables)) {
    if (entries === undefined) continue;
    lines.push(`[${table}]`);
    for (const [k, v] of Object.entries(entries)) {
      if (v === undefined) continue;
      lines.push(`${tomlKey(k)} = ${value(v)}`);
    }
    lines.push('');
  }
  return lines.join('\n');
}

function tomlKey(k) {
  return /^[A-Za-z0-9_-]+$/.test(k) ? k : JSON.stringify(k);
}

// The usual test config: one openai-compatible provider `mock` at the given baton-mock, alias
// `demo` → mock/mock-gpt. Override or extend any table; `undefined` drops a key.
export function batonConfig({ mockPort, mockUrl, server = {}, provider = {}, providers = {}, models = {} } = {}) {
  const baseUrl = mockUrl ? `${mockUrl}/v1` : `http://127.0.0.1:${mockPort}/v1`;
  const tables = {
    server: {
      host: '127.0.0.1',
      port: 4000,
      read_timeout: '2s',
      max_body_bytes: 1048576,
      ...server,
    },
  };
  if (mockPort !== undefined || mockUrl !== undefined) {
    tables['providers.mock'] = {
      kind: 'openai-compatible',
      base_url: baseUrl,
      api_key: 'os.environ/MOCK_KEY',
      ...provider,
    };
  }
  for (const [name, p] of Object.entries(providers)) tables[`providers.${name}`] = p;
  const allModels = mockPort !== undefined || mockUrl !== undefined
    ? { demo: { deployments: ['mock/mock-gpt'] }, ...models }
    : models;
  for (const [name, m] of Object.entries(allModels)) {
    if (m !== undefined) tables[`models.${name}`] = m;
  }
  return toToml(tables);
}

export const MOCK_KEY = 'mock-secret-key-1234';

// Writes configToml to a temp dir and spawns `baton serve --config FILE --port 0 ...args`, waiting
// for `baton listening on http://HOST:PORT`. configToml === null runs `baton serve --port 0`
// without --config (the default-config path). env is added to a clean environment that holds
// MOCK_KEY; pass {HOME: dir} to choose the home directory.
export async function startBaton(configToml, { args = [], env = {}, port = '0', timeoutMs = STARTUP_TIMEOUT_MS } = {}) {
  checkBinary(BATON_BIN, 'baton');
  const dir = tempDir('baton-e2e-cfg-');
  let configPath = null;
  const argv = ['serve'];
  if (configToml !== null) {
    configPath = path.join(dir, 'baton.toml');
    fs.writeFileSync(configPath, configToml);
    argv.push('--config', configPath);
  }
  if (port !== null) argv.push('--port', String(port));
  argv.push(...args);
  const proc = new Proc('baton', BATON_BIN, argv, cleanEnv({ MOCK_KEY, ...env }), dir);
  const m = await proc.waitFor(/baton listening on (http:\/\/(\S+?):(\d+))\s*$/m, { timeoutMs });
  proc.started = true;
  const host = m[2];
  const portNum = Number(m[3]);
  // Talk to loopback even when bound to 0.0.0.0 / [::].
  const connectHost = host === '0.0.0.0' || host === '[::]' || host === '::' ? '127.0.0.1' : host;
  return {
    url: `http://${connectHost}:${portNum}`,
    listenUrl: m[1],
    host,
    port: portNum,
    proc,
    dir,
    configPath,
    stderrText: () => proc.stderr,
    stdoutText: () => proc.stdout,
    stop: (sig = 'SIGTERM', graceMs = 5000) => proc.stop(sig, graceMs),
  };
}

// Fails with the process's output when baton died (e.g. crashed after answering), then checks
// that it still answers GET /health.
export async function assertStillServing(baton, what = '') {
  await sleep(50);
  assert.ok(baton.proc.running, `baton is no longer running${what ? ` after ${what}` : ''}:\n${baton.proc.describe()}`);
  const res = await fetch(`${baton.url}/health`).catch((err) => ({ status: `fetch failed: ${err.cause?.code || err.message}` }));
  assert.equal(res.status, 200, `baton /health${what ? ` after ${what}` : ''}:\n${baton.proc.describe()}`);
  if (res.text) await res.text();
}

// Starts a baton-mock and a baton in front of it with batonConfig({mockPort, ...configOpts}).
export async function startPair({ mockArgs = [], mockEnv = {}, batonArgs = [], batonEnv = {}, ...configOpts } = {}) {
  const mock = await startMock(mockArgs, mockEnv);
  const baton = await startBaton(batonConfig({ mockPort: mock.port, ...configOpts }), {
    args: batonArgs,
    env: batonEnv,
  });
  return { mock, baton };
}

// ---------------------------------------------------------------------------------------------
// HTTP helpers

export const userMessage = (text = 'Say hello') => [{ role: 'user', content: text }];

// fetch() wrapper: body objects are JSON-encoded, strings/Buffers sent as is. Resolves with
// {status, headers, text, json (null when not JSON), response}.
export async function request(url, { method = 'GET', body, headers = {}, signal } = {}) {
  const h = { ...headers };
  let payload = body;
  if (body !== undefined && typeof body !== 'string' && !(body instanceof Uint8Array)) {
    payload = JSON.stringify(body);
  }
  if (payload !== undefined && !Object.keys(h).some((k) => k.toLowerCase() === 'content-type')) {
    h['content-type'] = 'application/json';
  }
  let response;
  try {
    response = await fetch(url, { method, body: payload, headers: h, signal });
  } catch (err) {
    const report = crashReport();
    if (report && !signal?.aborted) {
      throw new Error(`${method} ${url}: ${err.message} (${err.cause?.code || err.cause?.message || ''})${report}`, { cause: err });
    }
    throw err;
  }
  const text = await response.text();
  let json = null;
  try {
    json = JSON.parse(text);
  } catch {
    json = null;
  }
  return { status: response.status, headers: response.headers, text, json, response };
}

export const postJSON = (url, body, opts = {}) => request(url, { ...opts, method: 'POST', body });
export const getJSON = (url, opts = {}) => request(url, { ...opts, method: 'GET' });

export function chat(baton, body, opts = {}) {
  return postJSON(`${baton.url}/v1/chat/completions`, body, opts);
}

// Asserts OpenAI's error shape {"error":{"message","type","param","code"}} and returns the error.
export function assertOpenAIError(res, status, { code, what = '' } = {}) {
  const ctx = `${what} → ${res.status} ${res.text.slice(0, 500)}`;
  if (status !== undefined) {
    if (Array.isArray(status)) assert.ok(status.includes(res.status), `status in ${status}: ${ctx}`);
    else assert.equal(res.status, status, `status: ${ctx}`);
  }
  assert.ok(res.json && typeof res.json === 'object', `JSON error body: ${ctx}`);
  const err = res.json.error;
  assert.ok(err && typeof err === 'object', `body.error is an object: ${ctx}`);
  assert.equal(typeof err.message, 'string', `error.message is a string: ${ctx}`);
  assert.ok(err.message.length > 0, `error.message not empty: ${ctx}`);
  assert.ok('type' in err, `error.type present: ${ctx}`);
  assert.ok('param' in err, `error.param present: ${ctx}`);
  assert.ok('code' in err, `error.code present: ${ctx}`);
  if (code !== undefined) assert.equal(err.code, code, `error.code: ${ctx}`);
  const ct = res.headers.get('content-type') || '';
  assert.match(ct, /application\/json/, `content-type of error: ${ctx}`);
  return err;
}

// Internal details that must never reach a client.
export function assertNoLeak(text, what = 'error message') {
  const bad = [
    /\/(?:work|home|root|usr|src|build|tmp)\//,
    /\.(?:cpp|hpp|cc|h):\d*/,
    /std::|boost::|asio::|beast::/,
    /what\(\)|terminate called|basic_string|exception/i,
  ];
  for (const re of bad) assert.doesNotMatch(text, re, `${what} leaks internals: ${text}`);
}

// Asserts a chat.completion object (non-streaming) and returns choices[0].message.
export function assertChatCompletion(json, what = 'chat completion') {
  const ctx = `${what}: ${JSON.stringify(json).slice(0, 600)}`;
  assert.ok(json && typeof json === 'object', ctx);
  assert.equal(json.object, 'chat.completion', ctx);
  assert.equal(typeof json.id, 'string', ctx);
  assert.equal(typeof json.created, 'number', ctx);
  assert.equal(typeof json.model, 'string', ctx);
  assert.ok(Array.isArray(json.choices) && json.choices.length > 0, ctx);
  const choice = json.choices[0];
  assert.equal(choice.index, 0, ctx);
  assert.equal(choice.message.role, 'assistant', ctx);
  assert.ok(typeof choice.finish_reason === 'string', ctx);
  return choice.message;
}

// ---------------------------------------------------------------------------------------------
// Server-sent events

// Parses an SSE body (text) into [{event, data, id, comments}] per the WHATWG rules: CRLF/LF/CR
// line ends, ':' comments, multi-line data joined with '\n', one optional space after ':'.
export function parseSSE(text) {
  const events = [];
  let cur = { event: undefined, data: [], id: undefined };
  let has = false;
  for (const line of text.split(/\r\n|\n|\r/)) {
    if (line === '') {
      if (has) events.push({ event: cur.event, data: cur.data.join('\n'), id: cur.id });
      cur = { event: undefined, data: [], id: undefined };
      has = false;
      continue;
    }
    if (line.startsWith(':')) continue;
    const i = line.indexOf(':');
    const field = i < 0 ? line : line.slice(0, i);
    let value = i < 0 ? '' : line.slice(i + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') cur.data.push(value);
    else if (field === 'event') cur.event = value;
    else if (field === 'id') cur.id = value;
    else continue;
    has = true;
  }
  // An unterminated trailing event is not dispatched (as browsers do); report it separately.
  if (has) events.incomplete = { event: cur.event, data: cur.data.join('\n'), id: cur.id };
  return events;
}

// Reads a whole fetch Response body as SSE. Returns {events, text, chunks (parsed JSON of every
// non-[DONE] data), done (saw data: [DONE]), doneIndex}.
export async function readSSE(response) {
  const text = await response.text();
  return summarizeSSE(text);
}

export function summarizeSSE(text) {
  const events = parseSSE(text);
  const chunks = [];
  let doneIndex = -1;
  events.forEach((e, i) => {
    if (e.data === '[DONE]') {
      if (doneIndex < 0) doneIndex = i;
      return;
    }
    try {
      chunks.push(JSON.parse(e.data));
    } catch {
      chunks.push({ __unparsed: e.data });
    }
  });
  return { text, events, chunks, done: doneIndex >= 0, doneIndex };
}

// Async generator over the SSE events of a fetch Response as they arrive: yields
// {event, data, id, at (ms since the call)}.
export async function* iterSSE(response) {
  const start = Date.now();
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buf = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += decoder.decode(value, { stream: true });
      for (;;) {
        const m = /\r\n\r\n|\n\n|\r\r/.exec(buf);
        if (!m) break;
        const block = buf.slice(0, m.index + m[0].length);
        buf = buf.slice(m.index + m[0].length);
        for (const e of parseSSE(block)) yield { ...e, at: Date.now() - start };
      }
    }
  } finally {
    reader.releaseLock();
  }
}

// Content text of a list of chat.completion.chunk objects.
export function streamedContent(chunks) {
  return chunks
    .flatMap((c) => (Array.isArray(c.choices) ? c.choices : []))
    .map((ch) => (ch.delta && typeof ch.delta.content === 'string' ? ch.delta.content : ''))
    .join('');
}

export const usageChunks = (chunks) => chunks.filter((c) => c && c.usage && typeof c.usage === 'object');

// ---------------------------------------------------------------------------------------------
// Raw sockets (malformed HTTP, slow clients, keep-alive inspection)

// A raw TCP connection that records what the server sends and when it closes.
export class RawConn {
  constructor(socket) {
    this.socket = socket;
    this.chunks = [];
    this.closed = false;
    this.error = null;
    this.openedAt = Date.now();
    this.closedAt = null;
    this._waiters = new Set();
    socket.on('data', (d) => {
      this.chunks.push(d);
      this._notify();
    });
    socket.on('error', (err) => {
      this.error = err;
    });
    socket.on('close', () => {
      this.closed = true;
      this.closedAt = Date.now();
      this._notify();
    });
    socket.on('end', () => this._notify());
    this.release = track('raw socket', () => socket.destroy());
  }

  static connect(port, host = '127.0.0.1') {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ port, host });
      socket.once('connect', () => {
        socket.removeListener('error', reject);
        resolve(new RawConn(socket));
      });
      socket.once('error', reject);
    });
  }

  _notify() {
    for (const w of this._waiters) w();
  }

  get buffer() {
    return Buffer.concat(this.chunks);
  }

  get text() {
    return this.buffer.toString('latin1');
  }

  write(data) {
    return new Promise((resolve) => {
      if (this.socket.destroyed) return resolve(false);
      this.socket.write(data, (err) => resolve(!err));
    });
  }

  // Resolves true once pred(text) holds, false after timeoutMs or when the socket closed first.
  waitFor(pred, timeoutMs = 3000) {
    return new Promise((resolve) => {
      let timer;
      const check = () => {
        if (pred(this.text)) finish(true);
        else if (this.closed) finish(pred(this.text));
      };
      const finish = (v) => {
        clearTimeout(timer);
        this._waiters.delete(check);
        resolve(v);
      };
      timer = setTimeout(() => finish(false), timeoutMs);
      this._waiters.add(check);
      check();
    });
  }

  // Resolves true when the server closed the connection within timeoutMs.
  waitClose(timeoutMs = 3000) {
    return this.waitFor(() => this.closed, timeoutMs).then(() => this.closed);
  }

  // Resolves when at least `count` complete HTTP responses were received (or the socket closed /
  // timed out); returns the parsed responses.
  async waitResponses(count = 1, timeoutMs = 3000) {
    await this.waitFor(() => parseHttpResponses(this.buffer).complete.length >= count, timeoutMs);
    return parseHttpResponses(this.buffer).complete;
  }

  destroy() {
    this.socket.destroy();
  }
}

// Sends raw bytes on a fresh connection and collects the answer until the server closes or
// timeoutMs passes. Returns {text, buffer, responses, closed, elapsedMs, error}.
export async function rawRequest(port, bytes, { timeoutMs = 3000, host = '127.0.0.1', waitForClose = true } = {}) {
  const conn = await RawConn.connect(port, host);
  const start = Date.now();
  await conn.write(bytes);
  if (waitForClose) await conn.waitClose(timeoutMs);
  else await conn.waitResponses(1, timeoutMs);
  const result = {
    text: conn.text,
    buffer: conn.buffer,
    responses: parseHttpResponses(conn.buffer).complete,
    closed: conn.closed,
    elapsedMs: (conn.closedAt ?? Date.now()) - start,
    error: conn.error,
  };
  conn.destroy();
  await conn.release();
  return result;
}

// Parses a byte stream of HTTP/1.x responses: {complete: [{status, reason, headers (lowercase
// names → value; repeated joined by ', '), rawHeaders, body (Buffer)}], rest}. Understands
// content-length, chunked and (for the last one) read-until-close bodies; 1xx and 204/304 have
// no body.
export function parseHttpResponses(buffer, { closed = false } = {}) {
  const complete = [];
  let buf = Buffer.from(buffer);
  for (;;) {
    const headEnd = buf.indexOf('\r\n\r\n');
    if (headEnd < 0) break;
    const head = buf.subarray(0, headEnd).toString('latin1');
    const lines = head.split('\r\n');
    const m = /^HTTP\/1\.[01] (\d{3})(?: (.*))?$/.exec(lines[0]);
    if (!m) break;
    const status = Number(m[1]);
    const headers = {};
    const rawHeaders = [];
    for (const line of lines.slice(1)) {
      const i = line.indexOf(':');
      if (i < 0) continue;
      const name = line.slice(0, i).trim().toLowerCase();
      const value = line.slice(i + 1).trim();
      rawHeaders.push([name, value]);
      headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
    }
    let rest = buf.subarray(headEnd + 4);
    let body;
    if (status < 200 || status === 204 || status === 304) {
      body = Buffer.alloc(0);
    } else if (/chunked/i.test(headers['transfer-encoding'] || '')) {
      const parts = [];
      let ok = false;
      let p = rest;
      for (;;) {
        const le = p.indexOf('\r\n');
        if (le < 0) break;
        const size = parseInt(p.subarray(0, le).toString('latin1'), 16);
        if (Number.isNaN(size)) break;
        if (size === 0) {
          // Optional trailers, then an empty line.
          const after0 = p.subarray(le + 2);
          if (after0.length >= 2 && after0[0] === 0x0d && after0[1] === 0x0a) {
            p = after0.subarray(2);
          } else {
            const end = after0.indexOf('\r\n\r\n');
            if (end < 0) break;
            p = after0.subarray(end + 4);
          }
          ok = true;
          break;
        }
        if (p.length < le + 2 + size + 2) break;
        parts.push(p.subarray(le + 2, le + 2 + size));
        p = p.subarray(le + 2 + size + 2);
      }
      if (!ok) break;
      body = Buffer.concat(parts);
      rest = p;
    } else if (headers['content-length'] !== undefined) {
      const len = Number(headers['content-length']);
      if (rest.length < len) break;
      body = rest.subarray(0, len);
      rest = rest.subarray(len);
    } else {
      if (!closed) break;
      body = rest;
      rest = Buffer.alloc(0);
    }
    complete.push({ status, reason: m[2] || '', headers, rawHeaders, body });
    buf = rest;
  }
  return { complete, rest: buf };
}

// A port nothing listens on (bound, then closed).
export async function freePort() {
  const srv = net.createServer();
  await new Promise((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address();
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

// Registers a node net/http/https server for cleanup and returns a stop function. Open
// connections are destroyed so close() does not wait for keep-alive sockets.
export function trackServer(server, name = 'server') {
  const sockets = new Set();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('secureConnection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  return track(name, () => new Promise((resolve) => {
    for (const s of sockets) s.destroy();
    if (typeof server.closeAllConnections === 'function') server.closeAllConnections();
    server.close(() => resolve());
    setTimeout(resolve, 1000).unref();
  }));
}

export function listen(server, host = '127.0.0.1') {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => {
      server.removeListener('error', reject);
      resolve(server.address().port);
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Fixtures (recorded upstream bodies; see ../../shared/fixtures/README.md)

export function findFixturesDir() {
  const candidates = [
    process.env.BATON_FIXTURES_DIR,
    path.join(REPO_ROOT, '../shared/fixtures/openai'),
    '/work/shared/fixtures/openai',
    path.join(REPO_ROOT, 'tests/fixtures/openai'),
    path.join(REPO_ROOT, 'tools/mock/fixtures/openai'),
  ].filter(Boolean);
  return candidates.find((d) => fs.existsSync(path.join(d, 'text_weather_sf.sse'))) || null;
}

// ---------------------------------------------------------------------------------------------
// baton-mock run-time faults (tools/mock/README.md, "Run-time faults")

// Replaces the mock's fault: e.g. {status: 500}, {status: 429, retry_after: 1}, {reset: true},
// {hang: true}, {drop_after_chunks: 1}, {latency_ms: 300}, with an optional count; {} clears it.
// Resolves with the fault as the mock now reports it.
export async function setMockFault(mock, fault = {}) {
  const res = await fetch(`${mock.url}/mock/fault`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(fault),
  });
  const text = await res.text();
  assert.equal(res.status, 200, `POST /mock/fault ${JSON.stringify(fault)} → ${res.status} ${text}`);
  return JSON.parse(text);
}

export const clearMockFault = (mock) => setMockFault(mock, {});

// The generation requests (any dialect, embeddings included) a mock received whose body names
// `model` (the body's "model", or the model in a Gemini/Bedrock/Azure path), oldest first. Only
// the mock's last 100 requests are kept.
export async function mockRequestsFor(mock, model) {
  const requests = await mock.requests();
  return requests.filter((r) => {
    if (r.path.includes(`/${model}:`) || r.path.includes(`/${encodeURIComponent(model)}/`) ||
        r.path.includes(`/deployments/${model}/`)) {
      return true;
    }
    try {
      return JSON.parse(r.body).model === model;
    } catch {
      return false;
    }
  });
}

// A throwaway redis-server (Debian's package) on 127.0.0.1 and a free port (or `port`), without
// persistence.
// Returns { url, port, proc, stop() }. Fails clearly when redis-server is not installed.
export async function startRedis({ port } = {}) {
  const bin = '/usr/bin/redis-server';
  assert.ok(fs.existsSync(bin), 'redis-server is not installed (scripts/install-deps.sh installs it)');
  if (port === undefined) port = await freePort();
  const proc = new Proc('redis-server', bin,
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'no'],
    cleanEnv());
  await proc.waitFor(/Ready to accept connections/);
  proc.started = true;
  return { url: `redis://127.0.0.1:${port}`, port, proc, stop: (sig = 'SIGTERM') => proc.stop(sig) };
}

// A new, empty PostgreSQL database on the server scripts/with-postgres.sh started (make unit/e2e
// run under it); its URL. Skips the calling test (returns null) when no server is available.
export async function pgDatabase(t, prefix = 'baton_e2e') {
  const base = process.env.BATON_TEST_PG_URL;
  if (!base) {
    t.skip('BATON_TEST_PG_URL is not set (make e2e runs under scripts/with-postgres.sh)');
    return null;
  }
  const name = `${prefix}_${process.pid}_${Math.floor(Math.random() * 1e9)}`;
  const r = await runBinary('/usr/bin/psql', [base, '-v', 'ON_ERROR_STOP=1', '-c', `CREATE DATABASE ${name}`]);
  assert.equal(r.code, 0, `createdb: ${r.stderr}`);
  const url = new URL(base);
  url.pathname = `/${name}`;
  return url.toString();
}
