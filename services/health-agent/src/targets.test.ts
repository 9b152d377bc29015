import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SnapshotContent } from '@meshgate/protocol';
import { livenessOf, syncTargets, type Target } from './targets.ts';

const backend = (id: string, ports: number[], annotations: Record<string, string> = {}) => ({
  id, namespace: 'default', service: id, servicePort: 80, healthPath: '/', annotations,
  endpoints: ports.map((p) => ({ id: `127.0.0.1:${p}`, address: '127.0.0.1', port: p })),
});
const content = (...backends: ReturnType<typeof backend>[]): SnapshotContent => ({ rules: [], tls: [], backends });

test('targets follow the snapshot: new ones scheduled, gone ones unscheduled, kept ones keep their health', () => {
  const targets = new Map<string, Target>();
  const scheduled: string[] = [];
  const removed: string[] = [];
  const scheduler = { add: (id: string) => scheduled.push(id), remove: (id: string) => removed.push(id) };
  syncTargets(targets, content(backend('a', [1, 2]), backend('b', [2])), scheduler, () => {});
  assert.deepEqual(scheduled, ['127.0.0.1:1', '127.0.0.1:2']);
  assert.deepEqual(targets.get('127.0.0.1:2')!.backends, ['a', 'b'], 'one endpoint of two backends is probed once');
  targets.get('127.0.0.1:2')!.health.healthy = false;
  syncTargets(targets, content(backend('a', [2, 3], { 'meshgate.dev/health-check': 'tcp' })), scheduler, () => {});
  assert.deepEqual(removed, ['127.0.0.1:1']);
  assert.deepEqual(scheduled.slice(2), ['127.0.0.1:3']);
  const kept = targets.get('127.0.0.1:2')!;
  assert.equal(kept.health.healthy, false, 'its health stays');
  assert.deepEqual([kept.backends, kept.checkText], [['a'], 'tcp']);
  assert.equal(livenessOf(targets.get('127.0.0.1:3')!).healthy, true, 'not probed yet: healthy');
});

test('check warnings of a backend reach the caller', () => {
  const warnings: string[] = [];
  syncTargets(new Map(), content(backend('a', [1], { 'meshgate.dev/health-status': 'nonsense' })), { add() {}, remove() {} }, (w) => warnings.push(w));
  assert.equal(warnings.length, 1);
});
