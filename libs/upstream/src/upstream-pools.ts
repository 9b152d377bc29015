import { Pool } from 'undici';
import type { Endpoint } from './endpoint-set.ts';

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

/**
 * One keep-alive connection pool (undici) per endpoint and connection
 * settings, kept across snapshot changes for endpoints that stay, closed for
 * those that go. Routes with default settings (nearly all) share one pool
 * per endpoint.
 */
export class UpstreamPools {
  readonly #pools = new Map<string, { pool: Pool; endpoint: string }>();
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

  /** Closes the pools of endpoints no longer in `keep` (after their in-flight requests finish). */
  retain(keep: ReadonlySet<string>): void {
    for (const [key, p] of this.#pools) {
      if (!keep.has(p.endpoint)) {
        this.#pools.delete(key);
        p.pool.close().catch(() => {});
      }
    }
  }

  async close(): Promise<void> {
    const all = [...this.#pools.values()];
    this.#pools.clear();
    await Promise.allSettled(all.map((p) => p.pool.close()));
  }
}
