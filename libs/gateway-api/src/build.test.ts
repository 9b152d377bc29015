import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Condition, GatewayApiObject, MeshConfig, RouteParentStatus } from '@meshgate/ingress';
import { buildMeshConfigWithGatewayApi } from './front-end.ts';

const CLASS = 'apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata: {name: mg}\nspec: {controllerName: meshgate.dev/gateway-controller}\n';
const SVC = 'apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {ports: [{port: 80}]}\n---\napiVersion: v1\nkind: Endpoints\nmetadata: {name: web}\nsubsets: [{addresses: [{ip: 10.0.0.1}], ports: [{port: 8080}]}]\n';
const gateway = (name: string, listeners: string, cls = 'mg', meta = '') => `apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: ${name}${meta}}\nspec:\n  gatewayClassName: ${cls}\n  listeners:\n${listeners}`;
const route = (name: string, spec: string, kind = 'HTTPRoute', meta = '') => `apiVersion: gateway.networking.k8s.io/v1\nkind: ${kind}\nmetadata: {name: ${name}${meta}}\nspec:\n${spec}`;

function build(...docs: string[]): MeshConfig {
  const cfg = buildMeshConfigWithGatewayApi([{ path: 'm.yaml', text: [CLASS, SVC, ...docs].join('---\n') }], { now: 0 });
  assert.deepEqual(cfg.errors, []);
  return cfg;
}
const obj = (cfg: MeshConfig, kind: string, name: string): GatewayApiObject => cfg.gatewayApi!.objects.find((o) => o.kind === kind && o.metadata.name === name)!;
const conds = (cfg: MeshConfig, kind: string, name: string): string[] => ((obj(cfg, kind, name).status as { parents: RouteParentStatus[] }).parents[0]?.conditions ?? []).map((c) => `${c.type}=${c.status}/${c.reason}`);

test('an Ingress and an HTTPRoute on the same host and path: the Ingress status says the HTTPRoute serves it', () => {
  const ingress = 'apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: ing}\nspec:\n  rules:\n  - host: a.example.com\n    http: {paths: [{path: /api, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]}\n';
  const cfg = build(ingress, gateway('gw', '  - {name: http, port: 80, protocol: HTTP}\n'), route('r', '  parentRefs: [{name: gw}]\n  hostnames: [a.example.com]\n  rules: [{matches: [{path: {type: PathPrefix, value: /api/}}], backendRefs: [{name: web, port: 80}]}]\n'));
  const ing = cfg.ingresses.find((i) => i.name === 'ing')!;
  assert.equal(ing.state, 'served');
  assert.match(ing.reason!, /host "a\.example\.com" path "\/api" is also claimed by HTTPRoute default\/r on port 80: requests that match it go to the HTTPRoute/);
  assert.equal(cfg.rules.length, 2, 'both are in the model; the route table decides (Gateway API first)');
});

test('a rule whose pattern does not compile is dropped (PartiallyInvalid); a route with no servable rule is not accepted', () => {
  const gw = gateway('gw', '  - {name: http, port: 80, protocol: HTTP}\n');
  const bad = '{matches: [{path: {type: RegularExpression, value: "/a(["}}], backendRefs: [{name: web, port: 80}]}';
  const cfg = build(gw, route('part', `  parentRefs: [{name: gw}]\n  rules:\n  - ${bad}\n  - {matches: [{path: {value: /ok}}], backendRefs: [{name: web, port: 80}]}\n`), route('none', `  parentRefs: [{name: gw}]\n  rules:\n  - ${bad}\n`));
  assert.deepEqual(conds(cfg, 'HTTPRoute', 'part'), ['Accepted=True/Accepted', 'ResolvedRefs=True/ResolvedRefs', 'PartiallyInvalid=True/UnsupportedValue']);
  assert.match(obj(cfg, 'HTTPRoute', 'part').reason, /^Dropped Rule\(s\): rule 0: path "\/a\(\[" is not an ECMAScript regular expression/);
  assert.deepEqual(conds(cfg, 'HTTPRoute', 'none'), ['Accepted=False/UnsupportedValue', 'ResolvedRefs=True/ResolvedRefs']);
  assert.deepEqual(cfg.rules.map((r) => r.path), ['/ok']);
});

test('an ExtensionRef filter is not skipped: the rule answers 500 and ResolvedRefs says why', () => {
  const cfg = build(gateway('gw', '  - {name: http, port: 80, protocol: HTTP}\n'), route('ext', '  parentRefs: [{name: gw}]\n  rules: [{filters: [{type: ExtensionRef, extensionRef: {group: x.io, kind: Auth, name: a}}], backendRefs: [{name: web, port: 80}]}]\n'));
  assert.deepEqual(conds(cfg, 'HTTPRoute', 'ext'), ['Accepted=True/Accepted', 'ResolvedRefs=False/InvalidKind']);
  assert.deepEqual(cfg.rules[0]!.backends, [{ backend: '', weight: 1, invalid: 'InvalidKind: ExtensionRef filter Auth a (group x.io) is not supported' }]);
});

test('an HTTPRoute and a GRPCRoute on one listener with overlapping hostnames: the older keeps it', () => {
  const cfg = build(
    gateway('gw', '  - {name: http, port: 80, protocol: HTTP}\n'),
    route('old', '  parentRefs: [{name: gw}]\n  hostnames: ["*.example.com"]\n  rules: [{backendRefs: [{name: web, port: 80}]}]\n', 'GRPCRoute', ', creationTimestamp: "2024-01-01T00:00:00Z"'),
    route('new', '  parentRefs: [{name: gw}]\n  hostnames: [a.example.com]\n  rules: [{backendRefs: [{name: web, port: 80}]}]\n', 'HTTPRoute', ', creationTimestamp: "2025-01-01T00:00:00Z"'),
  );
  assert.deepEqual(conds(cfg, 'GRPCRoute', 'old'), ['Accepted=True/Accepted', 'ResolvedRefs=True/ResolvedRefs']);
  assert.equal(conds(cfg, 'HTTPRoute', 'new')[0], 'Accepted=False/NotAllowedByListeners');
  assert.ok(cfg.rules.every((r) => r.grpc === true));
});

test('allowedRoutes: Selector by Namespace labels (kubernetes.io/metadata.name is always there), All, None', () => {
  const ns = 'apiVersion: v1\nkind: Namespace\nmetadata: {name: team, labels: {shared: "yes"}}\n';
  const cfg = build(ns,
    gateway('gw', '  - {name: sel, port: 80, protocol: HTTP, allowedRoutes: {namespaces: {from: Selector, selector: {matchLabels: {shared: "yes"}}}}}\n'),
    gateway('gw2', '  - {name: byname, port: 8080, protocol: HTTP, allowedRoutes: {namespaces: {from: Selector, selector: {matchExpressions: [{key: kubernetes.io/metadata.name, operator: In, values: [other]}]}}}}\n'),
    route('r', '  parentRefs: [{name: gw, namespace: default}, {name: gw2, namespace: default}]\n  rules: [{backendRefs: [{name: web, port: 80, namespace: default}]}]\n', 'HTTPRoute', ', namespace: team'),
    'apiVersion: gateway.networking.k8s.io/v1beta1\nkind: ReferenceGrant\nmetadata: {name: g}\nspec: {from: [{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: team}], to: [{group: "", kind: Service}]}\n');
  const parents = (obj(cfg, 'HTTPRoute', 'r').status as { parents: RouteParentStatus[] }).parents;
  assert.deepEqual(parents.map((p) => `${p.parentRef.name}:${p.conditions[0]!.status}/${p.conditions[0]!.reason}`), ['gw:True/Accepted', 'gw2:False/NotAllowedByListeners']);
  assert.deepEqual(cfg.rules.map((r) => r.listener!.ports), [[80]]);
});

test('listeners: HTTPS on 80 or HTTP on 443 is PortUnavailable; two protocols on one port conflict; a class of another controller is not served', () => {
  const cfg = build(
    gateway('ports', '  - {name: tls80, port: 80, protocol: HTTPS, tls: {certificateRefs: [{name: s}]}}\n  - {name: plain443, port: 443, protocol: HTTP}\n'),
    gateway('a', '  - {name: h, port: 9000, protocol: HTTP}\n'),
    gateway('b', '  - {name: s, port: 9000, protocol: HTTPS, tls: {certificateRefs: [{name: s}]}}\n'),
    gateway('other', '  - {name: h, port: 80, protocol: HTTP}\n', 'nginx'),
    'apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata: {name: nginx}\nspec: {controllerName: k8s.io/nginx}\n',
  );
  const listener = (gw: string, name: string, type: string) => (obj(cfg, 'Gateway', gw).status as { listeners: { name: string; conditions: Condition[] }[] }).listeners.find((l) => l.name === name)!.conditions.find((c) => c.type === type)!;
  assert.equal(listener('ports', 'tls80', 'Accepted').reason, 'PortUnavailable');
  assert.equal(listener('ports', 'plain443', 'Accepted').reason, 'PortUnavailable');
  assert.equal(obj(cfg, 'Gateway', 'ports').reason, 'Accepted=False ListenersNotValid: no listener is valid (see status.listeners)');
  assert.deepEqual([listener('a', 'h', 'Conflicted').status, listener('a', 'h', 'Conflicted').reason, listener('b', 's', 'Accepted').reason], ['True', 'ProtocolConflict', 'ProtocolConflict']);
  assert.equal(obj(cfg, 'Gateway', 'other').served, false);
  assert.match(obj(cfg, 'Gateway', 'other').reason, /belongs to controller "k8s\.io\/nginx", not meshgate\.dev\/gateway-controller/);
  assert.deepEqual((obj(cfg, 'Gateway', 'other').status as { conditions: Condition[] }).conditions, [], 'no status written for another controller');
});

test('metadata.generation, when written, is what conditions observe', () => {
  const cfg = build(gateway('gw', '  - {name: http, port: 80, protocol: HTTP}\n', 'mg', ', generation: 7'));
  assert.ok((obj(cfg, 'Gateway', 'gw').status as { conditions: Condition[] }).conditions.every((c) => c.observedGeneration === 7));
  assert.equal(obj(cfg, 'Gateway', 'gw').metadata.generation, 7);
});
