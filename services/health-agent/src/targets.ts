import type { EndpointLiveness, SnapshotContent } from '@meshgate/protocol';
import { checkSpecOf, describeCheck, type CheckSpec } from './check-spec.ts';
import { initialHealth, type HealthState } from './endpoint-health.ts';
import type { ProbeTarget } from './probe.ts';

/** An endpoint the agent probes. */
export interface Target extends ProbeTarget {
  check: CheckSpec;
  checkText: string;
  backends: string[];
  node?: string;
  health: HealthState;
  lastProbe: number;
}

export const livenessOf = (t: Target): EndpointLiveness => ({ endpoint: t.id, healthy: t.health.healthy ?? true, reason: t.health.reason, since: t.health.since });

/**
 * Makes `targets` the endpoints of `content`: gone ones are removed (and
 * unscheduled), new ones added (and scheduled); one that stays keeps its
 * health, with a new check or new backends if those changed. `warn` gets
 * each check warning of a backend.
 */
export function syncTargets(targets: Map<string, Target>, content: SnapshotContent, scheduler: { add(id: string): void; remove(id: string): void }, warn: (w: string) => void): void {
  const wanted = new Map<string, Omit<Target, 'health' | 'lastProbe'>>();
  for (const b of content.backends) {
    const { spec, warnings } = checkSpecOf(b);
    for (const w of warnings) warn(w);
    for (const e of b.endpoints) {
      const have = wanted.get(e.id);
      if (have) { have.backends.push(b.id); continue; }
      wanted.set(e.id, { id: e.id, address: e.address, port: e.port, check: spec, checkText: describeCheck(spec), backends: [b.id], ...(e.node ? { node: e.node } : {}) });
    }
  }
  for (const id of targets.keys()) if (!wanted.has(id)) { scheduler.remove(id); targets.delete(id); }
  for (const [id, w] of wanted) {
    const t = targets.get(id);
    if (t) {
      // Same endpoint, maybe a new check or new backends: its health stays.
      Object.assign(t, w);
      continue;
    }
    targets.set(id, { ...w, health: initialHealth(), lastProbe: 0 });
    // A new endpoint gets its first probe soon (the first probe decides),
    // spread over at most one interval so thousands do not start at once.
    scheduler.add(id);
  }
}
