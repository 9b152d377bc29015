/**
 * The upstream select, upstream call and response phases: pick an endpoint
 * of the route's backend by its load balancer (503 when none may be tried),
 * send the request through the endpoint's H1Pool with the context as the
 * response handler (no promise, no response stream object, one write per
 * request head), relay the response with backpressure, and on an error
 * decide between a retry on another endpoint and an answer (errors.ts maps
 * it to a status). Connect errors and 5xx feed passive ejection.
 */
import {
  errorStatus, isConnectError, isRetryable, UpstreamErrorCode, type UpstreamEndpoint, type UpstreamError,
} from '@meshgate/upstream';
import { channels } from '@meshgate/telemetry';
import { cookieValue } from './cookies.ts';
import { headerOne } from './log-phase.ts';
import type { RequestContext } from './request-context.ts';
import { finish, respond } from './respond.ts';
import { HOP_BY_HOP, forwardHeaders, headBlock, traceHeaders } from './upstream-request.ts';

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']);

/** The upstream select phase, then the first attempt. */
export function callUpstream(ctx: RequestContext): void {
  const match = ctx.match!;
  const set = ctx.env.config()?.backends.get(match.backend);
  if (set === undefined || set.endpoints.length === 0) return respond(ctx, 503, `meshgate: backend ${match.backend} has no endpoints\n`);
  ctx.set = set;
  if (ctx.hasBody) ctx.req.watchBody(ctx);
  ctx.retryable = !ctx.hasBody && IDEMPOTENT.has(ctx.req.method);
  ctx.headers = forwardHeaders(ctx, false);
  attempt(ctx);
}

function attempt(ctx: RequestContext): void {
  const set = ctx.set!;
  const policy = ctx.route!.policy;
  const ep = set.pick({ lb: policy.lb, hashKey: policy.lb === 'consistent-hash' ? hashKey(ctx) : undefined, tried: ctx.tried, allDown: policy.allDown });
  if (ep === undefined) {
    return ctx.attempts > 0
      ? respond(ctx, 502, `meshgate: could not connect to any endpoint of ${set.backendId}\n`)
      : respond(ctx, 503, `meshgate: backend ${set.backendId} has no healthy endpoint\n`);
  }
  ctx.ep = ep;
  ctx.attempts++;
  set.acquire(ep);
  const method = ctx.req.method;
  const bodyLength = !ctx.hasBody ? 0 : ctx.declaredLength;
  let head = ctx.head;
  if (head === '') {
    head = headBlock(method, ctx.upstreamTarget, ctx.headers, bodyLength, ep);
    if (ctx.req.headers.host !== undefined || (ctx.h2 && ctx.host !== '')) ctx.head = head; // else it names this endpoint
  }
  head += traceHeaders(ctx, ep);
  const pool = (ctx.pool = ctx.env.pools.h1(ep, policy.connectTimeoutMs, policy.idleTimeoutMs));
  pool.dispatch({ method, head, body: ctx.hasBody ? ctx.req.body : null, bodyLength, headersTimeoutMs: policy.responseTimeoutMs }, ctx);
}

function hashKey(ctx: RequestContext): string | undefined {
  const by = ctx.route!.policy.hashBy;
  const h = ctx.req.headers;
  if (by.kind === 'header') return headerOne(h[by.name]);
  if (by.kind === 'cookie') return cookieValue(headerOne(h.cookie), by.name);
  if (by.kind === 'uri') return ctx.req.url;
  return ctx.req.remoteAddress;
}

/**
 * Ends the upstream side of the current attempt (on a connection, or still
 * queued for one) with `err`, which then ends the request as any upstream
 * error does; answers at once when no attempt is in flight.
 */
export function abortUpstream(ctx: RequestContext, err: UpstreamError): void {
  if (ctx.upstream !== undefined) ctx.upstream.abort(err);
  else if (ctx.pool?.cancel(ctx)) onUpstreamError(ctx, err);
  if (!ctx.finished) failRequest(ctx, err);
}

export function onUpstreamHead(ctx: RequestContext, status: number, raw: string[]): void {
  ctx.status = status;
  const ep = ctx.ep!;
  if (status >= 500) passiveFailure(ctx, ep, '5xx', `HTTP ${status}`);
  else ctx.set!.reportSuccess(ep);
  if (ctx.info !== undefined && channels.upstreamEnd.hasSubscribers) {
    channels.upstreamEnd.publish({ ctx: ctx.info, attempt: ctx.attempts, endpoint: ep, statusCode: status, retried: false });
  }
  if (ctx.clientGone) return;
  const out = responseHeaders(ctx, raw);
  for (const f of ctx.route!.responseFilters) f.onResponse!(ctx, status, out);
  if (ctx.req.method === 'HEAD' || status === 204 || status === 304) ctx.expectedLength = 0;
  ctx.down.writeHead(status, out);
}

/** The response head minus hop-by-hop headers (and those its Connection names), with our X-Request-Id unless it has one. */
function responseHeaders(ctx: RequestContext, raw: string[]): string[] {
  const out: string[] = [];
  let connectionTokens: string | undefined;
  let sawRequestId = false;
  for (let i = 0; i < raw.length; i += 2) {
    const lower = raw[i]!.toLowerCase();
    if (HOP_BY_HOP.has(lower)) {
      if (lower === 'connection') connectionTokens = raw[i + 1]!.toLowerCase();
      continue;
    }
    if (lower === 'content-length') ctx.expectedLength = Number(raw[i + 1]!);
    else if (lower === 'x-request-id') sawRequestId = true;
    out.push(lower, raw[i + 1]!);
  }
  if (connectionTokens !== undefined && connectionTokens !== 'keep-alive' && connectionTokens !== 'close') {
    sawRequestId &&= !stripConnectionTokens(out, connectionTokens);
  }
  if (!sawRequestId) out.push('x-request-id', ctx.requestId);
  return out;
}

/**
 * Drops the response headers a backend's Connection header names (RFC 9110
 * 7.6.1), except Content-Length: the framing towards the client is the
 * proxy's own, and a length it checks the body against is worth keeping.
 * True when it dropped the backend's X-Request-Id.
 */
function stripConnectionTokens(out: string[], tokens: string): boolean {
  const drop = new Set(tokens.split(',').map((s) => s.trim()).filter(Boolean));
  drop.delete('content-length');
  let requestId = false;
  for (let i = out.length - 2; i >= 0; i -= 2) {
    if (!drop.has(out[i]!)) continue;
    if (out[i] === 'x-request-id') requestId = true;
    out.splice(i, 2);
  }
  return requestId;
}

export function onUpstreamData(ctx: RequestContext, chunk: Buffer): void {
  if (ctx.clientGone || ctx.ended) return;
  ctx.bytesOut += chunk.length;
  if (ctx.bytesOut === ctx.expectedLength) {
    // The whole body is here: headers and body leave in one write.
    ctx.ended = true;
    ctx.down.end(chunk);
    return;
  }
  if (ctx.down.write(chunk)) return;
  if (!ctx.paused) {
    ctx.paused = true;
    ctx.upstream?.pause();
    ctx.down.once('drain', ctx.onDrain);
  }
}

export function onUpstreamEnd(ctx: RequestContext): void {
  release(ctx);
  if (!ctx.ended && !ctx.clientGone) {
    ctx.ended = true;
    ctx.down.end();
  }
  finish(ctx, ctx.clientGone ? 499 : ctx.status);
}

export function onUpstreamError(ctx: RequestContext, err: UpstreamError): void {
  const ep = ctx.ep!;
  release(ctx);
  if (ctx.clientGone) return finish(ctx, 499, err);
  const beforeResponse = ctx.status === 0 && !ctx.down.headersSent;
  const connectFailed = isConnectError(err);
  if (connectFailed) passiveFailure(ctx, ep, 'connect', err.code);
  const retry = beforeResponse && shouldRetry(ctx, err);
  if (ctx.info !== undefined && channels.upstreamEnd.hasSubscribers) {
    channels.upstreamEnd.publish({ ctx: ctx.info, attempt: ctx.attempts, endpoint: ep, error: err, connectFailed, retried: retry });
  }
  if (retry) {
    // A kept-alive connection that died before any byte of this response was closed by the server
    // while idle (the keep-alive race): the endpoint is fine, the next try may go to it again, on
    // another connection (nginx gives such a failure an extra try).
    if (err.stale !== true) (ctx.tried ??= new Set()).add(ep.id);
    return attempt(ctx);
  }
  if (!beforeResponse) {
    // Mid-body: the client cannot be told with a status any more; an HTTP/2 stream is reset with an
    // error (a NO_ERROR reset reads as a complete response).
    ctx.down.destroy();
    return finish(ctx, ctx.status || 502, err);
  }
  failRequest(ctx, err);
}

/** Retry policy: idempotent requests without a body, when the attempt never got a response, while attempts are left. */
function shouldRetry(ctx: RequestContext, err: UpstreamError): boolean {
  return ctx.retryable && isRetryable(err) && ctx.attempts < ctx.route!.policy.attempts;
}

/** The answer for an upstream error before any of the response went out. */
function failRequest(ctx: RequestContext, err: UpstreamError): void {
  const backend = ctx.set?.backendId ?? ctx.match?.backend ?? '';
  const s = errorStatus(err);
  let text: string;
  if (err.code === UpstreamErrorCode.HeadersTimeout) text = `${backend} did not answer within ${ctx.route!.policy.responseTimeoutMs} ms`;
  else if (err.code === UpstreamErrorCode.BodyTimeout) text = 'the request body stalled (request body timeout)';
  else if (err.code === UpstreamErrorCode.BodyTooLarge) text = `${err.message} (the Ingress's proxy-body-size)`;
  else if (err.code === UpstreamErrorCode.InvalidResponse) text = `invalid response from ${backend}: ${err.message}`;
  else if (isConnectError(err)) text = `could not connect to ${backend} (${err.code}) after ${ctx.attempts} attempt(s)`;
  else if (s.status === 502) text = `upstream error from ${backend} (${err.code || err.message})`;
  else text = err.message;
  respond(ctx, s.status, `meshgate: ${text}\n`, err);
}

/** Passive ejection: a worker that saw an endpoint fail skips it for a while. */
function passiveFailure(ctx: RequestContext, ep: UpstreamEndpoint, kind: 'connect' | '5xx', reason: string): void {
  const set = ctx.set!;
  const ms = set.reportFailure(ep, kind);
  if (ms === 0) return;
  if (channels.endpointEjected.hasSubscribers) channels.endpointEjected.publish({ endpoint: ep.id, backend: set.backendId, reason, ms });
  ctx.env.onEjected?.(ep.id, set.backendId, reason, ms);
}

function release(ctx: RequestContext): void {
  if (ctx.ep !== undefined) ctx.set!.release(ctx.ep);
}
