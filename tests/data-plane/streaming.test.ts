/**
 * Bodies stream through the proxy with backpressure in both directions
 * (memory stays bounded), and WebSocket upgrades pass through.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { WebSocketServer, WebSocket } from 'ws';
import { putStream, startBackend, startMesh, service, ingress, type Backend, type Mesh } from './harness.ts';

process.env.MESHGATE_ACCESS_LOG = 'off';

const SIZE = 200 * 1024 * 1024;
let mesh: Mesh;
let echo: Backend;
let wsBackend: http.Server;
let wss: WebSocketServer;

before(async () => {
  echo = await startBackend('echo');
  wsBackend = http.createServer((_req, res) => { res.writeHead(426); res.end('websocket only\n'); });
  wss = new WebSocketServer({ server: wsBackend });
  wss.on('connection', (ws, req) => {
    ws.send(`hello ${req.url} ${req.headers['x-forwarded-for']}`);
    ws.on('message', (m, isBinary) => ws.send(m, { binary: isBinary }));
  });
  await new Promise<void>((r) => wsBackend.listen(0, '127.0.0.1', r));
  const wsPort = (wsBackend.address() as { port: number }).port;
  mesh = await startMesh({
    'svc.yaml': [service('echo', [echo.port]), service('ws', [wsPort])].join('---\n'),
    'ing.yaml': ingress('main', { '/big': 'echo', '/ws': 'ws' }),
  }, { workers: 1 });
});

after(async () => {
  await mesh?.stop();
  await echo?.close();
  wss?.close();
  wsBackend?.closeAllConnections();
  await new Promise((r) => wsBackend?.close(r));
});

function sampleRss(): { stop(): number } {
  const base = process.memoryUsage().rss;
  let peak = base;
  const t = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 20);
  return { stop: () => { clearInterval(t); return peak - base; } };
}

test(`a ${SIZE / 2 ** 20} MiB download streams through without buffering`, async () => {
  const mem = sampleRss();
  const got = await new Promise<number>((resolve, reject) => {
    http.get(`${mesh.http}/big/bytes/${SIZE}`, { agent: false }, (res) => {
      assert.equal(res.statusCode, 200);
      assert.equal(res.headers['content-length'], String(SIZE));
      let n = 0;
      res.on('data', (c: Buffer) => { n += c.length; });
      res.on('end', () => resolve(n));
      res.on('error', reject);
    }).on('error', reject);
  });
  const grew = mem.stop();
  assert.equal(got, SIZE);
  assert.ok(grew < 150 * 2 ** 20, `RSS grew by ${(grew / 2 ** 20).toFixed(0)} MiB while ${SIZE / 2 ** 20} MiB passed`);
});

test(`a ${SIZE / 2 ** 20} MiB chunked upload streams through without buffering`, async () => {
  const mem = sampleRss();
  const answer = await putStream(`${mesh.http}/big/upload`, SIZE, 97);
  const grew = mem.stop();
  assert.equal(answer, `200 ${SIZE}`);
  assert.ok(grew < 150 * 2 ** 20, `RSS grew by ${(grew / 2 ** 20).toFixed(0)} MiB while ${SIZE / 2 ** 20} MiB passed`);
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
