// Opens N WebSocket subscribers to GET /events (the `ws` package from tests/e2e) and keeps them
// reading until SIGTERM; prints "READY n" once all are subscribed, and on exit the frames
// received, the events among them, and the events.dropped notices with the events they report
// lost, summed over all subscribers ("DONE open=O frames=F events=E dropped_notices=D lost=L").
// usage: node bench/events_subscribers.mjs URL MASTER_KEY N [TYPES]
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '../tests/e2e/package.json'));
const WebSocket = require('ws');

const [url, key, nText, types] = process.argv.slice(2);
const n = Number(nText);
const target = `${url.replace(/^http/, 'ws')}/events${types ? `?types=${types}` : ''}`;
let frames = 0;
let events = 0;
let notices = 0;
let lost = 0;
const sockets = [];

function open() {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(target, { headers: { authorization: `Bearer ${key}` }, perMessageDeflate: false });
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once('error', reject);
    ws.on('message', (data) => {
      frames++;
      const s = String(data);
      if (s.startsWith('{"type":"events.dropped"')) {
        notices++;
        lost += JSON.parse(s).count;
      } else if (s.startsWith('{"type":"events.subscribed"')) {
        resolve(ws);
      } else {
        events++;
      }
    });
    sockets.push(ws);
  });
}

for (let i = 0; i < n; i += 50) {
  await Promise.all(Array.from({ length: Math.min(50, n - i) }, open));
}
const open_count = sockets.filter((s) => s.readyState === WebSocket.OPEN).length;
console.log(`READY ${open_count}`);
process.on('SIGTERM', () => {
  const still = sockets.filter((s) => s.readyState === WebSocket.OPEN).length;
  console.log(`DONE open=${still} frames=${frames} events=${events} dropped_notices=${notices} lost=${lost}`);
  for (const s of sockets) s.terminate();
  process.exit(0);
});
setInterval(() => {}, 1 << 30);
