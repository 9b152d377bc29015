import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import tls from 'node:tls';
import { makePki, type KeyPair, type TestPki } from '@meshgate/testing';
import type { SnapshotContent } from '@meshgate/protocol';
import { routedContext } from '../pipeline/test-context.ts';
import { TlsStore } from '../tls-store.ts';
import { AccessIndex } from './access-index.ts';
import { clientCert, rfc2253 } from './client-cert.ts';
import type { Respond } from './filter.ts';

type ClientAuth = NonNullable<SnapshotContent['clientAuth']>[number];
let pki: TestPki;
const HOSTS = ['mtls.test', 'opt.test', 'noca.test', 'off.test', 'cn.test', 'page.test', 'deep.test', 'missing.test', 'plain.test'];

before(() => { pki = makePki(HOSTS); });

/** A TLS server on `store` (its SNI callback as the listeners', with the socket as `this`); each connection's server side. */
async function serve(store: () => TlsStore): Promise<{ port: number; accepted: tls.TLSSocket[]; close(): void }> {
  const accepted: tls.TLSSocket[] = [];
  const server = tls.createServer({ ...pki.server, SNICallback(this: tls.TLSSocket, name, cb) { cb(null, store().sni(name, this)); } }, (s) => { accepted.push(s); s.on('error', () => {}); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as { port: number }).port, accepted, close: () => { for (const s of accepted) s.destroy(); server.close(); } };
}

function setup(configs: ClientAuth[]) {
  const access = new AccessIndex({ clientAuth: configs });
  const store = new TlsStore([{ id: 'default/tls', hosts: HOSTS, cert: pki.server.cert, key: pki.server.key }], undefined, undefined, access.clientAuth);
  return { access, store };
}

const entry = (hosts: string[], over: Partial<ClientAuth> = {}): ClientAuth => ({ hosts, ingress: 'default/i', ca: pki.ca.cert, verify: 'on', depth: 1, passCertificate: false, ...over });

let server: Awaited<ReturnType<typeof serve>>;
let current: ReturnType<typeof setup>;
const configs = () => [
  entry(['mtls.test'], { passCertificate: true }), entry(['opt.test'], { verify: 'optional' }), entry(['noca.test'], { verify: 'optional_no_ca' }),
  entry(['off.test'], { verify: 'off' }), entry(['cn.test'], { matchCn: 'CN=(itwillmatch|authtls)' }), entry(['page.test'], { errorPage: 'http://errors.test/error' }),
  entry(['deep.test'], { depth: 0 }), entry(['missing.test'], { ca: undefined }),
];

before(async () => {
  current = setup(configs());
  server = await serve(() => current.store);
});
after(() => server.close());

/** Connects with SNI `sni` (and a client certificate), then runs the filter for a request with Host `host`. */
async function request(sni: string, host: string, cert?: KeyPair): Promise<{ verdict: Respond | undefined; headers: Record<string, unknown> }> {
  const n = server.accepted.length;
  const c = tls.connect({ port: server.port, host: '127.0.0.1', servername: sni, ca: pki.ca.cert, ...(cert ?? {}) });
  c.on('error', () => {});
  await new Promise<void>((r, j) => { c.once('secureConnect', r); c.once('error', j); });
  while (server.accepted.length === n) await new Promise((r) => setTimeout(r, 5));
  const socket = server.accepted[n]!;
  const { ctx } = routedContext({ headers: { host, 'ssl-client-verify': 'SUCCESS' }, tlsSocket: socket });
  const f = clientCert.compile(ctx.route!.policy, { httpsPort: 443, access: current.access })!;
  const verdict = f.onRequest!(ctx) as Respond | undefined;
  c.destroy();
  return { verdict, headers: ctx.req.headers };
}

test('auth-tls "on" (e2e "should set sslClientCertificate ..."): 400 without a certificate, 200 with one; the result goes upstream', async () => {
  const none = await request('mtls.test', 'mtls.test');
  assert.equal(none.verdict?.status, 400);
  assert.match(none.verdict!.body!, /No required SSL certificate was sent/);
  const ok = await request('mtls.test', 'mtls.test', pki.client);
  assert.equal(ok.verdict, undefined);
  assert.equal(ok.headers['ssl-client-verify'], 'SUCCESS');
  assert.equal(ok.headers['ssl-client-subject-dn'], 'CN=authtls,O=meshgate');
  assert.equal(ok.headers['ssl-client-issuer-dn'], 'CN=meshgate test CA');
  // e2e "should pass URL-encoded certificate to upstream".
  assert.match(String(ok.headers['ssl-client-cert']), /^-----BEGIN%20CERTIFICATE-----%0A/);
  for (const bad of [pki.foreign, pki.selfSigned]) {
    const r = await request('mtls.test', 'mtls.test', bad);
    assert.equal(r.verdict?.status, 400);
    assert.match(r.verdict!.body!, /The SSL certificate error/);
  }
  assert.equal((await request('mtls.test', 'mtls.test', pki.viaIntermediate)).verdict, undefined, 'one intermediate: depth 1 (the default) allows it');
  assert.equal((await request('mtls.test', 'mtls.test', { cert: pki.viaIntermediate.cert.slice(0, pki.viaIntermediate.cert.indexOf('-----END CERTIFICATE-----') + 26), key: pki.viaIntermediate.key })).verdict?.status, 400, 'the intermediate not sent: no chain to the CA');
});

test('auth-tls-verify-client optional, optional_no_ca and off', async () => {
  assert.equal((await request('opt.test', 'opt.test')).headers['ssl-client-verify'], 'NONE');
  assert.equal((await request('opt.test', 'opt.test', pki.foreign)).verdict?.status, 400, 'optional: a certificate that fails is still refused');
  const noca = await request('noca.test', 'noca.test', pki.selfSigned);
  assert.equal(noca.verdict, undefined, 'optional_no_ca: an unknown CA passes');
  assert.match(String(noca.headers['ssl-client-verify']), /^FAILED:/);
  const off = await request('off.test', 'off.test', pki.client);
  assert.equal(off.verdict, undefined);
  assert.equal(off.headers['ssl-client-verify'], 'NONE', 'off: no certificate is asked for, and the client\'s own header is replaced');
});

test('auth-tls-match-cn: 403 when the subject does not match (e2e); auth-tls-error-page: 302 instead of 400; depth; a missing CA is 403', async () => {
  assert.equal((await request('cn.test', 'cn.test', pki.client)).verdict, undefined);
  current = setup(configs().map((c) => (c.hosts[0] === 'cn.test' ? { ...c, matchCn: 'CN=notgonnamatch' } : c)));
  const no = await request('cn.test', 'cn.test', pki.client);
  assert.equal(no.verdict?.status, 403);
  assert.match(no.verdict!.body!, /client certificate unauthorized/);
  current = setup(configs());
  assert.deepEqual((await request('page.test', 'page.test')).verdict?.headers, ['location', 'http://errors.test/error']);
  assert.equal((await request('page.test', 'page.test', pki.client)).verdict, undefined);
  assert.equal((await request('deep.test', 'deep.test', pki.viaIntermediate)).verdict?.status, 400, 'depth 0: no intermediate');
  assert.equal((await request('deep.test', 'deep.test', pki.client)).verdict, undefined);
  assert.equal((await request('missing.test', 'missing.test', pki.client)).verdict?.status, 403);
});

test('SNI and Host must agree on an mTLS host: 421 when the connection did not ask for this host\'s certificate', async () => {
  const r = await request('plain.test', 'mtls.test', pki.client);
  assert.equal(r.verdict?.status, 421);
  assert.equal((await request('opt.test', 'mtls.test', pki.client)).verdict?.status, 421, 'asked with another host\'s profile');
  // The other way round is fine: the Host needs nothing.
  assert.equal((await request('mtls.test', 'plain.test', pki.client)).verdict, undefined);
  // Host with a port and in capitals is the same host.
  assert.equal((await request('mtls.test', 'MTLS.test:8443', pki.client)).verdict, undefined);
});

test('plain HTTP to a host that requires a certificate is 400; optional passes with NONE', () => {
  const f = clientCert.compile(routedContext().ctx.route!.policy, { httpsPort: 443, access: current.access })!;
  const on = routedContext({ headers: { host: 'mtls.test' } }).ctx;
  const v = f.onRequest!(on) as Respond;
  assert.equal(v.status, 400);
  assert.equal(v.deniedBy, 'mtls');
  const opt = routedContext({ headers: { host: 'opt.test' } }).ctx;
  assert.equal(f.onRequest!(opt), undefined);
  assert.equal(clientCert.compile(routedContext().ctx.route!.policy, { httpsPort: 443 }), undefined, 'no client-certificate host: no filter');
  assert.equal(rfc2253('C=US\nO=a, b\nCN=x'), 'CN=x,O=a\\, b,C=US');
});
