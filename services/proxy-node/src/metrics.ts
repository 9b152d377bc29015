import { isReady, type NodeState } from './node-actor.ts';

/** Prometheus text for the node, aggregated over its workers' counters. */
export function renderMetrics(state: NodeState, natsConnected: () => boolean): string {
  const lines: string[] = [];
  const gauge = (name: string, help: string, value: number, labels = '') => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`, `${name}${labels} ${value}`);
  };
  const totals: Record<string, number> = {};
  for (const w of state.requests) for (const [k, v] of Object.entries(w ?? {})) totals[k] = (totals[k] ?? 0) + v;
  lines.push('# HELP meshgate_requests_total Requests served, by status class.', '# TYPE meshgate_requests_total counter');
  for (const [cls, n] of Object.entries(totals).sort()) lines.push(`meshgate_requests_total{node="${state.nodeId}",code="${cls}"} ${n}`);
  gauge('meshgate_snapshot_version', 'Snapshot version this node applied.', state.version, `{node="${state.nodeId}"}`);
  gauge('meshgate_snapshot_apply_seconds', 'Time a worker took to compile and swap the last snapshot.', state.applyMs / 1000, `{node="${state.nodeId}"}`);
  gauge('meshgate_ready', '1 when every worker serves a snapshot.', isReady(state) ? 1 : 0, `{node="${state.nodeId}"}`);
  gauge('meshgate_open_connections', 'Open client connections over all workers.', state.open.reduce((a, b) => a + (b ?? 0), 0), `{node="${state.nodeId}"}`);
  gauge('meshgate_worker_restarts', 'Worker threads replaced since start.', state.workerRestarts, `{node="${state.nodeId}"}`);
  gauge('meshgate_endpoints_down', 'Endpoints the health agents report down.', [...state.liveness.values()].filter((e) => !e.healthy).length, `{node="${state.nodeId}"}`);
  gauge('meshgate_nats_connected', '1 while the NATS connection is up.', natsConnected() ? 1 : 0, `{node="${state.nodeId}"}`);
  return lines.join('\n') + '\n';
}
