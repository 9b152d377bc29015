import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MetricsMessageType, type NodeMetricsMessage, type RouteTraffic } from '@meshgate/protocol';
import { RouteMetrics, quantileMs } from './route-metrics.ts';

const LE = [0.001, 0.01, 0.1, 1];
const msg = (nodeId: string, routes: RouteTraffic[]): NodeMetricsMessage => ({ type: MetricsMessageType.NodeMetrics, nodeId, at: 0, intervalMs: 1000, le: LE, routes });
const route = (service: string, requests: number, errors: number, buckets: number[]): RouteTraffic => ({ ingress: 'default/web', service, requests, errors, buckets });

test('p99 interpolates inside its bucket, as histogram_quantile does; the overflow bucket answers the last bound', () => {
  assert.equal(quantileMs(LE, [0, 100, 0, 0, 0], 0.99), 9.9);
  assert.equal(quantileMs(LE, [50, 50, 0, 0, 0], 0.5), 1);
  assert.equal(quantileMs(LE, [0, 0, 0, 0, 3], 0.99), 1000);
  assert.equal(quantileMs(LE, [0, 0, 0, 0, 0], 0.99), null);
});

test('nodes\' summaries add up per route and bucket; charts start at the first traffic; the table covers the last minute', () => {
  const m = new RouteMetrics({ bucketMs: 1_000, buckets: 10, top: 1, tableBuckets: 3 });
  assert.equal(m.tick(500), undefined, 'nothing served yet');
  m.add(msg('n1', [route('users', 10, 1, [1, 10]), route('products', 2, 0, [0, 2])]), 1_100);
  m.add(msg('n2', [route('users', 10, 0, [1, 10])]), 1_900);
  m.add(msg('n1', [route('users', 4, 0, [2, 4])]), 2_200);
  const v = m.tick(3_000)!;
  assert.equal(v.end, 2_000);
  assert.equal(v.total.rps.length, 3, 'from the first bucket with traffic, at least the table\'s window');
  assert.deepEqual(v.total.rps.slice(-2), [22, 4]);
  assert.deepEqual(v.top.map((t) => t.route), ['default/web → users'], 'the busiest route only (top: 1)');
  assert.deepEqual(v.top[0]!.errorPct.slice(-2), [5, 0]);
  assert.deepEqual(v.top[0]!.p99Ms.slice(-2), [9.9, 99.1]);
  assert.deepEqual(v.table.map((r) => r[0]), ['default/web → users', 'default/web → products']);
  assert.deepEqual(v.table[0], ['default/web → users', 12, 4.17, 94.6], 'over the two seconds with traffic (p99 of the merged histograms)');
  assert.deepEqual(v.nodes, { n1: 8, n2: 5 });
});

test('buckets past the window go; an idle window keeps an empty view (so the page clears)', () => {
  const m = new RouteMetrics({ bucketMs: 1_000, buckets: 5, tableBuckets: 2 });
  m.add(msg('n1', [route('users', 5, 0, [0, 5])]), 1_000);
  assert.equal(m.tick(2_000)!.total.rps.filter((x) => x !== null).length, 1);
  const later = m.tick(20_000)!;
  assert.ok(later.total.rps.every((x) => x === null));
  assert.deepEqual([later.top, later.table, later.nodes], [[], [], {}]);
});
