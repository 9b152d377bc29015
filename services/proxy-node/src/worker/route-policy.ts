/**
 * Per-Ingress data-plane settings from `meshgate.dev/*` annotations,
 * parsed once per snapshot. A bad value is reported (with what to write
 * instead) and the default is used, so one typo never takes a route down.
 */
import { LoadBalancers, type AllDownPolicy, type LoadBalancer, type PoolOptions } from '@meshgate/upstream';

export const Annotations = {
  loadBalance: 'meshgate.dev/load-balance',
  hashBy: 'meshgate.dev/hash-by',
  connectTimeout: 'meshgate.dev/connect-timeout',
  responseTimeout: 'meshgate.dev/response-timeout',
  idleTimeout: 'meshgate.dev/upstream-idle-timeout',
  bodySize: 'meshgate.dev/proxy-body-size',
  sslRedirect: 'meshgate.dev/ssl-redirect',
  retries: 'meshgate.dev/retries',
  allDown: 'meshgate.dev/all-endpoints-down',
  tunnelIdleTimeout: 'meshgate.dev/tunnel-idle-timeout',
} as const;

export interface HashBy { kind: 'header' | 'cookie' | 'client-ip'; name: string }

export interface RoutePolicy {
  lb: LoadBalancer;
  hashBy: HashBy;
  connectTimeoutMs: number;
  responseTimeoutMs: number;
  idleTimeoutMs: number;
  /** Request bodies larger than this get 413; Infinity = no limit. */
  maxBodyBytes: number;
  sslRedirect: boolean;
  /** Attempts per request (1 = no retry); only idempotent requests without a body retry, and only on connect failures. */
  attempts: number;
  allDown: AllDownPolicy;
  /** WebSocket tunnels of this Ingress: ms with no byte either way before both sides close (0: never); unset: --tunnel-idle-timeout. */
  tunnelIdleTimeoutMs?: number;
}

export function defaultPolicy(pool: PoolOptions): RoutePolicy {
  return {
    lb: 'round-robin', hashBy: { kind: 'client-ip', name: '' },
    connectTimeoutMs: pool.connectTimeoutMs, responseTimeoutMs: pool.responseTimeoutMs, idleTimeoutMs: pool.idleTimeoutMs,
    maxBodyBytes: Infinity, sslRedirect: false, attempts: 3, allDown: 'panic',
  };
}

export function parsePolicy(ann: Record<string, string> | undefined, base: RoutePolicy, warn: (msg: string) => void): RoutePolicy {
  if (ann === undefined) return base;
  const p: RoutePolicy = { ...base };
  for (const [k, raw] of Object.entries(ann)) {
    const v = raw.trim();
    const bad = (want: string) => warn(`annotation ${k}: "${raw}" is not valid: ${want}; using the default`);
    switch (k) {
      case Annotations.loadBalance:
        if ((LoadBalancers as readonly string[]).includes(v)) p.lb = v as LoadBalancer;
        else bad(`write one of ${LoadBalancers.join(', ')}`);
        break;
      case Annotations.hashBy: {
        const m = /^(header|cookie):([!#$%&'*+.^_`|~0-9A-Za-z-]+)$/.exec(v);
        if (m) p.hashBy = { kind: m[1] as 'header' | 'cookie', name: m[1] === 'header' ? m[2]!.toLowerCase() : m[2]! };
        else if (v === 'client-ip') p.hashBy = { kind: 'client-ip', name: '' };
        else bad('write header:NAME, cookie:NAME or client-ip');
        break;
      }
      case Annotations.connectTimeout:
      case Annotations.responseTimeout:
      case Annotations.idleTimeout: {
        const ms = parseDuration(v);
        if (ms === undefined || ms <= 0) { bad('write a duration such as 500ms, 5s or 1m'); break; }
        if (k === Annotations.connectTimeout) p.connectTimeoutMs = ms;
        else if (k === Annotations.responseTimeout) p.responseTimeoutMs = ms;
        else p.idleTimeoutMs = ms;
        break;
      }
      case Annotations.bodySize: {
        const n = parseSize(v);
        if (n === undefined) bad('write a size such as 1m, 512k or 0 (no limit)');
        else p.maxBodyBytes = n === 0 ? Infinity : n;
        break;
      }
      case Annotations.sslRedirect:
        if (v === 'true' || v === 'false') p.sslRedirect = v === 'true';
        else bad('write "true" or "false"');
        break;
      case Annotations.retries: {
        const n = Number(v);
        if (Number.isInteger(n) && n >= 0 && n <= 10) p.attempts = n + 1;
        else bad('write a whole number of retries from 0 to 10');
        break;
      }
      case Annotations.tunnelIdleTimeout: {
        const ms = parseDuration(v);
        if (ms === undefined) bad('write a duration such as 60s, 1h or 0 (never)');
        else p.tunnelIdleTimeoutMs = ms;
        break;
      }
      case Annotations.allDown:
        if (v === 'panic' || v === 'try-all' || v === 'fail') p.allDown = v;
        else bad('write panic, try-all or fail');
        break;
    }
  }
  return p;
}

/** nginx-style durations: '500ms', '5s', '1m', '1h'; a bare number is seconds. */
export function parseDuration(s: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(s);
  if (!m) return undefined;
  const n = Number(m[1]);
  const unit = m[2] ?? 's';
  return Math.round(n * (unit === 'ms' ? 1 : unit === 's' ? 1_000 : unit === 'm' ? 60_000 : 3_600_000));
}

/** nginx-style sizes: '1024', '512k', '10m', '1g' (binary units, case-insensitive). */
export function parseSize(s: string): number | undefined {
  const m = /^(\d+)([kKmMgG])?$/.exec(s);
  if (!m) return undefined;
  const mult = { k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[(m[2] ?? '').toLowerCase() as 'k'] ?? 1;
  return Number(m[1]) * mult;
}
