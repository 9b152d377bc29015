/**
 * The log phase: once per request, whatever ended it (an answer, an upstream
 * error, the client leaving): the worker's counters, one access-log line in
 * the same schema for HTTP/1, HTTP/2 and WebSocket, and the request:end event.
 */
import { channels, type EventError } from '@meshgate/telemetry';
import { AccessLog } from '../access-log.ts';
import type { RequestContext } from './request-context.ts';

const CLASSES = ['1xx', '1xx', '2xx', '3xx', '4xx', '5xx'];

export function logRequest(ctx: RequestContext, status: number, err?: EventError): void {
  const env = ctx.env;
  const c = env.counters;
  const cls = status >= 600 ? '5xx' : CLASSES[Math.floor(status / 100)] ?? '1xx';
  c[cls] = (c[cls] ?? 0) + 1;
  if (env.accessLog.enabled && ctx.route?.policy.accessLog !== false) {
    const m = ctx.match;
    // The trace the backend saw (ours, or the client's when we made no span).
    const tp = ctx.sentTraceparent ?? headerOne(ctx.req.headers.traceparent);
    env.accessLog.request(env.logPrefix ??= AccessLog.prefix(env.nodeId, env.worker),
      tp ? tp.slice(3, 35) : '', ctx.requestId, ctx.req.method, ctx.host, ctx.req.url, status, ctx.req.httpVersion,
      m?.ingress ?? '', m?.backend ?? '', ctx.ep?.id ?? '', ctx.attempts, ctx.bytesOut, Math.round((performance.now() - ctx.started) * 1000) / 1000, ctx.deniedBy);
  }
  if (ctx.info !== undefined && channels.requestEnd.hasSubscribers) {
    channels.requestEnd.publish({ ctx: ctx.info, statusCode: status, ...(err ? { error: err } : {}), bytesOut: ctx.bytesOut, ...(ctx.deniedBy ? { deniedBy: ctx.deniedBy } : {}) });
  }
}

export function headerOne(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}
