/**
 * What one worker believes about every endpoint it may send to, shared by
 * all its EndpointSets, so a health change flips one map entry and never
 * recompiles routes or rebuilds sets. Two sources:
 *   - the health agents' view (`setHealthy`, `replace`): down until they say up;
 *   - this worker's own passive ejections (`eject`): they expire on their own.
 */
export interface EjectionPolicy {
  /** First ejection lasts this long; each repeat doubles it... */
  baseMs: number;
  /** ...up to this. */
  maxMs: number;
  /** An endpoint with no ejection for this long starts again at baseMs. */
  forgetMs: number;
  /** Consecutive connect failures that eject (1: the first one). */
  connectFailures: number;
  /** Consecutive 5xx responses that eject. */
  serverErrors: number;
  /** At most this share of a backend's endpoints is passively ejected at once (at least one may be). */
  maxEjectedShare: number;
}

export const defaultEjectionPolicy: EjectionPolicy = {
  baseMs: 1_000,
  maxMs: 30_000,
  forgetMs: 60_000,
  connectFailures: 1,
  serverErrors: 5,
  maxEjectedShare: 0.5,
};

interface Ejection {
  /** Ejected until (ms since epoch); 0 once it expired. */
  until: number;
  /** Ejections in a row, each without `forgetMs` of quiet in between. */
  count: number;
  /** When the last ejection ended or was set, for forgetting. */
  last: number;
}

export class Liveness {
  readonly #down = new Map<string, string>();
  readonly #ejected = new Map<string, Ejection>();
  /** Endpoints currently ejected (until > now), so the hot path checks one number. */
  #activeEjections = 0;
  readonly #failures = new Map<string, { connect: number; server: number }>();
  readonly policy: EjectionPolicy;

  constructor(policy: Partial<EjectionPolicy> = {}) {
    this.policy = { ...defaultEjectionPolicy, ...policy };
  }

  setHealthy(endpointId: string, healthy: boolean, reason = ''): void {
    if (healthy) {
      this.#down.delete(endpointId);
      this.#clearEjection(endpointId);
    } else this.#down.set(endpointId, reason);
  }

  /** Replaces the agents' whole view (their periodic full view). Passive ejections stay. */
  replace(entries: Iterable<{ endpoint: string; healthy: boolean; reason?: string }>): void {
    this.#down.clear();
    for (const e of entries) if (!e.healthy) this.#down.set(e.endpoint, e.reason ?? '');
  }

  /** The agents report it down. */
  isDown(endpointId: string): boolean {
    return this.#down.has(endpointId);
  }

  /** Passively ejected by this worker right now. */
  isEjected(endpointId: string): boolean {
    if (this.#activeEjections === 0) return false;
    const e = this.#ejected.get(endpointId);
    if (e === undefined || e.until === 0) return false;
    if (e.until > Date.now()) return true;
    e.until = 0;
    e.last = Date.now();
    this.#activeEjections--;
    return false;
  }

  isHealthy(endpointId: string): boolean {
    return !this.#down.has(endpointId) && !this.isEjected(endpointId);
  }

  /**
   * Passive health: this worker saw the endpoint fail. It is skipped for
   * `ms` (default: the policy's growing time), then tried again whatever
   * the agents say, so a blip no agent noticed cannot take it out for good.
   * Returns the ejection time.
   */
  eject(endpointId: string, ms?: number): number {
    const now = Date.now();
    let e = this.#ejected.get(endpointId);
    if (e === undefined) {
      e = { until: 0, count: 0, last: now };
      this.#ejected.set(endpointId, e);
    }
    if (e.until !== 0 && e.until > now) return e.until - now;
    if (now - e.last >= this.policy.forgetMs) e.count = 0;
    const time = ms ?? Math.min(this.policy.baseMs * 2 ** e.count, this.policy.maxMs);
    e.count++;
    if (e.until === 0) this.#activeEjections++;
    e.until = now + time;
    e.last = now;
    this.#failures.delete(endpointId);
    return time;
  }

  /**
   * Counts a failure; true when it reaches the policy's threshold (the
   * caller decides whether the backend can spare the endpoint).
   */
  recordFailure(endpointId: string, kind: 'connect' | '5xx'): boolean {
    let f = this.#failures.get(endpointId);
    if (f === undefined) this.#failures.set(endpointId, (f = { connect: 0, server: 0 }));
    if (kind === 'connect') return ++f.connect >= this.policy.connectFailures;
    return ++f.server >= this.policy.serverErrors;
  }

  /** A success resets the consecutive-failure counters. Cheap when nothing failed. */
  recordSuccess(endpointId: string): void {
    if (this.#failures.size !== 0) this.#failures.delete(endpointId);
  }

  #clearEjection(endpointId: string): void {
    const e = this.#ejected.get(endpointId);
    if (e && e.until !== 0) {
      e.until = 0;
      this.#activeEjections--;
    }
    this.#failures.delete(endpointId);
  }

  get downCount(): number { return this.#down.size; }
}
