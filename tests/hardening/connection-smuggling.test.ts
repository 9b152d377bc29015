/**
 * Issue 18, items 1 and 5 (client side): request smuggling through the
 * `Connection` header, transfer codings other than `chunked`, and HTTP/0.9
 * request lines followed by headers. Raw-socket client, raw TCP backend
 * (support/raw-backend.ts) that frames requests as a simple server would:
 * each case asserts what the client got AND what the backend saw (nothing
 * smuggled, nothing at all for a refused request), and that the worker that
 * served before still serves.
 *
 * Contract ("Hostile input, more precisely"): a `Connection` header that
 * names Content-Length, Transfer-Encoding, Host or a header the proxy sets
 * is refused with 400.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ingressManifest, manifestFile, serviceManifest } from '@meshgate/testing';
import { startMesh, type Mesh } from './support/mesh.ts';
import { rawExchange, type RawResult } from './support/raw-http.ts';
import { CRLF, RawBackend, okFor, type RawRequest } from './support/raw-backend.ts';
import { assertSameWorker, workerIdentity } from './support/worker-identity.ts';
import { parseResponses } from './support/responses.ts';

let mesh: Mesh;
const backend = new RawBackend();

before(async () => {
  const port = await backend.start();
  // Only /public is routed (and only for shop.example): /admin must never reach the backend.
  mesh = await startMesh({ 'shop.yaml': manifestFile(serviceManifest('shop', [port]), ingressManifest('shop', { '/public': 'shop' }, 'shop.example')) },
    { env: { MESHGATE_HEADER_TIMEOUT_MS: '2000', MESHGATE_ACCESS_LOG: 'off' } });
});

after(async () => {
  await mesh?.stop();
  await backend.stop();
});

const seen = (reqs: RawRequest[]) => reqs.map((r) => `${r.method} ${r.path}`);

/** Sends `bytes` on a fresh connection; returns what came back and what the backend saw meanwhile. */
async function exchange(bytes: string, quietMs = 400): Promise<{ res: RawResult; backend: RawRequest[] }> {
  backend.take();
  const res = await rawExchange(mesh.httpPort, [bytes], { quietMs });
  await new Promise((r) => setTimeout(r, 150)); // anything smuggled arrives now
  return { res, backend: backend.take() };
}

const SMUGGLED = `GET /admin HTTP/1.1${CRLF}Host: shop.example${CRLF}${CRLF}`;

test('Connection: close, content-length with a request in the body: 400, the backend sees nothing', async () => {
  const id = await workerIdentity(mesh);
  assert.equal(SMUGGLED.length, 43);
  const { res, backend: b } = await exchange(`POST /public/ HTTP/1.1${CRLF}Host: shop.example${CRLF}Connection: close, content-length${CRLF}Content-Length: 43${CRLF}${CRLF}${SMUGGLED}`);
  assert.deepEqual(res.statuses, [400], res.raw);
  assert.deepEqual(seen(b), [], 'nothing reaches the backend');
  assert.ok(res.closed);
  await assertSameWorker(mesh, id, 'Connection: content-length');
});

const named = [
  'content-length', 'Content-Length', 'transfer-encoding', 'host', 'HOST',
  'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-forwarded-port', 'x-real-ip', 'forwarded',
  'x-request-id', 'traceparent', 'tracestate',
];
for (const name of named) {
  test(`Connection naming ${name}: 400, the backend sees nothing`, async () => {
    const id = await workerIdentity(mesh);
    const te = name.toLowerCase() === 'transfer-encoding';
    const body = te ? `0${CRLF}${CRLF}` : '';
    const framing = te ? `Transfer-Encoding: chunked${CRLF}` : '';
    const { res, backend: b } = await exchange(`POST /public/x HTTP/1.1${CRLF}Host: shop.example${CRLF}Connection: keep-alive, ${name}${CRLF}${framing}X-Real-IP: 10.0.0.1${CRLF}Forwarded: for=10.0.0.1${CRLF}${CRLF}${body}${SMUGGLED}`);
    assert.deepEqual(res.statuses, [400], res.raw);
    assert.deepEqual(seen(b), []);
    assert.ok(res.closed, 'closed after the 400');
    await assertSameWorker(mesh, id, `Connection: ${name}`);
  });
}

test('a second Connection header line naming Host is refused too', async () => {
  const { res, backend: b } = await exchange(`GET /public/ HTTP/1.1${CRLF}Host: shop.example${CRLF}Connection: keep-alive${CRLF}Connection: Host${CRLF}${CRLF}`);
  assert.deepEqual(res.statuses, [400], res.raw);
  assert.deepEqual(seen(b), []);
});

test('Connection naming an ordinary header: served, that header is not forwarded', async () => {
  const { res, backend: b } = await exchange(`GET /public/ok HTTP/1.1${CRLF}Host: shop.example${CRLF}Connection: keep-alive, x-hop${CRLF}X-Hop: 1${CRLF}X-Kept: 2${CRLF}${CRLF}`);
  assert.deepEqual(res.statuses, [200], res.raw);
  assert.deepEqual(seen(b), ['GET /public/ok']);
  assert.equal(b[0]!.headers['x-hop'], undefined);
  assert.equal(b[0]!.headers['x-kept'], '2');
});

const WS = `Upgrade: websocket${CRLF}Sec-WebSocket-Version: 13${CRLF}Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==${CRLF}`;

for (const name of ['host', 'x-forwarded-for', 'content-length']) {
  test(`WebSocket upgrade with Connection naming ${name}: 400, the backend sees nothing`, async () => {
    const id = await workerIdentity(mesh);
    const { res, backend: b } = await exchange(`GET /public/ws HTTP/1.1${CRLF}Host: shop.example${CRLF}Connection: Upgrade, ${name}${CRLF}${WS}${CRLF}`);
    assert.deepEqual(res.statuses, [400], res.raw);
    assert.deepEqual(seen(b), []);
    await assertSameWorker(mesh, id, `WebSocket Connection: ${name}`);
  });
}

test('a plain WebSocket upgrade still goes through, both ways', async () => {
  backend.respond = (req, s) => {
    if (req.headers.upgrade !== 'websocket') return void s.write(okFor(req));
    s.write(`HTTP/1.1 101 Switching Protocols${CRLF}Upgrade: websocket${CRLF}Connection: Upgrade${CRLF}Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=${CRLF}${CRLF}`);
    // A tunnel from now on: echo.
    s.removeAllListeners('data');
    s.on('data', (d: Buffer) => s.write(`echo ${d.toString('latin1')}`));
  };
  try {
    backend.take();
    const res = await rawExchange(mesh.httpPort, [`GET /public/ws HTTP/1.1${CRLF}Host: shop.example${CRLF}Connection: Upgrade${CRLF}${WS}${CRLF}`, { pauseMs: 200 }, 'frame'], { quietMs: 400 });
    assert.deepEqual(res.statuses, [101], res.raw);
    assert.match(res.raw, /\r\n\r\necho frame$/, 'bytes the client sends after the 101 reach the backend');
    assert.deepEqual(seen(backend.take()), ['GET /public/ws']);
  } finally {
    backend.respond = (req, s) => s.write(okFor(req));
  }
});

/**
 * The response side: a backend's Connection header naming the framing
 * headers must not change how the client reads the response (the next
 * response on the same connection must still be read as one).
 */
for (const [label, answer] of [
  ['Connection: content-length', `HTTP/1.1 200 OK${CRLF}Connection: content-length${CRLF}Content-Length: 5${CRLF}${CRLF}hello`],
  ['Connection: keep-alive, content-length', `HTTP/1.1 200 OK${CRLF}Connection: keep-alive, content-length${CRLF}Content-Length: 5${CRLF}${CRLF}hello`],
  ['Connection: transfer-encoding on a chunked body', `HTTP/1.1 200 OK${CRLF}Connection: transfer-encoding${CRLF}Transfer-Encoding: chunked${CRLF}${CRLF}5${CRLF}hello${CRLF}0${CRLF}${CRLF}`],
  ['Connection: x-request-id, date', `HTTP/1.1 200 OK${CRLF}Connection: x-request-id, date${CRLF}X-Request-Id: theirs${CRLF}Content-Length: 5${CRLF}${CRLF}hello`],
] as const) {
  test(`response with ${label}: framed right towards the client, the next response intact`, async () => {
    const id = await workerIdentity(mesh);
    backend.respond = (req, s) => { s.write(req.path === '/public/first' ? answer : okFor(req)); };
    try {
      const get = (p: string) => `GET ${p} HTTP/1.1${CRLF}Host: shop.example${CRLF}${CRLF}`;
      const { res, backend: b } = await exchange(get('/public/first') + get('/public/second'));
      assert.deepEqual(seen(b), ['GET /public/first', 'GET /public/second']);
      const { responses, rest } = parseResponses(res.raw);
      assert.deepEqual(responses.map((r) => `${r.status} ${r.body}`), ['200 hello', '200 backend saw GET /public/second'], res.raw);
      assert.equal(rest, '', 'nothing past the two responses');
      for (const r of responses) {
        assert.ok(r.headers['content-length'] !== undefined || r.headers['transfer-encoding'] === 'chunked', 'a length or chunked');
        assert.ok(!/content-length|transfer-encoding/.test(r.headers.connection ?? ''), 'the backend Connection header is not passed on');
        assert.ok(r.headers['x-request-id'], 'an X-Request-Id');
      }
    } finally {
      backend.respond = (req, s) => s.write(okFor(req));
    }
    await assertSameWorker(mesh, id, label);
  });
}

// ---- transfer codings (nginx: "client sent unknown transfer-encoding", 501)

for (const te of ['identity, chunked', 'gzip, chunked', 'chunked, chunked', 'deflate']) {
  test(`Transfer-Encoding: ${te}: 501 (400 also accepted where the parser refuses it first), the backend sees nothing`, async () => {
    const id = await workerIdentity(mesh);
    const { res, backend: b } = await exchange(`POST /public/te HTTP/1.1${CRLF}Host: shop.example${CRLF}Transfer-Encoding: ${te}${CRLF}${CRLF}5${CRLF}hello${CRLF}0${CRLF}${CRLF}${SMUGGLED}`);
    assert.ok(res.statuses.length === 1 && [400, 501].includes(res.statuses[0]!), `${res.statuses}: ${res.raw}`);
    if (te.endsWith('chunked') && te !== 'chunked, chunked') assert.deepEqual(res.statuses, [501], 'a coding llhttp accepts: 501 as nginx');
    assert.deepEqual(seen(b), []);
    assert.ok(res.closed);
    await assertSameWorker(mesh, id, `Transfer-Encoding: ${te}`);
  });
}

test('Transfer-Encoding: Chunked (any case) is served', async () => {
  const { res, backend: b } = await exchange(`POST /public/te HTTP/1.1${CRLF}Host: shop.example${CRLF}Transfer-Encoding: Chunked${CRLF}${CRLF}5${CRLF}hello${CRLF}0${CRLF}${CRLF}`);
  assert.deepEqual(res.statuses, [200], res.raw);
  assert.deepEqual(b.map((r) => `${r.method} ${r.path} ${r.body}`), ['POST /public/te hello']);
});

// ---- HTTP/0.9 request lines

for (const [label, bytes] of [
  ['an HTTP/0.9 line followed by headers', `GET /public/${CRLF}Host: shop.example${CRLF}${CRLF}`],
  ['an HTTP/0.9 line followed by a request', `GET /public/${CRLF}${SMUGGLED}`],
  ['an HTTP/0.9 line alone', `GET /public/${CRLF}${CRLF}`],
] as const) {
  test(`${label}: 400, the backend sees nothing`, async () => {
    const id = await workerIdentity(mesh);
    const { res, backend: b } = await exchange(bytes);
    assert.deepEqual(res.statuses, [400], res.raw);
    assert.deepEqual(seen(b), []);
    await assertSameWorker(mesh, id, label);
  });
}
