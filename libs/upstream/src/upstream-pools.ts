import { Pool } from 'undici';
import type { Endpoint } from './endpoint-set.ts';
import { H1Pool } from './h1-pool.ts';

export interface PoolOptions {
  /** Max keep-alive connections per endpoint per worker. */
  connections: number;
  connectTimeoutMs: number;
  /** Time to the response headers: past it the proxy answers 504. Per request, see the data plane. */
  responseTimeoutMs: number;
  /** An idle upstream keep-alive connection is closed after this. */
  idleTimeoutMs: number;
}

export const defaultPoolOptions: PoolOptions = {
  connections: 128,
  connectTimeoutMs: 2_000,
  responseTimeoutMs: 30_000,
  idleTimeoutMs: 30_000,
};

/** How often connect, response-header and idle deadlines of the H1 pools are checked. */
const SWEEP_MS = 100;

/**
 * Keep-alive connection pools per endpoint and connection settings, kept
 * across snapshot changes for endpoints that stay, closed for those that go.
 * Routes with default settings (nearly all) share one pool per endpoint.
 * Requests go through the lean `H1Pool` (`h1()`); WebSocket upgrades through
 * undici (`get()`), which handles the 101 hand-over of the socket.
 */
export class UpstreamPools {
  readonly #pools = new Map<string, { pool: Pool; endpoint: string }>();
  readonly #h1 = new Map<string, H1Pool & { endpoint?: string }>();
  #sweep: NodeJS.Timeout | undefined;
  readonly #opts: PoolOptions;

  constructor(opts: Partial<PoolOptions> = {}) {
    this.#opts = { ...defaultPoolOptions, ...opts };
  }

  get defaults(): PoolOptions { return this.#opts; }

  get(ep: Endpoint, connectTimeoutMs = this.#opts.connectTimeoutMs, idleTimeoutMs = this.#opts.idleTimeoutMs): Pool {
    const key = connectTimeoutMs === this.#opts.connectTimeoutMs && idleTimeoutMs === this.#opts.idleTimeoutMs
      ? ep.id
      : `${ep.id}|${connectTimeoutMs}|${idleTimeoutMs}`;
    const hit = this.#pools.get(key);
    if (hit !== undefined) return hit.pool;
    const host = ep.address.includes(':') ? `[${ep.address}]` : ep.address;
    const pool = new Pool(`http://${host}:${ep.port}`, {
      connections: this.#opts.connections,
      connectTimeout: connectTimeoutMs,
      headersTimeout: this.#opts.responseTimeoutMs,
      bodyTimeout: 0,
      keepAliveTimeout: idleTimeoutMs,
      keepAliveMaxTimeout: idleTimeoutMs,
      // Streamed bodies of any size: never cap what passes through.
      maxResponseSize: -1,
    });
    this.#pools.set(key, { pool, endpoint: ep.id });
    return pool;
  }

  /** The lean HTTP/1.1 pool of `ep` (see h1-pool.ts). */
  h1(ep: Endpoint, connectTimeoutMs = this.#opts.connectTimeoutMs, idleTimeoutMs = this.#opts.idleTimeoutMs): H1Pool {
    const key = connectTimeoutMs === this.#opts.connectTimeoutMs && idleTimeoutMs === this.#opts.idleTimeoutMs
      ? ep.id
      : `${ep.id}|${connectTimeoutMs}|${idleTimeoutMs}`;
    const hit = this.#h1.get(key);
    if (hit !== undefined) return hit;
    const pool: H1Pool & { endpoint?: string } = new H1Pool(ep.address, ep.port, {
      connections: this.#opts.connections, connectTimeoutMs, idleTimeoutMs, onConnection: this.#armSweep,
    });
    pool.endpoint = ep.id;
    this.#h1.set(key, pool);
    return pool;
  }

  /** The deadlines' sweep runs while any pool has a connection: an idle worker is not woken ten times a second. */
  readonly #armSweep = (): void => {
    if (this.#sweep !== undefined) return;
    this.#sweep = setInterval(() => {
      const now = performance.now();
      let open = 0;
      for (const p of this.#h1.values()) { p.sweep(now); open += p.all.size; }
      if (open === 0) { clearInterval(this.#sweep); this.#sweep = undefined; }
    }, SWEEP_MS);
    this.#sweep.unref();
  };

  /** Closes the pools of endpoints no longer in `keep` (after their in-flight requests finish). */
  retain(keep: ReadonlySet<string>): void {
    for (const [key, p] of this.#h1) {
      if (!keep.has(p.endpoint!)) {
        this.#h1.delete(key);
        p.close();
      }
    }
    for (const [key, p] of this.#pools) {
      if (!keep.has(p.endpoint)) {
        this.#pools.delete(key);
        p.pool.close().catch(() => {});
      }
    }
  }

  async close(): Promise<void> {
    for (const p of this.#h1.values()) p.close();
    this.#h1.clear();
    if (this.#sweep) clearInterval(this.#sweep);
    this.#sweep = undefined;
    const all = [...this.#pools.values()];
    this.#pools.clear();
    await Promise.allSettled(all.map((p) => p.pool.close()));
  }
}
