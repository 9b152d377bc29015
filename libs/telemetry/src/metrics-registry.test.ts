import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MetricsRegistry, mergeSnapshots, renderPrometheus, type MetricInfo } from './metrics-registry.ts';

const info: Record<string, MetricInfo> = {
  req_total: { type: 'counter', help: 'Requests.' },
  open: { type: 'gauge', help: 'Open.' },
  dur_seconds: { type: 'histogram', help: 'Duration.', buckets: [0.1, 1] },
};

test('workers add up: a request counts once whichever worker served it', () => {
  const a = new MetricsRegistry(info);
  const b = new MetricsRegistry(info);
  a.inc('req_total', '{code="2xx"}');
  b.inc('req_total', '{code="2xx"}');
  b.inc('req_total', '{code="5xx"}');
  a.set('open', '', 3);
  b.set('open', '', 4);
  a.observe('dur_seconds', '', 0.05);
  b.observe('dur_seconds', '', 0.5);
  b.observe('dur_seconds', '', 5);
  const text = renderPrometheus(mergeSnapshots([structuredClone(a.snapshot()), structuredClone(b.snapshot())]), info, 'node="n1"');
  assert.match(text, /^req_total\{node="n1",code="2xx"\} 2$/m);
  assert.match(text, /^req_total\{node="n1",code="5xx"\} 1$/m);
  assert.match(text, /^open\{node="n1"\} 7$/m);
  assert.match(text, /^dur_seconds_bucket\{node="n1",le="0.1"\} 1$/m);
  assert.match(text, /^dur_seconds_bucket\{node="n1",le="1"\} 2$/m);
  assert.match(text, /^dur_seconds_bucket\{node="n1",le="\+Inf"\} 3$/m);
  assert.match(text, /^dur_seconds_count\{node="n1"\} 3$/m);
  assert.match(text, /^# TYPE dur_seconds histogram$/m);
});
