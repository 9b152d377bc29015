import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SnapshotContent } from '@meshgate/protocol';
import { planPublish } from '../publish-plan.ts';
import { NodeRegistry } from '../node-registry.ts';
import { ChangeLog, summarizeChange } from './change-log.ts';

const backend = (svc: string, ip = '10.0.0.1') => ({ id: `default/${svc}:80`, namespace: 'default', service: svc, servicePort: 80, endpoints: [{ id: `${ip}:8080`, address: ip, port: 8080 }], healthPath: '/', annotations: {} });
const rule = (path: string, ingress: string, svc = 'web') => ({ host: '', path, pathType: 'Prefix' as const, backend: `default/${svc}:80`, ingress });
const content = (o: Partial<SnapshotContent> = {}): SnapshotContent => ({ rules: [rule('/a', 'default/a'), rule('/b', 'default/b')], backends: [backend('web')], tls: [], ...o });

test('an endpoint delta names the backends whose endpoints changed', () => {
  const prev = content();
  const s = summarizeChange(prev, planPublish(prev, content({ backends: [backend('web', '10.0.0.9')] })));
  assert.deepEqual(s, { kind: 'endpoints', ingresses: [], backends: ['default/web:80'], rulesAdded: 0, rulesRemoved: 0, certificates: [] });
});

test('a route delta names the Ingresses of the rules it adds, changes and removes', () => {
  const prev = content();
  const next = content({ rules: [rule('/a', 'default/a', 'api'), rule('/c', 'default/c')], backends: [backend('web'), backend('api')] });
  const s = summarizeChange(prev, planPublish(prev, next));
  assert.equal(s.kind, 'routes');
  assert.deepEqual([...s.ingresses].sort(), ['default/a', 'default/b', 'default/c']);
  assert.deepEqual(s.backends, ['default/api:80']);
  assert.deepEqual([s.rulesAdded, s.rulesRemoved], [2, 2], 'a changed rule goes and comes back');
});

test('a full snapshot is compared with the previous content; certificates by name, never by key', () => {
  const cert = { id: 'default/tls', hosts: ['a.test'], cert: 'CERT', key: 'KEY-MATERIAL' };
  const first = summarizeChange(undefined, planPublish(undefined, content({ tls: [cert] })));
  assert.deepEqual([first.kind, [...first.ingresses].sort(), first.backends, first.certificates, first.rulesAdded], ['full', ['default/a', 'default/b'], ['default/web:80'], ['default/tls'], 2]);
  const prev = content({ tls: [cert] });
  const next = content({ tls: [{ ...cert, key: 'OTHER' }, { ...cert, id: 'default/new' }] });
  const s = summarizeChange(prev, { next });
  assert.deepEqual([s.kind, s.ingresses, s.backends, s.certificates], ['full', [], [], ['default/new']]);
  assert.ok(!JSON.stringify(s).includes('KEY'), 'no key in a summary');
});

test('the log keeps when each node applied each version: an ACK of v covers every version up to v', () => {
  const log = new ChangeLog();
  const summary = summarizeChange(undefined, planPublish(undefined, content()));
  log.published(10, 'start', summary, 1_000);
  log.published(11, 'changed: a.yaml', { ...summary, kind: 'routes' }, 2_000);
  log.published(12, 'changed: b.yaml', { ...summary, kind: 'routes' }, 3_000);
  log.applied('n1', 11, 2_050);
  log.applied('n2', 12, 3_400);
  log.applied('n1', 12, 3_020);
  const [v12, v11, v10] = log.view();
  assert.deepEqual([v12!.version, v11!.version, v10!.version], [12, 11, 10], 'newest first');
  assert.deepEqual(v12!.applied, { n2: 400, n1: 20 });
  assert.deepEqual(v11!.applied, { n1: 50, n2: 1_400 });
  assert.deepEqual(v10!.applied, { n1: 1_050, n2: 2_400 });
  assert.equal(log.nextAfter(10)?.version, 11);
});

test('the node registry tells when a node has a newer version (every worker ACKed it)', () => {
  const got: [string, number][] = [];
  const r = new NodeRegistry((n, v) => got.push([n, v]));
  const ack = (version: number, worker?: number) => r.ack({ type: 'config.v1.ack', nodeId: 'n1', ok: true, version, hash: `h${version}`, at: 0, ...(worker !== undefined ? { worker, workers: 2 } : {}) });
  ack(5);
  ack(6, 0);
  assert.deepEqual(got, [['n1', 5]]);
  ack(6, 1);
  ack(6);
  assert.deepEqual(got, [['n1', 5], ['n1', 6]]);
});
