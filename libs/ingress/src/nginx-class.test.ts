import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BuildCache } from './build-cache.ts';
import { build, hostRule, ingressV1, WEB } from './test-helpers.ts';

const rule = hostRule('shop.example');
const TLS = '  tls:\n  - hosts: [shop.example]\n    secretName: shop-tls\n';
const ann = (a: Record<string, string>) => `  annotations: ${JSON.stringify(a)}\n`;
const NGINX_CLASS = `apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: internal}
spec: {controller: k8s.io/ingress-nginx}
`;

test('--ingress-class is a list: class nginx is served when listed, with ingress-nginx\'s defaults', () => {
  const files = { 'web.yaml': WEB, 'i.yaml': ingressV1('i', '  ingressClassName: nginx\n' + TLS + rule) };
  const off = build(files);
  assert.equal(off.ingresses[0]!.state, 'ignored');
  assert.match(off.ingresses[0]!.reason!, /ingress class "nginx" is not meshgate's \(it serves "meshgate"\).*--ingress-class nginx/);
  for (const ingressClass of ['meshgate,nginx', ' meshgate , nginx ', ['meshgate', 'nginx']]) {
    const on = build(files, { ingressClass });
    assert.equal(on.ingresses[0]!.state, 'served', JSON.stringify(ingressClass));
    assert.deepEqual(on.rules[0]!.policy, { maxBodyBytes: 1024 * 1024, connectTimeoutMs: 5_000, responseTimeoutMs: 60_000, attempts: 3, redirectTrailingSlash: 'strip', sslRedirect: true });
  }
  // The legacy annotation names the class as well.
  const legacy = build({ 'web.yaml': WEB, 'i.yaml': ingressV1('i', rule, ann({ 'kubernetes.io/ingress.class': 'nginx' })) }, { ingressClass: 'nginx' });
  assert.equal(legacy.ingresses[0]!.state, 'served');
  assert.equal(legacy.rules[0]!.policy!.sslRedirect, false, 'no tls section: no redirect');
});

test('an IngressClass of controller k8s.io/ingress-nginx gets ingress-nginx\'s defaults once listed', () => {
  const files = { 'web.yaml': WEB, 'c.yaml': NGINX_CLASS, 'i.yaml': ingressV1('i', '  ingressClassName: internal\n' + rule) };
  const off = build(files);
  assert.equal(off.ingresses[0]!.state, 'ignored');
  assert.match(off.ingresses[0]!.reason!, /belongs to controller "k8s.io\/ingress-nginx".*add "internal" to --ingress-class/);
  const on = build(files, { ingressClass: 'meshgate,internal' });
  assert.equal(on.rules[0]!.policy!.maxBodyBytes, 1024 * 1024);
});

test('an Ingress without a class keeps meshgate\'s defaults, and its nginx annotations are read all the same', () => {
  const cfg = build({ 'web.yaml': WEB, 'i.yaml': ingressV1('i', TLS + rule, ann({ 'nginx.ingress.kubernetes.io/proxy-body-size': '8m' })) }, { ingressClass: 'meshgate,nginx' });
  assert.deepEqual(cfg.rules[0]!.policy, { maxBodyBytes: 8 * 1024 * 1024 });
});

test('a refused annotation rejects the Ingress naming it, whatever its class; the rest is served', () => {
  const files = {
    'web.yaml': WEB,
    'shop.yaml': ingressV1('shop', '  ingressClassName: nginx\n' + rule, ann({ 'nginx.ingress.kubernetes.io/satisfy': 'any', 'nginx.ingress.kubernetes.io/stream-snippet': 'server { listen 9000; }' })),
    'own.yaml': ingressV1('own', rule.replace('shop.example', 'own.example'), ann({ 'nginx.ingress.kubernetes.io/server-snippet': 'return 200;' })),
    'ok.yaml': ingressV1('ok', rule.replace('shop.example', 'ok.example')),
  };
  const cfg = build(files, { ingressClass: 'meshgate,nginx' });
  const by = new Map(cfg.ingresses.map((i) => [i.name, i]));
  assert.equal(by.get('shop')!.state, 'rejected');
  assert.match(by.get('shop')!.reason!, /^2 error\(s\), first: shop\.yaml:\d+: Ingress default\/shop: metadata\.annotations\.nginx\.ingress\.kubernetes\.io\/satisfy: nginx\.ingress\.kubernetes\.io\/satisfy is refused: access control is not implemented yet/);
  assert.equal(by.get('own')!.state, 'rejected');
  assert.equal(by.get('ok')!.state, 'served');
  assert.deepEqual(cfg.rules.map((r) => r.host), ['ok.example']);
  const shopErrors = cfg.errors.filter((e) => e.name === 'shop');
  assert.deepEqual(shopErrors.map((e) => e.field), ['metadata.annotations.nginx.ingress.kubernetes.io/satisfy', 'metadata.annotations.nginx.ingress.kubernetes.io/stream-snippet']);
  assert.equal(shopErrors[0]!.line, 5, 'the line of the annotations');
  assert.deepEqual(by.get('shop')!.annotations!.map((f) => f.outcome), ['refused', 'refused']);
});

test('warnings: on the status (a reason and the list) and in the build\'s warnings, positioned; the Ingress serves', () => {
  const cfg = build({ 'web.yaml': WEB, 'i.yaml': ingressV1('i', rule, ann({ 'nginx.ingress.kubernetes.io/proxy-buffer-size': '16k', 'nginx.ingress.kubernetes.io/proxy-body-size': '2m' })) });
  const s = cfg.ingresses[0]!;
  assert.equal(s.state, 'served');
  assert.equal(s.warnings!.length, 1);
  assert.match(s.warnings![0]!, /^i\.yaml:\d+: Ingress default\/i: metadata\.annotations\.nginx\.ingress\.kubernetes\.io\/proxy-buffer-size: .*ignored: meshgate streams bodies/);
  assert.match(s.reason!, /1 annotation warning\(s\), first: nginx\.ingress\.kubernetes\.io\/proxy-buffer-size: ignored/);
  assert.deepEqual(s.annotations!.map((f) => [f.annotation.slice(28), f.outcome]), [['proxy-body-size', 'supported'], ['proxy-buffer-size', 'ignored']]);
  assert.equal(cfg.warnings.length, 1);
  assert.equal(cfg.errors.length, 0);
  assert.equal(cfg.rules[0]!.policy!.maxBodyBytes, 2 * 1024 * 1024);
});

test('a cached build gives the same rule objects, and new ones when the class (and so the defaults) changes', () => {
  const cache = new BuildCache();
  const files = { 'web.yaml': WEB, 'i.yaml': ingressV1('i', '  ingressClassName: nginx\n' + rule) };
  cache.beginBuild();
  const a = build(files, { ingressClass: 'meshgate,nginx', cache });
  cache.endBuild();
  cache.beginBuild();
  const b = build(files, { ingressClass: 'meshgate,nginx', cache });
  cache.endBuild();
  assert.equal(a.rules[0], b.rules[0]);
  cache.beginBuild();
  const c = build({ ...files, 'c.yaml': 'apiVersion: networking.k8s.io/v1\nkind: IngressClass\nmetadata: {name: nginx}\nspec: {controller: meshgate.dev/ingress-controller}\n' }, { ingressClass: 'meshgate', cache });
  cache.endBuild();
  assert.equal(c.ingresses[0]!.state, 'served');
  assert.equal(c.rules[0]!.policy, undefined, 'an IngressClass "nginx" of meshgate\'s controller: meshgate\'s defaults');
});
