/**
 * TLS termination in the workers: ALPN h2 and http/1.1 on one port, SNI
 * (exact, wildcard, default), session resumption across workers, and a new
 * certificate taking effect without dropping open connections.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import http2 from 'node:http2';
import https from 'node:https';
import tls from 'node:tls';
import { startBackend, startMesh, service, ingress, tlsSecret, makeCert, type Backend, type Mesh } from './harness.ts';

process.env.MESHGATE_ACCESS_LOG = 'off';

let mesh: Mesh;
let echo: Backend;
const certs = {
  a: makeCert('a.test', ['a.test']),
  b: makeCert('b.test', ['b.test']),
  wild: makeCert('wild', ['*.wild.test']),
  def: makeCert('default', ['default.test']),
};
const files = (a = certs.a) => ({
  'svc.yaml': service('echo', [echo.port]),
  'secrets.yaml': [tlsSecret('a', a), tlsSecret('b', certs.b), tlsSecret('wild', certs.wild), tlsSecret('def', certs.def)].join('---\n'),
  'ing.yaml': [
    ingress('def', { '/': 'echo' }, { tls: [{ hosts: [], secret: 'def' }] }),
    ingress('a', { '/': 'echo' }, { host: 'a.test', tls: [{ hosts: ['a.test'], secret: 'a' }] }),
    ingress('b', { '/': 'echo' }, { host: 'b.test', tls: [{ hosts: ['b.test'], secret: 'b' }] }),
    ingress('wild', { '/': 'echo' }, { host: '*.wild.test', tls: [{ hosts: ['*.wild.test'], secret: 'wild' }] }),
  ].join('---\n'),
});

before(async () => {
  echo = await startBackend('echo');
  mesh = await startMesh(files(), { workers: 2 });
});

after(async () => {
  await mesh?.stop();
  await echo?.close();
});

function peerCert(servername: string | undefined, session?: Buffer): Promise<{ cn: string; alpn: string | false; reused: boolean; session?: Buffer; fingerprint: string }> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port: mesh.httpsPort, servername, rejectUnauthorized: false, ALPNProtocols: ['h2', 'http/1.1'], session });
    let ticket: Buffer | undefined;
    s.on('session', (t) => { ticket = t; });
    s.once('secureConnect', () => {
      const c = s.getPeerCertificate();
      const out = { cn: String(c.subject?.CN), alpn: s.alpnProtocol ?? false, reused: s.isSessionReused(), fingerprint: c.fingerprint256 };
      // TLS 1.3 sends the ticket after the handshake: wait a moment for it.
      setTimeout(() => { s.end(); resolve({ ...out, session: ticket ?? s.getSession() }); }, 50);
    });
    s.on('error', reject);
  });
}

test('SNI picks the certificate: two exact hosts, a wildcard, the default for unknown names and for no SNI', async () => {
  assert.equal((await peerCert('a.test')).cn, 'a.test');
  assert.equal((await peerCert('b.test')).cn, 'b.test');
  assert.equal((await peerCert('x.wild.test')).cn, 'wild');
  assert.equal((await peerCert('deep.x.wild.test')).cn, 'default', 'a wildcard covers one label only');
  assert.equal((await peerCert('unknown.example')).cn, 'default');
  assert.equal((await peerCert(undefined)).cn, 'default');
});

test('ALPN offers h2 and http/1.1', async () => {
  assert.equal((await peerCert('a.test')).alpn, 'h2');
});

test('HTTP/1.1 over TLS through the proxy, X-Forwarded-Proto https', async () => {
  const body = await new Promise<string>((resolve, reject) => {
    https.get({ host: '127.0.0.1', port: mesh.httpsPort, path: '/x', servername: 'a.test', headers: { host: 'a.test' }, rejectUnauthorized: false, agent: false }, (res) => {
      assert.equal(res.httpVersion, '1.1');
      let b = '';
      res.on('data', (c) => { b += c; });
      res.on('end', () => resolve(b));
    }).on('error', reject);
  });
  const seen = JSON.parse(body);
  assert.equal(seen.headers['x-forwarded-proto'], 'https');
  assert.equal(seen.headers.host, 'a.test');
});

test('HTTP/2 over TLS through the proxy (node:http2 client): streams multiplexed, :authority becomes Host', async () => {
  const client = http2.connect(`https://127.0.0.1:${mesh.httpsPort}`, { servername: 'b.test', rejectUnauthorized: false });
  try {
    const one = (path: string) => new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = client.request({ ':path': path, ':authority': 'b.test' });
      let status = 0;
      let body = '';
      req.on('response', (h) => { status = Number(h[':status']); });
      req.on('data', (c) => { body += c; });
      req.on('end', () => resolve({ status, body }));
      req.on('error', reject);
    });
    const rs = await Promise.all([one('/1'), one('/2'), one('/3?q=1')]);
    for (const r of rs) assert.equal(r.status, 200);
    const seen = JSON.parse(rs[2]!.body);
    assert.equal(seen.url, '/3?q=1');
    assert.equal(seen.headers.host, 'b.test');
    assert.equal(seen.headers['x-forwarded-proto'], 'https');
  } finally {
    client.close();
  }
});

test('curl --http2 works', { skip: !process.env.PATH?.split(':').some((d) => { return fs.existsSync(`${d}/curl`); }) && 'curl not installed' }, async () => {
  const out = await new Promise<string>((resolve, reject) => {
    execFile('curl', ['-sk', '--http2', '--resolve', `a.test:${mesh.httpsPort}:127.0.0.1`, '-o', '/dev/null', '-w', '%{http_code} %{http_version}', `https://a.test:${mesh.httpsPort}/`], (err, stdout) => err ? reject(err) : resolve(stdout));
  });
  assert.equal(out, '200 2');
});

test('TLS sessions resume on any worker (shared ticket keys)', async () => {
  const first = await peerCert('a.test');
  assert.ok(first.session);
  let reused = 0;
  for (let i = 0; i < 8; i++) if ((await peerCert('a.test', first.session)).reused) reused++;
  assert.equal(reused, 8, 'every new connection (spread over 2 workers by reusePort) resumed');
});

test('a new Secret takes effect without restart, and open connections keep working', async () => {
  const client = http2.connect(`https://127.0.0.1:${mesh.httpsPort}`, { servername: 'a.test', rejectUnauthorized: false });
  const get = () => new Promise<number>((resolve, reject) => {
    const req = client.request({ ':path': '/', ':authority': 'a.test' });
    req.on('response', (h) => resolve(Number(h[':status'])));
    req.on('error', reject);
    req.resume();
  });
  try {
    assert.equal(await get(), 200);
    const before = (await peerCert('a.test')).fingerprint;
    const renewed = makeCert('a.test', ['a.test']);
    await mesh.apply(files(renewed));
    const after = (await peerCert('a.test')).fingerprint;
    assert.notEqual(after, before, 'new connections get the new certificate');
    assert.equal(await get(), 200, 'the connection opened before the change still serves');
  } finally {
    client.close();
  }
});
