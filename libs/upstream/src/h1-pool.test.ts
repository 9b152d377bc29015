import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { Readable } from 'node:stream';
import { H1Pool, type H1Connection, type ResponseHandler, type UpstreamError, type UpstreamRequest } from './h1-pool.ts';

interface Got { status: number; headers: string[]; body: string; error?: UpstreamError; conn?: H1Connection }

function send(pool: H1Pool, req: Partial<UpstreamRequest> & { head: string }): Promise<Got> {
  return new Promise((resolve) => {
    const got: Got = { status: 0, headers: [], body: '' };
    const h: ResponseHandler = {
      upstream: undefined,
      onResponseHead(status, _text, headers) { got.status = status; got.headers = headers; got.conn = h.upstream; },
      onResponseData(chunk) { got.body += chunk.toString(); },
      onResponseEnd() { resolve(got); },
      onResponseError(err) { got.error = err; resolve(got); },
    };
    pool.dispatch({ method: 'GET', body: null, bodyLength: 0, headersTimeoutMs: 2_000, ...req }, h);
  });
}

const server = http.createServer((req, res) => {
  if (req.url === '/slow') return void setTimeout(() => res.end('late'), 1_000);
  if (req.url === '/chunked') { res.write('a'); res.end('b'); return; }
  if (req.url === '/echo') { let n = 0; req.on('data', (d: Buffer) => { n += d.length; }); req.on('end', () => res.end(String(n))); return; }
  if (req.url!.startsWith('/ka')) res.setHeader('keep-alive', 'timeout=1');
  res.end(`hello ${req.method} ${req.url}`);
});
server.keepAliveTimeout = 5_000;
await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
const port = (server.address() as net.AddressInfo).port;
const pool = new H1Pool('127.0.0.1', port, { connections: 2, connectTimeoutMs: 1_000, idleTimeoutMs: 30_000 });
const sweep = setInterval(() => pool.sweep(performance.now()), 50);
after(() => { clearInterval(sweep); pool.close(); server.closeAllConnections(); server.close(); });

const get = (path: string) => `GET ${path} HTTP/1.1\r\nhost: x\r\n`;

test('a response comes back and the connection is reused', async () => {
  const a = await send(pool, { head: get('/a') });
  assert.equal(a.status, 200);
  assert.equal(a.body, 'hello GET /a');
  const b = await send(pool, { head: get('/b') });
  assert.equal(b.body, 'hello GET /b');
  assert.equal(a.conn, b.conn, 'kept alive');
  assert.equal(pool.all.size, 1);
  assert.equal(a.conn!.idleLimitMs, 4_000, 'node:http announces timeout=5: reuse stops 1 s before');
});

test('Keep-Alive: timeout=N from the server shortens the idle time (no race with its close)', async () => {
  const a = await send(pool, { head: get('/ka') });
  assert.equal(a.conn!.idleLimitMs, 0); // timeout=1 -> 1 s minus the 1 s margin: never reused
  const b = await send(pool, { head: get('/ka2') });
  assert.notEqual(a.conn, b.conn);
});

test('chunked response, HEAD without a body, a streamed request body', async () => {
  const c = await send(pool, { head: get('/chunked') });
  assert.equal(c.body, 'ab');
  const h = await send(pool, { method: 'HEAD', head: 'HEAD /x HTTP/1.1\r\nhost: x\r\n' });
  assert.equal(h.status, 200);
  assert.equal(h.body, '');
  const body = Readable.from([Buffer.alloc(1000), Buffer.alloc(500)]);
  const e = await send(pool, { method: 'POST', head: 'POST /echo HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n', body, bodyLength: -1 });
  assert.equal(e.body, '1500');
});

test('past the response-header deadline: UND_ERR_HEADERS_TIMEOUT', async () => {
  const s = await send(pool, { head: get('/slow'), headersTimeoutMs: 200 });
  assert.equal(s.error?.code, 'UND_ERR_HEADERS_TIMEOUT');
});

test('a refused connection reports the socket error code', async () => {
  const dead = await new Promise<number>((r) => { const s = net.createServer().listen(0, '127.0.0.1', () => { const p = (s.address() as net.AddressInfo).port; s.close(() => r(p)); }); });
  const p = new H1Pool('127.0.0.1', dead, { connections: 1, connectTimeoutMs: 1_000, idleTimeoutMs: 1_000 });
  const r = await send(p, { head: get('/') });
  assert.equal(r.error?.code, 'ECONNREFUSED');
  p.close();
});
