import { startTracing, type Tracing } from './tracing.ts';
import { instrumentProxy } from './proxy-instrumentation.ts';
import type { MetricsSnapshot } from './metrics-registry.ts';

/**
 * Telemetry of one data-plane worker thread: its own OpenTelemetry SDK
 * (tracer provider, env sampler, batch OTLP exporter; none at all without an
 * OTLP endpoint) and its metrics registry, both fed by the request path's
 * diagnostics_channel events.
 */
export interface WorkerTelemetryOptions {
  serviceName: string;
  nodeId: string;
  worker: number;
  env?: NodeJS.ProcessEnv;
}

export interface WorkerTelemetry {
  readonly tracing: Tracing | undefined;
  /** Plain data for the node to aggregate (posted with the worker's stats). */
  metricsSnapshot(): MetricsSnapshot;
  shutdown(): Promise<void>;
}

export async function startWorkerTelemetry(opts: WorkerTelemetryOptions): Promise<WorkerTelemetry> {
  const tracing = startTracing({
    serviceName: opts.serviceName, instanceId: opts.nodeId, env: opts.env,
    attributes: { 'meshgate.worker': opts.worker },
  });
  const instr = instrumentProxy({ tracing, node: opts.nodeId, worker: opts.worker });
  return {
    tracing,
    metricsSnapshot: () => instr.registry.snapshot(),
    async shutdown() {
      instr.close();
      await tracing?.shutdown().catch(() => {});
    },
  };
}
