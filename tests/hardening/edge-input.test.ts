/**
 * Hostile input at the edge (issue 18; contract "Hostile input, more
 * precisely"): HTTP/2 :authority against host, HTTP/2 header limits equal to
 * HTTP/1's, strict path segments (and `--path-strictness relaxed`), and the
 * forwarded headers with `--trusted-proxies`. Real processes: nats-server,
 * the config service, a proxy node with one worker (flags from the
 * environment, as MESHGATE_* twins) and a second one with command-line flags;
 * a counting backend records exactly what got through. After everything
 * hostile, neither proxy replaced its worker.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import { request } from '@meshgate/testing';
import { WebSocketServer, WebSocket } from 'ws';
import { CountingBackend } from './support/counting-backend.ts';
import { makeCert, tlsSecret } from './support/certs.ts';
import { rawExchange } from './support/raw-http.ts';
import { serviceManifests, startExtraProxy, startMesh, workerRestarts, type ExtraProxy, type Mesh } from './support/mesh.ts';

let mesh: Mesh;
let relaxed: ExtraProxy;
const backend = new CountingBackend();
let ws: WebSocketServer;

function manifests(port: number, wsPort: number): Record<string, string> {
  return {
    'web.yaml': serviceManifests('web', port),
    'ws.yaml': serviceManifests('ws', wsPort),
    'tls.yaml': tlsSecret('shop-tls', makeCert('shop.example')),
    'ingress.yaml': `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: shop}
spec:
  tls: [{hosts: [shop.example], secretName: shop-tls}]
  rules:
  - host: shop.example
    http:
      paths:
      - {path: /public, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
      - {path: /ws, pathType: Prefix, backend: {service: {name: ws, port: {number: 80}}}}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: admin}
spec:
  rules:
  - host: admin.internal
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
`,
  };
}

before(async () => {
  const port = await backend.start();
  ws = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  ws.on('connection', (sock, req) => sock.send(JSON.stringify(req.headers)));
  await new Promise((r) => ws.once('listening', r));
  const wsPort = (ws.address() as { port: number }).port;
  // 127.0.0.2 is a trusted proxy; the tests' usual peer, 127.0.0.1, is not.
  mesh = await startMesh(manifests(port, wsPort), { env: { MESHGATE_ACCESS_LOG: 'off', MESHGATE_TRUSTED_PROXIES: '10.0.0.0/8,127.0.0.2/32,2001:db8::/32' } });
  relaxed = await startExtraProxy(mesh, 'relaxed-1', ['--path-strictness', 'relaxed']);
});

after(async () => {
  await relaxed?.stop();
  await mesh?.stop();
  await backend.stop();
  ws?.close();
});

interface H2Result { status: number; body: string; error?: string; rstCode?: number }

/** One request per session-level call on `session` (several may share it). */
function h2(session: http2.ClientHttp2Session, headers: http2.OutgoingHttpHeaders): Promise<H2Result> {
  return new Promise((resolve) => {
    const s = session.request({ ':method': 'GET', ...headers });
    let status = 0;
    let body = '';
    s.on('response', (h) => { status = Number(h[':status']); });
    s.setEncoding('utf8');
    s.on('data', (c: string) => { body += c; });
    s.on('end', () => resolve({ status, body }));
    s.on('error', (e: NodeJS.ErrnoException) => resolve({ status, body, error: e.code ?? e.message, rstCode: s.rstCode }));
    s.end();
  });
}

async function h2Session(port: number): Promise<http2.ClientHttp2Session> {
  const session = http2.connect(`https://127.0.0.1:${port}`, { servername: 'shop.example', rejectUnauthorized: false });
  session.on('error', () => {});
  await new Promise<void>((resolve, reject) => { session.once('connect', () => resolve()); session.once('error', reject); });
  return session;
}

// ---- 1. :authority and host

test('HTTP/2: a host header that differs from :authority gets 400 and reaches no backend', async () => {
  const s = await h2Session(mesh.httpsPort);
  try {
    backend.take();
    const r = await h2(s, { ':authority': 'shop.example', host: 'admin.internal', ':path': '/public/x' });
    assert.equal(r.status, 400);
    assert.match(r.body, /host header and :authority differ/);
    // The same authority in other spellings is no disagreement (RFC 3986 6.2: case, the default port).
    assert.equal((await h2(s, { ':authority': 'shop.example', host: 'SHOP.example:443', ':path': '/public/same' })).status, 200);
    assert.equal((await h2(s, { ':authority': 'shop.example', ':path': '/public/only-authority' })).status, 200);
    const seen = backend.take().requests;
    assert.deepEqual(seen.map((x) => x.url), ['/public/same', '/public/only-authority']);
    assert.equal(seen[1]!.headers.host, 'shop.example');
  } finally {
    s.close();
  }
});

test('HTTP/1 absolute-form: the target\'s authority wins and replaces Host (RFC 9112 3.2.2)', async () => {
  backend.take();
  const r = await rawExchange(mesh.httpPort, ['GET http://shop.example/public/abs HTTP/1.1\r\nHost: admin.internal\r\n\r\n']);
  assert.deepEqual(r.statuses, [200]);
  const seen = backend.take().requests;
  assert.equal(seen.length, 1);
  assert.equal(seen[0]!.url, '/public/abs');
  assert.equal(seen[0]!.headers.host, 'shop.example');
});

// ---- 2. HTTP/2 header limits equal to HTTP/1's (16 KB, 100 fields)

const many = (n: number, size = 1): Record<string, string> => Object.fromEntries(Array.from({ length: n }, (_, i) => [`x-h${i}`, 'v'.repeat(size)]));

test('HTTP/2 header limits: 431 past the HTTP/1 limits, a stream reset far past them; the session and the worker go on', async () => {
  const s = await h2Session(mesh.httpsPort);
  const base = { ':authority': 'shop.example', ':path': '/public/limits' };
  try {
    backend.take();
    assert.equal((await h2(s, { ...base, ...many(95) })).status, 200, '95 fields pass');
    assert.equal((await h2(s, { ...base, 'x-big': 'b'.repeat(15_000) })).status, 200, 'a 15 KB field passes');
    const r101 = await h2(s, { ...base, ...many(101) });
    assert.equal(r101.status, 431, `101 fields: ${JSON.stringify(r101)}`);
    assert.match(r101.body, /more than 100 header fields/);
    assert.equal((await h2(s, { ...base, ...many(150) })).status, 431, '150 fields');
    assert.equal((await h2(s, { ...base, 'x-big': 'b'.repeat(17_000) })).status, 431, 'a 17 KB field');
    // Far past: nghttp2 refuses while decoding; the stream is reset with ENHANCE_YOUR_CALM.
    const r300 = await h2(s, { ...base, ...many(300) });
    assert.equal(r300.status, 0, `300 fields: ${JSON.stringify(r300)}`);
    assert.equal(r300.rstCode, http2.constants.NGHTTP2_ENHANCE_YOUR_CALM);
    const r40k = await h2(s, { ...base, 'x-big': 'b'.repeat(40_000) });
    assert.equal(r40k.status, 0, `a 40 KB field: ${JSON.stringify(r40k)}`);
    // The session itself is fine.
    assert.equal((await h2(s, { ...base, ':path': '/public/after' })).status, 200);
    assert.deepEqual(backend.take().requests.map((x) => x.url), ['/public/limits', '/public/limits', '/public/after']);
  } finally {
    s.close();
  }
  // The same sizes over HTTP/1: 431 too.
  const h1 = (headers: Record<string, string>) => request(`http://127.0.0.1:${mesh.httpPort}/public/limits`, { headers: { host: 'shop.example', ...headers } });
  assert.equal((await h1(many(101))).status, 431);
  assert.equal((await h1({ 'x-big': 'b'.repeat(17_000) })).status, 431);
});

// ---- 4. strict path segments

const AMBIGUOUS = ['/public/..;/admin', '/public/.;x/admin', '/public/%2e%2e;/admin', '/public/%2E%2E;jsessionid=x/admin', '/public/..%3b/admin', '/public/..%5cadmin', '/public/a%5Cb'];

test('strict paths (the default): dot segments with ;parameters and encoded backslashes get 400 before routing', async () => {
  backend.take();
  for (const path of AMBIGUOUS) {
    const r = await rawExchange(mesh.httpPort, [`GET ${path} HTTP/1.1\r\nHost: shop.example\r\nConnection: close\r\n\r\n`]);
    assert.deepEqual(r.statuses, [400], `${path}: ${r.raw.slice(0, 200)}`);
    assert.match(r.raw, /path-strictness relaxed/);
  }
  const s = await h2Session(mesh.httpsPort);
  try {
    assert.equal((await h2(s, { ':authority': 'shop.example', ':path': '/public/..;/admin' })).status, 400, 'HTTP/2 too');
  } finally {
    s.close();
  }
  const up = await rawExchange(mesh.httpPort, ['GET /ws/..;/x HTTP/1.1\r\nHost: shop.example\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n']);
  assert.deepEqual(up.statuses, [400], 'a WebSocket upgrade too');
  assert.match(up.raw, /dot segment with parameters/);
  // Ordinary parameters and dots are fine.
  for (const path of ['/public/a;b/c', '/public/...;/x', '/public/.well-known/x', '/public/x%3By']) {
    const r = await rawExchange(mesh.httpPort, [`GET ${path} HTTP/1.1\r\nHost: shop.example\r\nConnection: close\r\n\r\n`]);
    assert.deepEqual(r.statuses, [200], path);
  }
  assert.deepEqual(backend.take().requests.map((x) => x.url), ['/public/a;b/c', '/public/...;/x', '/public/.well-known/x', '/public/x%3By']);
});

test('--path-strictness relaxed: the same paths are routed by their literal segments and forwarded', async () => {
  backend.take();
  for (const path of AMBIGUOUS) {
    const r = await rawExchange(relaxed.httpPort, [`GET ${path} HTTP/1.1\r\nHost: shop.example\r\nConnection: close\r\n\r\n`]);
    assert.deepEqual(r.statuses, [200], `${path}: ${r.raw.slice(0, 200)}`);
  }
  // normalizePath decodes %2e and upper-cases escapes: what the backend gets.
  assert.deepEqual(backend.take().requests.map((x) => x.url), ['/public/..;/admin', '/public/.;x/admin', '/public/..;/admin', '/public/..;jsessionid=x/admin', '/public/..%3B/admin', '/public/..%5Cadmin', '/public/a%5Cb']);
});

// ---- 5. forwarded headers and --trusted-proxies

const FORGED = {
  'x-forwarded-for': '6.6.6.6', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'evil.example', 'x-forwarded-port': '1',
  forwarded: 'for=6.6.6.6;proto=https', 'x-real-ip': '6.6.6.6',
};
const forgedLines = Object.entries(FORGED).map(([k, v]) => `${k}: ${v}\r\n`).join('');
const pick = (h: Record<string, unknown>) => Object.fromEntries(Object.keys(FORGED).map((k) => [k, h[k]]));

test('an untrusted client\'s X-Forwarded-*, Forwarded and X-Real-IP are replaced or dropped (HTTP/1, HTTP/2, WebSocket)', async () => {
  backend.take();
  const r = await rawExchange(mesh.httpPort, [`GET /public/fwd HTTP/1.1\r\nHost: shop.example\r\n${forgedLines}\r\n`]);
  assert.deepEqual(r.statuses, [200]);
  const ours = { 'x-forwarded-for': '127.0.0.1', 'x-forwarded-proto': 'http', 'x-forwarded-host': 'shop.example', 'x-forwarded-port': undefined, forwarded: undefined, 'x-real-ip': '127.0.0.1' };
  assert.deepEqual(pick(backend.take().requests[0]!.headers), ours);

  const s = await h2Session(mesh.httpsPort);
  try {
    assert.equal((await h2(s, { ':authority': 'shop.example', ':path': '/public/fwd2', ...FORGED })).status, 200);
  } finally {
    s.close();
  }
  assert.deepEqual(pick(backend.take().requests[0]!.headers), { ...ours, 'x-forwarded-proto': 'https' });

  const sock = new WebSocket(`ws://127.0.0.1:${mesh.httpPort}/ws/fwd`, { headers: { host: 'shop.example', ...FORGED } });
  const seen = JSON.parse(String(await new Promise((resolve, reject) => { sock.once('message', resolve); sock.once('error', reject); }))) as Record<string, unknown>;
  sock.close();
  assert.deepEqual(pick(seen), ours);
});

test('a trusted proxy\'s headers are kept and appended to; X-Real-IP is the real client (right to left past trusted hops)', async () => {
  backend.take();
  const r = await rawExchange(mesh.httpPort, [`GET /public/fwd HTTP/1.1\r\nHost: shop.example\r\n${forgedLines.replace('6.6.6.6\r\nx-forwarded-proto', '198.51.100.7, 10.1.1.1\r\nx-forwarded-proto')}\r\n`], { localAddress: '127.0.0.2' });
  assert.deepEqual(r.statuses, [200]);
  assert.deepEqual(pick(backend.take().requests[0]!.headers), {
    'x-forwarded-for': '198.51.100.7, 10.1.1.1, 127.0.0.2', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'evil.example', 'x-forwarded-port': '1',
    forwarded: 'for=6.6.6.6;proto=https, for=127.0.0.2', 'x-real-ip': '198.51.100.7',
  });
  // Trusted, but sending none of them: ours.
  const bare = await rawExchange(mesh.httpPort, ['GET /public/bare HTTP/1.1\r\nHost: shop.example\r\n\r\n'], { localAddress: '127.0.0.2' });
  assert.deepEqual(bare.statuses, [200]);
  assert.deepEqual(pick(backend.take().requests[0]!.headers), { 'x-forwarded-for': '127.0.0.2', 'x-forwarded-proto': 'http', 'x-forwarded-host': 'shop.example', 'x-forwarded-port': undefined, forwarded: undefined, 'x-real-ip': '127.0.0.2' });
});

test('after everything hostile neither proxy replaced its worker', async () => {
  assert.equal((await request(`http://127.0.0.1:${mesh.httpPort}/public/alive`, { headers: { host: 'shop.example' } })).status, 200);
  assert.equal(await workerRestarts(mesh.adminPort), 0);
  assert.equal(await workerRestarts(relaxed.adminPort), 0);
  assert.equal(mesh.proxy.child.exitCode, null);
  assert.equal(relaxed.proc.child.exitCode, null);
});
