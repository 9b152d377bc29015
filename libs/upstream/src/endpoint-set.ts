/**
 * The endpoints of one backend and how to pick one: round robin (default),
 * least request (power of two choices over in-flight counts) or consistent
 * hashing of a key. Health lives outside, in the worker's shared Liveness.
 */
import { HashRing } from './consistent-hash.ts';
import type { Liveness } from './liveness.ts';

export interface Endpoint {
  readonly id: string;
  readonly address: string;
  readonly port: number;
}

/** An endpoint as a set holds it: with its slot for in-flight counting. */
export interface UpstreamEndpoint extends Endpoint {
  readonly index: number;
}

export const LoadBalancers = ['round-robin', 'least-request', 'consistent-hash'] as const;
export type LoadBalancer = (typeof LoadBalancers)[number];

/**
 * When nothing healthy is left:
 *   'panic'  : endpoints only this worker ejected (the agents still report
 *              them up) are tried anyway; the agents' "down" is respected (default);
 *   'try-all': every endpoint is tried, even those the agents report down;
 *   'fail'   : nothing is tried (the proxy answers 503).
 */
export type AllDownPolicy = 'panic' | 'try-all' | 'fail';

export interface PickOptions {
  lb?: LoadBalancer;
  /** consistent-hash: the request's key (header or cookie value, client address). */
  hashKey?: string;
  /** Endpoints this request already tried. */
  tried?: ReadonlySet<string>;
  allDown?: AllDownPolicy;
}

export class EndpointSet {
  readonly backendId: string;
  readonly endpoints: readonly UpstreamEndpoint[];
  readonly #liveness: Liveness;
  readonly #inflight: Int32Array;
  #ring: HashRing | undefined;
  #next = 0;

  constructor(backendId: string, endpoints: readonly Endpoint[], liveness: Liveness) {
    this.backendId = backendId;
    this.endpoints = endpoints.map((e, index) => ({ id: e.id, address: e.address, port: e.port, index }));
    this.#liveness = liveness;
    this.#inflight = new Int32Array(endpoints.length);
  }

  /** Undefined when no endpoint may take the request (after the all-down policy). */
  pick(opts: PickOptions = {}): UpstreamEndpoint | undefined {
    const tried = opts.tried;
    const ok = (ep: UpstreamEndpoint) => this.#liveness.isHealthy(ep.id) && (tried === undefined || !tried.has(ep.id));
    const ep = this.#pickWith(opts, ok);
    if (ep !== undefined) return ep;
    const policy = opts.allDown ?? 'panic';
    if (policy === 'fail') return undefined;
    const fallback = policy === 'try-all'
      ? (e: UpstreamEndpoint) => tried === undefined || !tried.has(e.id)
      : (e: UpstreamEndpoint) => !this.#liveness.isDown(e.id) && (tried === undefined || !tried.has(e.id));
    return this.#pickWith(opts, fallback);
  }

  #pickWith(opts: PickOptions, ok: (ep: UpstreamEndpoint) => boolean): UpstreamEndpoint | undefined {
    switch (opts.lb) {
      case 'least-request': return this.#leastRequest(ok);
      case 'consistent-hash': return opts.hashKey === undefined ? this.#roundRobin(ok) : this.#hash(opts.hashKey, ok);
      default: return this.#roundRobin(ok);
    }
  }

  #roundRobin(ok: (ep: UpstreamEndpoint) => boolean): UpstreamEndpoint | undefined {
    const n = this.endpoints.length;
    for (let i = 0; i < n; i++) {
      const j = (this.#next + i) % n;
      const ep = this.endpoints[j]!;
      if (!ok(ep)) continue;
      this.#next = j + 1 === n ? 0 : j + 1;
      return ep;
    }
    return undefined;
  }

  /** Power of two choices: two random candidates, the one with fewer requests in flight. */
  #leastRequest(ok: (ep: UpstreamEndpoint) => boolean): UpstreamEndpoint | undefined {
    const n = this.endpoints.length;
    if (n === 0) return undefined;
    const a = this.endpoints[(Math.random() * n) | 0]!;
    const b = this.endpoints[(Math.random() * n) | 0]!;
    const okA = ok(a);
    const okB = ok(b);
    if (okA && okB) return this.#inflight[b.index]! < this.#inflight[a.index]! ? b : a;
    if (okA) return a;
    if (okB) return b;
    // Both unusable: the least loaded of those that are.
    let best: UpstreamEndpoint | undefined;
    for (const ep of this.endpoints) if (ok(ep) && (best === undefined || this.#inflight[ep.index]! < this.#inflight[best.index]!)) best = ep;
    return best;
  }

  #hash(key: string, ok: (ep: UpstreamEndpoint) => boolean): UpstreamEndpoint | undefined {
    this.#ring ??= new HashRing(this.endpoints.map((e) => e.id));
    const owner = this.#ring.find(key, (i) => ok(this.endpoints[i]!));
    return owner < 0 ? undefined : this.endpoints[owner];
  }

  /** In-flight accounting for least-request: call once when a request starts and once when it ends. */
  acquire(ep: UpstreamEndpoint): void { this.#inflight[ep.index]!++; }
  release(ep: UpstreamEndpoint): void { this.#inflight[ep.index]!--; }
  inflight(ep: UpstreamEndpoint): number { return this.#inflight[ep.index]!; }

  /**
   * Passive health: a connect failure or a 5xx from `ep`. Returns the
   * ejection time when this failure ejected it, else 0 (below the
   * threshold, or the backend already has its maximum share ejected).
   */
  reportFailure(ep: Endpoint, kind: 'connect' | '5xx'): number {
    const live = this.#liveness;
    if (!live.recordFailure(ep.id, kind)) return 0;
    if (live.isEjected(ep.id)) return 0;
    let ejected = 0;
    for (const e of this.endpoints) if (live.isEjected(e.id)) ejected++;
    const allowed = Math.max(1, Math.floor(this.endpoints.length * live.policy.maxEjectedShare));
    if (ejected >= allowed) return 0;
    return live.eject(ep.id);
  }

  reportSuccess(ep: Endpoint): void {
    this.#liveness.recordSuccess(ep.id);
  }

  /** True when at least one endpoint is healthy. */
  hasHealthy(): boolean {
    for (const ep of this.endpoints) if (this.#liveness.isHealthy(ep.id)) return true;
    return false;
  }
}
