// Restart policy arithmetic, separate from the actor runtime so it is easy to
// reason about: exponential backoff with jitter, and a sliding window of
// restarts that decides when to give up.
import type { SupervisionOptions } from './actor-types.ts';

export interface ResolvedSupervision {
  readonly restart: 'always' | 'never';
  readonly minBackoffMs: number;
  readonly maxBackoffMs: number;
  readonly maxRestarts: number;
  readonly windowMs: number;
  readonly resetAfterMs: number;
}

export function resolveSupervision(opts: SupervisionOptions = {}): ResolvedSupervision {
  const minBackoffMs = Math.max(0, opts.minBackoffMs ?? 100);
  const maxBackoffMs = Math.max(minBackoffMs, opts.maxBackoffMs ?? 10_000);
  return {
    restart: opts.restart ?? 'always',
    minBackoffMs,
    maxBackoffMs,
    maxRestarts: Math.max(0, opts.maxRestarts ?? 10),
    windowMs: Math.max(0, opts.windowMs ?? 60_000),
    resetAfterMs: Math.max(0, opts.resetAfterMs ?? maxBackoffMs),
  };
}

/**
 * Delay before restart number `consecutive` (1-based): min * 2^(n-1), capped,
 * ±20 % jitter so actors that crashed together (e.g. NATS went away) do not
 * all restart in the same tick.
 */
export function backoffDelay(consecutive: number, s: ResolvedSupervision, random = Math.random): number {
  const exp = Math.min(s.maxBackoffMs, s.minBackoffMs * 2 ** Math.min(Math.max(0, consecutive - 1), 30));
  const jittered = exp * (0.8 + 0.4 * random());
  return Math.round(Math.min(s.maxBackoffMs, jittered));
}

/** Remembers restart times; `allow()` says whether one more restart fits in the window. */
export class RestartWindow {
  #times: number[] = [];
  readonly #s: ResolvedSupervision;
  constructor(s: ResolvedSupervision) { this.#s = s; }

  /** Records a restart at `now` and returns true, or returns false when the budget is spent. */
  tryRestart(now: number): boolean {
    this.#times = this.#times.filter((t) => now - t < this.#s.windowMs);
    if (this.#times.length >= this.#s.maxRestarts) return false;
    this.#times.push(now);
    return true;
  }
}
