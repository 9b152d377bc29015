import { Pool } from 'undici';
import type { Endpoint } from './endpoint-set.ts';

export interface PoolOptions {
  /** Max keep-alive connections per endpoint per worker. */
  connections: number;
  connectTimeoutMs: number;
  /** Time to the response headers: past it the proxy answers 504. */
  responseTimeoutMs: number;
  idleTimeoutMs: number;
}

export const defaultPoolOptions: PoolOptions = {
  connections: 128,
  connectTimeoutMs: 2_000,
  responseTimeoutMs: 30_000,
  idleTimeoutMs: 30_000,
};

/**
 * One keep-alive connection pool per endpoint (undici), kept across snapshot
 * changes for endpoints that stay, closed for those that go.
 */
export class UpstreamPools {
  readonly #pools = new Map<string, Pool>();
  readonly #opts: PoolOptions;

  constructor(opts: Partial<PoolOptions> = {}) {
    this.#opts = { ...defaultPoolOptions, ...opts };
  }

  get(ep: Endpoint): Pool {
    let pool = this.#pools.get(ep.id);
    if (!pool) {
      const host = ep.address.includes(':') ? `[${ep.address}]` : ep.address;
      pool = new Pool(`http://${host}:${ep.port}`, {
        connections: this.#opts.connections,
        connectTimeout: this.#opts.connectTimeoutMs,
        headersTimeout: this.#opts.responseTimeoutMs,
        bodyTimeout: 0,
        keepAliveTimeout: this.#opts.idleTimeoutMs,
        keepAliveMaxTimeout: this.#opts.idleTimeoutMs,
      });
      this.#pools.set(ep.id, pool);
    }
    return pool;
  }

  /** Closes the pools of endpoints no longer in `keep` (after in-flight requests finish). */
  retain(keep: ReadonlySet<string>): void {
    for (const [id, pool] of this.#pools) {
      if (!keep.has(id)) {
        this.#pools.delete(id);
        pool.close().catch(() => {});
      }
    }
  }

  async close(): Promise<void> {
    const all = [...this.#pools.values()];
    this.#pools.clear();
    await Promise.allSettled(all.map((p) => p.close()));
  }
}
