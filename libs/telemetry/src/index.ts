export { epochNow, epochOriginMs } from './clock.ts';
export { createLogger, isLogLevel, LogLevels, type Logger, type LogLevel } from './logger.ts';
export { startWorkerTelemetry, type WorkerTelemetry, type WorkerTelemetryOptions } from './worker-telemetry.ts';
export { startTracing, tracingEnabled, type Tracing, type TracingOptions } from './tracing.ts';
export { samplerFromEnv } from './sampler.ts';
export { instrumentProxy, CHANNELS, PROXY_METRICS, type ProxyInstrumentation, type RequestInfo } from './proxy-instrumentation.ts';
export {
  MetricsRegistry, mergeSnapshots, renderPrometheus, emptySnapshot, labelValue, LATENCY_BUCKETS,
  type MetricsSnapshot, type MetricInfo, type HistogramData,
} from './metrics-registry.ts';
export { startLinkedSpan, startChildSpan, traceparentOf, endSpan } from './control-plane-spans.ts';
export { startAdminListener, type AdminListener, type AdminHandlers } from './admin-listener.ts';
