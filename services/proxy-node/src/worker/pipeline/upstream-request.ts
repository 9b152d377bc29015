/**
 * The upstream request phase: what goes to the backend. The client's headers
 * minus hop-by-hop ones and those the proxy sets itself, plus X-Forwarded-*,
 * X-Request-Id and the trace context; rendered once per request into the
 * request line and header block, with only the trace headers per attempt.
 */
import { channels } from '@meshgate/telemetry';
import type { UpstreamEndpoint } from '@meshgate/upstream';
import { newTraceparent } from '../ids.ts';
import { appendForwarded, FORWARDED_HEADERS } from '../forwarded.ts';
import { headerOne } from './log-phase.ts';
import type { RequestContext } from './request-context.ts';

/** RFC 9110 7.6.1 hop-by-hop headers, plus the ones a proxy must not forward. */
export const HOP_BY_HOP: ReadonlySet<string> = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer',
  'upgrade', 'proxy-authenticate', 'proxy-authorization', 'http2-settings',
]);
/** Headers the proxy sets itself on the way up (the forwarded ones: forwarded.ts). */
const REPLACED = new Set<string>([...FORWARDED_HEADERS, 'x-request-id']);

/**
 * The client's headers as a flat [name, value, ...] list, minus hop-by-hop
 * ones, plus X-Forwarded-* and X-Real-IP (forwarded.ts: the client's own
 * only from a trusted proxy) and X-Request-Id; the trace context only when
 * `trace` (a WebSocket upgrade; proxied requests get it per attempt).
 */
export function forwardHeaders(ctx: RequestContext, trace: boolean): string[] {
  const h = ctx.req.headers;
  const out: string[] = [];
  const conn = ctx.h2 ? undefined : h.connection;
  const connTokens = conn !== undefined && conn !== 'keep-alive' && conn !== 'close'
    ? new Set(conn.toLowerCase().split(',').map((s) => s.trim()))
    : undefined;
  for (const k in h) {
    if (k.charCodeAt(0) === 58 /* ':' pseudo-header */) continue;
    const v = h[k];
    if (v === undefined || HOP_BY_HOP.has(k)) continue;
    if (!trace && (k === 'traceparent' || k === 'tracestate')) continue;
    if (REPLACED.has(k)) continue;
    if (connTokens !== undefined && connTokens.has(k)) continue;
    if (typeof v === 'string') out.push(k, v);
    else for (const one of v) out.push(k, one);
  }
  if (ctx.h2 && h.host === undefined && ctx.host !== '') out.push('host', ctx.host);
  if (ctx.absolute) setHost(out, ctx.host);
  appendForwarded(out, h, ctx.req.remoteAddress, ctx.scheme, ctx.host, ctx.env.trustedProxies);
  out.push('x-request-id', ctx.requestId);
  if (trace && h.traceparent === undefined) out.push('traceparent', newTraceparent());
  const filters = ctx.route?.upstreamFilters;
  if (filters !== undefined) for (let i = 0; i < filters.length; i++) filters[i]!.onUpstreamRequest!(ctx, out);
  return out;
}

/** Host upstream is the absolute-form target's authority (RFC 9112 3.2.2), the client's Host header dropped. */
function setHost(out: string[], host: string): void {
  for (let i = 0; i < out.length; i += 2) {
    if (out[i] === 'host') {
      out[i + 1] = host;
      return;
    }
  }
  out.push('host', host);
}

/**
 * Request line and header lines (`name: value\r\n`), without the final blank
 * line. A request without Host (HTTP/1.0) gets the endpoint's, as HTTP/1.1 requires.
 */
export function headBlock(method: string, path: string, headers: readonly string[], bodyLength: number, ep: UpstreamEndpoint): string {
  let head = `${method} ${path} HTTP/1.1\r\n`;
  let host = false;
  for (let i = 0; i < headers.length; i += 2) {
    const k = headers[i]!;
    if (k === 'host') host = true;
    head += `${k}: ${headers[i + 1]}\r\n`;
  }
  if (!host) head += `host: ${ep.address.includes(':') ? `[${ep.address}]` : ep.address}:${ep.port}\r\n`;
  if (bodyLength < 0) head += 'transfer-encoding: chunked\r\n';
  return head;
}

/**
 * `traceparent` (and `tracestate`) lines of this attempt: the client's, or
 * what an upstream:start subscriber (a tracer) set, or a fresh traceparent
 * (one per request) so the backend's logs can be joined to ours.
 */
export function traceHeaders(ctx: RequestContext, ep: UpstreamEndpoint): string {
  const h = ctx.req.headers;
  let tp = headerOne(h.traceparent);
  let ts = headerOne(h.tracestate);
  if (ctx.info !== undefined && channels.upstreamStart.hasSubscribers) {
    const rec: Record<string, string | string[]> = {};
    if (tp !== undefined) rec.traceparent = tp;
    if (ts !== undefined) rec.tracestate = ts;
    channels.upstreamStart.publish({ ctx: ctx.info, attempt: ctx.attempts, endpoint: ep, headers: rec });
    tp = headerOne(rec.traceparent);
    ts = headerOne(rec.tracestate);
  }
  tp ??= ctx.sentTraceparent ?? newTraceparent();
  ctx.sentTraceparent = tp;
  return ts === undefined ? `traceparent: ${tp}\r\n` : `traceparent: ${tp}\r\ntracestate: ${ts}\r\n`;
}
