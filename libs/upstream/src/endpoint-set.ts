/**
 * The endpoints of one backend and how to pick one. Health lives outside, in
 * a Liveness view shared by every set of a worker, so a health change flips
 * one map entry and never recompiles routes or rebuilds sets.
 */
export interface Endpoint {
  readonly id: string;
  readonly address: string;
  readonly port: number;
}

/** Endpoint id -> healthy. Missing means "not probed yet": treated as healthy. */
export class Liveness {
  readonly #down = new Map<string, string>();
  /** Passive ejections: endpoint id -> until (ms since epoch). They expire on their own. */
  readonly #ejected = new Map<string, number>();

  setHealthy(endpointId: string, healthy: boolean, reason = ''): void {
    if (healthy) { this.#down.delete(endpointId); this.#ejected.delete(endpointId); }
    else this.#down.set(endpointId, reason);
  }

  isHealthy(endpointId: string): boolean {
    if (this.#down.has(endpointId)) return false;
    if (this.#ejected.size === 0) return true;
    const until = this.#ejected.get(endpointId);
    if (until === undefined) return true;
    if (until > Date.now()) return false;
    this.#ejected.delete(endpointId);
    return true;
  }

  /**
   * Passive health: this worker saw the endpoint fail. It is skipped for
   * `ms`, then tried again, whatever the agents say, so a short blip that no
   * agent noticed cannot take an endpoint out for good.
   */
  eject(endpointId: string, ms: number): void {
    this.#ejected.set(endpointId, Date.now() + ms);
  }

  /** Replaces the whole view (an agent's periodic full view). */
  replace(entries: Iterable<{ endpoint: string; healthy: boolean; reason?: string }>): void {
    this.#down.clear();
    for (const e of entries) if (!e.healthy) this.#down.set(e.endpoint, e.reason ?? '');
  }

  get downCount(): number { return this.#down.size; }
}

export class EndpointSet {
  readonly backendId: string;
  readonly endpoints: readonly Endpoint[];
  readonly #liveness: Liveness;
  #next = 0;

  constructor(backendId: string, endpoints: readonly Endpoint[], liveness: Liveness) {
    this.backendId = backendId;
    this.endpoints = endpoints;
    this.#liveness = liveness;
  }

  /**
   * Round robin over the healthy endpoints, skipping those already tried by
   * this request. Undefined when none is left.
   */
  pick(tried?: ReadonlySet<string>): Endpoint | undefined {
    const n = this.endpoints.length;
    for (let i = 0; i < n; i++) {
      const ep = this.endpoints[(this.#next + i) % n]!;
      if (!this.#liveness.isHealthy(ep.id)) continue;
      if (tried?.has(ep.id)) continue;
      this.#next = (this.#next + i + 1) % n;
      return ep;
    }
    return undefined;
  }

  /** True when at least one endpoint is healthy (503 vs 502 decisions). */
  hasHealthy(): boolean {
    return this.endpoints.some((ep) => this.#liveness.isHealthy(ep.id));
  }
}
