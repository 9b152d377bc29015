import assert from 'node:assert/strict';
import { test } from 'node:test';
import { msgpackCodec } from '@meshgate/protocol';
import { createNodeParts, isReady, statusJson, statusView } from './node-status.ts';

test('the status view reads the parts as they change, and is not writable', () => {
  const parts = createNodeParts(2);
  const view = statusView('n1', 'key1', parts);
  assert.deepEqual([view.version, view.routeDeltas, view.draining, isReady(view)], [0, 0, false, false]);
  parts.ledger.serve({ version: 3, hash: 'h3', packed: msgpackCodec.encode({ rules: [], backends: [], tls: [] }) }, 'pull');
  parts.acks.applied(0, 3, 0);
  assert.equal(isReady(view), false, 'one worker has nothing yet');
  parts.acks.applied(1, 3, 0);
  assert.deepEqual([view.version, view.hash, view.source, isReady(view)], [3, 'h3', 'pull', true]);
  parts.outcome.draining = true;
  assert.equal(isReady(view), false, 'draining');
  assert.throws(() => { (view as { version: number }).version = 9; }, TypeError);
});

test('worker statistics: replaced workers\' metrics are kept; /status is plain JSON with liveness as a list', () => {
  const parts = createNodeParts(1);
  const view = statusView('n1', '', parts);
  const metrics = { counters: { a: 1 } };
  parts.stats.report(0, { requests: { '200': 4 }, open: 2, metrics, heap: { usedBytes: 1, committedBytes: 2, liveBytes: 1, majorGcs: 0 } });
  parts.stats.exited(0);
  assert.deepEqual([view.workerRestarts, view.retiredMetrics, view.metrics[0], view.open[0]], [1, [metrics], undefined, 2]);
  parts.liveness.set('127.0.0.1:1', { endpoint: '127.0.0.1:1', healthy: false, reason: 'refused', since: 1 });
  parts.outcome.lastNack = { version: 7, error: 'stale', at: 1 };
  const json = JSON.parse(JSON.stringify(statusJson(view))) as Record<string, unknown>;
  assert.deepEqual(json.liveness, [{ endpoint: '127.0.0.1:1', healthy: false, reason: 'refused', since: 1 }]);
  assert.deepEqual(json.lastNack, { version: 7, error: 'stale', at: 1 });
  assert.equal(json.workerRestarts, 1);
  assert.equal('lastError' in json, false, 'unset fields are left out');
});
