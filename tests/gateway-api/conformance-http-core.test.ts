// GATEWAY-HTTP profile, core: upstream's HTTPRoute conformance cases
// (conformance/tests/httproute-*.go at v1.6.1), restated at the model and
// route-table level. Each test names the upstream case it restates; the
// list with what is pending on the data plane is in docs/gateway-api.md.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Conformance, cond, INFRA, upstream, type Outcome, type Request } from './harness.ts';

const GW = `${INFRA}/same-namespace`;
/** `request -> backend` (a Service in the infra namespace unless given), or a status. */
function expect(c: Conformance, cases: [Request, string | 404 | 500][]): void {
  for (const [req, want] of cases) {
    const got: Outcome = c.request(req);
    const label = `${req.method ?? 'GET'} ${req.host ?? 'example.com'}${req.path} ${JSON.stringify(req.headers ?? {})} :${req.port ?? 80}`;
    if (typeof want === 'number') assert.equal(got.status, want, label);
    else {
      assert.equal(got.status, 'backend', `${label}: ${JSON.stringify(got)}`);
      assert.equal(got.status === 'backend' && (want.includes('/') ? `${got.namespace}/${got.service}` : got.service), want, label);
    }
  }
}

function resolvedTrue(c: Conformance, route: string, gw = GW, ns = INFRA): void {
  assert.equal(cond(c.routeCondition('HTTPRoute', route, gw, 'Accepted', ns)), 'Accepted=True/Accepted', `${route} accepted`);
  assert.equal(cond(c.routeCondition('HTTPRoute', route, gw, 'ResolvedRefs', ns)), 'ResolvedRefs=True/ResolvedRefs', `${route} refs`);
}

test('HTTPRouteSimpleSameNamespace (httproute-simple-same-namespace.go)', () => {
  const c = new Conformance(['tests/httproute-simple-same-namespace.yaml']);
  resolvedTrue(c, 'gateway-conformance-infra-test');
  expect(c, [[{ path: '/' }, 'infra-backend-v1']]);
});

test('HTTPRouteCrossNamespace (httproute-cross-namespace.go)', () => {
  const c = new Conformance(['tests/httproute-cross-namespace.yaml']);
  resolvedTrue(c, 'cross-namespace', `${INFRA}/backend-namespaces`, 'gateway-conformance-web-backend');
  expect(c, [[{ path: '/' }, 'gateway-conformance-web-backend/web-backend']]);
});

test('HTTPRouteExactPathMatching (httproute-exact-path-matching.go)', () => {
  const c = new Conformance(['tests/httproute-exact-path-matching.yaml']);
  resolvedTrue(c, 'exact-matching');
  expect(c, [[{ path: '/one' }, 'infra-backend-v1'], [{ path: '/two' }, 'infra-backend-v2'], [{ path: '/' }, 404], [{ path: '/one/example' }, 404], [{ path: '/two/' }, 404], [{ path: '/Two' }, 404]]);
});

test('HTTPRouteHeaderMatching (httproute-header-matching.go)', () => {
  const c = new Conformance(['tests/httproute-header-matching.yaml']);
  resolvedTrue(c, 'header-matching');
  const h = (headers: Record<string, string>): Request => ({ path: '/', headers });
  expect(c, [
    [h({ Version: 'one' }), 'infra-backend-v1'], [h({ Version: 'two' }), 'infra-backend-v2'],
    [h({ Version: 'two', Color: 'orange' }), 'infra-backend-v1'], [h({ Version: 'two', Color: 'blue' }), 'infra-backend-v2'],
    [h({ Color: 'orange' }), 404], [h({ 'Some-Other-Header': 'one' }), 404],
    [h({ Color: 'blue' }), 'infra-backend-v1'], [h({ Color: 'green' }), 'infra-backend-v1'],
    [h({ Color: 'red' }), 'infra-backend-v2'], [h({ Color: 'yellow' }), 'infra-backend-v2'], [h({ Color: 'purple' }), 404],
  ]);
});

test('HTTPRouteMatching (httproute-matching.go)', () => {
  const c = new Conformance(['tests/httproute-matching.yaml']);
  resolvedTrue(c, 'matching');
  expect(c, [
    [{ path: '/' }, 'infra-backend-v1'], [{ path: '/example' }, 'infra-backend-v1'], [{ path: '/', headers: { Version: 'one' } }, 'infra-backend-v1'],
    [{ path: '/v2' }, 'infra-backend-v2'], [{ path: '/v2/example' }, 'infra-backend-v2'], [{ path: '/', headers: { Version: 'two' } }, 'infra-backend-v2'],
    [{ path: '/v2/' }, 'infra-backend-v2'], [{ path: '/v2example' }, 'infra-backend-v1'], [{ path: '/foo/v2/example' }, 'infra-backend-v1'],
  ]);
});

test('HTTPRouteMatchingAcrossRoutes (httproute-matching-across-routes.go)', () => {
  const c = new Conformance(['tests/httproute-matching-across-routes.yaml']);
  resolvedTrue(c, 'matching-part1');
  resolvedTrue(c, 'matching-part2');
  expect(c, [
    [{ host: 'example.com', path: '/' }, 'infra-backend-v1'], [{ host: 'example.com', path: '/example' }, 'infra-backend-v1'],
    [{ host: 'example.net', path: '/example' }, 'infra-backend-v1'], [{ host: 'example.com', path: '/example', headers: { Version: 'one' } }, 'infra-backend-v1'],
    [{ host: 'example.com', path: '/v2' }, 'infra-backend-v2'], [{ host: 'example.net', path: '/v2' }, 'infra-backend-v1'],
    [{ host: 'example.com', path: '/v2/example' }, 'infra-backend-v2'], [{ host: 'example.com', path: '/', headers: { Version: 'two' } }, 'infra-backend-v2'],
  ]);
});

test('HTTPRoutePathMatchOrder (httproute-path-match-order.go)', () => {
  const c = new Conformance(['tests/httproute-path-match-order.yaml']);
  expect(c, [
    [{ path: '/match/exact/one' }, 'infra-backend-v3'], [{ path: '/match/exact' }, 'infra-backend-v2'], [{ path: '/match' }, 'infra-backend-v1'],
    [{ path: '/match/prefix/one/any' }, 'infra-backend-v2'], [{ path: '/match/prefix/any' }, 'infra-backend-v1'], [{ path: '/match/any' }, 'infra-backend-v3'],
  ]);
});

test('HTTPRouteListenerHostnameMatching (httproute-listener-hostname-matching.go)', () => {
  const c = new Conformance(['tests/httproute-listener-hostname-matching.yaml']);
  const gw = `${INFRA}/httproute-listener-hostname-matching`;
  for (const r of ['backend-v1', 'backend-v2', 'backend-v3']) resolvedTrue(c, r, gw);
  expect(c, [
    [{ host: 'bar.com', path: '/' }, 'infra-backend-v1'], [{ host: 'foo.bar.com', path: '/' }, 'infra-backend-v2'],
    [{ host: 'baz.bar.com', path: '/' }, 'infra-backend-v3'], [{ host: 'boo.bar.com', path: '/' }, 'infra-backend-v3'],
    [{ host: 'multiple.prefixes.bar.com', path: '/' }, 'infra-backend-v3'], [{ host: 'multiple.prefixes.foo.com', path: '/' }, 'infra-backend-v3'],
    [{ host: 'foo.com', path: '/' }, 404], [{ host: 'no.matching.host', path: '/' }, 404],
  ]);
});

test('HTTPRouteHostnameIntersection (httproute-hostname-intersection.go)', () => {
  const c = new Conformance(['tests/httproute-hostname-intersection.yaml']);
  const gw = `${INFRA}/httproute-hostname-intersection`;
  for (const r of ['specific-host-matches-listener-specific-host', 'specific-host-matches-listener-wildcard-host', 'wildcard-host-matches-listener-specific-host', 'wildcard-host-matches-listener-wildcard-host']) resolvedTrue(c, r, gw);
  const r = (host: string, path: string): Request => ({ host, path });
  expect(c, [
    [r('very.specific.com', '/s1'), 'infra-backend-v1'], [r('very.specific.com:1234', '/s1'), 'infra-backend-v1'], [r('non.matching.com', '/s1'), 404],
    [r('foo.nonmatchingwildcard.io', '/s1'), 404], [r('foo.wildcard.io', '/s1'), 404], [r('very.specific.com', '/non-matching-prefix'), 404],
    [r('foo.wildcard.io', '/s2'), 'infra-backend-v2'], [r('bar.wildcard.io', '/s2'), 'infra-backend-v2'], [r('foo.bar.wildcard.io', '/s2'), 'infra-backend-v2'],
    [r('non.matching.com', '/s2'), 404], [r('wildcard.io', '/s2'), 404], [r('very.specific.com', '/s2'), 404], [r('foo.wildcard.io', '/non-matching-prefix'), 404],
    [r('very.specific.com', '/s3'), 'infra-backend-v3'], [r('non.matching.com', '/s3'), 404], [r('foo.specific.com', '/s3'), 404], [r('foo.wildcard.io', '/s3'), 404],
    [r('foo.anotherwildcard.io', '/s4'), 'infra-backend-v1'], [r('bar.anotherwildcard.io', '/s4'), 'infra-backend-v1'], [r('foo.bar.anotherwildcard.io', '/s4'), 'infra-backend-v1'],
    [r('anotherwildcard.io', '/s4'), 404], [r('foo.wildcard.io', '/s4'), 404], [r('very.specific.com', '/s4'), 404], [r('foo.anotherwildcard.io', '/non-matching-prefix'), 404],
    [r('specific.but.wrong.com', '/s5'), 404], [r('wildcard.io', '/s5'), 404],
    [r('first.com', '/'), 'infra-backend-v2'], [r('sub.first.com', '/'), 'infra-backend-v2'], [r('second.com', '/'), 'infra-backend-v2'], [r('sub.second.com', '/'), 'infra-backend-v2'],
    [r('third.com', '/'), 404], [r('sub.third.com', '/'), 404],
  ]);
  assert.equal(cond(c.routeCondition('HTTPRoute', 'no-intersecting-hosts', gw, 'Accepted')), 'Accepted=False/NoMatchingListenerHostname');
  assert.deepEqual(c.listeners('httproute-hostname-intersection').map((l) => [l.name, l.attachedRoutes]), [['listener-1', 2], ['listener-2', 1], ['listener-3', 1]]);
  for (const l of c.listeners('httproute-hostname-intersection')) {
    assert.ok(l.supportedKinds.some((k) => k.kind === 'HTTPRoute' && k.group === 'gateway.networking.k8s.io'));
    assert.deepEqual(l.conditions.filter((x) => x.type === 'Accepted' || x.type === 'ResolvedRefs').map((x) => x.status), ['True', 'True']);
  }
});

test('HTTPRouteHTTPSListener (httproute-https-listener.go): routes on the 443 listener, by hostname', () => {
  const c = new Conformance(['tests/httproute-https-listener.yaml']);
  const gw = `${INFRA}/same-namespace-with-https-listener`;
  resolvedTrue(c, 'httproute-https-test', gw);
  resolvedTrue(c, 'httproute-https-test-no-hostname', gw);
  expect(c, [[{ host: 'example.org', path: '/', port: 443 }, 'infra-backend-v1'], [{ host: 'unknown-example.org', path: '/', port: 443 }, 404], [{ host: 'second-example.org', path: '/', port: 443 }, 'infra-backend-v2']]);
  assert.ok(c.cfg.tls.some((t) => t.id === `${INFRA}/tls-validity-checks-certificate`), 'the listener certificate is served');
});

test('HTTPRouteInvalidBackendRefUnknownKind (httproute-invalid-backendref-unknown-kind.go)', () => {
  const c = new Conformance(['tests/httproute-invalid-backendref-unknown-kind.yaml']);
  assert.equal(cond(c.routeCondition('HTTPRoute', 'invalid-backend-ref-unknown-kind', GW, 'Accepted')), 'Accepted=True/Accepted');
  assert.equal(cond(c.routeCondition('HTTPRoute', 'invalid-backend-ref-unknown-kind', GW, 'ResolvedRefs')), 'ResolvedRefs=False/InvalidKind');
  expect(c, [[{ path: '/v2' }, 500]]);
});

test('HTTPRouteInvalidCrossNamespaceBackendRef (httproute-invalid-cross-namespace-backend-ref.go)', () => {
  const c = new Conformance(['tests/httproute-invalid-cross-namespace-backend-ref.yaml']);
  assert.equal(cond(c.routeCondition('HTTPRoute', 'invalid-cross-namespace-backend-ref', GW, 'ResolvedRefs')), 'ResolvedRefs=False/RefNotPermitted');
  expect(c, [[{ path: '/' }, 500]]);
});

test('HTTPRouteInvalidNonExistentBackendRef (httproute-invalid-nonexistent-backendref.go)', () => {
  const c = new Conformance(['tests/httproute-invalid-nonexistent-backendref.yaml']);
  assert.equal(cond(c.routeCondition('HTTPRoute', 'invalid-nonexistent-backend-ref', GW, 'ResolvedRefs')), 'ResolvedRefs=False/BackendNotFound');
  expect(c, [[{ path: '/' }, 500]]);
});

test('HTTPRouteInvalidCrossNamespaceParentRef (httproute-invalid-cross-namespace-parent-ref.go)', () => {
  const c = new Conformance(['tests/httproute-invalid-cross-namespace-parent-ref.yaml']);
  const ns = 'gateway-conformance-web-backend';
  assert.equal(cond(c.routeCondition('HTTPRoute', 'invalid-cross-namespace-parent-ref', GW, 'Accepted', ns)), 'Accepted=False/NotAllowedByListeners');
  assert.equal(cond(c.routeCondition('HTTPRoute', 'invalid-cross-namespace-parent-ref', GW, 'ResolvedRefs', ns)), 'ResolvedRefs=True/ResolvedRefs');
  assert.equal(c.listeners('same-namespace')[0]!.attachedRoutes, 0);
});

test('HTTPRouteInvalidParentRefNotMatchingSectionName (httproute-invalid-parentref-not-matching-section-name.go)', () => {
  const c = new Conformance(['tests/httproute-invalid-parentref-not-matching-section-name.yaml']);
  assert.equal(cond(c.routeCondition('HTTPRoute', 'httproute-listener-not-matching-section-name', GW, 'Accepted')), 'Accepted=False/NoMatchingParent');
  assert.equal(c.listeners('same-namespace')[0]!.attachedRoutes, 0);
});

test('HTTPRouteInvalidReferenceGrant (httproute-invalid-reference-grant.go)', () => {
  const c = new Conformance(['tests/httproute-invalid-reference-grant.yaml']);
  assert.equal(cond(c.routeCondition('HTTPRoute', 'reference-grant', GW, 'ResolvedRefs')), 'ResolvedRefs=False/RefNotPermitted');
  expect(c, [[{ path: '/' }, 500]]);
});

test('HTTPRouteReferenceGrant (httproute-reference-grant.go), and the grant revoked', () => {
  const c = new Conformance(['tests/httproute-reference-grant.yaml']);
  resolvedTrue(c, 'reference-grant');
  expect(c, [[{ path: '/' }, 'gateway-conformance-web-backend/web-backend']]);
  // Upstream deletes the ReferenceGrant next: the reference is refused again.
  const revoked = new Conformance([], [{ path: 'route-only.yaml', text: routeOnly('tests/httproute-reference-grant.yaml') }]);
  assert.equal(cond(revoked.routeCondition('HTTPRoute', 'reference-grant', GW, 'ResolvedRefs')), 'ResolvedRefs=False/RefNotPermitted');
  expect(revoked, [[{ path: '/' }, 500]]);
});

test('HTTPRoutePartiallyInvalidViaInvalidReferenceGrant (httproute-partially-invalid-via-invalid-reference-grant.go)', () => {
  const c = new Conformance(['tests/httproute-partially-invalid-via-invalid-reference-grant.yaml']);
  assert.equal(cond(c.routeCondition('HTTPRoute', 'invalid-reference-grant', GW, 'Accepted')), 'Accepted=True/Accepted');
  assert.equal(cond(c.routeCondition('HTTPRoute', 'invalid-reference-grant', GW, 'ResolvedRefs')), 'ResolvedRefs=False/RefNotPermitted');
  expect(c, [[{ path: '/v2' }, 500], [{ path: '/' }, 'gateway-conformance-app-backend/app-backend-v1']]);
});

test('HTTPRouteNoBackendRefs (httproute-omitted-backendrefs.go)', () => {
  const c = new Conformance(['tests/httproute-omitted-backendrefs.yaml']);
  resolvedTrue(c, 'omitted-backendrefs');
  expect(c, [[{ path: '/forward' }, 'infra-backend-v1'], [{ path: '/omitted-no-forward' }, 500], [{ path: '/empty-no-forward' }, 500]]);
});

test('HTTPRouteServiceTypes (httproute-service-types.go): a Service of each type, and headless, as backends', () => {
  const c = new Conformance(['tests/httproute-service-types.yaml']);
  resolvedTrue(c, 'service-types');
  for (const r of c.cfg.rules.filter((x) => x.ingress === `HTTPRoute ${INFRA}/service-types`)) {
    assert.equal(c.request({ path: r.path }).status, 'backend', r.path);
  }
});

/** The case's YAML without its ReferenceGrant(s), as after `kubectl delete referencegrant`. */
function routeOnly(file: string): string {
  return upstream(file).split(/^---$/m).filter((d) => !/^kind: ReferenceGrant$/m.test(d)).join('---\n');
}
