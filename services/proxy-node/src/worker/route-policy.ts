/**
 * Per-Ingress data-plane settings: the snapshot's typed IngressPolicy (the
 * config service translated the Ingress's annotations, whichever API they
 * came from) over the proxy's own defaults, once per snapshot.
 */
import type { SnapshotContent } from '@meshgate/protocol';
import type { AllDownPolicy, LoadBalancer, PoolOptions } from '@meshgate/upstream';

/** The model's IngressPolicy, as the snapshot carries it. */
type IngressPolicy = NonNullable<SnapshotContent['rules'][number]['policy']>;
export type IpAccessPolicy = NonNullable<IngressPolicy['ipAccess']>;
export type RateLimitPolicy = NonNullable<IngressPolicy['rateLimit']>;
export type CorsPolicy = NonNullable<IngressPolicy['cors']>;
export type HeaderModifier = NonNullable<IngressPolicy['requestHeaders']>;

export interface HashBy { kind: 'header' | 'cookie' | 'client-ip' | 'uri'; name: string }

export interface RoutePolicy {
  /** Whose policy this is: the Ingress ('namespace/name'), '' for the proxy's defaults. Keys per-route state (rate limits). */
  id: string;
  lb: LoadBalancer;
  hashBy: HashBy;
  connectTimeoutMs: number;
  responseTimeoutMs: number;
  idleTimeoutMs: number;
  /** Request bodies larger than this get 413; Infinity = no limit. */
  maxBodyBytes: number;
  sslRedirect: boolean;
  /** The HTTPS redirect drops a trailing '/' of the target. */
  redirectStripsSlash: boolean;
  /** Attempts per request (1 = no retry; Infinity: each endpoint once); only idempotent requests without a body retry, and only on connect failures. */
  attempts: number;
  allDown: AllDownPolicy;
  accessLog: boolean;
  /** WebSocket tunnels of this Ingress: ms with no byte either way before both sides close (0: never); unset: --tunnel-idle-timeout. */
  tunnelIdleTimeoutMs?: number;
  /** Basic authentication (filters/basic-auth.ts). */
  basicAuth?: IngressPolicy['basicAuth'];
  /** External authentication (filters/external-auth.ts). */
  externalAuth?: IngressPolicy['externalAuth'];
  ipAccess?: IpAccessPolicy;
  rateLimit?: RateLimitPolicy;
  cors?: CorsPolicy;
  requestHeaders?: HeaderModifier;
  responseHeaders?: HeaderModifier;
}

export function defaultPolicy(pool: PoolOptions): RoutePolicy {
  return {
    id: '', lb: 'round-robin', hashBy: { kind: 'client-ip', name: '' },
    connectTimeoutMs: pool.connectTimeoutMs, responseTimeoutMs: pool.responseTimeoutMs, idleTimeoutMs: pool.idleTimeoutMs,
    maxBodyBytes: Infinity, sslRedirect: false, redirectStripsSlash: false, attempts: 3, allDown: 'panic', accessLog: true,
  };
}

/** `p` (Ingress `id`'s) over `base`: only the fields the Ingress sets. */
export function policyOf(p: IngressPolicy, base: RoutePolicy, id: string): RoutePolicy {
  return {
    id,
    lb: p.loadBalance ?? base.lb,
    hashBy: p.hashBy ?? base.hashBy,
    connectTimeoutMs: p.connectTimeoutMs ?? base.connectTimeoutMs,
    responseTimeoutMs: p.responseTimeoutMs ?? base.responseTimeoutMs,
    idleTimeoutMs: p.idleTimeoutMs ?? base.idleTimeoutMs,
    maxBodyBytes: p.maxBodyBytes === undefined ? base.maxBodyBytes : p.maxBodyBytes === 0 ? Infinity : p.maxBodyBytes,
    sslRedirect: p.sslRedirect ?? base.sslRedirect,
    redirectStripsSlash: p.redirectTrailingSlash === undefined ? base.redirectStripsSlash : p.redirectTrailingSlash === 'strip',
    attempts: p.attempts === undefined ? base.attempts : p.attempts === 0 ? Infinity : p.attempts,
    allDown: p.allDown ?? base.allDown,
    accessLog: p.accessLog ?? base.accessLog,
    ...(p.tunnelIdleTimeoutMs !== undefined ? { tunnelIdleTimeoutMs: p.tunnelIdleTimeoutMs } : base.tunnelIdleTimeoutMs !== undefined ? { tunnelIdleTimeoutMs: base.tunnelIdleTimeoutMs } : {}),
    ...(p.basicAuth ? { basicAuth: p.basicAuth } : {}),
    ...(p.externalAuth ? { externalAuth: p.externalAuth } : {}),
    ...(p.ipAccess ? { ipAccess: p.ipAccess } : {}),
    ...(p.rateLimit ? { rateLimit: p.rateLimit } : {}),
    ...(p.cors ? { cors: p.cors } : {}),
    ...(p.requestHeaders ? { requestHeaders: p.requestHeaders } : {}),
    ...(p.responseHeaders ? { responseHeaders: p.responseHeaders } : {}),
  };
}
