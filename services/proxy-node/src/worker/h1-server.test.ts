import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { H1Server, MAX_PIPELINE, type H1Request, type H1Response } from './h1-server.ts';

const server = new H1Server({
  maxHeaderSize: 16 * 1024,
  headersTimeoutMs: 200,
  keepAliveTimeoutMs: 5_000,
  onRequest: (_req, res) => res.end('ok'),
  onUpgrade: (_req, socket) => socket.destroy(),
});
await new Promise<void>((r) => server.server.listen(0, '127.0.0.1', () => r()));
const port = (server.server.address() as net.AddressInfo).port;
after(() => { server.closeAllConnections(); server.close(); });

/** Sends a request head that never ends; resolves with what came back before the close. */
function stalledHead(): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => s.write('GET / HTTP/1.1\r\nHost: x\r\n'));
    let got = '';
    s.on('data', (b) => { got += b.toString(); });
    s.on('close', () => resolve(got));
    s.on('error', reject);
    s.setTimeout(5_000, () => { s.destroy(); reject(new Error('no answer within 5 s: the header timeout was not enforced')); });
  });
}

test('the header timeout holds on the first connection and on one after the server went quiet (its sweep stops and starts again)', async () => {
  assert.match(await stalledHead(), /^HTTP\/1\.1 408 /);
  // No connection left: the sweep stopped. A new connection must start it again.
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(server.conns.size, 0);
  assert.match(await stalledHead(), /^HTTP\/1\.1 408 /);
});

// ---- a second server whose handlers the tests below set

let onRequest: (req: H1Request, res: H1Response) => void = (_req, res) => res.end('ok');
let onUpgrade: (req: H1Request, socket: net.Socket, head: Buffer) => void = (_req, socket) => socket.destroy();
const server2 = new H1Server({
  maxHeaderSize: 16 * 1024,
  headersTimeoutMs: 5_000,
  keepAliveTimeoutMs: 5_000,
  onRequest: (req, res) => onRequest(req, res),
  onUpgrade: (req, socket, head) => onUpgrade(req, socket, head),
});
await new Promise<void>((r) => server2.server.listen(0, '127.0.0.1', () => r()));
const port2 = (server2.server.address() as net.AddressInfo).port;
after(() => { server2.closeAllConnections(); server2.close(); });

/** Writes `bytes` on a new connection; resolves with everything read once `until` matches it (or the connection closes). */
function exchange(bytes: string, until: (got: string) => boolean, later?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port2, '127.0.0.1', () => {
      s.write(bytes, 'latin1');
      if (later !== undefined) setTimeout(() => s.write(later, 'latin1'), 150);
    });
    let got = '';
    s.on('data', (b) => { got += b.toString('latin1'); if (until(got)) { s.destroy(); resolve(got); } });
    s.on('close', () => resolve(got));
    s.on('error', reject);
  });
}
const statuses = (raw: string) => [...raw.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]));

test('pipelined flood behind a slow request: at most MAX_PIPELINE requests are read ahead, all answered in order, no recursion', async () => {
  let maxWaiting = 0;
  onRequest = (req, res) => {
    for (const c of server2.conns) maxWaiting = Math.max(maxWaiting, c.waiting.length);
    if (req.url === '/slow') return void setTimeout(() => { res.writeHead(200, { 'content-length': 4 }); res.end('slow'); }, 300);
    res.writeHead(404, { 'content-length': req.url.length });
    res.end(req.url);
  };
  const n = 20_000;
  let bytes = 'GET /slow HTTP/1.1\r\nHost: x\r\n\r\n';
  for (let i = 0; i < n; i++) bytes += `GET /${i} HTTP/1.1\r\nHost: x\r\n\r\n`;
  const raw = await exchange(bytes, (got) => got.endsWith(`\r\n\r\n/${n - 1}`));
  assert.equal(statuses(raw).length, n + 1);
  const bodies = [...raw.matchAll(/\r\n\r\n(\/\d+|slow)/g)].map((m) => m[1]);
  assert.deepEqual(bodies, ['slow', ...Array.from({ length: n }, (_, i) => `/${i}`)]);
  assert.ok(maxWaiting <= MAX_PIPELINE, `at most ${MAX_PIPELINE} waiting, saw ${maxWaiting}`);
});

test('requests pipelined before a WebSocket upgrade are answered first; the upgrade gets the bytes after its head', async () => {
  onRequest = (req, res) => setTimeout(() => { res.writeHead(200, { 'content-length': req.url.length }); res.end(req.url); }, 50);
  onUpgrade = (req, socket, head) => {
    socket.write(`HTTP/1.1 101 Switching Protocols\r\n\r\nupgraded ${req.url} with ${JSON.stringify(head.toString())};`);
    // The socket is the handler's now: what the client sends later reaches it.
    socket.once('data', (d: Buffer) => socket.end(`then ${JSON.stringify(d.toString())}`));
    socket.resume();
  };
  const ws = 'GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n';
  const raw = await exchange('GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n' + ws + 'frame', () => false, 'more');
  assert.deepEqual(statuses(raw), [200, 200, 101]);
  assert.match(raw, /\/a.*\/b.*upgraded \/ws with "frame";then "more"$/s);
});

test('an exception answering a request: 500 and a close, the server goes on', async () => {
  onRequest = (req, res) => {
    if (req.url === '/throw') throw new Error('a bug');
    res.writeHead(200, { 'content-length': 2 });
    res.end('ok');
  };
  const raw = await exchange('GET /throw HTTP/1.1\r\nHost: x\r\n\r\nGET /next HTTP/1.1\r\nHost: x\r\n\r\n', () => false);
  assert.deepEqual(statuses(raw), [500]);
  assert.deepEqual(statuses(await exchange('GET /ok HTTP/1.1\r\nHost: x\r\n\r\n', (got) => got.endsWith('ok'))), [200]);
});
