// Hand-made upstreams and network middlemen for the upstream-client tests: a minimal OpenAI
// upstream over HTTP or HTTPS (with a throwaway CA made by the openssl CLI), a forward proxy
// (CONNECT and absolute-form), and a server that closes every keep-alive connection right after
// answering (stale pooled connections).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import path from 'node:path';
import { listen, trackServer, tempDir } from './harness.mjs';

export const FAKE_CONTENT = 'hello from the fake upstream';

function completionBody(model) {
  return {
    id: 'chatcmpl-fake1',
    object: 'chat.completion',
    created: 1727346161,
    model,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: FAKE_CONTENT, refusal: null },
        logprobs: null,
        finish_reason: 'stop',
      },
    ],
    usage: { prompt_tokens: 5, completion_tokens: 6, total_tokens: 11 },
  };
}

function streamBody(model) {
  const base = { id: 'chatcmpl-fake1', object: 'chat.completion.chunk', created: 1727346161, model };
  const words = FAKE_CONTENT.split(/(?= )/);
  const events = [
    { ...base, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] },
    ...words.map((w) => ({ ...base, choices: [{ index: 0, delta: { content: w }, finish_reason: null }] })),
    { ...base, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] },
    { ...base, choices: [], usage: { prompt_tokens: 5, completion_tokens: 6, total_tokens: 11 } },
  ];
  return `${events.map((e) => `data: ${JSON.stringify(e)}\n\n`).join('')}data: [DONE]\n\n`;
}

// Answers like OpenAI: POST */chat/completions (stream or not), GET */models. Records every
// request in `requests` as {method, url, headers, body, servername, socketId}.
function openAIHandler(requests, socketIds) {
  return (req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d) => {
      body += d;
    });
    req.on('end', () => {
      if (!socketIds.has(req.socket)) socketIds.set(req.socket, socketIds.size + 1);
      requests.push({
        method: req.method,
        url: req.url,
        headers: req.headers,
        body,
        servername: req.socket.servername,
        socketId: socketIds.get(req.socket),
      });
      const headers = { 'x-request-id': `req_fake${requests.length}` };
      if (req.method === 'POST' && req.url.endsWith('/chat/completions')) {
        let parsed = {};
        try {
          parsed = JSON.parse(body);
        } catch {
          res.writeHead(400, { ...headers, 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: { message: 'bad json', type: 'invalid_request_error', param: null, code: null } }));
          return;
        }
        if (parsed.stream) {
          res.writeHead(200, { ...headers, 'content-type': 'text/event-stream' });
          res.end(streamBody(parsed.model));
        } else {
          res.writeHead(200, { ...headers, 'content-type': 'application/json' });
          res.end(JSON.stringify(completionBody(parsed.model)));
        }
        return;
      }
      if (req.method === 'GET' && req.url.endsWith('/models')) {
        res.writeHead(200, { ...headers, 'content-type': 'application/json' });
        res.end(JSON.stringify({ object: 'list', data: [{ id: 'fake-model', object: 'model', created: 1, owned_by: 'fake' }] }));
        return;
      }
      res.writeHead(404, { ...headers, 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: 'not found', type: 'invalid_request_error', param: null, code: null } }));
    });
  };
}

// A plain-HTTP fake OpenAI upstream on 127.0.0.1. Returns {port, url, requests, server, stop}.
export async function startFakeUpstream() {
  const requests = [];
  const server = http.createServer(openAIHandler(requests, new Map()));
  const port = await listen(server);
  const stop = trackServer(server, 'fake upstream');
  return { port, url: `http://127.0.0.1:${port}`, requests, server, stop };
}

// A throwaway CA and a server certificate for DNS:localhost signed by it, made with the openssl
// CLI. Returns {dir, caFile, keyFile, certFile, ca, key, cert}.
export function makeCerts() {
  const dir = tempDir('baton-e2e-tls-');
  const f = (name) => path.join(dir, name);
  const ossl = (args) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  const ecKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  ossl([
    'req', '-x509', ...ecKey, '-keyout', f('ca.key'), '-out', f('ca.pem'), '-days', '2',
    '-subj', '/CN=Baton e2e throwaway CA',
    '-addext', 'basicConstraints=critical,CA:TRUE',
    '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  ossl(['req', ...ecKey, '-keyout', f('server.key'), '-out', f('server.csr'), '-subj', '/CN=localhost']);
  fs.writeFileSync(
    f('server.ext'),
    [
      'subjectAltName=DNS:localhost',
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth',
      '',
    ].join('\n'),
  );
  ossl([
    'x509', '-req', '-in', f('server.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'),
    '-CAcreateserial', '-out', f('server.pem'), '-days', '2', '-extfile', f('server.ext'),
  ]);
  return {
    dir,
    caFile: f('ca.pem'),
    keyFile: f('server.key'),
    certFile: f('server.pem'),
    ca: fs.readFileSync(f('ca.pem')),
    key: fs.readFileSync(f('server.key')),
    cert: fs.readFileSync(f('server.pem')),
  };
}

// An HTTPS fake OpenAI upstream on 127.0.0.1 with the given cert. Records TLS handshakes
// (servername) in `handshakes` and failed ones in `tlsErrors`.
export async function startTlsUpstream(certs) {
  const requests = [];
  const handshakes = [];
  const tlsErrors = [];
  const server = https.createServer({ key: certs.key, cert: certs.cert }, openAIHandler(requests, new Map()));
  server.on('secureConnection', (s) => handshakes.push({ servername: s.servername }));
  server.on('tlsClientError', (err) => tlsErrors.push(err.message));
  const port = await listen(server);
  const stop = trackServer(server, 'tls upstream');
  return { port, requests, handshakes, tlsErrors, server, stop };
}

// A forward proxy on 127.0.0.1: CONNECT tunnels and absolute-form HTTP requests. Records
// {type: 'connect' | 'request', target} in `seen`. "localhost" targets are dialled on 127.0.0.1.
export async function startProxy() {
  const seen = [];
  const server = http.createServer((req, res) => {
    seen.push({ type: 'request', target: req.url, method: req.method, headers: req.headers });
    let url;
    try {
      url = new URL(req.url);
    } catch {
      res.writeHead(400);
      res.end('proxy: expected an absolute-form request target');
      return;
    }
    const headers = { ...req.headers };
    delete headers['proxy-connection'];
    delete headers['proxy-authorization'];
    const upstream = http.request(
      {
        host: url.hostname === 'localhost' ? '127.0.0.1' : url.hostname,
        port: url.port || 80,
        method: req.method,
        path: url.pathname + url.search,
        headers,
      },
      (ures) => {
        res.writeHead(ures.statusCode, ures.headers);
        ures.pipe(res);
      },
    );
    upstream.on('error', () => {
      res.writeHead(502);
      res.end('proxy: upstream error');
    });
    req.pipe(upstream);
  });
  server.on('connect', (req, clientSocket, head) => {
    seen.push({ type: 'connect', target: req.url, headers: req.headers });
    const [host, port] = req.url.split(/:(?=\d+$)/);
    const target = net.connect({ host: host === 'localhost' ? '127.0.0.1' : host, port: Number(port) }, () => {
      clientSocket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head && head.length) target.write(head);
      target.pipe(clientSocket);
      clientSocket.pipe(target);
    });
    target.on('error', () => {
      clientSocket.end('HTTP/1.1 502 Bad Gateway\r\n\r\n');
    });
    clientSocket.on('error', () => target.destroy());
  });
  const port = await listen(server);
  const stop = trackServer(server, 'proxy');
  return { port, url: `http://127.0.0.1:${port}`, seen, server, stop };
}

// A raw HTTP/1.1 upstream that answers chat completions with `Connection: keep-alive` and then
// closes the connection a few ms later, so every pooled connection a client keeps goes stale.
// Records {connections, requests}.
export async function startClosingUpstream({ closeAfterMs = 5 } = {}) {
  const state = { connections: 0, requests: 0, bodies: [] };
  const server = net.createServer((socket) => {
    state.connections += 1;
    let buf = Buffer.alloc(0);
    let answered = false;
    socket.on('error', () => {});
    socket.on('data', (d) => {
      // Once answered, the connection is as good as closed: a real server would not read more.
      if (answered) return;
      buf = Buffer.concat([buf, d]);
      for (;;) {
        const headEnd = buf.indexOf('\r\n\r\n');
        if (headEnd < 0) return;
        const head = buf.subarray(0, headEnd).toString('latin1');
        const m = /\r\ncontent-length:\s*(\d+)/i.exec(head);
        const len = m ? Number(m[1]) : 0;
        if (buf.length < headEnd + 4 + len) return;
        const body = buf.subarray(headEnd + 4, headEnd + 4 + len).toString('utf8');
        buf = buf.subarray(headEnd + 4 + len);
        state.requests += 1;
        state.bodies.push(body);
        let parsed = {};
        try {
          parsed = JSON.parse(body);
        } catch {
          // keep default
        }
        const payload = parsed.stream ? streamBody(parsed.model) : JSON.stringify(completionBody(parsed.model));
        const type = parsed.stream ? 'text/event-stream' : 'application/json';
        socket.write(
          `HTTP/1.1 200 OK\r\ncontent-type: ${type}\r\nconnection: keep-alive\r\n` +
            `x-request-id: req_closing${state.requests}\r\ncontent-length: ${Buffer.byteLength(payload)}\r\n\r\n${payload}`,
        );
        answered = true;
        // Full close (not a half-close), as a server whose keep-alive timer fired.
        setTimeout(() => socket.destroy(), closeAfterMs);
        return;
      }
    });
  });
  const port = await listen(server);
  const stop = trackServer(server, 'closing upstream');
  return { port, url: `http://127.0.0.1:${port}`, state, server, stop };
}

// A raw upstream that accepts a request and then resets / closes the connection without
// answering. mode: 'reset' (RST) or 'close' (FIN after reading the request).
export async function startBrokenUpstream(mode = 'reset') {
  const state = { connections: 0 };
  const server = net.createServer((socket) => {
    state.connections += 1;
    socket.on('error', () => {});
    socket.once('data', () => {
      if (mode === 'reset' && typeof socket.resetAndDestroy === 'function') socket.resetAndDestroy();
      else if (mode === 'garbage') socket.end('this is not HTTP\r\n\r\n');
      else socket.end();
    });
  });
  const port = await listen(server);
  const stop = trackServer(server, 'broken upstream');
  return { port, state, server, stop };
}
