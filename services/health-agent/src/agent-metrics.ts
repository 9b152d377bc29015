import { MetricsRegistry, renderPrometheus, labelValue, type MetricInfo } from '@meshgate/telemetry';
import type { HealthStatusReply } from '@meshgate/protocol';

const INFO: Record<string, MetricInfo> = {
  meshgate_agent_endpoints: { type: 'gauge', help: 'Endpoints this agent probes, by verdict.' },
  meshgate_agent_nodes: { type: 'gauge', help: 'Proxy nodes this agent watches, by state.' },
  meshgate_agent_probes_per_second: { type: 'gauge', help: 'Probes started per second (recent).' },
  meshgate_agent_probe_lateness_seconds: { type: 'gauge', help: 'How late probes start against their schedule, by quantile.' },
  meshgate_agent_probes_in_flight: { type: 'gauge', help: 'Probes running now.' },
  meshgate_agent_probes_skipped_total: { type: 'counter', help: 'Probe turns skipped because the previous probe of that endpoint was still running.' },
};

/** The health agent's /metrics, from its status reply. */
export function renderAgentMetrics(s: HealthStatusReply): string {
  const r = new MetricsRegistry(INFO);
  let up = 0;
  for (const e of s.endpoints) if (e.healthy) up++;
  r.set('meshgate_agent_endpoints', '{verdict="up"}', up);
  r.set('meshgate_agent_endpoints', '{verdict="down"}', s.endpoints.length - up);
  const nodes: Record<string, number> = { up: 0, down: 0, leaving: 0 };
  for (const n of s.nodes) nodes[n.state] = (nodes[n.state] ?? 0) + 1;
  for (const [state, n] of Object.entries(nodes)) r.set('meshgate_agent_nodes', `{state="${state}"}`, n);
  const p = s.probes;
  if (p) {
    r.set('meshgate_agent_probes_per_second', '', p.probesPerSecond);
    r.set('meshgate_agent_probe_lateness_seconds', '{quantile="0.5"}', p.lateP50Ms / 1000);
    r.set('meshgate_agent_probe_lateness_seconds', '{quantile="0.99"}', p.lateP99Ms / 1000);
    r.set('meshgate_agent_probes_in_flight', '', p.inFlight);
    r.inc('meshgate_agent_probes_skipped_total', '', p.skippedBusy);
  }
  return renderPrometheus(r.snapshot(), INFO, `agent="${labelValue(s.agent)}"`);
}
