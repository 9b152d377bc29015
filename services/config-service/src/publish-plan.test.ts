import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MessageType, decodeEndpointChanges, decodeRouteChanges, encodeSnapshot, type SnapshotContent } from '@meshgate/protocol';
import { announcementOf, deltaFor, nextVersion, planPublish } from './publish-plan.ts';

const rule = (path: string) => ({ host: '', path, pathType: 'Prefix' as const, backend: 'default/web:80', ingress: 'default/i' });
const content = (paths: string[], ip = '10.0.0.1', over: Partial<SnapshotContent> = {}): SnapshotContent => ({
  rules: paths.map(rule),
  backends: [{ id: 'default/web:80', namespace: 'default', service: 'web', servicePort: 80, endpoints: [{ id: `${ip}:8080`, address: ip, port: 8080 }], healthPath: '/', annotations: {} }],
  tls: [],
  ...over,
});
const paths = (c: SnapshotContent) => c.rules.map((r) => r.path).sort();

test('the first version is a full snapshot', () => {
  const c = content(['/a']);
  const plan = planPublish(undefined, c);
  assert.equal(plan.next, c);
  assert.equal(deltaFor(plan, encodeSnapshot(plan.next, 1), 0, 1 << 20), undefined);
});

test('only endpoints changed: an endpoint delta, on top of the previous content', () => {
  const prev = content(['/a']);
  const plan = planPublish(prev, content(['/a'], '10.0.0.2'));
  assert.deepEqual(plan.endpoints?.map((e) => e.backend), ['default/web:80']);
  assert.equal(plan.routes, undefined);
  assert.equal(plan.next.rules, prev.rules, 'the stored content is the previous one with the delta applied');
  const snap = encodeSnapshot(plan.next, 2);
  const d = deltaFor(plan, snap, 1, 1 << 20)!;
  assert.equal(d.type, MessageType.EndpointsDelta);
  assert.deepEqual([d.version, d.base, d.hash], [2, 1, snap.hash]);
  assert.equal(decodeEndpointChanges(d as never)[0]!.endpoints[0]!.address, '10.0.0.2');
});

test('rules changed: a route delta, unless it is no smaller than the snapshot or a message', () => {
  const prev = content(['/a', '/b']);
  const plan = planPublish(prev, content(['/a', '/c']));
  assert.equal(plan.endpoints, undefined);
  assert.deepEqual(paths(plan.next), ['/a', '/c']);
  const snap = encodeSnapshot(plan.next, 2);
  const d = deltaFor(plan, snap, 1, 1 << 20)!;
  assert.equal(d.type, MessageType.RoutesDelta);
  assert.deepEqual(decodeRouteChanges(d as never).addedRules.map((r) => r.path), ['/c']);
  assert.equal(deltaFor(plan, snap, 1, d.body.length + 511), undefined, 'over a message');
  assert.equal(deltaFor(plan, { ...snap, body: snap.body.subarray(0, Math.floor(d.body.length / 8)) }, 1, 1 << 20), undefined, 'over four times the snapshot');
});

test('a certificate or too many rules changed: the full snapshot', () => {
  const prev = content(['/a']);
  const tls = content(['/a'], '10.0.0.1', { tls: [{ id: 'default/t', hosts: ['a.com'], cert: 'c', key: 'k' }] });
  assert.deepEqual(planPublish(prev, tls), { next: tls });
  const many = content(Array.from({ length: 65 }, (_, i) => `/r${i}`));
  assert.deepEqual(planPublish(prev, many), { next: many }, 'more than 64 rules and an eighth of the table');
});

test('versions increase, and never go below the clock', () => {
  assert.equal(nextVersion(0, 1_000), 1_000);
  assert.equal(nextVersion(5_000, 1_000), 5_001);
});

test('a snapshot too large for a message is announced by reference', () => {
  const snap = encodeSnapshot(content(['/a']), 7);
  assert.equal(announcementOf(snap, snap.body.length + 512), snap);
  assert.deepEqual(announcementOf(snap, snap.body.length + 511), { type: MessageType.SnapshotRef, version: 7, hash: snap.hash, bytes: snap.body.length });
});
