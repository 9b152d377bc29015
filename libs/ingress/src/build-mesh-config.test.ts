import assert from 'node:assert/strict';
import { test } from 'node:test';
import { build, ingressV1, WEB } from './test-helpers.ts';
import { createPrivateKey } from 'node:crypto';
import { makeTestCert } from './test-certs.ts';

const rule = (path: string, pathType = 'Prefix', svc = 'web', port = 'number: 80', host?: string) => `  rules:
  - ${host ? `host: ${host}\n    ` : ''}http:
      paths:
      - path: ${path}
        pathType: ${pathType}
        backend:
          service: {name: ${svc}, port: {${port}}}
`;

test('IngressClass selection', () => {
  const classes = `apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: mine}
spec: {controller: meshgate.dev/ingress-controller}
---
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: nginx}
spec: {controller: k8s.io/ingress-nginx}
`;
  const cases: { name: string; spec?: string; meta?: string; opts?: { ingressClass?: string }; state: string; reason?: RegExp }[] = [
    { name: 'no class', state: 'served' },
    { name: 'default class name', spec: '  ingressClassName: meshgate\n', state: 'served' },
    { name: 'IngressClass with meshgate controller', spec: '  ingressClassName: mine\n', state: 'served' },
    { name: 'legacy annotation', meta: '  annotations: {kubernetes.io/ingress.class: meshgate}\n', state: 'served' },
    { name: 'legacy annotation, other class', meta: '  annotations: {kubernetes.io/ingress.class: traefik}\n', state: 'ignored', reason: /"traefik" is not meshgate's/ },
    { name: 'IngressClass of another controller', spec: '  ingressClassName: nginx\n', state: 'ignored', reason: /belongs to controller "k8s.io\/ingress-nginx"/ },
    { name: 'unknown class', spec: '  ingressClassName: gce\n', state: 'ignored', reason: /set ingressClassName "meshgate" or add an IngressClass "gce"/ },
    { name: 'configured class', spec: '  ingressClassName: edge\n', opts: { ingressClass: 'edge' }, state: 'served' },
    { name: 'configured class excludes the default name', spec: '  ingressClassName: meshgate\n', opts: { ingressClass: 'edge' }, state: 'ignored' },
  ];
  for (const c of cases) {
    const ing = ingressV1('i', (c.spec ?? '') + rule('/'), c.meta ?? '');
    const cfg = build({ 'c.yaml': classes, 'web.yaml': WEB, 'i.yaml': ing }, c.opts);
    const st = cfg.ingresses[0];
    assert.equal(st.state, c.state, c.name);
    if (c.reason) assert.match(st.reason ?? '', c.reason, c.name);
    assert.equal(cfg.rules.length, c.state === 'served' ? 1 : 0, c.name);
    assert.deepEqual(cfg.errors, [], c.name);
  }
});

test('an ignored Ingress is not validated (it belongs to another controller)', () => {
  const cfg = build({ 'i.yaml': ingressV1('i', '  ingressClassName: nginx\n' + rule('no-slash')) });
  assert.equal(cfg.ingresses[0].state, 'ignored');
  assert.deepEqual(cfg.errors, []);
});

test('conflicts: oldest creationTimestamp wins, then namespace/name; loser reported', () => {
  const other = WEB.replaceAll('name: web', 'name: other');
  const a = ingressV1('zeta', rule('/x', 'Prefix', 'web'), '  creationTimestamp: "2020-01-01T00:00:00Z"\n');
  const b = ingressV1('alpha', rule('/x/', 'Prefix', 'other'), '  creationTimestamp: "2021-01-01T00:00:00Z"\n');
  const cfg = build({ 'web.yaml': WEB + '---\n' + other, 'a.yaml': a, 'b.yaml': b });
  assert.deepEqual(cfg.rules.map((r) => r.ingress), ['default/zeta']);
  const err = cfg.errors.find((e) => e.name === 'alpha');
  assert.equal(err?.field, 'spec.rules[0].http.paths[0]');
  assert.match(err?.message ?? '', /already served by Ingress default\/zeta/);
  const st = cfg.ingresses.find((s) => s.name === 'alpha');
  assert.equal(st?.state, 'served');
  assert.equal(st?.rules, 0);
  assert.match(st?.reason ?? '', /already served by Ingress default\/zeta/);

  // Same age (or none): alphabetical namespace/name; different pathType is no conflict.
  const c = build({ 'web.yaml': WEB + '---\n' + other, 'a.yaml': ingressV1('b', rule('/x', 'Prefix', 'web')), 'b.yaml': ingressV1('a', rule('/x', 'Prefix', 'other') + '      - path: /x\n        pathType: Exact\n        backend: {service: {name: other, port: {number: 80}}}\n') });
  assert.deepEqual(c.rules.map((r) => `${r.ingress} ${r.pathType} ${r.backend}`), ['default/a Prefix default/other:80', 'default/a Exact default/other:80']);
  assert.equal(c.errors.length, 1);
  assert.equal(c.errors[0].name, 'b');
  // A timestamp makes an Ingress older than one without.
  const d = build({ 'web.yaml': WEB + '---\n' + other, 'a.yaml': ingressV1('b', rule('/x', 'Prefix', 'web'), '  creationTimestamp: "2024-05-01T00:00:00Z"\n'), 'b.yaml': ingressV1('a', rule('/x', 'Prefix', 'other')) });
  assert.equal(d.rules[0].ingress, 'default/b');
  // Different hosts never conflict.
  const e = build({ 'web.yaml': WEB, 'a.yaml': ingressV1('a', rule('/x', 'Prefix', 'web', 'number: 80', 'a.com')), 'b.yaml': ingressV1('b', rule('/x', 'Prefix', 'web', 'number: 80', 'b.com')) });
  assert.equal(e.rules.length, 2);
  assert.deepEqual(e.errors, []);
});

test('default backends: v1 defaultBackend, v1beta1 backend, several -> oldest wins', () => {
  const v1 = ingressV1('one', '  defaultBackend: {service: {name: web, port: {name: http}}}\n', '  creationTimestamp: "2022-01-01T00:00:00Z"\n');
  const beta = `apiVersion: networking.k8s.io/v1beta1
kind: Ingress
metadata: {name: two, creationTimestamp: "2021-01-01T00:00:00Z"}
spec:
  backend: {serviceName: web, servicePort: 80}
`;
  const cfg = build({ 'web.yaml': WEB, 'one.yaml': v1, 'two.yaml': beta });
  assert.deepEqual(cfg.defaultBackend, { backend: 'default/web:80', ingress: 'default/two' });
  const err = cfg.errors.find((e) => e.name === 'one');
  assert.equal(err?.field, 'spec.defaultBackend');
  assert.match(err?.message ?? '', /already set by Ingress default\/two/);
  const only = build({ 'web.yaml': WEB, 'one.yaml': v1 });
  assert.deepEqual(only.defaultBackend, { backend: 'default/web:http', ingress: 'default/one' });
  assert.deepEqual(only.backends[0].endpoints.map((e) => e.id), ['10.0.0.1:8080', '10.0.0.2:8080']);
});

test('missing Service: Ingress still served, backend with zero endpoints, error on the backend field', () => {
  const cfg = build({ 'i.yaml': ingressV1('i', rule('/', 'Prefix', 'ghost')) });
  assert.equal(cfg.ingresses[0].state, 'served');
  assert.deepEqual(cfg.backends, [{ id: 'default/ghost:80', namespace: 'default', service: 'ghost', servicePort: 80, endpoints: [], healthPath: '/', annotations: {} }]);
  assert.equal(cfg.errors[0].field, 'spec.rules[0].http.paths[0].backend');
  assert.match(cfg.errors[0].message, /Service default\/ghost not found/);
  const noPort = build({ 'web.yaml': WEB, 'i.yaml': ingressV1('i', rule('/', 'Prefix', 'web', 'number: 81')) });
  assert.match(noPort.errors[0].message, /has no port 81: its ports are 80 \(http\)/);
});

test('namespaces: an Ingress only sees Services of its own namespace', () => {
  const ing = ingressV1('i', rule('/'), '  namespace: shop\n');
  const cfg = build({ 'web.yaml': WEB, 'i.yaml': ing });
  assert.equal(cfg.rules[0].backend, 'shop/web:80');
  assert.match(cfg.errors[0].message, /Service shop\/web not found/);
  const inNs = build({ 'web.yaml': WEB.replaceAll('metadata: {name: web}', 'metadata: {name: web, namespace: shop}'), 'i.yaml': ing });
  assert.deepEqual(inNs.errors, []);
  assert.equal(inNs.backends[0].endpoints.length, 2);
});

test('endpoint port selection: Service port name, targetPort number, targetPort name, lone port', () => {
  const cases: { name: string; svcPorts: string; epPorts: string; ingressPort: string; want: string[] }[] = [
    { name: 'by Service port name', svcPorts: '[{name: http, port: 80, targetPort: 8080}, {name: admin, port: 81, targetPort: 9000}]', epPorts: '[{name: admin, port: 9000}, {name: http, port: 8080}]', ingressPort: 'number: 80', want: ['10.1.1.1:8080'] },
    { name: 'by ingress port name', svcPorts: '[{name: http, port: 80, targetPort: 8080}, {name: admin, port: 81, targetPort: 9000}]', epPorts: '[{name: admin, port: 9000}, {name: http, port: 8080}]', ingressPort: 'name: admin', want: ['10.1.1.1:9000'] },
    { name: 'by targetPort number', svcPorts: '[{port: 80, targetPort: 8080}]', epPorts: '[{name: other, port: 9999}, {name: web, port: 8080}]', ingressPort: 'number: 80', want: ['10.1.1.1:8080'] },
    { name: 'by targetPort name', svcPorts: '[{name: http, port: 80, targetPort: web-port}]', epPorts: '[{name: web-port, port: 3000}]', ingressPort: 'number: 80', want: ['10.1.1.1:3000'] },
    { name: 'lone unnamed port', svcPorts: '[{port: 80}]', epPorts: '[{port: 5000}]', ingressPort: 'number: 80', want: ['10.1.1.1:5000'] },
    { name: 'targetPort defaults to port', svcPorts: '[{name: http, port: 80}, {name: b, port: 81}]', epPorts: '[{port: 80}, {port: 81}]', ingressPort: 'number: 81', want: ['10.1.1.1:81'] },
  ];
  for (const c of cases) {
    const yaml = `apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {ports: ${c.svcPorts}}\n---\napiVersion: v1\nkind: Endpoints\nmetadata: {name: s}\nsubsets: [{addresses: [{ip: 10.1.1.1}], ports: ${c.epPorts}}]\n`;
    const cfg = build({ 's.yaml': yaml, 'i.yaml': ingressV1('i', rule('/', 'Prefix', 's', c.ingressPort)) });
    assert.deepEqual(cfg.errors, [], c.name);
    assert.deepEqual(cfg.backends[0].endpoints.map((e) => e.id), c.want, c.name);
  }
  const none = build({ 's.yaml': `apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {ports: [{name: http, port: 80, targetPort: 8080}]}\n---\napiVersion: v1\nkind: Endpoints\nmetadata: {name: s}\nsubsets: [{addresses: [{ip: 10.1.1.1}], ports: [{name: grpc, port: 9090}]}]\n`, 'i.yaml': ingressV1('i', rule('/', 'Prefix', 's')) });
  assert.equal(none.backends[0].endpoints.length, 0);
  assert.match(none.errors[0].message, /no port matching Service port 80/);
  assert.equal(none.errors[0].kind, 'Service');
});

test('EndpointSlice: ready=false excluded, several slices merged, IPv6 ids bracketed, FQDN allowed', () => {
  const slices = `apiVersion: v1
kind: Service
metadata: {name: s}
spec: {ports: [{name: http, port: 80, targetPort: 8080}]}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: s-a, labels: {kubernetes.io/service-name: s}}
addressType: IPv4
ports: [{name: http, port: 8080}]
endpoints:
- addresses: [10.0.0.1]
  conditions: {ready: true}
  nodeName: n1
- addresses: [10.0.0.2]
  conditions: {ready: false}
- addresses: [10.0.0.3]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: s-b, labels: {kubernetes.io/service-name: s}}
addressType: IPv6
ports: [{name: http, port: 8080}]
endpoints:
- addresses: ["fd00::1"]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: s-c, labels: {kubernetes.io/service-name: s}}
addressType: FQDN
ports: [{name: http, port: 8080}]
endpoints:
- addresses: [backend.internal]
`;
  const cfg = build({ 's.yaml': slices, 'i.yaml': ingressV1('i', rule('/', 'Prefix', 's')) });
  assert.deepEqual(cfg.errors, []);
  assert.deepEqual(cfg.backends[0].endpoints, [
    { id: '10.0.0.1:8080', address: '10.0.0.1', port: 8080, node: 'n1' },
    { id: '10.0.0.3:8080', address: '10.0.0.3', port: 8080 },
    { id: '[fd00::1]:8080', address: 'fd00::1', port: 8080 },
    { id: 'backend.internal:8080', address: 'backend.internal', port: 8080 },
  ]);
});

test('NodePort: Endpoints win over Nodes; missing nodePort and missing endpoints are reported on the Service', () => {
  const svc = (np: string) => `apiVersion: v1\nkind: Service\nmetadata: {name: s, annotations: {meshgate.dev/health-path: /healthz}}\nspec: {type: NodePort, ports: [{name: http, port: 80, targetPort: 8080${np}}]}\n`;
  const node = 'apiVersion: v1\nkind: Node\nmetadata: {name: n1}\nstatus: {addresses: [{type: InternalIP, address: 192.168.1.5}]}\n';
  const eps = 'apiVersion: v1\nkind: Endpoints\nmetadata: {name: s}\nsubsets: [{addresses: [{ip: 10.0.0.9}], ports: [{name: http, port: 8080}]}]\n';
  const ing = ingressV1('i', rule('/', 'Prefix', 's'));
  const viaNodes = build({ 's.yaml': svc(', nodePort: 30080'), 'n.yaml': node, 'i.yaml': ing });
  assert.deepEqual(viaNodes.backends[0].endpoints, [{ id: '192.168.1.5:30080', address: '192.168.1.5', port: 30080, node: 'n1' }]);
  assert.equal(viaNodes.backends[0].healthPath, '/healthz');
  assert.deepEqual(viaNodes.backends[0].annotations, { 'meshgate.dev/health-path': '/healthz' });
  const viaEps = build({ 's.yaml': svc(', nodePort: 30080'), 'n.yaml': node, 'e.yaml': eps, 'i.yaml': ing });
  assert.deepEqual(viaEps.backends[0].endpoints.map((e) => e.id), ['10.0.0.9:8080']);
  const noNodePort = build({ 's.yaml': svc(''), 'n.yaml': node, 'i.yaml': ing });
  assert.equal(noNodePort.errors[0].field, 'spec.ports[0].nodePort');
  assert.match(noNodePort.errors[0].message, /no nodePort for port 80/);
  const nothing = build({ 's.yaml': 'apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {ports: [{port: 80}]}\n', 'i.yaml': ing });
  assert.match(nothing.errors[0].message, /has no Endpoints or EndpointSlice/);
  assert.equal(nothing.errors[0].kind, 'Service');
});

// Real certificates (made by openssl now): a Secret's certificate and key are loaded as TLS would load them.
const { cert: PEM_CERT, key: PEM_KEY } = makeTestCert();
// The same key in the traditional "EC PRIVATE KEY" (SEC1) form, also what kubectl may hold.
const SEC1_KEY = createPrivateKey(PEM_KEY).export({ type: 'sec1', format: 'pem' }) as string;

test('TLS: kubernetes.io/tls Secret from data (base64) or stringData; hosts; missing and wrong-type Secrets', () => {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const secrets = `apiVersion: v1
kind: Secret
metadata: {name: from-data}
type: kubernetes.io/tls
data:
  tls.crt: ${b64(PEM_CERT)}
  tls.key: ${b64(PEM_KEY)}
---
apiVersion: v1
kind: Secret
metadata: {name: from-string}
type: kubernetes.io/tls
stringData:
  tls.crt: |
${PEM_CERT.trimEnd().split('\n').map((l) => `    ${l}`).join('\n')}
  tls.key: |
${SEC1_KEY.trimEnd().split('\n').map((l) => `    ${l}`).join('\n')}
---
apiVersion: v1
kind: Secret
metadata: {name: opaque}
type: Opaque
data: {password: ${b64('x')}}
`;
  const tls = `  tls:
  - hosts: [a.example.com, "*.example.com"]
    secretName: from-data
  - secretName: from-string
  - hosts: [b.example.com]
    secretName: missing
  - hosts: [c.example.com]
    secretName: opaque
`;
  const cfg = build({ 's.yaml': secrets, 'web.yaml': WEB, 'i.yaml': ingressV1('i', tls + rule('/')) });
  assert.deepEqual(cfg.tls, [
    { id: 'default/from-data', hosts: ['a.example.com', '*.example.com'], cert: PEM_CERT, key: PEM_KEY },
    { id: 'default/from-string', hosts: [], cert: PEM_CERT, key: SEC1_KEY },
  ]);
  assert.deepEqual(cfg.errors.map((e) => [e.field, e.message.slice(0, 40)]), [
    ['spec.tls[2].secretName', 'Secret default/missing not found: create'],
    ['spec.tls[3].secretName', 'Secret default/opaque has type "Opaque":'],
  ]);
  assert.equal(cfg.ingresses[0].state, 'served');
});

test('seed TLS ingress with the same routes as hello-ingress shares them without errors', () => {
  const beta = (name: string, tls: string) => `apiVersion: extensions/v1beta1\nkind: Ingress\nmetadata: {name: ${name}}\nspec:\n${tls}  rules:\n  - http:\n      paths:\n      - path: /users/*\n        backend: {serviceName: web, servicePort: 80}\n`;
  const cfg = build({ 'web.yaml': WEB, 'a.yaml': beta('hello-ingress', ''), 'b.yaml': beta('hello-ingress-tls', '  tls:\n  - secretName: nope\n') });
  assert.equal(cfg.rules.length, 1);
  assert.equal(cfg.errors.length, 1); // only the missing secret
  const st = cfg.ingresses.find((s) => s.name === 'hello-ingress-tls');
  assert.equal(st?.rules, 1);
  assert.match(st?.reason ?? '', /shares identical routes with Ingress default\/hello-ingress/);
});

test('JSON files, kind: List, multi-document YAML, ignored kinds, duplicates', () => {
  const list = JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'j' }, spec: { ports: [{ port: 80 }] } },
    { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'j' }, subsets: [{ addresses: [{ ip: '10.9.9.9' }], ports: [{ port: 80 }] }] },
    { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'j' }, spec: { rules: [{ host: 'j.example.com', http: { paths: [{ path: '/bad', pathType: 'Nope', backend: { service: { name: 'j', port: { number: 80 } } } }] } }] } },
  ] }, null, 2);
  const cfg = build({ 'list.json': list, 'deploy.yaml': 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\n---\n---\n', 'dup.yaml': 'apiVersion: v1\nkind: Service\nmetadata: {name: j}\nspec: {ports: [{port: 80}]}\n' });
  assert.deepEqual(cfg.errors.map((e) => [e.file, e.line, e.field]), [
    ['list.json', 9, 'metadata.name'],
    ['list.json', 54, 'spec.rules[0].http.paths[0].pathType'],
  ]);
  // Files are read in path order, so dup.yaml's Service came first.
  assert.match(cfg.errors[0].message, /duplicate Service default\/j: already defined at dup\.yaml:1/);
  assert.equal(cfg.ingresses[0].state, 'rejected');
});
