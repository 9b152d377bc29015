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

// ---- hostile backends (raw TCP): what the pool does with bytes nobody asked for, and bad statuses

/** A raw backend whose `answer` gets each request's first line and the socket. */
async function rawServer(answer: (line: string, s: net.Socket) => void): Promise<{ port: number; closed: number[]; stop(): void }> {
  const closed: number[] = [];
  const open = new Set<net.Socket>();
  let n = 0;
  const srv = net.createServer((s) => {
    const id = ++n;
    open.add(s);
    s.on('close', () => open.delete(s));
    s.on('close', () => closed.push(id));
    s.on('error', () => {});
    let buf = '';
    s.on('data', (d) => {
      buf += d.toString('latin1');
      for (let end = buf.indexOf('\r\n\r\n'); end >= 0; end = buf.indexOf('\r\n\r\n')) {
        const line = buf.slice(0, buf.indexOf('\r\n'));
        buf = buf.slice(end + 4);
        answer(line, s);
      }
    });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  return { port: (srv.address() as net.AddressInfo).port, closed, stop: () => { for (const s of open) s.destroy(); srv.close(); } };
}
const ok = (line: string) => { const b = `for ${line.split(' ')[1]}`; return `HTTP/1.1 200 OK\r\ncontent-length: ${b.length}\r\n\r\n${b}`; };

test('a response on an idle connection: the connection is closed, never pooled twice, later requests get their own answers', async () => {
  const srv = await rawServer((line, s) => {
    s.write(ok(line));
    if (line.includes('/first')) setTimeout(() => s.write('HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nstray'), 20);
  });
  const p = new H1Pool('127.0.0.1', srv.port, { connections: 4, connectTimeoutMs: 1_000, idleTimeoutMs: 30_000 });
  const first = await send(p, { head: get('/first') });
  assert.equal(first.body, 'for /first');
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(first.conn!.state, 3, 'closed');
  assert.equal(p.idle.length, 0, 'not in the idle list (twice or at all)');
  const [a, b] = await Promise.all([send(p, { head: get('/a') }), send(p, { head: get('/b') })]);
  assert.deepEqual([a.body, b.body], ['for /a', 'for /b']);
  assert.notEqual(a.conn, b.conn);
  p.close();
  srv.stop();
});

test('bytes glued after a response in the same read: the connection is not reused', async () => {
  // (CR and LF alone are skipped by llhttp between messages, as RFC 9112 2.2 asks of a recipient.)
  const srv = await rawServer((line, s) => s.write(ok(line) + (line.includes('/glued') ? 'HTTP/1.1 2' : '')));
  const p = new H1Pool('127.0.0.1', srv.port, { connections: 4, connectTimeoutMs: 1_000, idleTimeoutMs: 30_000 });
  const g = await send(p, { head: get('/glued') });
  assert.equal(g.body, 'for /glued');
  const n = await send(p, { head: get('/next') });
  assert.equal(n.body, 'for /next');
  assert.notEqual(g.conn, n.conn, 'a connection that sent bytes nobody asked for is not reused');
  p.close();
  srv.stop();
});

test('released twice, the connection is pooled once; dispatch skips a closed idle connection', async () => {
  const p = new H1Pool('127.0.0.1', port, { connections: 2, connectTimeoutMs: 1_000, idleTimeoutMs: 30_000 });
  const a = await send(p, { head: get('/a') });
  assert.equal(p.idle.length, 1);
  p.released(a.conn!);
  assert.equal(p.idle.length, 1, 'idempotent');
  a.conn!.socket.destroy(); // dead, its close not handled yet
  const b = await send(p, { head: get('/b') });
  assert.equal(b.body, 'hello GET /b');
  assert.notEqual(a.conn, b.conn);
  p.close();
});

for (const status of ['600', '099', '000', '101']) {
  test(`status ${status}: MESHGATE_BAD_RESPONSE and the connection closed`, async () => {
    const srv = await rawServer((_line, s) => s.write(`HTTP/1.1 ${status} X\r\ncontent-length: 0\r\n\r\n`));
    const p = new H1Pool('127.0.0.1', srv.port, { connections: 1, connectTimeoutMs: 1_000, idleTimeoutMs: 30_000 });
    const r = await send(p, { head: get('/') });
    assert.equal(r.error?.code, 'MESHGATE_BAD_RESPONSE');
    assert.equal(r.status, 0, 'no head was passed on');
    await new Promise((res) => setTimeout(res, 50));
    assert.equal(p.all.size, 0);
    p.close();
    srv.stop();
  });
}

test('a handler that throws: its request fails with MESHGATE_INTERNAL, the connection closes, the pool goes on', async () => {
  const p = new H1Pool('127.0.0.1', port, { connections: 1, connectTimeoutMs: 1_000, idleTimeoutMs: 30_000 });
  const err = await new Promise<UpstreamError>((resolve) => {
    p.dispatch({ method: 'GET', head: get('/x'), body: null, bodyLength: 0, headersTimeoutMs: 2_000 }, {
      upstream: undefined,
      onResponseHead() { throw new Error('a bug'); },
      onResponseData() {},
      onResponseEnd() {},
      onResponseError(e) { resolve(e); },
    });
  });
  assert.equal(err.code, 'MESHGATE_INTERNAL');
  const next = await send(p, { head: get('/y') });
  assert.equal(next.body, 'hello GET /y');
  p.close();
});

test('a kept-alive connection the server closed while idle: the error is marked stale', async () => {
  let socketOf: net.Socket | undefined;
  const srv = await rawServer((line, s) => { socketOf = s; s.write(ok(line)); });
  const p = new H1Pool('127.0.0.1', srv.port, { connections: 1, connectTimeoutMs: 1_000, idleTimeoutMs: 30_000 });
  await send(p, { head: get('/a') });
  const conn = p.idle[0]!;
  // The server's close and our next request cross: the request meets a connection being closed.
  socketOf!.destroy();
  const r = await new Promise<Got>((resolve) => {
    const got: Got = { status: 0, headers: [], body: '' };
    conn.send({ method: 'GET', head: get('/b'), body: null, bodyLength: 0, headersTimeoutMs: 2_000 }, {
      upstream: undefined, onResponseHead() {}, onResponseData() {}, onResponseEnd() { resolve(got); },
      onResponseError(e) { got.error = e; resolve(got); },
    });
  });
  assert.ok(r.error, 'an error');
  assert.equal(r.error!.stale, true);
  p.close();
  srv.stop();
});

test('a body sent after a HEAD (or 204) response is stray: the connection is not reused, the next request gets its own answer', async () => {
  const srv = await rawServer((line, s) => s.write(line.startsWith('HEAD') ? 'HTTP/1.1 200 OK\r\ncontent-length: 13\r\n\r\nnot-for-you!!' : line.includes('/204') ? 'HTTP/1.1 204 No Content\r\n\r\nnot-for-you!!' : ok(line)));
  const p = new H1Pool('127.0.0.1', srv.port, { connections: 4, connectTimeoutMs: 1_000, idleTimeoutMs: 30_000 });
  const h = await send(p, { method: 'HEAD', head: 'HEAD /h HTTP/1.1\r\nhost: x\r\n' });
  assert.equal(h.status, 200);
  const n = await send(p, { head: get('/204') });
  assert.equal(n.status, 204);
  assert.notEqual(h.conn, n.conn);
  const last = await send(p, { head: get('/last') });
  assert.equal(last.body, 'for /last');
  assert.notEqual(last.conn, n.conn);
  p.close();
  srv.stop();
});
