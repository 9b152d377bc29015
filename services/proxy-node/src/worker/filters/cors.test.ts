import { test } from 'node:test';
import assert from 'node:assert/strict';
import { routedContext } from '../pipeline/test-context.ts';
import { runRequestFilters } from '../pipeline/pipeline.ts';
import type { CorsPolicy } from '../route-policy.ts';
import { originMatcher } from './cors.ts';

/** ingress-nginx's enable-cors defaults (cors-annotations.ts), with `over`. */
const nginx = (over: Partial<CorsPolicy> = {}): CorsPolicy => ({
  allowOrigins: ['*'], wildcard: 'one-label', allowMethods: ['GET', 'PUT', 'POST', 'DELETE', 'PATCH', 'OPTIONS'],
  allowHeaders: ['DNT', 'Keep-Alive', 'User-Agent', 'X-Requested-With', 'If-Modified-Since', 'Cache-Control', 'Content-Type', 'Range', 'Authorization'],
  exposeHeaders: [], allowCredentials: true, maxAgeSeconds: 1728000, credentialedWildcard: 'literal', ...over,
});
/** The Gateway API CORS filter's defaults, with `over`. */
const gateway = (over: Partial<CorsPolicy>): CorsPolicy => ({
  allowOrigins: [], wildcard: 'any-labels', allowMethods: [], allowHeaders: [], exposeHeaders: [], allowCredentials: false, maxAgeSeconds: 5, credentialedWildcard: 'echo', ...over,
});

/**
 * One request through the route's filters; the upstream (when reached)
 * answers 200 with `backend` headers. The response head the client gets.
 */
function exchange(cors: CorsPolicy, method: string, headers: Record<string, string>, backend: string[] = ['content-type', 'text/plain']) {
  const { ctx, down } = routedContext({ method, headers: { host: 'cors.foo.com', ...headers } }, { cors });
  let upstream = false;
  runRequestFilters(ctx, 0, () => { upstream = true; });
  if (!upstream) return { status: down.status, upstream, headers: down.headers, deniedBy: ctx.deniedBy, get: (n: string) => down.header(n) };
  const out = [...backend];
  for (const f of ctx.route!.responseFilters) f.onResponse!(ctx, 200, out);
  const get = (n: string) => { const i = out.indexOf(n); return i < 0 ? undefined : out[i + 1]; };
  return { status: 200, upstream, headers: out, deniedBy: ctx.deniedBy, get };
}
const preflight = (origin: string, method = 'GET', extra: Record<string, string> = {}) => ({ origin, 'access-control-request-method': method, ...extra });

test('origins, ingress-nginx: exact with ports, one-label wildcards, other schemes, null; case and default ports do not count', () => {
  const m = originMatcher(nginx({ allowOrigins: ['http://origin.cors.com:8080', 'http://*.origin.com:8080', 'https://*.foo.bar', 'tauri://localhost:3000', 'https://shop.example', 'null'] }));
  for (const ok of ['http://origin.cors.com:8080', 'http://abc.origin.com:8080', 'http://bar-foo.origin.com:8080', 'https://x.foo.bar', 'tauri://localhost:3000',
    'HTTPS://Shop.Example', 'https://shop.example:443', 'null']) assert.ok(m(ok), ok);
  for (const no of ['http://origin.cors.com', 'http://origin.com:8080', 'http://abc.origin.com', 'http://bar.foo.origin.com:8080', 'https://fooxbar.com',
    'https://foo.bar', 'http://shop.example', 'origin.cors.com:8080', 'https://shop.example.evil.com', 'https://evil.com/https://shop.example', '']) assert.ok(!m(no), no);
});

test('origins, Gateway API: a wildcard takes any number of labels; `scheme://*` any host', () => {
  const m = originMatcher(gateway({ allowOrigins: ['https://www.foo.com', 'https://*.bar.com', 'http://*'] }));
  for (const ok of ['https://www.foo.com', 'https://www.bar.com', 'https://xpto.www.bar.com', 'http://anything.example', 'http://anything.example:80']) assert.ok(m(ok), ok);
  for (const no of ['https://foobar.com', 'https://bar.com', 'http://anything.example:8080']) assert.ok(!m(no), no);
});

test('ingress-nginx enable-cors (cors.go "should enable cors", "should not break functionality"): origin * on every response, credentials true', () => {
  const r = exchange(nginx(), 'GET', {});
  assert.equal(r.get('access-control-allow-origin'), '*');
  assert.equal(r.get('access-control-allow-credentials'), 'true');
  assert.equal(r.get('vary'), undefined);
  const p = exchange(nginx(), 'OPTIONS', preflight('http://origin.com:8080'));
  assert.equal(p.status, 204);
  assert.equal(p.upstream, false, 'answered at the proxy');
  assert.equal(p.get('access-control-allow-methods'), 'GET, PUT, POST, DELETE, PATCH, OPTIONS');
  assert.equal(p.get('access-control-allow-headers'), 'DNT, Keep-Alive, User-Agent, X-Requested-With, If-Modified-Since, Cache-Control, Content-Type, Range, Authorization');
  assert.equal(p.get('access-control-max-age'), '1728000');
  assert.equal(p.get('access-control-allow-origin'), '*');
  assert.equal(p.get('content-length'), undefined, 'a 204 has none');
});

test('ingress-nginx origin lists (cors.go): a matching origin is echoed with Vary; another gets no CORS header, its preflight 403 (denied_by cors)', () => {
  const c = nginx({ allowOrigins: ['https://origin.cors.com:8080', 'https://origin2.cors.com'], exposeHeaders: ['X-CustomResponseHeader', 'X-CustomSecondHeader'] });
  const ok = exchange(c, 'GET', { origin: 'https://origin.cors.com:8080' }, ['access-control-allow-origin', 'https://elsewhere', 'vary', 'Accept-Encoding']);
  assert.equal(ok.get('access-control-allow-origin'), 'https://origin.cors.com:8080', 'the backend\'s own is replaced');
  assert.equal(ok.headers.filter((h) => h === 'access-control-allow-origin').length, 1);
  assert.equal(ok.get('vary'), 'Accept-Encoding, Origin');
  assert.equal(ok.get('access-control-expose-headers'), 'X-CustomResponseHeader, X-CustomSecondHeader');
  const no = exchange(c, 'GET', { origin: 'http://no.origin.com' });
  assert.equal(no.get('access-control-allow-origin'), undefined);
  assert.equal(no.upstream, true, 'an actual request is served: the browser keeps the answer from the page');
  const pf = exchange(c, 'OPTIONS', preflight('http://no.origin.com'));
  assert.deepEqual([pf.status, pf.upstream, pf.deniedBy, pf.get('access-control-allow-origin')], [403, false, 'cors', undefined]);
  assert.equal(exchange(c, 'OPTIONS', {}).upstream, true, 'an OPTIONS that is no preflight goes to the backend');
  assert.equal(exchange(nginx({ allowCredentials: false }), 'GET', {}).get('access-control-allow-credentials'), undefined);
});

test('Gateway API CORS conformance (httproute-cors.go): exact and wildcard origins, methods, headers, max-age, credentials', () => {
  const c1 = gateway({ allowOrigins: ['https://www.foo.com', 'https://*.bar.com'], allowMethods: ['GET', 'OPTIONS'], allowHeaders: ['x-header-1', 'x-header-2'],
    exposeHeaders: ['x-header-3', 'x-header-4'], allowCredentials: true, maxAgeSeconds: 3600 });
  for (const origin of ['https://www.foo.com', 'https://www.bar.com', 'https://xpto.www.bar.com']) {
    const p = exchange(c1, 'OPTIONS', preflight(origin, 'GET', { 'access-control-request-headers': 'x-header-1, x-header-2' }));
    assert.equal(p.status, 204);
    assert.deepEqual(['access-control-allow-origin', 'access-control-allow-methods', 'access-control-allow-headers', 'access-control-expose-headers', 'access-control-max-age', 'access-control-allow-credentials'].map(p.get),
      [origin, 'GET, OPTIONS', 'x-header-1, x-header-2', 'x-header-3, x-header-4', '3600', 'true']);
    assert.equal(exchange(c1, 'GET', { origin }).get('access-control-allow-origin'), origin);
  }
  const bad = exchange(c1, 'OPTIONS', preflight('https://foobar.com'));
  assert.ok([200, 204, 403].includes(bad.status) && bad.get('access-control-allow-origin') === undefined);
  assert.equal(exchange(c1, 'GET', { origin: 'https://foobar.com' }).get('access-control-allow-origin'), undefined);

  const c2 = gateway({ allowOrigins: ['https://www.foo.com'], allowMethods: ['*'] });
  const p2 = exchange(c2, 'OPTIONS', preflight('https://www.foo.com', 'POST'));
  assert.ok(['POST', '*'].includes(p2.get('access-control-allow-methods')!));
  assert.equal(p2.get('access-control-allow-origin'), 'https://www.foo.com');
  assert.equal(p2.get('access-control-allow-credentials'), undefined);

  const c3 = gateway({ allowOrigins: ['*'], allowMethods: ['PUT'] });
  for (const origin of ['https://foobar.com', 'https://foobar.com:12345']) {
    const p = exchange(c3, 'OPTIONS', preflight(origin, 'PUT'));
    assert.ok([origin, '*'].includes(p.get('access-control-allow-origin')!));
    assert.equal(p.get('access-control-allow-methods'), 'PUT');
    assert.equal(p.get('access-control-allow-credentials'), undefined);
    assert.ok([origin, '*'].includes(exchange(c3, 'PUT', { origin }).get('access-control-allow-origin')!));
  }
});

test('Gateway API CORS conformance: wildcards with credentials echo the request\'s origin, method and headers; without credentials `*` may stay', () => {
  const auth = gateway({ allowOrigins: ['*'], allowMethods: ['*'], allowHeaders: ['*'], allowCredentials: true });
  const p = exchange(auth, 'OPTIONS', preflight('https://other.foo.com', 'PUT', { 'access-control-request-headers': 'x-header-1, x-header-2' }));
  assert.deepEqual(['access-control-allow-origin', 'access-control-allow-methods', 'access-control-allow-headers', 'access-control-allow-credentials'].map(p.get),
    ['https://other.foo.com', 'PUT', 'x-header-1, x-header-2', 'true']);
  const g = exchange(auth, 'GET', { origin: 'https://other.foo.com' });
  assert.deepEqual([g.get('access-control-allow-origin'), g.get('access-control-allow-credentials')], ['https://other.foo.com', 'true']);

  const unauth = gateway({ allowOrigins: ['*'], allowMethods: ['*'], allowHeaders: ['*'], allowCredentials: false });
  const u = exchange(unauth, 'OPTIONS', preflight('https://other.foo.com', 'PUT', { 'access-control-request-headers': 'x-header-1, x-header-2' }));
  assert.ok(['https://other.foo.com', '*'].includes(u.get('access-control-allow-origin')!));
  assert.ok(['PUT', '*'].includes(u.get('access-control-allow-methods')!));
  assert.ok(['x-header-1, x-header-2', '*'].includes(u.get('access-control-allow-headers')!));
  assert.equal(u.get('access-control-allow-credentials'), undefined);
  assert.equal(exchange(unauth, 'GET', { origin: 'https://other.foo.com' }).get('access-control-allow-credentials'), undefined);
  // `*` expose headers with credentials: the response's own header names (a `*` would name a header called "*").
  const exposed = exchange(gateway({ allowOrigins: ['*'], exposeHeaders: ['*'], allowCredentials: true }), 'GET', { origin: 'https://a.example' }, ['x-total', '7', 'content-type', 'text/plain']);
  assert.equal(exposed.get('access-control-expose-headers'), 'x-total, content-type');
});

test('the proxy\'s own refusals carry the CORS headers too, so a page can read why (a 503 from a rate limit)', () => {
  const { ctx, down } = routedContext({ headers: { host: 'x', origin: 'https://a.example' } }, { cors: nginx({ allowOrigins: ['https://a.example'] }) });
  const refuse = { name: 'deny', onRequest: () => ({ kind: 'respond' as const, status: 503, deniedBy: 'rate' as const }) };
  ctx.route = { ...ctx.route!, requestFilters: [refuse] };
  runRequestFilters(ctx, 0, () => assert.fail('refused'));
  assert.equal(down.status, 503);
  assert.equal(down.header('access-control-allow-origin'), 'https://a.example');
});
