// Conditions in upstream's shape (metav1.Condition), with upstream's reasons.
import type { Condition } from '@meshgate/ingress';

export interface Outcome {
  ok: boolean;
  reason: string;
  message: string;
}

export const ok = (reason: string, message: string): Outcome => ({ ok: true, reason, message });
export const fail = (reason: string, message: string): Outcome => ({ ok: false, reason, message });

/** The clock and generation every condition of one object carries. */
export interface Stamp {
  generation: number;
  /** RFC 3339. */
  now: string;
}

export function condition(type: string, o: Outcome, s: Stamp, status?: Condition['status']): Condition {
  return { type, status: status ?? (o.ok ? 'True' : 'False'), reason: o.reason, message: o.message, observedGeneration: s.generation, lastTransitionTime: s.now };
}

/** The first failed outcome's "Reason: message", or `fallback`. */
export function firstProblem(outcomes: readonly (Outcome | undefined)[], fallback: string): string {
  const bad = outcomes.find((o) => o && !o.ok);
  return bad ? `${bad.reason}: ${bad.message}` : fallback;
}
