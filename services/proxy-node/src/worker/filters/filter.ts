/**
 * The filter interface of the request pipeline (pipeline/README.md). A
 * filter is compiled once per snapshot for each route policy that uses it
 * (`FilterFactory.compile`); per request it gets the request's context and
 * says continue (undefined), respond now, or fail as an upstream error
 * would. Filters never touch sockets or NATS.
 */
import type { UpstreamError } from '@meshgate/upstream';
import type { RequestContext } from '../pipeline/request-context.ts';
import type { RoutePolicy } from '../route-policy.ts';
import type { AccessIndex } from './access-index.ts';

/** Which access rule refused a request: the access log's `denied_by` and the `meshgate_denied_total{reason}` counter. */
export type DeniedBy = 'ip' | 'rate' | 'cors' | 'auth' | 'mtls';

/** Answer the client now, without an upstream call. */
export interface Respond {
  readonly kind: 'respond';
  readonly status: number;
  /** Flat [name, value, ...] list, lower-case names. */
  readonly headers?: readonly string[];
  readonly body?: string;
  /** Set when this answer refuses the request on an access rule. */
  readonly deniedBy?: DeniedBy;
}

/** Fail the request as if the upstream had: the status comes from errorStatus(). */
export interface Fail {
  readonly kind: 'error';
  readonly error: UpstreamError;
}

/** undefined: continue with the next filter, then the upstream. */
export type Verdict = Respond | Fail | undefined;

export interface Filter {
  readonly name: string;
  /**
   * Request filters phase: after routing, before an endpoint is picked. A
   * promise only when the filter must wait (a subrequest): the common path
   * allocates none.
   */
  onRequest?(ctx: RequestContext): Verdict | Promise<Verdict>;
  /**
   * Upstream request phase: the header list going upstream (flat
   * [name, value, ...], lower-case names, the proxy's own X-Forwarded-*
   * and X-Request-Id included), built once per request; edit it in place.
   */
  onUpstreamRequest?(ctx: RequestContext, headers: string[]): void;
  /**
   * Response filters phase: the response head before it goes to the client,
   * the upstream's (hop-by-hop headers removed) or the proxy's own answer
   * once the request was routed (a refusal, an error); edit it in place.
   */
  onResponse?(ctx: RequestContext, status: number, headers: string[]): void;
}

/** What filters may know of the worker beyond the route. */
export interface FilterEnv {
  /** Port of the HTTPS listener (undefined: none). */
  readonly httpsPort: number | undefined;
  /** The snapshot's access material: basic-authentication users, client-certificate hosts (absent: none). */
  readonly access?: AccessIndex;
  /** The node's rate-limit counters (shared by its workers, and over NATS for cluster-wide limits); undefined: each filter keeps its own. */
  readonly limits?: LimitPort;
}

/**
 * Counters of request rates and requests in progress, per key (a route's
 * id and a client address), shared by the node's workers; a cluster-wide
 * key's limits are scaled by this node's share of the mesh's demand
 * (limit-exchange.ts). Implemented by LimitTable (limit-table.ts).
 */
export interface LimitPort {
  /** The slot of `key`, claimed when new; -1 when the table has no room left. */
  slot(key: string, cluster: boolean): number;
  /** This node's share of a cluster-wide key's limits (1 for a node's own). */
  share(slot: number): number;
  /**
   * One request against a rate (GCRA, nginx limit_req with nodelay): true when
   * it is within `perSecond` with a burst of `burst` requests; `which` picks
   * one of the slot's two rates.
   */
  take(slot: number, which: 0 | 1, perSecond: number, burst: number): boolean;
  /** One more request in progress, unless `max` are already: false then. */
  acquire(slot: number, max: number): boolean;
  /** A request in progress ended. */
  release(slot: number): void;
}

export interface FilterFactory {
  readonly name: string;
  /** Filters run in ascending order. */
  readonly order: number;
  /** The filter for routes with this policy, or undefined when they do not use it. Once per snapshot. */
  compile(policy: RoutePolicy, env: FilterEnv): Filter | undefined;
}

export function respond(status: number, body: string, headers?: readonly string[]): Respond {
  return headers === undefined ? { kind: 'respond', status, body } : { kind: 'respond', status, body, headers };
}
