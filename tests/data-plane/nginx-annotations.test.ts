/**
 * ingress-nginx's annotation cases (its test/e2e/annotations suite, and the
 * redirect cases of test/e2e/ssl and test/e2e/settings/tls.go) restated
 * against a real proxy node, for the annotations meshgate supports: the HTTPS
 * redirect (on by default for class nginx with tls, force-ssl-redirect,
 * preserve-trailing-slash), proxy-body-size, proxy-read-timeout, retries and
 * upstream-hash-by. Where meshgate deliberately differs the test says so
 * (docs/ingress-nginx.md): its redirect names the HTTPS port when not 443.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { freePort, request } from '@meshgate/testing';
import { makeCert, startBackend, startMesh, service, ingress, tlsSecret, type Backend, type Mesh } from './harness.ts';

process.env.MESHGATE_ACCESS_LOG = 'off';

const N = 'nginx.ingress.kubernetes.io/';
let mesh: Mesh;
const echo: Backend[] = [];
let dead: number[];
let ca: string;

/** A v1 Ingress of class nginx (the harness's ingress() with `ingressClassName: nginx`). */
const nginxIngress = (name: string, paths: Record<string, string>, opts: Parameters<typeof ingress>[2] = {}) =>
  ingress(name, paths, opts).replace('\nspec:', '\nspec:\n  ingressClassName: nginx');

before(async () => {
  for (const n of ['a', 'b', 'c']) echo.push(await startBackend(n));
  dead = [await freePort(), await freePort(), await freePort()];
  const cert = makeCert('redirect.com', ['redirect.com', 'forcesslredirect.bar.com', 'preserve.bar.com', 'noredirect.com']);
  ca = cert.cert;
  const tls = (host: string) => [{ hosts: [host], secret: 'tls' }];
  mesh = await startMesh({
    'svc.yaml': [service('echo', echo.map((b) => b.port)), service('one', [echo[0]!.port]), service('dead', dead)].join('---\n'),
    'tls.yaml': tlsSecret('tls', cert),
    'ing.yaml': [
      // forcesslredirect.go: no tls section, force-ssl-redirect "true".
      nginxIngress('force', { '/': 'one' }, { host: 'forcesslredirect.bar.com', annotations: { [`${N}force-ssl-redirect`]: 'true' } }),
      // ssl/http_redirect.go and settings/tls.go: tls and no annotation.
      nginxIngress('redirect', { '/': 'one' }, { host: 'redirect.com', tls: tls('redirect.com') }),
      // preservetrailingslash.go
      nginxIngress('preserve', { '/': 'one' }, { host: 'preserve.bar.com', tls: tls('preserve.bar.com'), annotations: { [`${N}ssl-redirect`]: 'true', [`${N}preserve-trailing-slash`]: 'true' } }),
      nginxIngress('noredirect', { '/': 'one' }, { host: 'noredirect.com', tls: tls('noredirect.com'), annotations: { [`${N}ssl-redirect`]: 'false' } }),
      nginxIngress('plain', { '/': 'one' }, { host: 'plain.com' }),
      // proxy.go: "should set proxy client-max-body-size to 8m", "... not ... to incorrect value" (the default stays: 1m).
      nginxIngress('body8m', { '/': 'one' }, { host: 'body8m.com', annotations: { [`${N}proxy-body-size`]: '8m' } }),
      nginxIngress('bodybad', { '/': 'one' }, { host: 'bodybad.com', annotations: { [`${N}proxy-body-size`]: '15r' } }),
      // proxy.go: "should set valid proxy timeouts" (20 s), and a short one that fires.
      nginxIngress('timeouts', { '/': 'one' }, { host: 'timeouts.com', annotations: { [`${N}proxy-connect-timeout`]: '50', [`${N}proxy-send-timeout`]: '20', [`${N}proxy-read-timeout`]: '20' } }),
      nginxIngress('read1', { '/': 'one' }, { host: 'read1.com', annotations: { [`${N}proxy-read-timeout`]: '1' } }),
      // Retries: every endpoint refuses, so the attempts show in the 502.
      nginxIngress('tries-default', { '/': 'dead' }, { host: 'tries-default.com' }),
      nginxIngress('tries2', { '/': 'dead' }, { host: 'tries2.com', annotations: { [`${N}proxy-next-upstream-tries`]: '2' } }),
      nginxIngress('tries-off', { '/': 'dead' }, { host: 'tries-off.com', annotations: { [`${N}proxy-next-upstream`]: 'off' } }),
      nginxIngress('tries-all', { '/': 'dead' }, { host: 'tries-all.com', annotations: { [`${N}proxy-next-upstream-tries`]: '0' } }),
      // upstreamhashby.go: "should connect to the same pod".
      nginxIngress('hash-uri', { '/': 'echo' }, { host: 'hash-uri.com', annotations: { [`${N}upstream-hash-by`]: '$request_uri' } }),
      nginxIngress('hash-header', { '/': 'echo' }, { host: 'hash-header.com', annotations: { [`${N}upstream-hash-by`]: '$http_x_user' } }),
    ].join('---\n'),
  }, { workers: 2, ingressClass: 'meshgate,nginx' });
});

after(async () => {
  await mesh?.stop();
  for (const b of echo) await b.close();
});

const get = (host: string, path = '/', headers: Record<string, string> = {}) => request(`${mesh.http}${path}`, { headers: { host, ...headers } });

test('force-ssl-redirect: 308 to https without a tls section, the trailing slash dropped (forcesslredirect.go)', async () => {
  const r = await get('forcesslredirect.bar.com');
  assert.equal(r.status, 308);
  // ingress-nginx: "https://forcesslredirect.bar.com" (its HTTPS port is 443; meshgate names its own when it is not).
  assert.equal(r.headers.location, `https://forcesslredirect.bar.com:${mesh.httpsPort}`);
  const deep = await get('forcesslredirect.bar.com', '/a/b/?q=1');
  assert.equal(deep.headers.location, `https://forcesslredirect.bar.com:${mesh.httpsPort}/a/b/?q=1`, 'a query ends the target: nothing to drop');
  assert.equal((await get('forcesslredirect.bar.com', '/a/b/')).headers.location, `https://forcesslredirect.bar.com:${mesh.httpsPort}/a/b`);
});

test('class nginx with tls redirects by default, HTTPS is served, ssl-redirect "false" turns it off, no tls no redirect (http_redirect.go, tls.go)', async () => {
  const r = await get('redirect.com');
  assert.equal(r.status, 308);
  assert.equal(r.headers.location, `https://redirect.com:${mesh.httpsPort}`);
  const s = await request(`https://127.0.0.1:${mesh.httpsPort}/`, { headers: { host: 'redirect.com' }, ca, servername: 'redirect.com' });
  assert.equal(s.status, 200, s.body);
  assert.equal((await get('noredirect.com')).status, 200);
  assert.equal((await get('plain.com')).status, 200);
});

test('preserve-trailing-slash keeps the slash in the redirect (preservetrailingslash.go)', async () => {
  const r = await get('preserve.bar.com');
  assert.equal(r.status, 308);
  assert.equal(r.headers.location, `https://preserve.bar.com:${mesh.httpsPort}/`);
});

/** A POST that declares `length` bytes and sends them (or, over the limit, waits for the early answer). */
function post(host: string, length: number, send: boolean): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const req = http.request(`${mesh.http}/upload`, { method: 'POST', agent: false, headers: { host, 'content-length': length } }, (res) => {
      let body = '';
      res.on('data', (c) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', (e) => resolve({ status: 0, body: String(e) }));
    if (send) req.end(Buffer.alloc(length, 120));
    else req.flushHeaders();
  });
}

test('proxy-body-size: 8m lets 7 MiB through and answers 413 above; an invalid size keeps the 1m default (proxy.go)', async () => {
  const ok = await post('body8m.com', 7 * 1024 * 1024, true);
  assert.deepEqual([ok.status, ok.body], [200, String(7 * 1024 * 1024)]);
  const big = await post('body8m.com', 8 * 1024 * 1024 + 1, false);
  assert.equal(big.status, 413);
  assert.match(big.body, /larger than 8388608 bytes/);
  assert.equal((await post('bodybad.com', 1024 * 1024 + 1, false)).status, 413, 'class nginx: 1m by default');
  assert.equal((await post('bodybad.com', 1024 * 1024, true)).status, 200);
});

test('proxy-read-timeout: 504 when the response headers take longer; 20 s lets a slow answer through (proxy.go)', async () => {
  const slow = await get('read1.com', '/slow/2500');
  assert.equal(slow.status, 504);
  assert.match(slow.body, /did not answer within 1000 ms/);
  assert.equal((await get('timeouts.com', '/slow/1500')).status, 200);
});

test('proxy-next-upstream-tries and proxy-next-upstream off: the attempts a refused connection gets', async () => {
  const attempts = async (host: string) => {
    const r = await get(host);
    assert.equal(r.status, 502, r.body);
    return r.body;
  };
  assert.match(await attempts('tries-default.com'), /after 3 attempt\(s\)/, 'class nginx: 3 tries by default');
  assert.match(await attempts('tries2.com'), /after 2 attempt\(s\)/);
  assert.match(await attempts('tries-off.com'), /after 1 attempt\(s\)/);
  assert.match(await attempts('tries-all.com'), /could not connect to any endpoint/, '"0": every endpoint once');
});

test('upstream-hash-by $request_uri: one URI, one endpoint; $http_x_user: one user, one endpoint (upstreamhashby.go)', async () => {
  const backendOf = async (host: string, path: string, headers: Record<string, string> = {}) => {
    const r = await get(host, path, headers);
    assert.equal(r.status, 200, r.body);
    return String(r.headers['x-backend']);
  };
  const pods = new Set<string>();
  for (let i = 0; i < 10; i++) pods.add(await backendOf('hash-uri.com', '/some/path?x=1'));
  assert.equal(pods.size, 1, 'should connect to the same pod');
  const spread = new Set<string>();
  for (let i = 0; i < 20; i++) spread.add(await backendOf('hash-uri.com', `/p/${i}`));
  assert.ok(spread.size >= 2, 'different URIs spread');
  for (const u of ['u1', 'u2', 'u3']) {
    const first = await backendOf('hash-header.com', '/', { 'x-user': u });
    for (let i = 0; i < 5; i++) assert.equal(await backendOf('hash-header.com', `/${i}`, { 'x-user': u }), first);
  }
});
