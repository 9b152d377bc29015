import { mergeSnapshots, renderPrometheus, labelValue, PROXY_METRICS, MetricsRegistry, type MetricInfo } from '@meshgate/telemetry';
import { isReady, type NodeStatus } from './node-status.ts';
import type { HeapStats } from './heap-watch.ts';

const NODE_METRICS: Record<string, MetricInfo> = {
  meshgate_snapshot_version: { type: 'gauge', help: 'Snapshot version this node applied.' },
  meshgate_snapshot_apply_seconds: { type: 'gauge', help: 'Time a worker took to compile and swap the last snapshot.' },
  meshgate_ready: { type: 'gauge', help: '1 when every worker serves a snapshot.' },
  meshgate_open_connections: { type: 'gauge', help: 'Open client connections over all workers.' },
  meshgate_workers: { type: 'gauge', help: 'Data-plane worker threads configured.' },
  meshgate_worker_restarts_total: { type: 'counter', help: 'Worker threads replaced since start.' },
  meshgate_endpoints_down: { type: 'gauge', help: 'Endpoints the health agents report down.' },
  meshgate_nats_connected: { type: 'gauge', help: '1 while the NATS connection is up.' },
  process_resident_memory_bytes: { type: 'gauge', help: 'Resident memory of the node process (every thread).' },
  meshgate_heap_used_bytes: { type: 'gauge', help: 'V8 heap in use, per thread (main, worker-N).' },
  meshgate_heap_live_bytes: { type: 'gauge', help: 'V8 heap in use right after the last full garbage collection, per thread: what is really alive.' },
  meshgate_heap_committed_bytes: { type: 'gauge', help: 'Memory the V8 heap holds from the system, per thread (part of the resident memory).' },
};

/**
 * The node's /metrics: every worker's registry (posted with its stats each
 * second, plus the last totals of replaced workers) added up, then the
 * node's own gauges. Labelled with the node id.
 */
export function renderMetrics(state: NodeStatus, natsConnected: () => boolean, mainHeap?: HeapStats): string {
  const node = new MetricsRegistry(NODE_METRICS);
  node.set('meshgate_snapshot_version', '', state.version);
  node.set('meshgate_snapshot_apply_seconds', '', state.applyMs / 1000);
  node.set('meshgate_ready', '', isReady(state) ? 1 : 0);
  node.set('meshgate_open_connections', '', state.open.reduce((a, b) => a + (b ?? 0), 0));
  node.set('meshgate_workers', '', state.workerVersions.length);
  node.inc('meshgate_worker_restarts_total', '', state.workerRestarts);
  node.set('meshgate_endpoints_down', '', [...state.liveness.values()].filter((e) => !e.healthy).length);
  node.set('meshgate_nats_connected', '', natsConnected() ? 1 : 0);
  node.set('process_resident_memory_bytes', '', process.memoryUsage.rss());
  const heaps: [string, HeapStats | undefined][] = [['main', mainHeap], ...state.workerHeaps.map((h, i) => [`worker-${i}`, h] as [string, HeapStats | undefined])];
  for (const [thread, h] of heaps) {
    if (!h) continue;
    node.set('meshgate_heap_used_bytes', `{thread="${thread}"}`, h.usedBytes);
    node.set('meshgate_heap_committed_bytes', `{thread="${thread}"}`, h.committedBytes);
    if (h.majorGcs > 0) node.set('meshgate_heap_live_bytes', `{thread="${thread}"}`, h.liveBytes);
  }
  const workers = mergeSnapshots([...state.retiredMetrics, ...state.metrics]);
  const label = `node="${labelValue(state.nodeId)}"`;
  return renderPrometheus(workers, PROXY_METRICS, label) + renderPrometheus(node.snapshot(), NODE_METRICS, label);
}
