import { trace, type Tracer } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, TracerProvider, type SpanExporter } from '@opentelemetry/sdk-trace';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { samplerFromEnv, samplingPlanFromEnv, type SamplingPlan } from './sampler.ts';
import { SpanRecorder, otlpHeaders } from './request-spans.ts';

export interface TracingOptions {
  serviceName: string;
  /** service.instance.id: the node or agent id. */
  instanceId: string;
  attributes?: Record<string, string | number>;
  env?: NodeJS.ProcessEnv;
  /** Tests pass an in-memory exporter. */
  exporter?: SpanExporter;
}

export interface Tracing {
  readonly tracer: Tracer;
  readonly propagator: W3CTraceContextPropagator;
  /** The sampler's choice as data, for the request path's own decision (see proxy-instrumentation). */
  readonly sampling: SamplingPlan;
  /** Request spans: recorded and exported without SDK span objects (see request-spans.ts). */
  readonly spans: SpanRecorder;
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
}

/** Whether the environment asks for traces: an OTLP endpoint is set and the SDK is not disabled. */
export function tracingEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  if ((env.OTEL_SDK_DISABLED ?? '').toLowerCase() === 'true') return false;
  if ((env.OTEL_TRACES_EXPORTER ?? '').toLowerCase() === 'none') return false;
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
}

/**
 * One OpenTelemetry SDK: a tracer provider with the env sampler and a batch
 * processor exporting OTLP/HTTP protobuf off the request path. Each worker
 * thread makes its own (SDK state is per thread). The provider is not
 * registered globally: callers use the returned tracer, which keeps several
 * SDKs in one process (tests, the one-process mesh) apart.
 *
 * Returns undefined when no OTLP endpoint is configured: no SDK, no cost.
 */
export function startTracing(opts: TracingOptions): Tracing | undefined {
  const env = opts.env ?? process.env;
  if (!opts.exporter && !tracingEnabled(env)) return undefined;
  const resource = resourceFromAttributes({
    'service.name': opts.serviceName,
    'service.instance.id': opts.instanceId,
    ...opts.attributes,
  });
  const exporter = opts.exporter ?? new OTLPTraceExporter({ url: tracesUrl(env), timeoutMillis: 5_000 });
  // A full queue drops spans rather than slowing requests; an unreachable
  // collector costs one failed export per batch, never a request.
  const processor = new BatchSpanProcessor({ exporter, maxQueueSize: 4096, maxExportBatchSize: 512, scheduledDelayMillis: 1_000, exportTimeoutMillis: 5_000 });
  const provider = new TracerProvider({ resource, sampler: samplerFromEnv(env), spanProcessors: [processor] });
  const compression = (env.OTEL_EXPORTER_OTLP_TRACES_COMPRESSION ?? env.OTEL_EXPORTER_OTLP_COMPRESSION ?? '').toLowerCase();
  const spans = new SpanRecorder({
    resource, scopeName: 'meshgate', url: tracesUrl(env), headers: otlpHeaders(env), gzip: compression === 'gzip', ...(opts.exporter ? { exporter: opts.exporter } : {}),
    maxQueueSize: bspEnv(env, 'OTEL_BSP_MAX_QUEUE_SIZE', 8192), maxExportBatchSize: bspEnv(env, 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE', 1024),
    scheduledDelayMillis: bspEnv(env, 'OTEL_BSP_SCHEDULE_DELAY', 1_000), exportTimeoutMillis: bspEnv(env, 'OTEL_BSP_EXPORT_TIMEOUT', 5_000),
  });
  return {
    tracer: provider.getTracer('meshgate'),
    propagator: new W3CTraceContextPropagator(),
    sampling: samplingPlanFromEnv(env),
    spans,
    forceFlush: async () => { await Promise.all([spans.flush(), provider.forceFlush()]); },
    // The recorder first: a custom exporter is shared, and the provider shuts it down.
    shutdown: async () => { await spans.shutdown(); await provider.shutdown(); },
  };
}

/** The batch span processor's standard variables (request spans), with a clear error for a bad value. */
function bspEnv(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer, got '${raw}'`);
  return n;
}

/** OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as is, or OTEL_EXPORTER_OTLP_ENDPOINT + /v1/traces (the OTLP/HTTP rule). */
export function tracesUrl(env: NodeJS.ProcessEnv): string {
  if (env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT ?? 'http://localhost:4318';
  return base.replace(/\/+$/, '') + '/v1/traces';
}

export { trace };
