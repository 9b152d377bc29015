// GATEWAY-GRPC profile: upstream's GRPCRoute conformance cases
// (conformance/tests/grpcroute-*.go at v1.6.1) restated at the model level.
// A gRPC call is a POST of /service/method over HTTP/2: the route table sees
// exactly that. "Unimplemented" upstream is a request no rule matches here
// (the data plane answers it with grpc-status 12, per the contract).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Conformance, cond, INFRA, type Request } from './harness.ts';

const ECHO = '/gateway_api_conformance.echo_basic.grpcecho.GrpcEcho';
const call = (method: string, o: Partial<Request> = {}): Request => ({ method: 'POST', path: `${ECHO}/${method}`, headers: { 'content-type': 'application/grpc', ...o.headers }, ...(o.host ? { host: o.host } : {}) });

function served(c: Conformance, req: Request): string | 'unimplemented' {
  const o = c.request(req);
  if (o.status === 404) return 'unimplemented';
  assert.equal(o.status, 'backend', JSON.stringify(o));
  assert.equal(o.status === 'backend' && o.rule.grpc, true, 'the rule says gRPC (HTTP/2 upstream, gRPC errors)');
  return o.status === 'backend' ? o.service : '?';
}

test('GRPCExactMethodMatching (grpcroute-exact-method-matching.go)', () => {
  const c = new Conformance(['tests/grpcroute-exact-method-matching.yaml']);
  assert.equal(cond(c.routeCondition('GRPCRoute', 'exact-matching', `${INFRA}/same-namespace`, 'Accepted')), 'Accepted=True/Accepted');
  assert.equal(cond(c.routeCondition('GRPCRoute', 'exact-matching', `${INFRA}/same-namespace`, 'ResolvedRefs')), 'ResolvedRefs=True/ResolvedRefs');
  assert.equal(served(c, call('Echo')), 'grpc-infra-backend-v1');
  assert.equal(served(c, call('EchoTwo')), 'grpc-infra-backend-v2');
  assert.equal(served(c, call('EchoThree')), 'unimplemented');
});

test('GRPCRouteHeaderMatching (grpcroute-header-matching.go)', () => {
  const c = new Conformance(['tests/grpcroute-header-matching.yaml']);
  const m = (headers: Record<string, string>) => served(c, call('Echo', { headers }));
  assert.equal(m({ Version: 'one' }), 'grpc-infra-backend-v1');
  assert.equal(m({ Version: 'two' }), 'grpc-infra-backend-v2');
  assert.equal(m({ Version: 'two', Color: 'orange' }), 'grpc-infra-backend-v1');
  assert.equal(m({ Version: 'two', Color: 'blue' }), 'grpc-infra-backend-v2');
  assert.equal(m({ Color: 'orange' }), 'unimplemented');
  assert.equal(m({ 'Some-Other-Header': 'one' }), 'unimplemented');
  assert.equal(m({ Color: 'blue' }), 'grpc-infra-backend-v1');
  assert.equal(m({ Color: 'green' }), 'grpc-infra-backend-v1');
  assert.equal(m({ Color: 'red' }), 'grpc-infra-backend-v2');
  assert.equal(m({ Color: 'yellow' }), 'grpc-infra-backend-v2');
  assert.equal(m({ Color: 'purple' }), 'unimplemented');
});

test('GRPCRouteListenerHostnameMatching (grpcroute-listener-hostname-matching.go)', () => {
  const c = new Conformance(['tests/grpcroute-listener-hostname-matching.yaml']);
  const a = (host: string) => served(c, call('Echo', { host }));
  assert.equal(a('bar.com'), 'grpc-infra-backend-v1');
  assert.equal(a('foo.bar.com'), 'grpc-infra-backend-v2');
  for (const h of ['baz.bar.com', 'boo.bar.com', 'multiple.prefixes.bar.com', 'multiple.prefixes.foo.com']) assert.equal(a(h), 'grpc-infra-backend-v3', h);
  assert.equal(a('foo.com'), 'unimplemented');
  assert.equal(a('no.matching.host'), 'unimplemented');
});

test('GRPCRouteWeight (grpcroute-weight.go): the weights, per backend [distribution pending on the data plane]', () => {
  const c = new Conformance(['tests/grpcroute-weight.yaml']);
  const o = c.request(call('Echo'));
  assert.equal(o.status, 'backend');
  assert.deepEqual(o.status === 'backend' && o.backends, [{ service: 'grpc-infra-backend-v1', weight: 70 }, { service: 'grpc-infra-backend-v2', weight: 30 }, { service: 'grpc-infra-backend-v3', weight: 0 }]);
});

test('GRPCRouteNamedRule (grpcroute-named-rule.go)', () => {
  const c = new Conformance(['tests/grpcroute-named-rule.yaml']);
  const routes = c.cfg.gatewayApi!.objects.filter((o) => o.kind === 'GRPCRoute');
  assert.ok(routes.length > 0 && routes.every((o) => o.served), JSON.stringify(routes.map((o) => o.reason)));
});
