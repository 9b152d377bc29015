// GATEWAY-HTTP profile: upstream's Gateway and GatewayClass conformance
// cases (conformance/tests/gateway*.go at v1.6.1) restated at the model
// level: listener and Gateway status, attachedRoutes, certificates,
// observedGeneration following the spec's changes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gatewayApiFrontEnd } from '@meshgate/gateway-api';
import type { Condition, ListenerStatus } from '@meshgate/ingress';
import { Conformance, cond, INFRA, upstream } from './harness.ts';

const listener = (c: Conformance, gw: string, name: string): ListenerStatus => c.listeners(gw).find((l) => l.name === name)!;
const of = (l: ListenerStatus, type: string): Condition | undefined => l.conditions.find((x) => x.type === type);

test('GatewayInvalidRouteKind (gateway-invalid-route-kind.go)', () => {
  const c = new Conformance(['tests/gateway-invalid-route-kind.yaml']);
  const only = listener(c, 'gateway-only-invalid-route-kind', 'http');
  assert.equal(cond(of(only, 'ResolvedRefs')), 'ResolvedRefs=False/InvalidRouteKinds');
  assert.deepEqual(only.supportedKinds, []);
  assert.equal(only.attachedRoutes, 0);
  const both = listener(c, 'gateway-supported-and-invalid-route-kind', 'http');
  assert.equal(cond(of(both, 'ResolvedRefs')), 'ResolvedRefs=False/InvalidRouteKinds');
  assert.deepEqual(both.supportedKinds, [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute' }]);
});

test('GatewayInvalidTLSConfiguration (gateway-invalid-tls-configuration.go)', () => {
  // The malformed Secret is itself refused (file, line, field), as an apply of it would be.
  const c = new Conformance(['tests/gateway-invalid-tls-configuration.yaml'], [], { allowErrors: true });
  assert.ok(c.cfg.errors.every((e) => e.kind === 'Secret'), JSON.stringify(c.cfg.errors));
  for (const gw of ['gateway-certificate-nonexistent-secret', 'gateway-certificate-unsupported-group', 'gateway-certificate-unsupported-kind', 'gateway-certificate-malformed-secret']) {
    const l = listener(c, gw, 'https');
    assert.equal(cond(of(l, 'ResolvedRefs')), 'ResolvedRefs=False/InvalidCertificateRef', gw);
    assert.ok(l.supportedKinds.some((k) => k.kind === 'HTTPRoute'), gw);
    assert.equal(l.attachedRoutes, 0);
  }
});

test('GatewaySecretInvalidReferenceGrant and GatewaySecretMissingReferenceGrant (gateway-secret-*-reference-grant.go)', () => {
  for (const [file, gw] of [['tests/gateway-secret-invalid-reference-grant.yaml', 'gateway-secret-invalid-reference-grant'], ['tests/gateway-secret-missing-reference-grant.yaml', 'gateway-secret-missing-reference-grant']]) {
    const c = new Conformance([file!]);
    assert.equal(cond(of(listener(c, gw!, 'https'), 'ResolvedRefs')), 'ResolvedRefs=False/RefNotPermitted', gw);
    assert.equal(cond(of(listener(c, gw!, 'https'), 'Programmed')), 'Programmed=False/Invalid');
  }
});

test('GatewaySecretReferenceGrantAllInNamespace and GatewaySecretReferenceGrantSpecific (gateway-secret-reference-grant-*.go)', () => {
  for (const [file, gw] of [['tests/gateway-secret-reference-grant-all-in-namespace.yaml', 'gateway-secret-reference-grant-all-in-namespace'], ['tests/gateway-secret-reference-grant-specific.yaml', 'gateway-secret-reference-grant-specific']]) {
    const c = new Conformance([file!]);
    const l = listener(c, gw!, 'https');
    assert.equal(cond(of(l, 'Programmed')), 'Programmed=True/Programmed', gw);
    assert.equal(cond(of(l, 'ResolvedRefs')), 'ResolvedRefs=True/ResolvedRefs', gw);
    assert.ok(c.cfg.tls.some((t) => t.id === 'gateway-conformance-web-backend/certificate'), 'the granted Secret is served');
  }
});

test('GatewayWithAttachedRoutes (gateway-with-attached-routes.go)', () => {
  const c = new Conformance(['tests/gateway-with-attached-routes.yaml']);
  const one = listener(c, 'gateway-with-one-attached-route', 'http');
  assert.deepEqual([cond(of(one, 'Accepted'), true), cond(of(one, 'ResolvedRefs'), true), one.attachedRoutes], ['Accepted=True', 'ResolvedRefs=True', 1]);
  assert.equal(listener(c, 'gateway-with-two-attached-routes', 'http').attachedRoutes, 2);
  assert.equal(cond(c.routeCondition('HTTPRoute', 'http-route-not-accepted', `${INFRA}/gateway-with-two-attached-routes`, 'Accepted')), 'Accepted=False/NoMatchingListenerHostname');
  const tls = listener(c, 'unresolved-gateway-with-one-attached-unresolved-route', 'tls');
  assert.deepEqual([cond(of(tls, 'Programmed'), true), cond(of(tls, 'ResolvedRefs'), true), tls.attachedRoutes], ['Programmed=False', 'ResolvedRefs=False', 1]);
  assert.equal(cond(c.routeCondition('HTTPRoute', 'http-route-4', `${INFRA}/unresolved-gateway-with-one-attached-unresolved-route`, 'ResolvedRefs'), true), 'ResolvedRefs=False');
});

test('GatewayWithAttachedRoutesWithPort8080 (gateway-with-attached-routes.go, GatewayPort8080): a listener on its own port', () => {
  const c = new Conformance(['tests/gateway-with-attached-routes-with-port-8080.yaml']);
  const gw = 'gateway-with-two-listeners-and-one-attached-route';
  assert.deepEqual(c.listeners(gw).map((l) => [l.name, cond(of(l, 'Accepted'), true), cond(of(l, 'ResolvedRefs'), true), l.attachedRoutes]), [
    ['http-unattached', 'Accepted=True', 'ResolvedRefs=True', 0], ['http', 'Accepted=True', 'ResolvedRefs=True', 1],
  ]);
  assert.equal(c.request({ path: '/', port: 80 }).status, 'backend');
});

test('GatewayListenerUnsupportedProtocol (gateway-invalid-listeners-unsupported-protocol.go)', () => {
  const c = new Conformance(['tests/gateway-invalid-listeners-unsupported-protocol.yaml']);
  assert.equal(cond(c.gatewayConditions('gateway-only-unsupported-protocols').find((x) => x.type === 'Accepted')), 'Accepted=False/ListenersNotValid');
  assert.equal(cond(of(listener(c, 'gateway-only-unsupported-protocols', 'invalid'), 'Accepted')), 'Accepted=False/UnsupportedProtocol');
  assert.equal(cond(c.gatewayConditions('gateway-supported-and-unsupported-protocols').find((x) => x.type === 'Accepted')), 'Accepted=True/ListenersNotValid');
  assert.equal(cond(of(listener(c, 'gateway-supported-and-unsupported-protocols', 'http'), 'Accepted')), 'Accepted=True/Accepted');
  assert.equal(cond(of(listener(c, 'gateway-supported-and-unsupported-protocols', 'invalid'), 'Accepted')), 'Accepted=False/UnsupportedProtocol');
});

test('GatewayInvalidParametersRef (gateway-invalid-parameters-ref.go)', () => {
  const c = new Conformance(['tests/gateway-invalid-parameters-ref.yaml']);
  assert.equal(cond(c.gatewayConditions('gateway-invalid-parameters-ref').find((x) => x.type === 'Accepted')), 'Accepted=False/InvalidParameters');
});

test('GatewayModifyListeners (gateway-modify-listeners.go): a listener added, a listener removed', () => {
  const fe = gatewayApiFrontEnd();
  const before = upstream('tests/gateway-modify-listeners.yaml');
  let c = new Conformance([], [{ path: 'case.yaml', text: before }], { frontEnd: fe });
  assert.deepEqual(c.listeners('gateway-add-listener').map((l) => l.name), ['https']);
  // Upstream adds an "http" listener to one Gateway and removes it from the other.
  const added = before.replace(/(name: gateway-add-listener[\s\S]*?listeners:\n)/, '$1  - name: http\n    port: 80\n    protocol: HTTP\n    allowedRoutes:\n      namespaces:\n        from: All\n');
  const after = added.replace(/(name: gateway-remove-listener[\s\S]*?)  - name: http\n    port: 80\n    protocol: HTTP\n[\s\S]*?(?=---|$)/, (m, head: string) => `${head}`);
  c = new Conformance([], [{ path: 'case.yaml', text: after }], { frontEnd: fe });
  const add = c.listeners('gateway-add-listener');
  assert.deepEqual(add.map((l) => [l.name, cond(of(l, 'Accepted'), true), cond(of(l, 'ResolvedRefs'), true), l.attachedRoutes]), [['http', 'Accepted=True', 'ResolvedRefs=True', 1], ['https', 'Accepted=True', 'ResolvedRefs=True', 1]]);
  assert.ok(c.gatewayConditions('gateway-add-listener').every((x) => x.observedGeneration === 2), 'the Gateway changed: generation 2');
  assert.deepEqual(c.listeners('gateway-remove-listener').map((l) => [l.name, l.attachedRoutes]), [['https', 1]]);
});

test('GatewayObservedGenerationBump, GatewayClassObservedGenerationBump, HTTPRouteObservedGenerationBump', () => {
  const fe = gatewayApiFrontEnd();
  const files = ['tests/gateway-observed-generation-bump.yaml', 'tests/gatewayclass-observed-generation-bump.yaml', 'tests/httproute-observed-generation-bump.yaml'];
  const texts = files.map(upstream);
  const gens = (c: Conformance) => [
    ...c.gatewayConditions('gateway-observed-generation-bump').map((x) => x.observedGeneration),
    ...(c.object('GatewayClass', undefined, 'gatewayclass-observed-generation-bump').status as { conditions: Condition[] }).conditions.map((x) => x.observedGeneration),
    ...c.parents('HTTPRoute', 'observed-generation-bump').flatMap((p) => p.conditions.map((x) => x.observedGeneration)),
  ];
  const c1 = new Conformance([], texts.map((text, i) => ({ path: files[i]!, text })), { frontEnd: fe });
  assert.ok(gens(c1).every((g) => g === 1), JSON.stringify(gens(c1)));
  assert.equal(cond(c1.routeCondition('HTTPRoute', 'observed-generation-bump', `${INFRA}/same-namespace`, 'Accepted'), true), 'Accepted=True');
  // Upstream changes each spec; a build without a change keeps the generation.
  const changed = [
    texts[0]!.replace('hostname: "bar.com"', 'hostname: "foo.com"'),
    texts[1]!.replace('description: "old"', 'description: "new"'),
    texts[2]!.replace(/port: 8080/, 'port: 8080\n      weight: 2'),
  ];
  const c2 = new Conformance([], changed.map((text, i) => ({ path: files[i]!, text })), { frontEnd: fe });
  assert.ok(gens(c2).every((g) => g === 2), JSON.stringify(gens(c2)));
  const c3 = new Conformance([], changed.map((text, i) => ({ path: files[i]!, text })), { frontEnd: fe });
  assert.ok(gens(c3).every((g) => g === 2));
  assert.equal(cond(c2.routeCondition('HTTPRoute', 'observed-generation-bump', `${INFRA}/same-namespace`, 'ResolvedRefs')), 'ResolvedRefs=True/ResolvedRefs');
});
