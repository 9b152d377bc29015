/**
 * Rise/fall thresholds for one endpoint, as HAProxy does them: `fall`
 * consecutive failures mark it down, `rise` consecutive successes up. The
 * first result decides an unknown endpoint at once, so a mesh that starts
 * with a dead backend does not send it traffic first.
 */
export interface HealthState {
  healthy: boolean | undefined;
  okRun: number;
  failRun: number;
  since: number;
  reason: string;
}

export function initialHealth(): HealthState {
  return { healthy: undefined, okRun: 0, failRun: 0, since: Date.now(), reason: 'not probed yet' };
}

/** Applies one probe result; returns true when the endpoint changed state. */
export function observe(s: HealthState, ok: boolean, reason: string, rise: number, fall: number): boolean {
  s.reason = reason;
  if (ok) { s.okRun++; s.failRun = 0; } else { s.failRun++; s.okRun = 0; }
  const next = s.healthy === undefined ? ok
    : s.healthy && s.failRun >= fall ? false
    : !s.healthy && s.okRun >= rise ? true
    : s.healthy;
  if (next === s.healthy) return false;
  s.healthy = next;
  s.since = Date.now();
  return true;
}
