/**
 * ingress-nginx's authentication cases (test/e2e/annotations/auth.go and
 * authtls.go) restated against a real proxy node: basic authentication from
 * an htpasswd Secret, external authentication (auth-url) against a real auth
 * service, and client certificates per host, plus the denied counter. Where
 * meshgate deliberately differs the test says so (docs/access-control.md).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import http2 from 'node:http2';
import bcrypt from 'bcryptjs';
import { makePki, request, type TestPki } from '@meshgate/testing';
import { startBackend, startMesh, service, ingress, tlsSecret, type Backend, type Mesh } from './harness.ts';

process.env.MESHGATE_ACCESS_LOG = 'off';

const N = 'nginx.ingress.kubernetes.io/';
let mesh: Mesh;
let echo: Backend;
let authService: http.Server;
let authPort: number;
let pki: TestPki;
const MTLS = ['authtls.foo.com', 'off.foo.com', 'page.foo.com', 'pass.foo.com', 'cn.foo.com', 'cnok.foo.com', 'plain.foo.com'];

const secret = (name: string, data: Record<string, string>) => `apiVersion: v1
kind: Secret
metadata: { name: ${name} }
type: Opaque
stringData: ${JSON.stringify(data)}
`;
const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;

/** httpbun's /basic-auth/user/password, a cookie setter, and a deny-all, as the e2e's auth services. */
function startAuthService(): Promise<void> {
  authService = http.createServer((req, res) => {
    if (req.url?.startsWith('/cookies/set/')) {
      const [, , , k, v] = req.url.split('/');
      res.writeHead(200, { 'set-cookie': `${k}=${v}` });
      return res.end('OK');
    }
    if (req.url?.startsWith('/basic-auth/user/password')) {
      const ok = req.headers.authorization === basic('user', 'password');
      res.writeHead(ok ? 200 : 401, ok ? { 'x-user': 'user' } : { 'www-authenticate': 'Basic realm="Fake Realm"' });
      return res.end();
    }
    res.writeHead(403);
    res.end();
  });
  return new Promise((r) => authService.listen(0, '127.0.0.1', () => { authPort = (authService.address() as { port: number }).port; r(); }));
}

const manifests = (authUp = true, password = 'bar') => {
  const hash = bcrypt.hashSync(password, 10);
  const auth = (p: string) => `http://127.0.0.1:${authPort}${p}`;
  const basicAnn = (extra: Record<string, string> = {}) => ({ [`${N}auth-type`]: 'basic', [`${N}auth-secret`]: 'basic-auth', [`${N}auth-realm`]: 'test auth', ...extra });
  const ext = { [`${N}auth-url`]: auth('/basic-auth/user/password'), [`${N}auth-signin`]: 'http://$host/auth/start' };
  const cached = { ...ext, [`${N}auth-cache-key`]: 'fixed', [`${N}auth-cache-duration`]: '200 201 401 30m' };
  const tls = (extra: Record<string, string>, host: string) => ingress(host.split('.')[0]!, { '/': 'echo' }, { host, tls: [{ hosts: [host], secret: 'ca-tls' }], annotations: { [`${N}auth-tls-secret`]: 'default/ca-tls', ...extra } });
  return {
    'svc.yaml': [service('echo', [echo.port]), authUp ? service('authsvc', [authPort]) : service('authsvc', [])].join('---\n'),
    'secrets.yaml': [
      secret('basic-auth', { auth: `foo:${hash}\n` }),
      secret('basic-map', { foo: hash }),
      secret('basic-bad', { auth: 'foo:' }),
      // The e2e's CreateIngressMASecret: server certificate and key, and the CA, in one Secret.
      tlsSecret('ca-tls', pki.server).replace('stringData:\n', `stringData:\n  ca.crt: ${JSON.stringify(pki.ca.cert)}\n`),
    ].join('---\n'),
    'basic.yaml': [
      ingress('noauth', { '/': 'echo' }, { host: 'noauth' }),
      ingress('auth', { '/': 'echo' }, { host: 'auth', annotations: basicAnn() }),
      ingress('invalid', { '/': 'echo' }, { host: 'invalid', annotations: basicAnn({ [`${N}auth-secret`]: 'something' }) }),
      ingress('map', { '/': 'echo' }, { host: 'map', annotations: basicAnn({ [`${N}auth-secret`]: 'basic-map', [`${N}auth-secret-type`]: 'auth-map' }) }),
      ingress('badcontent', { '/': 'echo' }, { host: 'badcontent', annotations: basicAnn({ [`${N}auth-secret`]: 'basic-bad' }) }),
    ].join('---\n'),
    'external.yaml': [
      ingress('ext', { '/': 'echo' }, { host: 'ext', annotations: { ...ext, [`${N}auth-response-headers`]: 'Foo' } }),
      ingress('extparam', { '/': 'echo' }, { host: 'extparam', annotations: { ...ext, [`${N}auth-signin-redirect-param`]: 'orig' } }),
      ingress('cookies', { '/': 'echo' }, { host: 'cookies', annotations: { [`${N}auth-url`]: auth('/cookies/set/alma/armud'), [`${N}auth-signin`]: 'http://$host/auth/start' } }),
      ingress('cookies-always', { '/': 'echo' }, { host: 'cookies-always', annotations: { [`${N}auth-url`]: auth('/cookies/set/alma/armud'), [`${N}auth-always-set-cookie`]: 'true' } }),
      ingress('foo-this', { '/foo': 'echo' }, { host: 'this', annotations: cached }),
      ingress('bar-this', { '/bar': 'echo' }, { host: 'this', annotations: cached }),
      ingress('foo-that', { '/foo': 'echo' }, { host: 'that', annotations: cached }),
      ingress('bysvc', { '/': 'echo' }, { host: 'bysvc', annotations: { [`${N}auth-url`]: 'http://authsvc.default.svc.cluster.local/basic-auth/user/password' } }),
    ].join('---\n'),
    'mtls.yaml': [
      tls({}, 'authtls.foo.com'),
      tls({ [`${N}auth-tls-verify-client`]: 'off', [`${N}auth-tls-verify-depth`]: '2' }, 'off.foo.com'),
      tls({ [`${N}auth-tls-error-page`]: 'http://errors.foo.com/error' }, 'page.foo.com'),
      tls({ [`${N}auth-tls-pass-certificate-to-upstream`]: 'true' }, 'pass.foo.com'),
      tls({ [`${N}auth-tls-match-cn`]: 'CN=notgonnamatch' }, 'cn.foo.com'),
      tls({ [`${N}auth-tls-match-cn`]: 'CN=(itwillmatch|withthenextoption|authtls)' }, 'cnok.foo.com'),
      ingress('plain', { '/': 'echo' }, { host: 'plain.foo.com', tls: [{ hosts: ['plain.foo.com'], secret: 'ca-tls' }] }),
    ].join('---\n'),
  };
};

before(async () => {
  pki = makePki(MTLS);
  echo = await startBackend('echo');
  // The auth-url cookie cases' backend answers 503 on /error.
  await startAuthService();
  mesh = await startMesh(manifests(), { allowErrors: true });
});

after(async () => {
  await mesh?.stop();
  await echo?.close();
  authService?.closeAllConnections();
  await new Promise<void>((r) => (authService ? authService.close(() => r()) : r()));
});

const get = (host: string, path = '/', headers: Record<string, string> = {}) => request(`${mesh.http}${path}`, { headers: { host, ...headers } });

test('basic auth (auth.go): 200 without auth configured; 503 with an invalid secret; 401 without or with wrong credentials; 200 with them', async () => {
  assert.equal((await get('noauth')).status, 200);
  const invalid = await get('invalid');
  assert.equal(invalid.status, 503);
  assert.match(invalid.body, /503 Service Temporarily Unavailable/);
  const none = await get('auth');
  assert.equal(none.status, 401);
  assert.match(none.body, /401 Authorization Required/);
  assert.equal(none.headers['www-authenticate'], 'Basic realm="test auth"');
  assert.equal((await get('auth', '/', { authorization: basic('user', 'pass') })).status, 401);
  const ok = await get('auth', '/', { authorization: basic('foo', 'bar') });
  assert.equal(ok.status, 200);
  assert.equal(JSON.parse(ok.body).headers.authorization, undefined, 'the credentials do not reach the backend');
  // Again: the verified credentials are cached in the worker.
  assert.equal((await get('auth', '/', { authorization: basic('foo', 'bar') })).status, 200);
  assert.equal((await get('map', '/', { authorization: basic('foo', 'bar') })).status, 200, 'auth-map');
  assert.equal((await get('badcontent', '/', { authorization: basic('foo', 'bar') })).status, 401, 'invalid content: 401');
});

test('external auth (auth.go): 200 when signed in; 302 to auth-signin with rd (or auth-signin-redirect-param) when not', async () => {
  assert.equal((await get('ext', '/', { authorization: basic('user', 'password') })).status, 200);
  const out = await get('ext', '/?a=b&c=d');
  assert.equal(out.status, 302);
  assert.equal(out.headers.location, `http://ext/auth/start?rd=http://ext${encodeURIComponent('/?a=b&c=d')}`);
  const param = await get('extparam', '/?a=b&c=d');
  assert.equal(param.headers.location, `http://extparam/auth/start?orig=http://extparam${encodeURIComponent('/?a=b&c=d')}`);
  // "should overwrite Foo header with auth response": the auth response has no Foo, so the client's does not go upstream.
  const foo = await get('ext', '/', { authorization: basic('user', 'password'), foo: 'bar' });
  assert.equal(foo.status, 200);
  assert.equal(JSON.parse(foo.body).headers.foo, undefined);
  // An auth-url naming a Service: its endpoints.
  assert.equal((await get('bysvc', '/', { authorization: basic('user', 'password') })).status, 200);
  assert.equal((await get('bysvc')).status, 401);
});

test('external auth cookies (auth.go): kept on 200, not on an upstream error, kept on errors with auth-always-set-cookie', async () => {
  const ok = await get('cookies', '/?a=b&c=d');
  assert.equal(ok.status, 200);
  assert.match(String(ok.headers['set-cookie']), /alma=armud/);
  const err = await get('cookies', '/status/503');
  assert.equal(err.status, 503);
  assert.equal(err.headers['set-cookie'], undefined);
  const always = await get('cookies-always', '/status/503');
  assert.equal(always.status, 503);
  assert.match(String(always.headers['set-cookie']), /alma=armud/);
});

test('external auth caching (auth.go): 200 after the auth service is gone; 500 for another location and another server', async () => {
  const signedIn = { authorization: basic('user', 'password') };
  // The cache is per worker thread (docs/access-control.md): fresh connections reach every worker.
  for (let i = 0; i < 20; i++) assert.equal((await get('this', '/foo', signedIn)).status, 200);
  // The auth service goes away.
  authService.closeAllConnections();
  await new Promise<void>((r) => authService.close(() => r()));
  assert.equal((await get('this', '/foo', signedIn)).status, 200, 'cached');
  assert.equal((await get('this', '/bar', signedIn)).status, 500, 'another location: not cached, and the auth service is unreachable: 500, never a pass');
  assert.equal((await get('that', '/foo', signedIn)).status, 500, 'another server');
  assert.equal((await get('ext', '/', signedIn)).status, 500, 'no cache: 500');
  await new Promise<void>((r) => authService.listen(authPort, '127.0.0.1', r));
});

const tlsGet = (sni: string, host: string, cert?: { cert: string; key: string }) =>
  request(`${mesh.https}/`, { headers: { host }, servername: sni, ca: pki.ca.cert, ...(cert ?? {}) });

test('client certificates (authtls.go): 400 without, 200 with; verify off; error page; pass the certificate; match-cn', async () => {
  const none = await tlsGet('authtls.foo.com', 'authtls.foo.com');
  assert.equal(none.status, 400);
  assert.match(none.body, /No required SSL certificate was sent/);
  assert.equal((await tlsGet('authtls.foo.com', 'authtls.foo.com', pki.client)).status, 200);
  assert.equal((await tlsGet('authtls.foo.com', 'authtls.foo.com', pki.foreign)).status, 400);
  assert.equal((await tlsGet('off.foo.com', 'off.foo.com')).status, 200);
  const page = await tlsGet('page.foo.com', 'page.foo.com');
  assert.equal(page.status, 302);
  assert.equal(page.headers.location, 'http://errors.foo.com/error');
  assert.equal((await tlsGet('page.foo.com', 'page.foo.com', pki.client)).status, 200);
  const pass = await tlsGet('pass.foo.com', 'pass.foo.com', pki.client);
  assert.equal(pass.status, 200);
  const seen = JSON.parse(pass.body).headers;
  assert.match(seen['ssl-client-cert'], /^-----BEGIN%20CERTIFICATE-----%0A/);
  assert.equal(seen['ssl-client-verify'], 'SUCCESS');
  assert.equal(seen['ssl-client-subject-dn'], 'CN=authtls,O=meshgate');
  assert.equal((await tlsGet('cn.foo.com', 'cn.foo.com', pki.client)).status, 403);
  assert.equal((await tlsGet('cnok.foo.com', 'cnok.foo.com', pki.client)).status, 200);
});

test('client certificates: a Host that needs one on a connection whose SNI did not ask for it is 421, HTTP/1.1 and HTTP/2', async () => {
  const r = await tlsGet('plain.foo.com', 'authtls.foo.com', pki.client);
  assert.equal(r.status, 421);
  assert.equal((await tlsGet('authtls.foo.com', 'plain.foo.com', pki.client)).status, 200, 'the other way round needs nothing');
  // HTTP/2 coalescing: one connection (SNI plain.foo.com), a stream for the mTLS host.
  const session = http2.connect(mesh.https, { servername: 'plain.foo.com', ca: pki.ca.cert, ...pki.client });
  try {
    const status = (authority: string) => new Promise<number>((resolve, reject) => {
      const s = session.request({ ':path': '/', ':authority': authority });
      s.on('response', (h) => resolve(h[':status'] as number));
      s.on('error', reject);
      s.resume();
      s.end();
    });
    assert.equal(await status('plain.foo.com'), 200);
    assert.equal(await status('authtls.foo.com'), 421);
  } finally {
    session.close();
  }
});

test('refusals are counted by reason on /metrics', async () => {
  const text = (await request(`${mesh.node.adminUrl}/metrics`)).body;
  assert.match(text, /meshgate_denied_total\{[^}]*reason="auth"\} [1-9]/);
  assert.match(text, /meshgate_denied_total\{[^}]*reason="mtls"\} [1-9]/);
});

test('a changed Secret takes effect at once: the verified credentials of the old one are not kept', async () => {
  assert.equal((await get('auth', '/', { authorization: basic('foo', 'bar') })).status, 200);
  await mesh.apply(manifests(true, 'baz'));
  assert.equal((await get('auth', '/', { authorization: basic('foo', 'bar') })).status, 401);
  assert.equal((await get('auth', '/', { authorization: basic('foo', 'baz') })).status, 200);
});
