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

/** Answer the client now, without an upstream call. */
export interface Respond {
  readonly kind: 'respond';
  readonly status: number;
  /** Flat [name, value, ...] list, lower-case names. */
  readonly headers?: readonly string[];
  readonly body?: string;
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
  /** Response filters phase: the upstream's response head (hop-by-hop headers removed), before it goes to the client. */
  onResponse?(ctx: RequestContext, status: number, headers: string[]): void;
}

/** What filters may know of the worker beyond the route. */
export interface FilterEnv {
  /** Port of the HTTPS listener (undefined: none). */
  readonly httpsPort: number | undefined;
  /** The snapshot's access material: basic-authentication users, client-certificate hosts (absent: none). */
  readonly access?: AccessIndex;
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
