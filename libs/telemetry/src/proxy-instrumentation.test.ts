import { test } from 'node:test';
import assert from 'node:assert/strict';
import dc from 'node:diagnostics_channel';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace';
import { startTracing } from './tracing.ts';
import { instrumentProxy } from './proxy-instrumentation.ts';
import { CHANNELS, type RequestInfo } from './request-events.ts';
import { samplerFromEnv } from './sampler.ts';
import { startOtlpReceiver } from '@meshgate/testing';

const clientTrace = '4bf92f3577b34da6a3ce929d0e0e4736';
const clientSpan = '00f067aa0ba902b7';

function request(headers: Record<string, string> = {}): RequestInfo {
  return {
    method: 'GET', host: 'example.com', target: '/users/1', path: '/users/1', headers,
    remoteAddress: '127.0.0.1', scheme: 'http', httpVersion: '1.1', node: 'n1', worker: 0,
    requestId: 'r1', startTime: performance.now(), store: {},
  };
}

/** `upstream`: the trace headers the proxy puts in the upstream:start event (the client's). */
function runRequest(ctx: RequestInfo, attempts: { error?: string; status?: number }[], upstream: Record<string, string> = {}) {
  dc.channel(CHANNELS.requestStart).publish({ ctx });
  dc.channel(CHANNELS.requestRouted).publish({ ctx, host: '', path: '/users/*', pathType: 'ImplementationSpecific', ingress: 'default/hello-ingress', backend: 'default/users-node-svc:80' });
  const sent: Record<string, string | string[]>[] = [];
  attempts.forEach((a, i) => {
    const headers: Record<string, string | string[]> = { ...upstream };
    const endpoint = { id: `127.0.0.1:${9000 + i}`, address: '127.0.0.1', port: 9000 + i };
    dc.channel(CHANNELS.upstreamStart).publish({ ctx, attempt: i + 1, endpoint, headers });
    sent.push(headers);
    dc.channel(CHANNELS.upstreamEnd).publish({
      ctx, attempt: i + 1, endpoint, statusCode: a.status,
      error: a.error ? Object.assign(new Error(`connect ${a.error}`), { code: a.error }) : undefined, connectFailed: Boolean(a.error), retried: Boolean(a.error),
    });
  });
  const last = attempts.at(-1)!;
  dc.channel(CHANNELS.requestEnd).publish({ ctx, statusCode: last.status ?? 502 });
  return sent;
}

test('one trace per request: client context continued, server span parents every upstream attempt, backend gets the trace', async () => {
  const exporter = new InMemorySpanExporter();
  const tracing = startTracing({ serviceName: 'meshgate-proxy', instanceId: 'n1', exporter, env: {} })!;
  const instr = instrumentProxy({ tracing, node: 'n1', worker: 0 });
  try {
    const sent = runRequest(request({ traceparent: `00-${clientTrace}-${clientSpan}-01` }), [{ error: 'ECONNREFUSED' }, { status: 200 }]);
    await tracing.forceFlush();
    const spans = exporter.getFinishedSpans();
    const server = spans.find((s) => s.kind === 1)!; // SERVER
    const clients = spans.filter((s) => s.kind === 2); // CLIENT
    assert.equal(server.spanContext().traceId, clientTrace);
    assert.equal(server.parentSpanContext?.spanId, clientSpan);
    assert.equal(server.name, 'GET /users/*');
    assert.equal(server.attributes['http.route'], '/users/*');
    assert.equal(server.attributes['meshgate.ingress'], 'default/hello-ingress');
    assert.equal(server.attributes['meshgate.service'], 'users-node-svc');
    assert.equal(server.attributes['http.response.status_code'], 200);
    assert.equal(clients.length, 2, 'each retry is its own span');
    for (const c of clients) {
      assert.equal(c.spanContext().traceId, clientTrace);
      assert.equal(c.parentSpanContext?.spanId, server.spanContext().spanId);
    }
    assert.equal(clients[0]!.status.code, 2); // ERROR
    assert.equal(clients[1]!.attributes['http.request.resend_count'], 1);
    // what the backend receives: the upstream span's context
    assert.match(String(sent[1]!.traceparent), new RegExp(`^00-${clientTrace}-${clients[1]!.spanContext().spanId}-01$`));
    const snap = instr.registry.snapshot();
    assert.equal(snap.counters.meshgate_requests_total!['{ingress="default/hello-ingress",service="users-node-svc",code="2xx"}'], 1);
    assert.equal(snap.counters.meshgate_upstream_connect_errors_total!['{service="users-node-svc"}'], 1);
    assert.equal(snap.counters.meshgate_upstream_retries_total!['{service="users-node-svc"}'], 1);
  } finally {
    instr.close();
    await tracing.shutdown();
  }
});

test('without an OTLP endpoint there is no SDK, and metrics still count', () => {
  assert.equal(startTracing({ serviceName: 'x', instanceId: 'y', env: {} }), undefined);
  const instr = instrumentProxy({ node: 'n1', worker: 0 });
  try {
    const sent = runRequest(request(), [{ status: 503 }]);
    assert.equal(sent[0]!.traceparent, undefined);
    assert.equal(instr.registry.snapshot().counters.meshgate_requests_total!['{ingress="default/hello-ingress",service="users-node-svc",code="5xx"}'], 1);
  } finally {
    instr.close();
  }
});

test('a refusal by an access rule counts in meshgate_denied_total by its reason', () => {
  const instr = instrumentProxy({ node: 'n1', worker: 0 });
  try {
    for (const deniedBy of ['ip', 'ip', 'rate']) {
      const ctx = request();
      dc.channel(CHANNELS.requestStart).publish({ ctx });
      dc.channel(CHANNELS.requestEnd).publish({ ctx, statusCode: deniedBy === 'ip' ? 403 : 503, deniedBy });
    }
    runRequest(request(), [{ status: 200 }]);
    assert.deepEqual(instr.registry.snapshot().counters.meshgate_denied_total, { '{reason="ip"}': 2, '{reason="rate"}': 1 });
  } finally {
    instr.close();
  }
});

test('OTEL_TRACES_SAMPLER and its argument are honoured, with clear errors', () => {
  assert.match(samplerFromEnv({}).toString(), /ParentBased.*TraceIdRatioBased\{1\}/);
  assert.match(samplerFromEnv({ OTEL_TRACES_SAMPLER_ARG: '0.01' }).toString(), /TraceIdRatioBased\{0.01\}/);
  assert.match(samplerFromEnv({ OTEL_TRACES_SAMPLER: 'always_off' }).toString(), /AlwaysOff/);
  assert.throws(() => samplerFromEnv({ OTEL_TRACES_SAMPLER: 'sometimes' }), /OTEL_TRACES_SAMPLER 'sometimes' is not supported/);
  assert.throws(() => samplerFromEnv({ OTEL_TRACES_SAMPLER_ARG: '2' }), /between 0 and 1/);
});

test('request spans reach an OTLP/HTTP receiver as protobuf: ids, parents, kinds, attributes, status', async () => {
  const rx = await startOtlpReceiver();
  const tracing = startTracing({ serviceName: 'meshgate-proxy', instanceId: 'n1', attributes: { 'meshgate.worker': 3 }, env: { OTEL_EXPORTER_OTLP_ENDPOINT: rx.endpoint } })!;
  const instr = instrumentProxy({ tracing, node: 'n1', worker: 3 });
  try {
    const sent = runRequest(request({ traceparent: `00-${clientTrace}-${clientSpan}-01`, tracestate: 'vendor=x' }), [{ error: 'ECONNREFUSED' }, { status: 503 }]);
    await tracing.forceFlush();
    const server = await rx.waitForSpan((s) => s.kind === 2);
    const clients = rx.spans.filter((s) => s.kind === 3);
    assert.equal(server.traceId, clientTrace);
    assert.equal(server.parentSpanId, clientSpan);
    assert.equal(server.name, 'GET /users/*');
    assert.deepEqual(
      { ...server.attributes },
      {
        'http.request.method': 'GET', 'url.path': '/users/1', 'url.scheme': 'http', 'server.address': 'example.com', 'client.address': '127.0.0.1',
        'network.protocol.version': '1.1', 'meshgate.request_id': 'r1', 'meshgate.node': 'n1', 'meshgate.worker': 3,
        'http.route': '/users/*', 'meshgate.ingress': 'default/hello-ingress', 'meshgate.service': 'users-node-svc', 'meshgate.backend': 'default/users-node-svc:80',
        'http.response.status_code': 503, 'error.type': '503',
      },
    );
    assert.equal(server.status.code, 2);
    assert.equal(server.resource['service.name'], 'meshgate-proxy');
    assert.equal(server.resource['service.instance.id'], 'n1');
    assert.equal(server.resource['meshgate.worker'], 3);
    assert.equal(clients.length, 2);
    for (const c of clients) {
      assert.equal(c.traceId, clientTrace);
      assert.equal(c.parentSpanId, server.spanId);
    }
    const [refused, answered] = clients as [typeof server, typeof server];
    assert.equal(refused.status.code, 2);
    assert.equal(refused.status.message, 'connect ECONNREFUSED');
    assert.equal(refused.attributes['error.type'], 'ECONNREFUSED');
    assert.equal(answered.attributes['http.request.resend_count'], 1);
    assert.equal(answered.attributes['server.port'], 9001);
    assert.equal(answered.attributes['url.full'], 'http://127.0.0.1:9001/users/1');
    assert.equal(answered.attributes['http.response.status_code'], 503);
    assert.equal(sent[1]!.traceparent, `00-${clientTrace}-${answered.spanId}-01`);
  } finally {
    instr.close();
    await tracing.shutdown();
    await rx.close();
  }
});

test('sampling: unsampled new traces send an unsampled traceparent and record nothing; parent-based follows the client', async () => {
  const exporter = new InMemorySpanExporter();
  const tracing = startTracing({ serviceName: 'p', instanceId: 'n1', exporter, env: { OTEL_TRACES_SAMPLER_ARG: '0' } })!;
  const instr = instrumentProxy({ tracing, node: 'n1', worker: 0 });
  try {
    const sent = runRequest(request(), [{ error: 'ECONNREFUSED' }, { status: 200 }]);
    assert.match(String(sent[0]!.traceparent), /^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
    assert.equal(sent[1]!.traceparent, sent[0]!.traceparent, 'one trace across the retries');
    const notSampled = `00-${clientTrace}-${clientSpan}-00`;
    assert.equal(runRequest(request({ traceparent: notSampled }), [{ status: 200 }])[0]!.traceparent, undefined, 'the client\'s unsampled traceparent goes on as it came');
    await tracing.forceFlush();
    assert.equal(exporter.getFinishedSpans().length, 0);
    // A sampled client is continued even at ratio 0 (parent-based); a malformed traceparent is a new (unsampled) trace.
    runRequest(request({ traceparent: `00-${clientTrace}-${clientSpan}-01` }), [{ status: 200 }]);
    const malformed = runRequest(request({ traceparent: `00-${clientTrace}-${clientSpan}`, tracestate: 'vendor=x' }), [{ status: 200 }], { tracestate: 'vendor=x' })[0]!;
    assert.match(String(malformed.traceparent), /-00$/);
    assert.equal(malformed.tracestate, undefined, 'the tracestate of a trace not continued is not sent on');
    await tracing.forceFlush();
    assert.deepEqual(exporter.getFinishedSpans().map((s) => [s.kind, s.spanContext().traceId]), [[2, clientTrace], [1, clientTrace]]);
  } finally {
    instr.close();
    await tracing.shutdown();
  }
});
