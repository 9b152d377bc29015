import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SpanKind } from '@opentelemetry/api';
import { startOtlpReceiver } from '@meshgate/testing';
import { startTracing } from './tracing.ts';

test('spans reach an OTLP/HTTP receiver, with the resource attributes', async () => {
  const rx = await startOtlpReceiver();
  const tracing = startTracing({ serviceName: 'meshgate-proxy', instanceId: 'node-7', attributes: { 'meshgate.worker': 1 }, env: { OTEL_EXPORTER_OTLP_ENDPOINT: rx.endpoint } })!;
  try {
    const span = tracing.tracer.startSpan('GET /users/*', { kind: SpanKind.SERVER, attributes: { 'http.request.method': 'GET' } });
    span.end();
    await tracing.forceFlush();
    const got = await rx.waitForSpan((s) => s.name === 'GET /users/*');
    assert.equal(got.traceId, span.spanContext().traceId);
    assert.equal(got.kind, 2);
    assert.equal(got.attributes['http.request.method'], 'GET');
    assert.equal(got.resource['service.name'], 'meshgate-proxy');
    assert.equal(got.resource['service.instance.id'], 'node-7');
    assert.equal(got.resource['meshgate.worker'], 1);
  } finally {
    await tracing.shutdown();
    await rx.close();
  }
});

test('an unreachable collector neither throws nor blocks span creation', async () => {
  const tracing = startTracing({ serviceName: 'x', instanceId: 'y', env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9' } })!;
  const t0 = performance.now();
  for (let i = 0; i < 10_000; i++) tracing.tracer.startSpan('s').end();
  const spent = performance.now() - t0;
  await tracing.forceFlush().catch(() => {});
  await tracing.shutdown().catch(() => {});
  assert.ok(spent < 5_000, `creating spans took ${spent} ms`);
});
