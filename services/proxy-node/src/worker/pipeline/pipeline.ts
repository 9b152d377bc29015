/**
 * The request pipeline: one request through its phases, in order.
 *
 *   accept, parse   H1Server (llhttp) or node:http2 (nghttp2) read the request;
 *                   their 400 / 408 / 431 never reach this file
 *   route           route-phase.ts: target, Host, rule, the rule's policy and filters
 *   request filters the route's filters, in order: continue, respond now, or fail
 *   upstream select upstream-call.ts: the backend's endpoints, one picked by the load balancer
 *   upstream call   the H1 pool; retries on another endpoint; passive ejection
 *   response filters the route's filters see the response head
 *   log             log-phase.ts: counters, access log, request:end
 *
 * WebSocket upgrades take the same route and request-filter phases, then
 * tunnel.ts instead of the upstream call.
 */
import type { Fail } from '../filters/filter.ts';
import type { Downstream, IncomingRequest } from './downstream.ts';
import type { PipelineEnv } from './pipeline-env.ts';
import { RequestContext } from './request-context.ts';
import { respondWith } from './respond.ts';
import { routeRequest } from './route-phase.ts';
import { abortUpstream, callUpstream } from './upstream-call.ts';

export function handleRequest(env: PipelineEnv, req: IncomingRequest, down: Downstream): RequestContext {
  const ctx = new RequestContext(env, req, down);
  if (routeRequest(ctx) && runRequestFilters(ctx)) callUpstream(ctx);
  return ctx;
}

/** False when a filter answered or failed the request. */
export function runRequestFilters(ctx: RequestContext): boolean {
  for (const f of ctx.route!.requestFilters) {
    const verdict = f.onRequest!(ctx);
    if (verdict === undefined) continue;
    if (verdict.kind === 'respond') respondWith(ctx, verdict);
    else abortUpstream(ctx, (verdict as Fail).error);
    return false;
  }
  return true;
}
