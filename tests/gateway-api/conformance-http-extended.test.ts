// GATEWAY-HTTP profile, extended features (and the core filter cases):
// upstream's cases restated at the model level. Where the expected result is
// a request or response the data plane shapes (a redirect's Location, a
// rewritten path, modified headers), it is computed from the matched rule
// with reference-filters.ts; the data plane's filters are held to the same
// vectors once they land (docs/gateway-api.md, "pending on the data plane").
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RouteFilter, RouteRule } from '@meshgate/ingress';
import { Conformance, cond, INFRA, type Outcome, type Request } from './harness.ts';
import { downstreamHeaders, redirectTo, upstreamRequest } from './reference-filters.ts';

const GW = `${INFRA}/same-namespace`;

function backend(c: Conformance, req: Request): Extract<Outcome, { status: 'backend' }> {
  const o = c.request(req);
  assert.equal(o.status, 'backend', `${req.path}: ${JSON.stringify(o)}`);
  return o as Extract<Outcome, { status: 'backend' }>;
}

function redirect(c: Conformance, req: Request & { scheme?: 'http' | 'https' }): ReturnType<typeof redirectTo> {
  const o = c.request(req);
  assert.equal(o.status, 'redirect', `${req.path}: ${JSON.stringify(o)}`);
  const r = o as Extract<Outcome, { status: 'redirect' }>;
  const [path, query = ''] = req.path.split('?');
  return redirectTo(r.redirect, r.rule, { scheme: req.scheme ?? 'http', host: (req.host ?? 'example.com').split(':')[0]!, listenerPort: req.port ?? 80, path: path!, query });
}

const filter = <T extends RouteFilter['type']>(rule: RouteRule, type: T) => rule.filters?.find((f) => f.type === type) as Extract<RouteFilter, { type: T }> | undefined;

test('HTTPRouteMethodMatching (httproute-method-matching.go)', () => {
  const c = new Conformance(['tests/httproute-method-matching.yaml']);
  const cases: [Request, string | 404][] = [
    [{ method: 'POST', path: '/' }, 'infra-backend-v1'], [{ method: 'GET', path: '/' }, 'infra-backend-v2'], [{ method: 'HEAD', path: '/' }, 404],
    [{ path: '/path1', method: 'GET' }, 'infra-backend-v1'], [{ headers: { version: 'one' }, path: '/', method: 'PUT' }, 'infra-backend-v2'],
    [{ headers: { version: 'two' }, path: '/path2', method: 'POST' }, 'infra-backend-v3'], [{ path: '/path3', method: 'PATCH' }, 'infra-backend-v1'],
    [{ headers: { version: 'three' }, path: '/path4', method: 'DELETE' }, 'infra-backend-v1'], [{ path: '/', method: 'PUT' }, 404],
    [{ path: '/path4', method: 'DELETE' }, 404], [{ path: '/path5', method: 'PATCH' }, 'infra-backend-v1'], [{ headers: { version: 'four' }, path: '/', method: 'PATCH' }, 'infra-backend-v2'],
  ];
  for (const [req, want] of cases) {
    const o = c.request(req);
    assert.equal(o.status === 'backend' ? o.service : o.status, want, `${req.method} ${req.path}`);
  }
});

test('HTTPRouteQueryParamMatching (httproute-query-param-matching.go)', () => {
  const c = new Conformance(['tests/httproute-query-param-matching.yaml']);
  const cases: [Request, string | 404][] = [
    [{ path: '/?animal=whale' }, 'infra-backend-v1'], [{ path: '/?animal=dolphin' }, 'infra-backend-v2'], [{ path: '/?animal=dolphin&color=blue' }, 'infra-backend-v3'],
    [{ path: '/?ANIMAL=Whale' }, 'infra-backend-v3'], [{ path: '/?animal=whale&otherparam=irrelevant' }, 'infra-backend-v1'], [{ path: '/?animal=dolphin&color=yellow' }, 'infra-backend-v2'],
    [{ path: '/?color=blue' }, 404], [{ path: '/?animal=dog' }, 404], [{ path: '/?animal=whaledolphin' }, 404], [{ path: '/' }, 404],
    [{ path: '/path1?animal=whale' }, 'infra-backend-v1'], [{ headers: { version: 'one' }, path: '/?animal=whale' }, 'infra-backend-v2'],
    [{ headers: { version: 'two' }, path: '/path2?animal=whale' }, 'infra-backend-v3'], [{ path: '/path3?animal=shark' }, 'infra-backend-v1'],
    [{ headers: { version: 'three' }, path: '/path4?animal=kraken' }, 'infra-backend-v1'], [{ path: '/?animal=shark' }, 404], [{ path: '/path4?animal=kraken' }, 404],
    [{ path: '/path5?animal=hydra' }, 'infra-backend-v1'], [{ headers: { version: 'four' }, path: '/?animal=hydra' }, 'infra-backend-v3'],
  ];
  for (const [req, want] of cases) {
    const o = c.request(req);
    assert.equal(o.status === 'backend' ? o.service : o.status, want, `${JSON.stringify(req)}`);
  }
});

test('HTTPRouteRequestHeaderModifier (httproute-request-header-modifier.go, core) [request pending on the data plane]', () => {
  const c = new Conformance(['tests/httproute-request-header-modifier.yaml']);
  assert.equal(cond(c.routeCondition('HTTPRoute', 'request-header-modifier', GW, 'ResolvedRefs')), 'ResolvedRefs=True/ResolvedRefs');
  const up = (path: string, headers: Record<string, string>) => upstreamRequest(backend(c, { path }).rule, { host: 'example.com', path, headers }).headers;
  assert.deepEqual(up('/set', { 'Some-Other-Header': 'val' }), { 'some-other-header': 'val', 'x-header-set': 'set-overwrites-values' });
  assert.deepEqual(up('/set', { 'Some-Other-Header': 'val', 'X-Header-Set': 'some-other-value' }), { 'some-other-header': 'val', 'x-header-set': 'set-overwrites-values' });
  assert.deepEqual(up('/add', { 'Some-Other-Header': 'val', 'X-Header-Add': 'some-other-value' }), { 'some-other-header': 'val', 'x-header-add': 'some-other-value,add-appends-values' });
  assert.deepEqual(up('/remove', { 'X-Header-Remove': 'val' }), {});
});

test('HTTPRouteResponseHeaderModifier (httproute-response-header-modifier.go) [response pending on the data plane]', () => {
  const c = new Conformance(['tests/httproute-response-header-modifier.yaml']);
  const down = (path: string, headers: Record<string, string>) => downstreamHeaders(backend(c, { path }).rule, headers);
  assert.deepEqual(down('/set', { 'Some-Other-Header': 'val', 'X-Header-Set': 'some-other-value' }), { 'some-other-header': 'val', 'x-header-set': 'set-overwrites-values' });
  assert.deepEqual(down('/add', { 'Some-Other-Header': 'val', 'X-Header-Add': 'some-other-value' }), { 'some-other-header': 'val', 'x-header-add': 'some-other-value,add-appends-values' });
  assert.deepEqual(down('/remove', { 'X-Header-Remove': 'val' }), {});
  const multi = down('/multiple', { 'X-Header-Set-2': 'set-val-2', 'X-Header-Add-2': 'add-val-2', 'X-Header-Remove-2': 'remove-val-2', 'Another-Header': 'another-header-val', 'X-Header-Remove-1': 'val' });
  assert.equal(multi['x-header-set-1'], 'header-set-1');
  assert.equal(multi['x-header-remove-1'], undefined);
  assert.equal(multi['another-header'], 'another-header-val');
});

test('HTTPRouteRedirectHostAndStatus (core), HTTPRoute303/307/308Redirect', () => {
  const c = new Conformance(['tests/httproute-redirect-host-and-status.yaml', 'tests/httproute-303-redirect.yaml', 'tests/httproute-307-redirect.yaml', 'tests/httproute-308-redirect.yaml']);
  assert.deepEqual(redirect(c, { path: '/hostname-redirect' }), { status: 302, scheme: 'http', host: 'example.org', port: '', path: '/hostname-redirect' });
  assert.deepEqual(redirect(c, { path: '/host-and-status' }), { status: 301, scheme: 'http', host: 'example.org', port: '', path: '/host-and-status' });
  for (const [path, status] of [['/see-other', 303], ['/temporary', 307], ['/permanent', 308]] as const) {
    assert.equal(redirect(c, { path }).status, status, path);
  }
});

test('HTTPRoutePortRedirect, HTTPRouteSchemeRedirect, HTTPRoutePathRedirect (httproute-redirect-*.go) [Location pending on the data plane]', () => {
  const c = new Conformance(['tests/httproute-redirect-port.yaml', 'tests/httproute-redirect-scheme.yaml', 'tests/httproute-redirect-path.yaml']);
  const r = (path: string) => { const x = redirect(c, { path }); return `${x.status} ${x.scheme}://${x.host}${x.port ? `:${x.port}` : ''}${x.path}`; };
  assert.equal(r('/port'), '302 http://example.com:8083/port');
  assert.equal(r('/port-and-host'), '302 http://example.org:8083/port-and-host');
  assert.equal(r('/port-and-status'), '301 http://example.com:8083/port-and-status');
  assert.equal(r('/port-and-host-and-status'), '302 http://example.org:8083/port-and-host-and-status');
  assert.equal(r('/scheme'), '302 https://example.com/scheme');
  assert.equal(r('/scheme-and-host'), '302 https://example.org/scheme-and-host');
  assert.equal(r('/scheme-and-status'), '301 https://example.com/scheme-and-status');
  assert.equal(r('/scheme-and-host-and-status'), '302 https://example.org/scheme-and-host-and-status');
  assert.equal(r('/original-prefix/lemon'), '302 http://example.com/replacement-prefix/lemon');
  assert.equal(r('/full/path/original'), '302 http://example.com/full-path-replacement');
  assert.equal(r('/path-and-host'), '302 http://example.org/replacement-prefix');
  assert.equal(r('/path-and-status'), '301 http://example.com/replacement-prefix');
  assert.equal(r('/full-path-and-host'), '302 http://example.org/replacement-full');
  assert.equal(r('/full-path-and-status'), '301 http://example.com/replacement-full');
});

test('HTTPRouteRedirectPortAndScheme (httproute-redirect-port-and-scheme.go, GatewayPort8080): the listener port is the default', () => {
  const c = new Conformance(['tests/httproute-redirect-port-and-scheme.yaml']);
  const r = (path: string, port: number, scheme: 'http' | 'https' = 'http') => { const x = redirect(c, { path, port, scheme, host: 'example.org' }); return `${x.scheme}://${x.host}${x.port ? `:${x.port}` : ''}`; };
  assert.equal(r('/scheme-nil-and-port-nil', 80), 'http://example.org');
  assert.equal(r('/scheme-nil-and-port-80', 80), 'http://example.org');
  assert.equal(r('/scheme-nil-and-port-8080', 80), 'http://example.org:8080');
  assert.equal(r('/scheme-https-and-port-nil', 80), 'https://example.org');
  assert.equal(r('/scheme-https-and-port-443', 80), 'https://example.org');
  assert.equal(r('/scheme-https-and-port-8443', 80), 'https://example.org:8443');
  assert.equal(r('/scheme-nil-and-port-nil', 8080), 'http://example.org:8080');
  assert.equal(r('/scheme-nil-and-port-80', 8080), 'http://example.org');
  assert.equal(r('/scheme-https-and-port-nil', 8080), 'https://example.org');
  assert.equal(r('/scheme-nil-and-port-nil', 443, 'https'), 'https://example.org');
  assert.equal(r('/scheme-http-and-port-nil', 443, 'https'), 'http://example.org');
  assert.equal(r('/scheme-http-and-port-8080', 443, 'https'), 'http://example.org:8080');
});

test('HTTPRouteHostRewrite and HTTPRoutePathRewrite (httproute-rewrite-*.go) [request pending on the data plane]', () => {
  const c = new Conformance(['tests/httproute-rewrite-host.yaml', 'tests/httproute-rewrite-path.yaml']);
  const up = (host: string, path: string, headers: Record<string, string> = {}) => {
    const o = backend(c, { host, path });
    return { service: o.service, ...upstreamRequest(o.rule, { host, path, headers }) };
  };
  assert.deepEqual(up('rewrite.example', '/one'), { service: 'infra-backend-v1', host: 'one.example.org', path: '/one', headers: {} });
  assert.deepEqual(up('rewrite.example', '/two'), { service: 'infra-backend-v2', host: 'example.org', path: '/two', headers: {} });
  const both = up('rewrite.example', '/rewrite-host-and-modify-headers', { 'X-Header-Remove': 'remove-val', 'X-Header-Add-Append': 'append-val-1' });
  assert.deepEqual([both.host, both.headers], ['test.example.org', { 'x-header-add': 'header-val-1', 'x-header-add-append': 'append-val-1,header-val-2', 'x-header-set': 'set-overwrites-values' }]);
  assert.equal(up('example.com', '/prefix/one/two').path, '/one/two');
  assert.equal(up('example.com', '/strip-prefix/three').path, '/three');
  assert.equal(up('example.com', '/strip-prefix').path, '/');
  assert.equal(up('example.com', '/full/one/two').path, '/one');
  assert.equal(up('example.com', '/full/rewrite-path-and-modify-headers/test', { 'X-Header-Set': 'set-val' }).path, '/test');
});

test('HTTPRouteRequestMirror, HTTPRouteRequestMultipleMirrors, HTTPRouteRequestPercentageMirror [mirroring pending on the data plane]', () => {
  const c = new Conformance(['tests/httproute-request-mirror.yaml']);
  const o = backend(c, { path: '/mirror' });
  assert.equal(o.service, 'infra-backend-v1');
  assert.deepEqual(filter(o.rule, 'RequestMirror'), { type: 'RequestMirror', backend: `${INFRA}/infra-backend-v2:8080`, percent: 100 });
  const many = new Conformance(['tests/httproute-request-multiple-mirrors.yaml']);
  const m = backend(many, { path: '/multi-mirror' });
  assert.deepEqual(m.rule.filters!.filter((f) => f.type === 'RequestMirror').map((f) => f.type === 'RequestMirror' && f.backend.split('/')[1]), ['infra-backend-v2:8080', 'infra-backend-v3:8080']);
  const pct = new Conformance(['tests/httproute-request-percentage-mirror.yaml']);
  const shares = pct.cfg.rules.flatMap((r) => r.filters ?? []).filter((f) => f.type === 'RequestMirror').map((f) => f.type === 'RequestMirror' && f.percent);
  assert.deepEqual(shares, [20, 50, 35]);
});

test('HTTPRouteRequestTimeout and HTTPRouteBackendTimeout (httproute-timeout-*.go) [504 pending on the data plane]', () => {
  const c = new Conformance(['tests/httproute-timeout-request.yaml', 'tests/httproute-timeout-backend-request.yaml']);
  assert.deepEqual(backend(c, { path: '/request-timeout' }).rule.timeouts, { requestMs: 500 });
  assert.deepEqual(backend(c, { path: '/disable-request-timeout' }).rule.timeouts, { requestMs: 0 });
  assert.deepEqual(backend(c, { path: '/backend-timeout' }).rule.timeouts, { backendRequestMs: 500 });
  assert.deepEqual(backend(c, { path: '/disable-backend-timeout' }).rule.timeouts, { backendRequestMs: 0 });
});

test('HTTPRouteRetry (httproute-retry.go) [retries pending on the data plane]', () => {
  const c = new Conformance(['tests/httproute-retry.yaml']);
  const retries = c.cfg.rules.filter((r) => r.retry).map((r) => r.retry);
  assert.ok(retries.length > 0);
  assert.ok(retries.every((r) => r!.attempts !== undefined && (r!.codes?.length ?? 0) > 0), JSON.stringify(retries));
});

test('HTTPRouteCORS (httproute-cors.go) [preflight and response headers pending on the data plane]', () => {
  const c = new Conformance(['tests/httproute-cors.yaml']);
  for (const r of ['cors-multiple-origins-methods-headers', 'cors-wildcard-methods', 'cors-wildcard-origin', 'cors-wildcard-methods-headers']) {
    assert.equal(cond(c.routeCondition('HTTPRoute', r, GW, 'ResolvedRefs')), 'ResolvedRefs=True/ResolvedRefs', r);
  }
  const cors = filter(backend(c, { path: '/cors-1' }).rule, 'CORS')!.cors;
  assert.ok(cors.allowOrigins.includes('https://www.foo.com'));
  assert.ok(cors.allowOrigins.some((o) => o.includes('*.')), 'a wildcard origin');
  assert.ok(cors.allowMethods.length > 0 && cors.maxAgeSeconds > 0);
});

test('HTTPRouteWeight (core) and HTTPRouteRequestHeaderModifierBackendWeights: the weights, per backend', () => {
  const c = new Conformance(['tests/httproute-weight.yaml']);
  assert.deepEqual(backend(c, { path: '/' }).backends, [{ service: 'infra-backend-v1', weight: 70 }, { service: 'infra-backend-v2', weight: 30 }, { service: 'infra-backend-v3', weight: 0 }]);
  const b = new Conformance(['tests/httproute-request-header-modifier-backend-weights.yaml']);
  const o = backend(b, { path: '/' });
  assert.ok(o.rule.backends!.every((x) => x.filters?.some((f) => f.type === 'RequestHeaderModifier')), 'each backend has its own header filter');
});

test('HTTPRouteListenerPortMatching and the parentRef port cases (ParentRefPort)', () => {
  const c = new Conformance(['tests/httproute-listener-port-matching.yaml']);
  const svc = (req: Request) => { const o = c.request(req); return o.status === 'backend' ? o.service : o.status; };
  assert.equal(svc({ host: 'foo.com', path: '/' }), 'infra-backend-v1');
  assert.equal(svc({ host: 'foo.com:8080', path: '/', port: 8080 }), 'infra-backend-v2');
  assert.equal(svc({ host: 'bar.com:8080', path: '/', port: 8080 }), 'infra-backend-v2');
  assert.equal(svc({ host: 'foo.com:8090', path: '/', port: 8090 }), 'infra-backend-v3');
  assert.equal(svc({ host: 'bar.com:8090', path: '/', port: 8090 }), 404);
  const p = new Conformance(['tests/httproute-invalid-parentref-not-matching-listener-port.yaml']);
  assert.equal(cond(p.routeCondition('HTTPRoute', 'httproute-listener-not-matching-route-port', GW, 'Accepted')), 'Accepted=False/NoMatchingParent');
  const s = new Conformance(['tests/httproute-invalid-parentref-section-name-not-matching-port.yaml']);
  assert.equal(cond(s.routeCondition('HTTPRoute', 'httproute-listener-section-name-not-matching-port', `${INFRA}/gateway-with-one-not-matching-port-and-section-name-route`, 'Accepted')), 'Accepted=False/NoMatchingParent');
});

test('GatewayHTTPListenerIsolation (gateway-http-listener-isolation.go)', () => {
  const c = new Conformance(['tests/gateway-http-listener-isolation.yaml']);
  const svc = (host: string, path: string) => { const o = c.request({ host, path }); return o.status === 'backend' ? o.service : o.status; };
  const paths = ['/empty-hostname', '/wildcard-example-com', '/wildcard-foo-example-com', '/abc-foo-example-com'];
  const hosts: [string, string][] = [['bar.com', '/empty-hostname'], ['bar.example.com', '/wildcard-example-com'], ['bar.foo.example.com', '/wildcard-foo-example-com'], ['abc.foo.example.com', '/abc-foo-example-com']];
  for (const [host, served] of hosts) for (const p of paths) assert.equal(svc(host, p), p === served ? 'infra-backend-v1' : 404, `${host}${p}`);
});

test('HTTPRouteNamedRule (httproute-named-rule.go): named rules are accepted and served', () => {
  const c = new Conformance(['tests/httproute-named-rule.yaml']);
  const routes = c.cfg.gatewayApi!.objects.filter((o) => o.kind === 'HTTPRoute' && o.metadata.namespace === INFRA);
  assert.ok(routes.length > 0 && routes.every((o) => o.served), JSON.stringify(routes.map((o) => o.reason)));
});
