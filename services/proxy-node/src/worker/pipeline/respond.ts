/**
 * Answers the proxy gives itself (a filter's verdict, a refusal, an upstream
 * error before any of the response went out), and the end of every request:
 * `finish` runs the log phase exactly once.
 */
import { errorStatus, InternalError, type UpstreamError } from '@meshgate/upstream';
import type { EventError } from '@meshgate/telemetry';
import type { Respond } from '../filters/filter.ts';
import { logRequest } from './log-phase.ts';
import type { RequestContext } from './request-context.ts';

export function finish(ctx: RequestContext, status: number, err?: EventError): void {
  if (ctx.finished) return;
  ctx.finished = true;
  ctx.runAtEnd();
  logRequest(ctx, status, err);
}

/**
 * A plain-text answer from the proxy. After the response head went out the
 * client cannot be told with a status any more: the exchange is cut instead.
 */
export function respond(ctx: RequestContext, status: number, body: string, err?: EventError, headers?: readonly string[]): void {
  if (ctx.finished) return;
  const down = ctx.down;
  if (!down.headersSent && !ctx.clientGone) {
    // A request body nobody will read: close the HTTP/1 connection after the answer instead of draining it.
    if (ctx.hasBody && !ctx.h2 && !ctx.req.readableEnded) down.shouldKeepAlive = false;
    // RFC 9110 8.6: no Content-Length on a 204 (a filter's answer without a body, such as a CORS preflight's).
    const out = status === 204 ? ['x-request-id', ctx.requestId]
      : ['content-type', 'text/plain; charset=utf-8', 'content-length', String(Buffer.byteLength(body)), 'x-request-id', ctx.requestId];
    if (headers !== undefined) for (const h of headers) out.push(h);
    // A routed request's response filters see the proxy's own answers too (CORS headers on a 503, custom headers on a 403).
    const filters = ctx.route?.responseFilters;
    if (filters !== undefined) for (let i = 0; i < filters.length; i++) filters[i]!.onResponse!(ctx, status, out);
    down.writeHead(status, out);
    down.end(body);
  } else {
    down.destroy();
  }
  finish(ctx, status, err);
}

/** A filter's "respond now". */
export function respondWith(ctx: RequestContext, r: Respond): void {
  if (r.deniedBy !== undefined) ctx.deniedBy = r.deniedBy;
  respond(ctx, r.status, r.body ?? '', undefined, r.headers);
}

/** An upstream error (or a filter's failure) before any of the response went out, as errorStatus maps it. */
export function respondError(ctx: RequestContext, err: UpstreamError, body?: string): void {
  const s = errorStatus(err);
  respond(ctx, s.status, body ?? `meshgate: ${s.reason}\n`, err);
}

/**
 * An exception on this request's path (a bug): this request fails, with a
 * 500 when nothing was sent yet, else its stream or connection is cut; its
 * upstream connection is let go. The worker goes on.
 */
export function crashed(ctx: RequestContext, err: unknown): void {
  const e = new InternalError(err);
  try {
    ctx.upstream?.abort(e);
  } catch { /* the pool closes the connection itself */ }
  try {
    respond(ctx, 500, 'meshgate: internal error\n', e);
  } catch {
    try { ctx.down.destroy(); } catch { /* nothing more to do for this client */ }
  }
}
