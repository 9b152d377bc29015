import { MetricsRegistry, renderPrometheus, labelValue, type MetricInfo } from '@meshgate/telemetry';
import type { ConfigStatus } from './config-actor.ts';

const INFO: Record<string, MetricInfo> = {
  meshgate_config_snapshot_version: { type: 'gauge', help: 'Version of the latest snapshot this config service published or adopted.' },
  meshgate_config_ingresses: { type: 'gauge', help: 'Ingresses by state (served, ignored, rejected).' },
  meshgate_config_manifest_errors: { type: 'gauge', help: 'Manifest objects (or fields) rejected in the current configuration.' },
  meshgate_config_backends: { type: 'gauge', help: 'Backends (Service ports) referenced by served Ingresses.' },
  meshgate_config_endpoints: { type: 'gauge', help: 'Backend endpoints in the current snapshot.' },
};

/** The config service's /metrics, from its status. */
export function renderConfigMetrics(s: ConfigStatus, instance: string): string {
  const r = new MetricsRegistry(INFO);
  r.set('meshgate_config_snapshot_version', '', s.version);
  const byState: Record<string, number> = { served: 0, ignored: 0, rejected: 0 };
  for (const i of s.ingresses) byState[i.state] = (byState[i.state] ?? 0) + 1;
  for (const [state, n] of Object.entries(byState)) r.set('meshgate_config_ingresses', `{state="${state}"}`, n);
  r.set('meshgate_config_manifest_errors', '', s.errors.length);
  r.set('meshgate_config_backends', '', s.backends.length);
  r.set('meshgate_config_endpoints', '', s.backends.reduce((n, b) => n + b.endpoints.length, 0));
  return renderPrometheus(r.snapshot(), INFO, `instance_id="${labelValue(instance)}"`);
}
