import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import tls from 'node:tls';
import { TlsStore } from './tls-store.ts';
import { tlsProfileOptions, type TlsProfile } from './tls-profile.ts';

/** A self-signed EC certificate made by openssl now (no private key in the repo). */
function cert(cn: string): { cert: string; key: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meshgate-tls-store-'));
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', path.join(dir, 'k'), '-out', path.join(dir, 'c'), '-days', '2', '-subj', `/CN=${cn}`], { stdio: 'ignore' });
    return { cert: fs.readFileSync(path.join(dir, 'c'), 'utf8'), key: fs.readFileSync(path.join(dir, 'k'), 'utf8') };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const a = { id: 'default/a', ...cert('a.example.com') };
const b = { id: 'default/b', ...cert('b.example.com') };

test('SNI: exact names, then one-label wildcards, else the default certificate', () => {
  const s = new TlsStore([{ ...a, hosts: ['a.example.com'] }, { ...b, hosts: ['*.example.com'] }]);
  const ctxA = s.find('A.example.com');
  assert.ok(ctxA);
  assert.equal(s.find('x.example.com'), s.find('y.example.com'));
  assert.notEqual(s.find('x.example.com'), ctxA);
  assert.equal(s.find('deep.x.example.com'), s.defaultContext, 'a wildcard covers one label only');
  assert.equal(s.find(undefined), s.defaultContext);
  assert.equal(s.defaultPem?.cert, a.cert, 'no certificate without hosts: the first one is the default');
});

test('a new snapshot with the same certificates builds no secure context again; a changed one is built', () => {
  const keys = randomBytes(48);
  const first = new TlsStore([{ ...a, hosts: ['a.example.com'] }, { ...b, hosts: ['b.example.com'] }], keys);
  // Another snapshot: same PEMs (new strings, as decoded from a new snapshot), hosts moved around.
  const again = new TlsStore([{ id: 'default/a', cert: `${a.cert}`, key: `${a.key}`, hosts: ['a.example.com', 'c.example.com'] }, { ...b, hosts: ['b.example.com'] }], keys);
  assert.equal(again.find('a.example.com'), first.find('a.example.com'));
  assert.equal(again.find('c.example.com'), first.find('a.example.com'));
  assert.equal(again.find('b.example.com'), first.find('b.example.com'));
  // Other ticket keys: other contexts (a ticket must not resume across them).
  const otherKeys = new TlsStore([{ ...a, hosts: ['a.example.com'] }], randomBytes(48));
  assert.notEqual(otherKeys.find('a.example.com'), first.find('a.example.com'));
  // b was dropped by the last store: it comes back as a new context.
  const back = new TlsStore([{ ...b, hosts: ['b.example.com'] }], keys);
  assert.notEqual(back.find('b.example.com'), first.find('b.example.com'));
});

// ---- TLS profiles (tls-profile.ts) on the server's own context and on SNI contexts

const sni = { id: 'default/sni', hosts: ['sni.example.com'], ...cert('sni.example.com') };
const def = cert('default.example.com');
const servers: tls.Server[] = [];
after(() => { for (const s of servers) s.close(); });

/** A TLS server set up as the data plane sets up its listener: the profile on the server's own context and on each SNI context. */
async function serve(profile: TlsProfile): Promise<number> {
  const store = new TlsStore([sni], undefined, tlsProfileOptions(profile));
  const server = tls.createServer({ ...def, ...tlsProfileOptions(profile), SNICallback: (name, cb) => cb(null, store.find(name)) }, (s) => s.end('ok'));
  server.on('tlsClientError', () => {});
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as { port: number }).port;
}

/** The protocol and cipher agreed, or the error. */
function hello(port: number, opts: tls.ConnectionOptions): Promise<string> {
  return new Promise((resolve) => {
    const s = tls.connect({ port, host: '127.0.0.1', rejectUnauthorized: false, ...opts }, () => {
      resolve(`${s.getProtocol()} ${s.getCipher().standardName}`);
      s.destroy();
    });
    s.on('error', (e: NodeJS.ErrnoException) => resolve(`refused: ${e.code ?? e.message}`));
  });
}

// What the client offers. TLS 1.0/1.1 need OpenSSL security level 0 on the client side too.
const TLS11 = { minVersion: 'TLSv1.1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' } as const;
const CBC12 = { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA384:ECDHE-ECDSA-AES128-SHA256' } as const;
const AEAD12 = { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256' } as const;
const TLS13 = { minVersion: 'TLSv1.3' } as const;

for (const servername of [undefined, 'sni.example.com']) {
  const on = servername ? 'an SNI certificate' : 'the default certificate';

  test(`intermediate (default), ${on}: TLS 1.1 and CBC suites refused; TLS 1.2 AEAD and TLS 1.3 served`, async () => {
    const port = await serve('intermediate');
    const o = servername ? { servername } : {};
    assert.match(await hello(port, { ...o, ...TLS11 }), /^refused/);
    assert.match(await hello(port, { ...o, ...CBC12 }), /^refused/);
    assert.equal(await hello(port, { ...o, ...AEAD12 }), 'TLSv1.2 TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256');
    assert.match(await hello(port, { ...o, ...TLS13 }), /^TLSv1\.3 /);
  });

  test(`modern, ${on}: TLS 1.2 refused, TLS 1.3 served`, async () => {
    const port = await serve('modern');
    const o = servername ? { servername } : {};
    assert.match(await hello(port, { ...o, ...AEAD12 }), /^refused/);
    assert.match(await hello(port, { ...o, maxVersion: 'TLSv1.2' }), /^refused/);
    assert.match(await hello(port, { ...o, ...TLS13 }), /^TLSv1\.3 /);
  });

  test(`old, ${on}: TLS 1.1 and CBC served (so the refusals above are the server's)`, async () => {
    const port = await serve('old');
    const o = servername ? { servername } : {};
    assert.match(await hello(port, { ...o, ...TLS11 }), /^TLSv1\.1 /);
    assert.match(await hello(port, { ...o, ...CBC12 }), /^TLSv1\.2 TLS_ECDHE_ECDSA_WITH_AES_\d+_CBC_SHA/);
    assert.match(await hello(port, { ...o, ...TLS13 }), /^TLSv1\.3 /);
  });
}

test('old prefers the server\'s cipher order; modern and intermediate let the client choose', async () => {
  // The client lists CBC first: under old the server's order (AEAD first) wins.
  const offer = { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES128-GCM-SHA256' } as const;
  assert.equal(await hello(await serve('old'), offer), 'TLSv1.2 TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256');
  const clientFirst = { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES128-GCM-SHA256' } as const;
  assert.equal(await hello(await serve('intermediate'), clientFirst), 'TLSv1.2 TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256');
  assert.equal(tlsProfileOptions('modern').honorCipherOrder, false);
});
