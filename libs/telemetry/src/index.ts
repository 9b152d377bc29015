export { epochNow, epochOriginMs } from './clock.ts';
export { createLogger, isLogLevel, LogLevels, type Logger, type LogLevel } from './logger.ts';
export { startWorkerTelemetry, type WorkerTelemetry, type WorkerTelemetryOptions } from './worker-telemetry.ts';
export { startTracing, tracingEnabled, type Tracing, type TracingOptions } from './tracing.ts';
export { samplerFromEnv } from './sampler.ts';
export { instrumentProxy, PROXY_METRICS, type ProxyInstrumentation } from './proxy-instrumentation.ts';
export {
  CHANNELS, channels, requestEventsWanted,
  type RequestInfo, type EventError, type RequestStartEvent, type RequestRoutedEvent, type UpstreamStartEvent, type UpstreamEndEvent,
  type UpstreamEndpointInfo, type RequestEndEvent, type EndpointEjectedEvent, type TlsHandshakeEvent,
} from './request-events.ts';
export {
  MetricsRegistry, mergeSnapshots, renderPrometheus, emptySnapshot, labelValue, LATENCY_BUCKETS,
  type MetricsSnapshot, type MetricInfo, type HistogramData,
} from './metrics-registry.ts';
export { startLinkedSpan, startChildSpan, traceparentOf, endSpan } from './control-plane-spans.ts';
export { startAdminListener, type AdminListener, type AdminHandlers } from './admin-listener.ts';
