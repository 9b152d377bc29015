import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildMeshConfig } from '@meshgate/ingress';
import { encodeSnapshot, snapshotContentOf, type NodeView } from '@meshgate/protocol';
import { ingressManifest, serviceManifest } from '@meshgate/testing';
import { configStatus, describeIngress, getView, ingressesView, unparsableOf } from './admin-views.ts';
import { emptyApplied } from './applied-objects.ts';
import { IngressVersions } from './ingress-versions.ts';

const files = (extra: Record<string, string> = {}) => buildMeshConfig([
  { path: 'm/svc.yaml', text: serviceManifest('users-svc', [8080]) },
  { path: 'm/a.yaml', text: ingressManifest('a', { '/a': 'users-svc' }) },
  ...Object.entries(extra).map(([path, text]) => ({ path, text })),
]);

test('unparsable: syntax errors, documents that are no object or have no kind, Ingresses of an unserved apiVersion; not errors of listed objects', () => {
  const mesh = files({
    'm/bad.yaml': 'kind: Ingress\nmetadata:\n  name: x\n spec: [\n',
    'm/list.yaml': '- just\n- a list\n',
    'm/nokind.yaml': 'apiVersion: v1\nmetadata: { name: x }\n',
    'm/v2.yaml': ingressManifest('v2', { '/v2': 'users-svc' }).replace('networking.k8s.io/v1', 'networking.k8s.io/v2'),
    'm/missing-svc.yaml': ingressManifest('m', { '/m': 'nowhere' }),
  });
  const u = unparsableOf(mesh);
  assert.deepEqual([...new Set(u.map((x) => x.file))], ['m/bad.yaml', 'm/list.yaml', 'm/nokind.yaml', 'm/v2.yaml']);
  assert.match(u[0]!.error, /^invalid YAML\/JSON, document skipped: /);
  assert.equal(u[0]!.line, 4);
  assert.match(u.find((x) => x.file === 'm/nokind.yaml')!.error, /^object x: kind: missing "kind"/);
  assert.match(u.at(-1)!.error, /^Ingress v2: apiVersion: unsupported apiVersion/);
  const view = ingressesView(mesh, emptyApplied());
  assert.deepEqual(view.unparsable, u);
  assert.match(view.ingresses!.find((i) => i.name === 'm')!.errors[0]!, /^m\/missing-svc\.yaml:\d+: Ingress default\/m: .*nowhere not found/);
});

test('describe: the version an Ingress last changed in decides which nodes serve it', () => {
  const versions = new IngressVersions();
  const v1 = files({ 'm/b.yaml': ingressManifest('b', { '/b': 'users-svc' }) });
  versions.observe(100, v1);
  const v2 = files({ 'm/b.yaml': ingressManifest('b', { '/b2': 'users-svc' }) });
  versions.observe(200, v2);
  const node = (nodeId: string, state: NodeView['state'], version: number): NodeView => ({ nodeId, state, version, hash: '', ready: true, workers: 1, admin: '', lastSeen: 0, ackedVersion: version });
  const nodes = [node('old', 'up', 100), node('new', 'up', 200), node('gone', 'down', 200)];
  const src = { mesh: v2, applied: emptyApplied(), versions, nodes, version: 200 };
  const a = describeIngress({ type: 'config.v1.describe', kind: 'ingress', name: 'a' }, src).ingress!;
  assert.equal(a.servedSince, 100);
  assert.deepEqual(a.nodes.map((n) => n.serving), [true, true, false]);
  assert.deepEqual(a.routes, [{ host: '', path: '/a', pathType: 'Prefix', backend: 'default/users-svc:80' }]);
  assert.deepEqual(a.backends, [{ id: 'default/users-svc:80', endpoints: [{ id: '127.0.0.1:8080' }] }]);
  const b = describeIngress({ type: 'config.v1.describe', kind: 'ingress', name: 'b', namespace: 'default' }, src).ingress!;
  assert.equal(b.servedSince, 200);
  assert.deepEqual(b.nodes.map((n) => n.serving), [false, true, false]);
  const none = describeIngress({ type: 'config.v1.describe', kind: 'ingress', name: 'a', namespace: 'shop' }, src);
  assert.equal(none.ingress, undefined);
  assert.deepEqual(none.otherNamespaces, ['default']);
});

test('get backends and snapshot, and the status: from the build, the counts from the published content when at hand', () => {
  const mesh = files({ 'm/bad.yaml': 'kind: [\n' });
  const latest = encodeSnapshot(snapshotContentOf(mesh), 42);
  const src = { mesh, applied: emptyApplied(), latest, latestContent: undefined, nodes: () => [], store: 'memory only' };
  assert.deepEqual(getView('backends', src).backends, [{ id: 'default/users-svc:80', endpoints: [{ id: '127.0.0.1:8080' }] }]);
  const snap = getView('snapshot', src).snapshot!;
  assert.deepEqual([snap.version, snap.hash, snap.rules, snap.backends, snap.store], [42, latest.hash, 1, 1, 'memory only']);
  assert.match(snap.errors[0]!, /^m\/bad\.yaml/);
  const fromContent = getView('snapshot', { ...src, latestContent: { rules: [], backends: [], tls: [] } }).snapshot!;
  assert.equal(fromContent.rules, 0);
  assert.deepEqual(getView('nodes', src).nodes, []);
  const status = configStatus('/m', latest, mesh);
  assert.deepEqual([status.version, status.manifests, status.backends], [42, '/m', [{ id: 'default/users-svc:80', endpoints: ['127.0.0.1:8080'] }]]);
  assert.deepEqual(configStatus('/m', undefined, undefined), { version: 0, hash: '', manifests: '/m', ingresses: [], errors: [], backends: [] });
});
