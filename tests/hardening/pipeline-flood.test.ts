/**
 * Issue 18: a flood of pipelined requests behind a slow one. It used to
 * kill the worker ("Maximum call stack size exceeded": every synchronous
 * answer started the next request from inside the previous one's end) after
 * queueing all of them. Now the proxy reads at most a small queue ahead
 * (H1Server's MAX_PIPELINE) and starts requests in a loop: every request is
 * answered, in order, by the same worker.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import tls from 'node:tls';
import { manifestFile, serviceManifest } from '@meshgate/testing';
import { makeCert, tlsSecret } from './support/certs.ts';
import { startMesh, type Mesh } from './support/mesh.ts';
import { CRLF, RawBackend, okFor } from './support/raw-backend.ts';
import { parseResponses } from './support/responses.ts';
import { assertSameWorker, workerIdentity } from './support/worker-identity.ts';

let mesh: Mesh;
const backend = new RawBackend();

before(async () => {
  const port = await backend.start();
  backend.respond = (req, s) => {
    if (req.path === '/slow') setTimeout(() => s.write(okFor(req)), 1_000);
    else s.write(okFor(req));
  };
  // HTTPS too: TLS hands the parser every record it decrypted, reads stopped or not.
  const ingress = `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: { name: shop }
spec:
  tls: [{ secretName: shop-cert }]
  rules:
  - host: shop.example
    http: { paths: [{ path: /, pathType: Prefix, backend: { service: { name: shop, port: { number: 80 } } } }] }
`;
  mesh = await startMesh({ 'shop.yaml': manifestFile(serviceManifest('shop', [port]), ingress), 'secret.yaml': tlsSecret('shop-cert', makeCert('shop.example')) },
    { env: { MESHGATE_ACCESS_LOG: 'off' } });
});

after(async () => {
  await mesh?.stop();
  await backend.stop();
});

/** Writes `requests` pipelined on one connection and reads until `expected` responses came (or 90 s passed). */
async function pipeline(requests: string[], expected: number, overTls = false): Promise<{ raw: string; closed: boolean; error?: string }> {
  const sock: net.Socket = overTls
    ? tls.connect({ port: mesh.httpsPort, host: '127.0.0.1', servername: 'shop.example', rejectUnauthorized: false, ALPNProtocols: ['http/1.1'] })
    : net.connect({ port: mesh.httpPort, host: '127.0.0.1' });
  let raw = '';
  let closed = false;
  let error: string | undefined;
  let count = 0;
  return await new Promise((resolve) => {
    const done = () => { clearTimeout(timer); sock.destroy(); resolve({ raw, closed, ...(error ? { error } : {}) }); };
    const timer = setTimeout(done, 90_000);
    let scanned = 0;
    sock.on('data', (b: Buffer) => {
      raw += b.toString('latin1');
      // Status lines so far (one may straddle two reads: scan from a little before the new bytes).
      for (let at = raw.indexOf('HTTP/1.1 ', Math.max(0, scanned - 8)); at >= 0; at = raw.indexOf('HTTP/1.1 ', at + 1)) count++;
      scanned = raw.length;
      if (count >= expected) done();
    });
    sock.on('error', (e: NodeJS.ErrnoException) => { error = e.code ?? e.message; });
    sock.on('close', () => { closed = true; done(); });
    sock.on(overTls ? 'secureConnect' : 'connect', () => {
      // In pieces of 1,000 requests: the proxy stops reading while its queue is full, so the writes back up.
      for (let i = 0; i < requests.length; i += 1_000) sock.write(requests.slice(i, i + 1_000).join(''));
    });
  });
}

const get = (path: string, host = 'shop.example') => `GET ${path} HTTP/1.1${CRLF}Host: ${host}${CRLF}${CRLF}`;

for (const overTls of [false, true]) test(`20,000 pipelined requests behind a slow one (unrouted, 404, then a routed one)${overTls ? ' over TLS' : ''}: all answered, in order, by the same worker`, async () => {
  const id = await workerIdentity(mesh);
  backend.take();
  const N = 20_000;
  const requests = [get('/slow')];
  const want: string[] = ['200 /slow'];
  for (let i = 0; i < N; i++) {
    // Unrouted ones are answered synchronously: with no routed one among them, nothing breaks a recursion.
    requests.push(get(`/x/${i}`, 'other.example'));
    want.push('404');
  }
  requests.push(get('/routed/last'));
  want.push('200 /routed/last');
  const res = await pipeline(requests, N + 2, overTls);
  const { responses } = parseResponses(res.raw);
  const got = responses.map((r) => (r.status === 200 ? `200 ${r.body.replace('backend saw GET ', '')}` : String(r.status)));
  assert.equal(got.length, N + 2, `all answered (closed ${res.closed}, error ${res.error ?? 'none'})`);
  assert.deepEqual(got, want, 'in order');
  assert.deepEqual(backend.take().map((r) => r.path), want.filter((w) => w.startsWith('200')).map((w) => w.slice(4)), 'the backend saw the routed ones, in order');
  await assertSameWorker(mesh, id, 'pipelined flood');
});

test('2,000 pipelined routed requests behind a slow one: each gets its own answer, in order', async () => {
  const id = await workerIdentity(mesh);
  backend.take();
  const N = 2_000;
  const requests = [get('/slow'), ...Array.from({ length: N }, (_, i) => get(`/p/${i}`))];
  const res = await pipeline(requests, N + 1);
  const { responses } = parseResponses(res.raw);
  assert.equal(responses.length, N + 1, `all answered (closed ${res.closed}, error ${res.error ?? 'none'})`);
  assert.deepEqual(responses.map((r) => r.body), ['backend saw GET /slow', ...Array.from({ length: N }, (_, i) => `backend saw GET /p/${i}`)]);
  await assertSameWorker(mesh, id, 'pipelined routed flood');
});

test('pipelined requests with bodies and a malformed one at the end: answered in order, then 400', async () => {
  const id = await workerIdentity(mesh);
  backend.take();
  const post = (i: number) => `POST /b/${i} HTTP/1.1${CRLF}Host: shop.example${CRLF}Content-Length: 5${CRLF}${CRLF}ab${i % 10}de`;
  const requests = [get('/slow'), ...Array.from({ length: 100 }, (_, i) => post(i)), `GET /bad HTTP/1.1${CRLF}Host: shop.example${CRLF}Bad Header: x${CRLF}${CRLF}`];
  const res = await pipeline(requests, 102);
  const { responses } = parseResponses(res.raw);
  assert.deepEqual(responses.map((r) => r.status), [200, ...Array.from({ length: 100 }, () => 200), 400]);
  const seen = backend.take();
  assert.deepEqual(seen.map((r) => `${r.path} ${r.body}`), ['/slow ', ...Array.from({ length: 100 }, (_, i) => `/b/${i} ab${i % 10}de`)]);
  await assertSameWorker(mesh, id, 'pipelined bodies');
});

for (const behindSlow of [false, true]) test(`a WebSocket upgrade over TLS${behindSlow ? ', pipelined behind a slow GET,' : ''} followed at once by 60 KB for the tunnel: every byte reaches the tunnel, none is read as a request`, async () => {
  const id = await workerIdentity(mesh);
  backend.take();
  let tunnel = '';
  const respond = backend.respond;
  backend.respond = (req, s) => {
    if (req.headers.upgrade !== 'websocket') return respond(req, s, 0);
    s.write(`HTTP/1.1 101 Switching Protocols${CRLF}Upgrade: websocket${CRLF}Connection: Upgrade${CRLF}${CRLF}`);
    s.removeAllListeners('data');
    s.on('data', (d: Buffer) => { tunnel += d.toString('latin1'); });
  };
  try {
    // More than one TLS record's worth (16 KB) after the head, made of things that parse as requests.
    const payload = get('/smuggled').repeat(Math.ceil(60_000 / get('/smuggled').length));
    const head = `GET /ws HTTP/1.1${CRLF}Host: shop.example${CRLF}Connection: Upgrade${CRLF}Upgrade: websocket${CRLF}Sec-WebSocket-Version: 13${CRLF}Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==${CRLF}${CRLF}`;
    const sock = tls.connect({ port: mesh.httpsPort, host: '127.0.0.1', servername: 'shop.example', rejectUnauthorized: false, ALPNProtocols: ['http/1.1'] });
    sock.on('error', () => {});
    let raw = '';
    sock.on('data', (b: Buffer) => { raw += b.toString('latin1'); });
    await new Promise<void>((r) => sock.once('secureConnect', () => r()));
    sock.write((behindSlow ? get('/slow') : '') + head + payload);
    for (let i = 0; i < 200 && tunnel.length < payload.length; i++) await new Promise((r) => setTimeout(r, 50));
    sock.destroy();
    assert.match(raw, behindSlow ? /^HTTP\/1\.1 200 [^]*backend saw GET \/slowHTTP\/1\.1 101 / : /^HTTP\/1\.1 101 /);
    assert.equal(tunnel.length, payload.length, 'every byte after the head reached the tunnel');
    assert.equal(tunnel, payload);
    assert.deepEqual(backend.take().map((r) => r.path), [...(behindSlow ? ['/slow'] : []), '/ws'], 'nothing in the tunnel was proxied as a request');
  } finally {
    backend.respond = respond;
  }
  await assertSameWorker(mesh, id, 'upgrade over TLS');
});
