import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AdminMessageType } from '@meshgate/protocol';
import { applyObjects, defaultBuild, emptyApplied, sourcesOf } from './applied-objects.ts';
import { mergeSources, splitObjects } from './manifest-objects.ts';

const svc = `apiVersion: v1
kind: Service
metadata: { name: users }
spec: { ports: [{ port: 80 }] }
---
apiVersion: v1
kind: Endpoints
metadata: { name: users }
subsets: [{ addresses: [{ ip: 10.0.0.1 }], ports: [{ port: 8080 }] }]
`;
const ing = (path: string) => `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
spec:
  rules:
  - http:
      paths:
      - path: ${path}
        pathType: Prefix
        backend: { service: { name: users, port: { number: 80 } } }
`;
const dir = [{ path: '/m/svc.yaml', text: svc }, { path: '/m/web.yaml', text: ing('/a') }];
const build = defaultBuild('meshgate');
const apply = (text: string, state = emptyApplied(), action: 'apply' | 'delete' = 'apply') =>
  applyObjects({ type: AdminMessageType.Apply, action, files: [{ path: 'my.yaml', text }] }, dir, state, build);

test('objects have kubectl names and keys', () => {
  const [s, e] = splitObjects({ path: 'x', text: svc });
  assert.equal(s!.resource, 'service/users');
  assert.equal(e!.key, 'Endpoints/default/users');
  assert.equal(splitObjects({ path: 'y', text: ing('/a') })[0]!.resource, 'ingress.networking.k8s.io/web');
});

test('apply: configured over the directory, unchanged when equal, created when new', () => {
  const r = apply(ing('/b'));
  assert.deepEqual(r.results.map((x) => x.outcome), ['configured']);
  const cfg = build(sourcesOf(dir, r.state));
  assert.deepEqual(cfg.rules.map((x) => x.path), ['/b']);
  assert.equal(apply(ing('/a')).results[0]!.outcome, 'unchanged');
  assert.equal(apply(ing('/b').replace('name: web', 'name: web2')).results[0]!.outcome, 'created');
});

test('a rejected apply is not stored: the directory version keeps serving, the error names file, line and field', () => {
  const r = apply(ing('no-slash'));
  assert.equal(r.results[0]!.outcome, 'rejected');
  assert.match(r.results[0]!.errors[0]!, /^my\.yaml:9: Ingress default\/web: spec\.rules\[0\]\.http\.paths\[0\]\.path: /);
  assert.deepEqual(build(sourcesOf(dir, r.state)).rules.map((x) => x.path), ['/a']);
  assert.equal(r.state.rejected[0]!.resource, 'ingress.networking.k8s.io/web');
});

test('delete hides a directory object; deleting what does not exist is not-found', () => {
  const r = apply(ing('/a'), emptyApplied(), 'delete');
  assert.equal(r.results[0]!.outcome, 'deleted');
  assert.equal(build(sourcesOf(dir, r.state)).rules.length, 0);
  assert.equal(apply(ing('/a'), r.state, 'delete').results[0]!.outcome, 'not-found');
});

test('merged sources keep line numbers of both the directory and the applied file', () => {
  const [doc] = splitObjects({ path: 'my.yaml', text: `# comment\n\n${ing('/z')}` });
  const files = mergeSources(dir, [doc!], new Set());
  const mine = files.find((f) => f.path === 'my.yaml')!;
  assert.equal(mine.text.split('\n')[2], 'apiVersion: networking.k8s.io/v1');
  const blanked = files.find((f) => f.path === '/m/web.yaml')!;
  assert.equal(blanked.text.split('\n').length, ing('/a').split('\n').length);
  assert.doesNotMatch(blanked.text, /kind/);
});

test('apply: a refused ingress-nginx annotation rejects the Ingress naming it; an ignored one is a warning of a configured apply', () => {
  const annotated = (a: Record<string, string>) => ing('/b').replace('  name: web\n', `  name: web\n  annotations: ${JSON.stringify(a)}\n`);
  const refused = apply(annotated({ 'nginx.ingress.kubernetes.io/satisfy': 'any' }));
  assert.equal(refused.results[0]!.outcome, 'rejected');
  assert.match(refused.results[0]!.errors[0]!, /^my\.yaml:5: Ingress default\/web: metadata\.annotations\.nginx\.ingress\.kubernetes\.io\/satisfy: nginx\.ingress\.kubernetes\.io\/satisfy is refused/);
  assert.deepEqual(build(sourcesOf(dir, refused.state)).rules.map((x) => x.path), ['/a'], 'the directory version keeps serving');
  const warned = apply(annotated({ 'nginx.ingress.kubernetes.io/proxy-buffer-size': '16k' }));
  assert.equal(warned.results[0]!.outcome, 'configured');
  assert.match(warned.results[0]!.warnings.join('\n'), /proxy-buffer-size: ignored: meshgate streams bodies/);
});
