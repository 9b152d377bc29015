/**
 * A route's policy with its filters, compiled once per snapshot for each
 * route policy (today: per Ingress) and shared by every request it serves:
 * the per-request path only walks arrays.
 */
import type { Filter, FilterEnv } from '../filters/filter.ts';
import { FILTERS } from '../filters/index.ts';
import type { RoutePolicy } from '../route-policy.ts';

export interface CompiledRoute {
  readonly policy: RoutePolicy;
  /** Filters with onRequest, in order. */
  readonly requestFilters: readonly Filter[];
  /** Filters with onUpstreamRequest, in order. */
  readonly upstreamFilters: readonly Filter[];
  /** Filters with onResponse, in order. */
  readonly responseFilters: readonly Filter[];
}

export function compileRoute(policy: RoutePolicy, env: FilterEnv): CompiledRoute {
  const requestFilters: Filter[] = [];
  const upstreamFilters: Filter[] = [];
  const responseFilters: Filter[] = [];
  for (const factory of FILTERS) {
    const f = factory.compile(policy, env);
    if (f === undefined) continue;
    if (f.onRequest !== undefined) requestFilters.push(f);
    if (f.onUpstreamRequest !== undefined) upstreamFilters.push(f);
    if (f.onResponse !== undefined) responseFilters.push(f);
  }
  return { policy, requestFilters, upstreamFilters, responseFilters };
}
