import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatManifestError } from '@meshgate/ingress';
import { buildMeshConfigWithGatewayApi } from './front-end.ts';

const errorsOf = (yaml: string) => buildMeshConfigWithGatewayApi([{ path: 'x.yaml', text: yaml }]).errors.map(formatManifestError);
const route = (spec: string) => `apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: r}\nspec:\n${spec}`;

test('what the API server would refuse is refused with file, line, object and field', () => {
  const cases: [string, RegExp][] = [
    [route('  rules:\n  - matches:\n    - path: {type: Exact, value: "no-slash"}\n'), /x\.yaml:7: HTTPRoute default\/r: spec\.rules\[0\]\.matches\[0\]\.path\.value: path "no-slash" must be an absolute path/],
    [route('  rules:\n  - matches:\n    - path: {type: Glob, value: /}\n'), /spec\.rules\[0\]\.matches\[0\]\.path\.type: "Glob" is not one of Exact, PathPrefix, RegularExpression/],
    [route('  rules:\n  - backendRefs: [{name: svc}]\n'), /spec\.rules\[0\]\.backendRefs\[0\]\.port: required for a Service reference/],
    [route('  hostnames: ["Foo.example.com"]\n'), /spec\.hostnames\[0\]: hostname "Foo\.example\.com" is not valid: write "foo\.example\.com"/],
    [route('  hostnames: ["10.0.0.1"]\n'), /must be a DNS name, not an IP address/],
    [route('  rules:\n  - filters:\n    - {type: RequestRedirect, requestRedirect: {statusCode: 301}}\n    - {type: URLRewrite, urlRewrite: {hostname: a.com}}\n'), /either a RequestRedirect or a URLRewrite filter, but not both/],
    [route('  rules:\n  - filters: [{type: RequestRedirect, requestRedirect: {statusCode: 301}}]\n    backendRefs: [{name: svc, port: 80}]\n'), /RequestRedirect filter must not be used together with backendRefs/],
    [route('  rules:\n  - matches: [{path: {type: Exact, value: /a}}]\n    filters: [{type: URLRewrite, urlRewrite: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /b}}}]\n'), /needs exactly one PathPrefix match/],
    [route('  rules:\n  - timeouts: {request: 1s, backendRequest: 2s}\n'), /backendRequest timeout cannot be longer than request timeout/],
    [route('  rules:\n  - timeouts: {request: 1.5s}\n'), /duration "1\.5s" is not a Gateway API duration/],
    [route('  rules:\n  - filters: [{type: RequestHeaderModifier, requestHeaderModifier: {set: [{name: x, value: "1"}], remove: [X]}}]\n'), /header "X" already has an action \(set\)/],
    [route('  rules:\n  - filters: [{type: RequestHeaderModifier, responseHeaderModifier: {}}]\n'), /filter\.responseHeaderModifier must not be set when the filter type is RequestHeaderModifier/],
    [route('  parentRefs: [{name: gw}, {name: gw}]\n'), /is referenced twice/],
    [route('  rules:\n  - matches: [{headers: [{name: v, value: a}, {name: v, value: b}]}]\n'), /"v" is listed twice/],
    [`apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: g}\nspec:\n  gatewayClassName: c\n  listeners:\n  - {name: a, port: 80, protocol: HTTP}\n  - {name: a, port: 81, protocol: HTTP}\n`, /listener name "a" is used twice/],
    [`apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: g}\nspec:\n  gatewayClassName: c\n  listeners:\n  - {name: a, port: 443, protocol: HTTPS, tls: {mode: Terminate}}\n`, /certificateRefs or options must be given when mode is Terminate/],
    [`apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: g}\nspec:\n  gatewayClassName: c\n  listeners:\n  - {name: a, port: 80, protocol: HTTP, tls: {mode: Terminate}}\n`, /tls must not be set for protocol HTTP/],
    [`apiVersion: gateway.networking.k8s.io/v1alpha2\nkind: GRPCRoute\nmetadata: {name: g}\n`, /unsupported apiVersion "gateway\.networking\.k8s\.io\/v1alpha2" for GRPCRoute: use one of gateway\.networking\.k8s\.io\/v1/],
    [`apiVersion: gateway.networking.k8s.io/v1\nkind: GRPCRoute\nmetadata: {name: g}\nspec:\n  rules:\n  - matches: [{method: {type: Exact}}]\n`, /one or both of 'service' or 'method' must be specified/],
    [`apiVersion: gateway.networking.k8s.io/v1\nkind: BackendTLSPolicy\nmetadata: {name: p}\nspec:\n  targetRefs: [{group: "", kind: Service, name: s}]\n  validation: {hostname: a.com}\n`, /must specify either caCertificateRefs or wellKnownCACertificates/],
    [`apiVersion: gateway.networking.k8s.io/v1\nkind: ReferenceGrant\nmetadata: {name: g}\nspec:\n  from: [{group: gateway.networking.k8s.io, kind: HTTPRoute}]\n  to: [{group: "", kind: Service}]\n`, /spec\.from\[0\]\.namespace: required/],
  ];
  for (const [yaml, want] of cases) {
    const errs = errorsOf(yaml);
    assert.ok(errs.some((e) => want.test(e)), `${want}\n  got: ${errs.join('\n       ') || '(none)'}`);
  }
});

test('valid objects of every kind and served version build without errors; GatewayClass is cluster-scoped', () => {
  const yaml = `apiVersion: gateway.networking.k8s.io/v1beta1
kind: GatewayClass
metadata: {name: c, namespace: ignored}
spec: {controllerName: meshgate.dev/gateway-controller}
---
apiVersion: gateway.networking.k8s.io/v1beta1
kind: Gateway
metadata: {name: g}
spec: {gatewayClassName: c, listeners: [{name: http, port: 80, protocol: HTTP}]}
---
apiVersion: gateway.networking.k8s.io/v1beta1
kind: HTTPRoute
metadata: {name: r}
spec: {parentRefs: [{name: g}]}
---
apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata: {name: rg}
spec: {from: [{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: other}], to: [{group: "", kind: Service}]}
---
apiVersion: gateway.networking.k8s.io/v1alpha3
kind: BackendTLSPolicy
metadata: {name: p}
spec: {targetRefs: [{group: "", kind: Service, name: s}], validation: {hostname: s.example.com, wellKnownCACertificates: System}}
`;
  const cfg = buildMeshConfigWithGatewayApi([{ path: 'ok.yaml', text: yaml }]);
  assert.deepEqual(cfg.errors, []);
  const kinds = cfg.gatewayApi!.objects.map((o) => `${o.kind}/${o.metadata.namespace ?? '-'}/${o.metadata.name}`);
  assert.deepEqual(kinds.sort(), ['BackendTLSPolicy/default/p', 'Gateway/default/g', 'GatewayClass/-/c', 'HTTPRoute/default/r', 'ReferenceGrant/default/rg']);
  // An HTTPRoute without rules gets upstream's default rule: every path, no backend, so 500.
  assert.deepEqual(cfg.rules.map((r) => [r.path, r.pathType, r.backends]), [['/', 'Prefix', []]]);
});
