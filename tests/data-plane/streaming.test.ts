/**
 * Bodies stream through the proxy with backpressure in both directions (a
 * peer that stops reading stops the other end, and the proxy holds no more
 * than socket buffers meanwhile), and WebSocket upgrades pass through.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { WebSocketServer, WebSocket } from 'ws';
import { putStream, startBackend, startMesh, service, ingress, type Backend, type Mesh } from './harness.ts';

process.env.MESHGATE_ACCESS_LOG = 'off';

const SIZE = 200 * 1024 * 1024;
const MiB = (n: number) => (n / 2 ** 20).toFixed(1);
let mesh: Mesh;
let echo: Backend;
let paced: Paced;
let wsBackend: http.Server;
let wss: WebSocketServer;

/**
 * A backend that counts what it gives and takes: GET /paced/N streams N
 * bytes, waiting for 'drain' (`sent`: bytes handed to the response so far);
 * PUT /paced/upload reads its body only after `release()`, then answers its
 * size.
 */
interface Paced { backend: Backend; sent: number; reading: boolean; release(): void }
async function startPaced(): Promise<Paced> {
  let waiting: (() => void)[] = [];
  const p: Paced = {
    backend: undefined as unknown as Backend, sent: 0, reading: false,
    release() { p.reading = true; for (const w of waiting) w(); waiting = []; },
  };
  p.backend = await startBackend('paced', 0, (req, res) => {
    if (req.method === 'PUT') {
      req.pause();
      const read = () => {
        let n = 0;
        req.on('data', (c: Buffer) => { n += c.length; });
        req.on('end', () => res.end(String(n)));
        req.resume();
      };
      if (p.reading) read(); else waiting.push(read);
      return;
    }
    let left = Number(/\/(\d+)$/.exec(req.url ?? '')?.[1] ?? 0);
    p.sent = 0;
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': left });
    const chunk = Buffer.alloc(64 * 1024, 120);
    const pump = () => {
      while (left > 0) {
        const n = Math.min(left, chunk.length);
        left -= n;
        p.sent += n;
        if (!res.write(n === chunk.length ? chunk : chunk.subarray(0, n))) return void res.once('drain', pump);
      }
      res.end();
    };
    pump();
  });
  return p;
}

/** Waits until `value()` has not changed for 500 ms (at most 15 s), and returns it. */
async function settled(value: () => number): Promise<number> {
  let last = value();
  let since = Date.now();
  for (const t0 = Date.now(); Date.now() - t0 < 15_000;) {
    await new Promise((r) => setTimeout(r, 50));
    const v = value();
    if (v !== last) { last = v; since = Date.now(); } else if (Date.now() - since >= 500) break;
  }
  return last;
}

before(async () => {
  echo = await startBackend('echo');
  paced = await startPaced();
  wsBackend = http.createServer((_req, res) => { res.writeHead(426); res.end('websocket only\n'); });
  wss = new WebSocketServer({ server: wsBackend });
  wss.on('connection', (ws, req) => {
    ws.send(`hello ${req.url} ${req.headers['x-forwarded-for']}`);
    ws.on('message', (m, isBinary) => ws.send(m, { binary: isBinary }));
  });
  await new Promise<void>((r) => wsBackend.listen(0, '127.0.0.1', r));
  const wsPort = (wsBackend.address() as { port: number }).port;
  mesh = await startMesh({
    'svc.yaml': [service('echo', [echo.port]), service('paced', [paced.backend.port]), service('ws', [wsPort])].join('---\n'),
    'ing.yaml': ingress('main', { '/big': 'echo', '/paced': 'paced', '/ws': 'ws' }),
  }, { workers: 1 });
});

after(async () => {
  await mesh?.stop();
  await echo?.close();
  await paced?.backend.close();
  wss?.close();
  wsBackend?.closeAllConnections();
  await new Promise((r) => wsBackend?.close(r));
});

test(`a ${SIZE / 2 ** 20} MiB download streams: a client that reads nothing holds the backend back, then gets every byte`, async () => {
  const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
    http.get(`${mesh.http}/paced/${SIZE}`, { agent: false }, resolve).on('error', reject);
  });
  res.pause();
  assert.equal(res.statusCode, 200);
  assert.equal(res.headers['content-length'], String(SIZE));
  // What the backend got to send while nobody read: the sockets' buffers on both legs, not the body.
  const held = await settled(() => paced.sent);
  assert.ok(held < SIZE / 4, `the backend sent ${MiB(held)} of ${MiB(SIZE)} MiB to a client that read nothing: the proxy buffered the body`);
  let got = 0;
  res.on('data', (c: Buffer) => { got += c.length; });
  res.resume();
  await new Promise<void>((resolve, reject) => { res.on('end', resolve); res.on('error', reject); });
  assert.equal(got, SIZE);
  assert.equal(paced.sent, SIZE);
});

test(`a ${SIZE / 2 ** 20} MiB upload streams: a backend that reads nothing holds the client back, then gets every byte`, async () => {
  const sent = { bytes: 0 };
  const answer = putStream(`${mesh.http}/paced/upload`, SIZE, 97, {}, sent);
  const held = await settled(() => sent.bytes);
  assert.ok(held < SIZE / 4, `the client wrote ${MiB(held)} of ${MiB(SIZE)} MiB to a backend that read nothing: the proxy buffered the body`);
  paced.release();
  assert.equal(await answer, `200 ${SIZE}`);
});

test('WebSocket echo through the proxy (upgrade passes through, X-Forwarded-For set)', async () => {
  const ws = new WebSocket(`ws://127.0.0.1:${mesh.httpPort}/ws/chat?room=1`);
  const messages: string[] = [];
  // Queue from the start: the backend's greeting can arrive in the same read
  // as the 101, i.e. before the 'open' continuation runs.
  const inbox: string[] = [];
  const waiting: ((m: string) => void)[] = [];
  ws.on('message', (m) => { const w = waiting.shift(); if (w) w(String(m)); else inbox.push(String(m)); });
  const next = () => new Promise<string>((resolve) => { const m = inbox.shift(); if (m !== undefined) resolve(m); else waiting.push(resolve); });
  await new Promise<void>((resolve, reject) => { ws.once('open', () => resolve()); ws.once('error', reject); });
  messages.push(await next());
  ws.send('ping 1');
  messages.push(await next());
  const big = 'x'.repeat(200_000);
  ws.send(big);
  messages.push((await next()).length === big.length ? 'big ok' : 'big wrong');
  ws.close();
  assert.deepEqual(messages, ['hello /ws/chat?room=1 127.0.0.1', 'ping 1', 'big ok']);
});

test('an upgrade to a route with no rule gets 404, and a non-101 answer is relayed', async () => {
  const status = (path: string) => new Promise<number>((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${mesh.httpPort}${path}`);
    ws.on('unexpected-response', (_req, res) => { resolve(res.statusCode ?? 0); ws.terminate(); });
    ws.on('open', () => { resolve(101); ws.close(); });
    ws.on('error', () => {});
  });
  assert.equal(await status('/nope'), 404);
  assert.equal(await status('/big/status/403'), 403);
});
