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
import type { Fail, Verdict } from '../filters/filter.ts';
import type { Downstream, IncomingRequest } from './downstream.ts';
import type { PipelineEnv } from './pipeline-env.ts';
import { RequestContext } from './request-context.ts';
import { crashed, respond, respondWith } from './respond.ts';
import { routeRequest } from './route-phase.ts';
import { abortUpstream, callUpstream } from './upstream-call.ts';

export function handleRequest(env: PipelineEnv, req: IncomingRequest, down: Downstream): RequestContext {
  const ctx = new RequestContext(env, req, down);
  try {
    if (routeRequest(ctx)) runRequestFilters(ctx, 0, callUpstream);
  } catch (err) {
    crashed(ctx, err);
  }
  return ctx;
}

/**
 * The route's request filters from `from` on, in order, then `next`. A
 * filter that must wait (a subrequest, a hash check off the event loop)
 * returns a promise: the rest runs when it settles, unless the client left.
 */
export function runRequestFilters(ctx: RequestContext, from: number, next: (ctx: RequestContext) => void): void {
  const filters = ctx.route!.requestFilters;
  for (let i = from; i < filters.length; i++) {
    const verdict = filters[i]!.onRequest!(ctx);
    if (verdict === undefined) continue;
    if (verdict instanceof Promise) {
      verdict.then(
        (v) => {
          try {
            if (!ctx.finished && !ctx.clientGone && !apply(ctx, v)) runRequestFilters(ctx, i + 1, next);
          } catch (err) {
            crashed(ctx, err);
          }
        },
        (err: unknown) => { if (!ctx.finished) respond(ctx, 500, 'meshgate: a request filter failed\n', err as Error); },
      );
      return;
    }
    if (apply(ctx, verdict)) return;
  }
  next(ctx);
}

/** True when the verdict ended the request. */
function apply(ctx: RequestContext, verdict: Verdict): boolean {
  if (verdict === undefined) return false;
  if (verdict.kind === 'respond') respondWith(ctx, verdict);
  else abortUpstream(ctx, (verdict as Fail).error);
  return true;
}
