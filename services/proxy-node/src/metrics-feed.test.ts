import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MetricsRegistry, PROXY_METRICS, labelValue } from '@meshgate/telemetry';
import { MetricsFeed, parseRouteLabels } from './metrics-feed.ts';

const labels = (ingress: string, service: string, code: string) => `{ingress="${labelValue(ingress)}",service="${labelValue(service)}",code="${code}"}`;

function serve(r: MetricsRegistry, ingress: string, service: string, status: number, seconds: number): void {
  r.inc('meshgate_requests_total', labels(ingress, service, `${Math.floor(status / 100)}xx`));
  r.observe('meshgate_request_duration_seconds', labels(ingress, service, ''), seconds);
}
const clone = <T>(x: T): T => structuredClone(x);

test('labels as the instrumentation renders them, escapes included', () => {
  assert.deepEqual(parseRouteLabels(labels('default/a"b', 'svc\\x', '5xx')), { ingress: 'default/a"b', service: 'svc\\x', code: '5xx' });
  assert.deepEqual(parseRouteLabels('{}'), { ingress: '', service: '', code: '' });
});

test('a summary holds what every worker counted since the previous one, per route; nothing when idle', () => {
  const feed = new MetricsFeed();
  const [w0, w1] = [new MetricsRegistry(PROXY_METRICS), new MetricsRegistry(PROXY_METRICS)];
  serve(w0, 'default/web', 'users', 200, 0.003);
  serve(w1, 'default/web', 'users', 502, 0.2);
  serve(w1, '', '', 404, 0.0001);
  const first = feed.summary('n1', [clone(w0.snapshot()), clone(w1.snapshot())], 1_000)!;
  assert.equal(first.nodeId, 'n1');
  assert.equal(first.intervalMs, 0);
  const users = first.routes.find((r) => r.service === 'users')!;
  assert.deepEqual({ requests: users.requests, errors: users.errors }, { requests: 2, errors: 1 });
  // 3 ms is in the (2.5 ms, 5 ms] bucket (index 3), 200 ms in (100, 250] (index 8).
  assert.deepEqual(users.buckets, [3, 1, 8, 1]);
  assert.deepEqual(first.routes.find((r) => r.ingress === '')!.buckets, [0, 1]);

  const same = [clone(w0.snapshot()), clone(w1.snapshot())];
  assert.equal(feed.summary('n1', same, 2_000), undefined, 'new reports, nothing new counted');
  assert.equal(feed.summary('n1', same, 3_000), undefined, 'the same reports: not even looked at');

  serve(w0, 'default/web', 'users', 200, 0.003);
  const next = feed.summary('n1', [clone(w0.snapshot()), clone(w1.snapshot())], 4_000)!;
  assert.equal(next.intervalMs, 3_000);
  assert.deepEqual(next.routes.map((r) => [r.service, r.requests, r.errors, r.buckets]), [['users', 1, 0, [3, 1]]]);
});

test('a replaced worker\'s totals (kept as retired) do not count twice', () => {
  const feed = new MetricsFeed();
  const w = new MetricsRegistry(PROXY_METRICS);
  serve(w, 'default/web', 'users', 200, 0.01);
  const retired = clone(w.snapshot());
  feed.summary('n1', [retired], 1_000);
  const fresh = new MetricsRegistry(PROXY_METRICS);
  serve(fresh, 'default/web', 'users', 200, 0.01);
  const s = feed.summary('n1', [retired, clone(fresh.snapshot())], 2_000)!;
  assert.equal(s.routes[0]!.requests, 1);
});
