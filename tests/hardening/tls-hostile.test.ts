/**
 * Hostile input on the HTTPS listener (issue 9, item 2): garbage instead of a
 * ClientHello, plaintext HTTP, truncated handshakes, clients that stall, old
 * protocol versions, unknown SNI. The proxy must refuse cleanly, hand out
 * only the certificates it should, pass nothing to the backend, and keep
 * serving HTTPS from the same worker.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import tls from 'node:tls';
import http2 from 'node:http2';
import { request } from '@meshgate/testing';
import { makeCert, tlsSecret } from './support/certs.ts';
import { CountingBackend } from './support/counting-backend.ts';
import { startMesh, webManifests, type Mesh } from './support/mesh.ts';
import { rawExchange } from './support/raw-http.ts';

const HEADER_TIMEOUT_MS = 1_000;
let mesh: Mesh;
const backend = new CountingBackend();
const defaultCert = makeCert('default.meshgate.test');
const shopCert = makeCert('shop.meshgate.test');

before(async () => {
  const port = await backend.start();
  const tlsSection = '  tls:\n  - secretName: default-cert\n  - hosts: [shop.meshgate.test]\n    secretName: shop-cert\n';
  mesh = await startMesh({
    'web.yaml': webManifests(port, tlsSection),
    'secrets.yaml': `${tlsSecret('default-cert', defaultCert)}---\n${tlsSecret('shop-cert', shopCert)}`,
  }, { env: { MESHGATE_HEADER_TIMEOUT_MS: String(HEADER_TIMEOUT_MS), MESHGATE_ACCESS_LOG: 'off' } });
});

after(async () => {
  await mesh?.stop();
  await backend.stop();
});

/** The CN of the certificate the proxy presents for `servername` (undefined: no SNI). */
async function presentedCn(servername?: string): Promise<string | undefined> {
  return await new Promise((resolve, reject) => {
    const s = tls.connect({ port: mesh.httpsPort, host: '127.0.0.1', rejectUnauthorized: false, ...(servername ? { servername } : {}) }, () => {
      const cn = s.getPeerCertificate().subject?.CN;
      s.destroy();
      resolve(Array.isArray(cn) ? cn[0] : cn);
    });
    s.on('error', reject);
  });
}

/** Opens a TCP connection to the HTTPS port, writes `bytes`, and reports whether the proxy closed it within `withinMs`. */
async function closedWithin(bytes: Buffer, withinMs: number): Promise<{ closed: boolean; reply: Buffer }> {
  const s = net.connect({ port: mesh.httpsPort, host: '127.0.0.1' });
  const chunks: Buffer[] = [];
  s.on('data', (b) => chunks.push(b));
  s.on('error', () => {});
  await new Promise<void>((r) => s.once('connect', () => r()));
  if (bytes.length) s.write(bytes);
  const closed = await Promise.race([
    new Promise<boolean>((r) => s.once('close', () => r(true))),
    new Promise<boolean>((r) => setTimeout(() => r(false), withinMs)),
  ]);
  s.destroy();
  return { closed, reply: Buffer.concat(chunks) };
}

/** The first bytes of a real ClientHello (for truncation). */
async function clientHello(): Promise<Buffer> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as net.AddressInfo).port;
  const got = new Promise<Buffer>((resolve) => srv.once('connection', (c) => c.once('data', (b: Buffer) => { resolve(b); c.destroy(); })));
  const s = tls.connect({ port, host: '127.0.0.1', servername: 'shop.meshgate.test', rejectUnauthorized: false });
  s.on('error', () => {});
  const hello = await got;
  s.destroy();
  srv.close();
  return hello;
}

const httpsOk = async (servername?: string) => (await request(`https://127.0.0.1:${mesh.httpsPort}/tls-ok`, { rejectUnauthorized: false, ...(servername ? { servername } : {}) })).status;

test('SNI picks the certificate; unknown SNI and no SNI get the default certificate', async () => {
  assert.equal(await presentedCn('shop.meshgate.test'), 'shop.meshgate.test');
  assert.equal(await presentedCn('unknown.example'), 'default.meshgate.test');
  assert.equal(await presentedCn(undefined), 'default.meshgate.test');
  assert.equal(await httpsOk('unknown.example'), 200);
});

test('garbage instead of a ClientHello: the connection is closed, nothing reaches the backend', async () => {
  backend.take();
  for (const bytes of [Buffer.from('\x16\x03\x01\xff\xff' + 'A'.repeat(2000), 'latin1'), Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 131 + 7) & 255)), Buffer.alloc(1024)]) {
    const r = await closedWithin(bytes, 3_000);
    assert.ok(r.closed, 'the proxy closes a connection that does not speak TLS');
    // At most a TLS alert record (content type 21), never an HTTP response.
    assert.ok(r.reply.length === 0 || r.reply[0] === 21, `reply: ${r.reply.subarray(0, 16).toString('hex')}`);
  }
  assert.equal(backend.take().requests.length, 0);
});

test('plain HTTP sent to the HTTPS port is refused, not proxied', async () => {
  backend.take();
  const r = await rawExchange(mesh.httpsPort, ['GET /plain-on-tls HTTP/1.1\r\nHost: shop.meshgate.test\r\n\r\n'], { quietMs: 1_500 });
  assert.ok(r.closed, 'closed');
  assert.ok(!r.raw.includes('backend saw'), r.raw.slice(0, 200));
  assert.equal(backend.take().requests.length, 0);
});

test('truncated ClientHellos: the proxy closes the connection once the handshake times out', async () => {
  const hello = await clientHello();
  for (const cut of [5, 20, Math.floor(hello.length / 2)]) {
    const r = await closedWithin(hello.subarray(0, cut), HEADER_TIMEOUT_MS * 4);
    assert.ok(r.closed, `a ClientHello cut at ${cut} of ${hello.length} bytes: still open after ${HEADER_TIMEOUT_MS * 4} ms (handshake timeout)`);
  }
});

test('a client that opens a connection and says nothing is closed after the timeout', async () => {
  const r = await closedWithin(Buffer.alloc(0), HEADER_TIMEOUT_MS * 4);
  assert.ok(r.closed, `an idle TCP connection on the HTTPS port is still open after ${HEADER_TIMEOUT_MS * 4} ms`);
});

test('the handshake timeout ends with the handshake: idle kept-alive HTTPS connections (h1 and h2) still serve', async () => {
  const get = (path: string) => `GET ${path} HTTP/1.1\r\nHost: shop.meshgate.test\r\n\r\n`;
  const r = await rawExchange(mesh.httpsPort, [get('/ka1'), { pauseMs: HEADER_TIMEOUT_MS * 2.5 }, get('/ka2')], { tls: { servername: 'shop.meshgate.test' }, quietMs: 500 });
  assert.deepEqual(r.statuses, [200, 200], r.raw.slice(0, 200));
  const session = http2.connect(`https://127.0.0.1:${mesh.httpsPort}`, { servername: 'shop.meshgate.test', rejectUnauthorized: false });
  session.on('error', () => {});
  try {
    const h2get = (path: string) => new Promise<number>((resolve, reject) => {
      const st = session.request({ ':path': path, ':authority': 'shop.meshgate.test' });
      st.on('response', (h) => resolve(Number(h[':status'])));
      st.on('error', reject);
      st.resume();
      st.end();
    });
    assert.equal(await h2get('/h2-1'), 200);
    await new Promise((r) => setTimeout(r, HEADER_TIMEOUT_MS * 2.5));
    assert.equal(await h2get('/h2-2'), 200);
  } finally {
    session.destroy();
  }
});

test('a client that completes the handshake and sends no request gets 408 or a close', async () => {
  const r = await rawExchange(mesh.httpsPort, [], { tls: { servername: 'shop.meshgate.test' }, quietMs: HEADER_TIMEOUT_MS * 4, maxMs: HEADER_TIMEOUT_MS * 5 });
  assert.ok(r.closed, 'closed');
  assert.ok(r.statuses.length === 0 || r.statuses[0] === 408, `statuses ${r.statuses}`);
});

test('TLS 1.0 and 1.1 are refused (minimum TLS 1.2)', async () => {
  for (const maxVersion of ['TLSv1', 'TLSv1.1'] as const) {
    const err = await new Promise<string | undefined>((resolve) => {
      const s = tls.connect({ port: mesh.httpsPort, host: '127.0.0.1', rejectUnauthorized: false, minVersion: 'TLSv1', maxVersion, ciphers: 'DEFAULT:@SECLEVEL=0' }, () => { s.destroy(); resolve(undefined); });
      s.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
    });
    assert.ok(err, `${maxVersion} handshake succeeded`);
  }
});

test('stalled handshakes do not block others: 50 stalled clients, HTTPS still answers', async () => {
  const hello = await clientHello();
  const stalled = await Promise.all(Array.from({ length: 50 }, async () => {
    const s = net.connect({ port: mesh.httpsPort, host: '127.0.0.1' });
    s.on('error', () => {});
    await new Promise<void>((r) => s.once('connect', () => r()));
    s.write(hello.subarray(0, 30));
    return s;
  }));
  try {
    for (let i = 0; i < 5; i++) assert.equal(await httpsOk('shop.meshgate.test'), 200);
  } finally {
    for (const s of stalled) s.destroy();
  }
});

test('after the hostile TLS input the same worker still serves HTTPS and HTTP', async () => {
  backend.take();
  for (let i = 0; i < 10; i++) assert.equal(await httpsOk(i % 2 ? 'shop.meshgate.test' : undefined), 200);
  assert.equal((await request(`http://127.0.0.1:${mesh.httpPort}/plain`)).status, 200);
  assert.equal(backend.take().requests.filter((s) => s.complete).length, 11);
  const status = JSON.parse((await request(`http://127.0.0.1:${mesh.adminPort}/status`)).body) as { workerRestarts: number };
  assert.equal(status.workerRestarts, 0);
});
