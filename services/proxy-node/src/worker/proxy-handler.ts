import type http from 'node:http';
import { constants as h2constants, type Http2ServerRequest, type Http2ServerResponse } from 'node:http2';
import { normalizePath, type RouteMatch } from '@meshgate/routing';
import { isConnectError, isRetryable, type EndpointSet, type H1Connection, type H1Pool, type ResponseHandler, type UpstreamEndpoint, type UpstreamError, type UpstreamPools } from '@meshgate/upstream';
import type { CompiledConfig } from './compiled-config.ts';
import { AccessLog } from './access-log.ts';
import type { RoutePolicy } from './route-policy.ts';
import { H1Request, type BodyWatcher, type H1Response } from './h1-server.ts';
import type { Readable } from 'node:stream';
import { newRequestId, newTraceparent } from './ids.ts';
import { channels, requestEventsWanted, type EventError, type RequestInfo } from '@meshgate/telemetry';

/**
 * The request path, as named phases (Pingora style):
 *   1. parse    : H1Server / node:http2 (llhttp, nghttp2) parsed the request;
 *                 431 oversized headers and 408 header timeout come from there;
 *                 an absolute-form target gives the host and origin-form path;
 *                 normalise the target (400 if invalid)
 *   2. route    : host, then path, in the current compiled config (404 when nothing matches);
 *                 ssl-redirect (308) and the body size limit (413) of the route's Ingress
 *   3. select   : an endpoint of the backend by the route's load balancer (503 when none may be tried)
 *   4. upstream : H1Pool.dispatch (libs/upstream/src/h1-pool.ts: raw keep-alive
 *                 sockets read by node's native llhttp) with this exchange as
 *                 the handler (no promise, no response stream object, one
 *                 write per request head); connect failures of
 *                 idempotent requests without a body are retried on another
 *                 endpoint (502 when every try fails, 504 when the response
 *                 headers do not come in time); connect errors and 5xx feed
 *                 passive ejection
 *   5. respond  : status and headers (minus hop-by-hop) in one writeHead,
 *                 body chunks written as they come with backpressure (a
 *                 response that fits one chunk goes out in one write)
 *   6. log      : one access-log line, request:end event
 */

// RFC 9110 7.6.1 hop-by-hop headers, plus the ones a proxy must not forward.
const HOP_BY_HOP = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer',
  'upgrade', 'proxy-authenticate', 'proxy-authorization', 'http2-settings',
]);
/** Headers the proxy sets itself on the way up. */
const REPLACED = new Set(['x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-request-id']);
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']);

export interface ProxyContext {
  /** The current config; read once per request. */
  config(): CompiledConfig | undefined;
  readonly pools: UpstreamPools;
  readonly accessLog: AccessLog;
  readonly nodeId: string;
  readonly worker: number;
  /** Port of the HTTPS listener, for ssl-redirect (undefined: no HTTPS). */
  readonly httpsPort?: number;
  readonly counters: Record<string, number>;
  /**
   * HTTP/2 request bodies: ms without a byte, while the proxy is reading,
   * before 408 (nginx client_body_timeout). HTTP/1 bodies are timed by
   * H1Server; h2 streams do not pass through it. Unset: no limit.
   */
  readonly bodyTimeoutMs?: number;
  /** AccessLog.prefix of this worker, made on first use. */
  logPrefix?: string;
  /** A passive ejection happened (for logs; the event is published here already). */
  onEjected?(endpoint: string, backend: string, reason: string, ms: number): void;
}

type Req = http.IncomingMessage | Http2ServerRequest | H1Request;
type Res = http.ServerResponse | Http2ServerResponse | H1Response;

/** The request body as a stream: the request itself for node:http / http2, its `body` for H1Request. */
function bodyOf(req: Req): Readable {
  return req instanceof H1Request ? req.body! : req as Readable;
}

export function createProxyHandler(ctx: ProxyContext) {
  return function handle(req: Req, res: Res): void {
    new Exchange(ctx, req, res).start();
  };
}

/**
 * One client request and its upstream attempts. It is also the H1Pool
 * response handler (onResponseHead/Data/End/Error), so a proxied request
 * allocates this object and little else.
 */
export class Exchange implements ResponseHandler, BodyWatcher {
  readonly ctx: ProxyContext;
  readonly req: Req;
  /** http.ServerResponse or its h2 compat twin; typed as the former, whose API both share here. */
  readonly res: http.ServerResponse;
  readonly started = performance.now();
  readonly h2: boolean;
  requestId = '';
  host = '';
  info: RequestInfo | undefined;
  match: RouteMatch | undefined;
  set: EndpointSet | undefined;
  policy: RoutePolicy | undefined;
  ep: UpstreamEndpoint | undefined;
  tried: Set<string> | undefined;
  attempts = 0;
  retryable = false;
  hasBody = false;
  path = '';
  headers: string[] = [];
  sentTraceparent: string | undefined;
  status = 0;
  bytesOut = 0;
  expectedLength = -1;
  ended = false;
  /** The target was absolute-form: `host` comes from it and replaces the Host header upstream. */
  absolute = false;
  clientGone = false;
  finished = false;
  paused = false;
  /** The upstream connection carrying this request now (set by the pool). */
  upstream: H1Connection | undefined;
  /** The pool of the current attempt (to cancel a request still queued for a connection). */
  pool: H1Pool | undefined;
  /** Request line and header lines for upstream, built once (attempts differ only when a subscriber adds headers). */
  head = '';

  constructor(ctx: ProxyContext, req: Req, res: Res) {
    this.ctx = ctx;
    this.req = req;
    this.res = res as http.ServerResponse;
    this.h2 = req.httpVersionMajor === 2;
  }

  start(): void {
    const { req, ctx } = this;
    const h = req.headers;
    const rid = h['x-request-id'];
    this.requestId = typeof rid === 'string' && rid !== '' ? rid : newRequestId();
    this.host = (this.h2 ? (h[':authority'] as string | undefined) ?? h.host : h.host) ?? '';
    const target = normalizePath(this.h2 ? req.url ?? '' : originTarget(this, req.url ?? ''));
    if (requestEventsWanted()) {
      this.info = {
        method: req.method ?? '', host: this.host, target: req.url ?? '', path: target?.path ?? '', headers: h,
        remoteAddress: req.socket?.remoteAddress ?? '', scheme: this.scheme(), httpVersion: req.httpVersion,
        node: ctx.nodeId, worker: ctx.worker, requestId: this.requestId, startTime: this.started, store: {},
      };
      if (channels.requestStart.hasSubscribers) channels.requestStart.publish({ ctx: this.info });
    }
    this.res.once('close', this.onClientClose);

    const cfg = ctx.config();
    if (cfg === undefined) return this.fail(503, 'meshgate: no configuration applied yet\n');
    if (!target) return this.fail(400, 'meshgate: malformed request target\n');
    // Host as nginx checks it: one header, a name or IP literal, a port that exists.
    if (!validHost(this.host) || (!this.h2 && hostHeaderCount(req.rawHeaders) > 1)) return this.fail(400, 'meshgate: invalid Host header\n');
    const match = cfg.routes.find(this.host, target.path);
    if (match === undefined) return this.fail(404, 'meshgate: no ingress rule matches this host and path\n');
    this.match = match;
    if (this.info !== undefined && channels.requestRouted.hasSubscribers) {
      channels.requestRouted.publish({ ctx: this.info, host: match.host, path: match.path, pathType: match.pathType, ingress: match.ingress, backend: match.backend, rule: match });
    }
    const policy = cfg.policies.get(match.ingress) ?? cfg.defaultPolicy;
    this.policy = policy;
    if (policy.sslRedirect && this.scheme() === 'http' && ctx.httpsPort !== undefined) return this.redirect(ctx.httpsPort);
    const set = cfg.backends.get(match.backend);
    if (set === undefined || set.endpoints.length === 0) return this.fail(503, `meshgate: backend ${match.backend} has no endpoints\n`);
    this.set = set;

    this.hasBody = this.h2
      ? !(req as Http2ServerRequest).stream.endAfterHeaders
      : h['content-length'] !== undefined ? h['content-length'] !== '0' : h['transfer-encoding'] !== undefined;
    if (this.hasBody && policy.maxBodyBytes !== Infinity && !this.limitBody(policy.maxBodyBytes)) return;
    if (this.hasBody && !this.h2) (req as H1Request).bodyWatcher = this;
    if (this.hasBody && this.h2 && ctx.bodyTimeoutMs) this.watchH2Body(req as Http2ServerRequest, ctx.bodyTimeoutMs);
    this.retryable = !this.hasBody && IDEMPOTENT.has(req.method ?? '');
    this.path = target!.query ? `${target!.path}?${target!.query}` : target!.path;
    this.headers = forwardHeaders(this, false);
    this.attempt();
  }

  scheme(): 'http' | 'https' {
    return (this.req.socket as { encrypted?: boolean } | null)?.encrypted ? 'https' : 'http';
  }

  /** 413 now for a declared length over the limit; a streamed body is counted as it passes. */
  limitBody(max: number): boolean {
    const declared = Number(this.req.headers['content-length']);
    const tooLarge = () => this.fail(413, `meshgate: request body larger than ${max} bytes (annotation meshgate.dev/proxy-body-size)\n`);
    if (declared > max) {
      tooLarge();
      return false;
    }
    if (!Number.isNaN(declared)) return true;
    let seen = 0;
    bodyOf(this.req).on('data', (chunk: Buffer) => {
      seen += chunk.length;
      if (seen > max && !this.finished) {
        this.abortUpstream(upstreamError('request body too large', 'MESHGATE_BODY_TOO_LARGE'));
        tooLarge();
      }
    });
    return true;
  }

  attempt(): void {
    const { set, policy } = this;
    const ep = set!.pick({ lb: policy!.lb, hashKey: policy!.lb === 'consistent-hash' ? this.hashKey() : undefined, tried: this.tried, allDown: policy!.allDown });
    if (ep === undefined) {
      return this.attempts > 0
        ? this.fail(502, `meshgate: could not connect to any endpoint of ${set!.backendId}\n`)
        : this.fail(503, `meshgate: backend ${set!.backendId} has no healthy endpoint\n`);
    }
    this.ep = ep;
    this.attempts++;
    set!.acquire(ep);
    const method = this.req.method!;
    const bodyLength = !this.hasBody ? 0 : this.req.headers['content-length'] !== undefined ? Number(this.req.headers['content-length']) : -1;
    let head = this.head;
    if (head === '') {
      head = headBlock(method, this.path, this.headers, bodyLength, ep);
      if (this.req.headers.host !== undefined) this.head = head; // else it names this endpoint
    }
    head += this.traceHeaders(ep);
    const pool = this.pool = this.ctx.pools.h1(ep, policy!.connectTimeoutMs, policy!.idleTimeoutMs);
    pool.dispatch({ method, head, body: this.hasBody ? bodyOf(this.req) : null, bodyLength, headersTimeoutMs: policy!.responseTimeoutMs }, this);
  }

  /**
   * An HTTP/2 request body that stalls: no byte for `ms` while the proxy
   * reads it. Time the proxy is not reading (the upstream pushes back, or is
   * still being connected) does not count, as in H1Server. After the 408 the
   * stream is reset with NO_ERROR: the client stops sending the rest
   * (RFC 9113 8.1).
   */
  watchH2Body(body: Http2ServerRequest, ms: number): void {
    // Kept here: node's compatibility layer lets go of it when the stream closes.
    const stream = body.stream;
    let last = performance.now();
    const onData = () => { last = performance.now(); };
    const stop = () => { clearTimeout(timer); stream.off('data', onData); };
    const check = () => {
      if (this.finished || body.readableEnded || body.destroyed || stream.destroyed) return stop();
      const now = performance.now();
      if (!body.readableFlowing || body.readableLength > 0) last = now; // we are not reading: not the client's stall
      if (now - last < ms) { timer = setTimeout(check, ms - (now - last)); return; }
      stop();
      this.onBodyTimeout();
      // The client may still be sending: reset the stream so it stops (with NO_ERROR, node sends
      // the RST_STREAM once the answer is written).
      if (!stream.closed) stream.close(h2constants.NGHTTP2_NO_ERROR);
    };
    let timer = setTimeout(check, ms);
    // On the Http2Stream, which node's compatibility layer already reads: a 'data' listener on the
    // request itself would start it flowing before the upstream is there to take the bytes.
    stream.on('data', onData);
    body.once('end', stop);
    this.res.once('close', stop);
  }

  /** The request body stalled past the body timeout (nginx client_body_timeout): told by H1Server, or by watchH2Body. */
  onBodyTimeout(): void {
    const err = upstreamError('request body timeout', 'MESHGATE_BODY_TIMEOUT');
    // The backend must not keep a half-received request: abort it (its handler answers 408 below).
    this.abortUpstream(err);
    this.fail(408, BODY_TIMEOUT_MESSAGE, err);
  }

  /** Ends the upstream side of the current attempt (queued or on a connection). */
  abortUpstream(err: UpstreamError): void {
    if (this.upstream !== undefined) this.upstream.abort(err);
    else if (this.pool?.cancel(this)) this.onResponseError(err);
  }

  hashKey(): string | undefined {
    const by = this.policy!.hashBy;
    if (by.kind === 'header') return headerOne(this.req.headers[by.name]);
    if (by.kind === 'cookie') return cookieValue(headerOne(this.req.headers.cookie), by.name);
    return this.req.socket?.remoteAddress;
  }

  /**
   * `traceparent` (and `tracestate`) lines of this attempt: the client's, or
   * what an upstream:start subscriber (a tracer) set, or a fresh traceparent
   * (one per request) so the backend's logs can be joined to ours.
   */
  traceHeaders(ep: UpstreamEndpoint): string {
    const h = this.req.headers;
    let tp = headerOne(h.traceparent);
    let ts = headerOne(h.tracestate);
    if (this.info !== undefined && channels.upstreamStart.hasSubscribers) {
      const rec: Record<string, string | string[]> = {};
      if (tp !== undefined) rec.traceparent = tp;
      if (ts !== undefined) rec.tracestate = ts;
      channels.upstreamStart.publish({ ctx: this.info, attempt: this.attempts, endpoint: ep, headers: rec });
      tp = headerOne(rec.traceparent);
      ts = headerOne(rec.tracestate);
    }
    tp ??= this.sentTraceparent ?? newTraceparent();
    this.sentTraceparent = tp;
    return ts === undefined ? `traceparent: ${tp}\r\n` : `traceparent: ${tp}\r\ntracestate: ${ts}\r\n`;
  }

  // ---- H1Pool response handler

  onResponseHead(statusCode: number, _statusText: string, raw: string[]): void {
    this.status = statusCode;
    const ep = this.ep!;
    if (statusCode >= 500) this.passiveFailure(ep, '5xx', `HTTP ${statusCode}`);
    else this.set!.reportSuccess(ep);
    if (this.info !== undefined && channels.upstreamEnd.hasSubscribers) {
      channels.upstreamEnd.publish({ ctx: this.info, attempt: this.attempts, endpoint: ep, statusCode, retried: false });
    }
    if (this.clientGone) return;
    const out: string[] = [];
    let connectionTokens: string | undefined;
    let sawRequestId = false;
    for (let i = 0; i < raw.length; i += 2) {
      const lower = raw[i]!.toLowerCase();
      if (HOP_BY_HOP.has(lower)) {
        if (lower === 'connection') connectionTokens = raw[i + 1]!.toLowerCase();
        continue;
      }
      if (lower === 'content-length') this.expectedLength = Number(raw[i + 1]!);
      else if (lower === 'x-request-id') sawRequestId = true;
      out.push(lower, raw[i + 1]!);
    }
    if (connectionTokens !== undefined && connectionTokens !== 'keep-alive' && connectionTokens !== 'close') stripConnectionTokens(out, connectionTokens);
    if (!sawRequestId) out.push('x-request-id', this.requestId);
    if (this.req.method === 'HEAD' || statusCode === 204 || statusCode === 304) this.expectedLength = 0;
    this.res.writeHead(statusCode, out as unknown as http.OutgoingHttpHeaders);
  }

  onResponseData(chunk: Buffer): void {
    if (this.clientGone || this.ended) return;
    this.bytesOut += chunk.length;
    if (this.bytesOut === this.expectedLength) {
      // The whole body is here: headers and body leave in one write.
      this.ended = true;
      this.res.end(chunk);
      return;
    }
    if ((this.res as http.ServerResponse).write(chunk)) return;
    if (!this.paused) {
      this.paused = true;
      this.upstream?.pause();
      this.res.once('drain', this.onDrain);
    }
  }

  onDrain = (): void => {
    this.paused = false;
    this.upstream?.resume();
  };

  onResponseEnd(): void {
    this.release();
    if (!this.ended && !this.clientGone) {
      this.ended = true;
      this.res.end();
    }
    this.done(this.clientGone ? 499 : this.status);
  }

  onResponseError(err: EventError): void {
    const ep = this.ep!;
    this.release();
    const code = err.code ?? '';
    if (this.clientGone) return this.done(499, err);
    const beforeResponse = this.status === 0 && !this.res.headersSent;
    const connectFailed = isConnectError(err);
    if (connectFailed) this.passiveFailure(ep, 'connect', code);
    const retry = beforeResponse && this.retryable && isRetryable(err) && this.attempts < this.policy!.attempts;
    if (this.info !== undefined && channels.upstreamEnd.hasSubscribers) {
      channels.upstreamEnd.publish({ ctx: this.info, attempt: this.attempts, endpoint: ep, error: err, connectFailed, retried: retry });
    }
    if (retry) {
      (this.tried ??= new Set()).add(ep.id);
      return this.attempt();
    }
    if (code === 'MESHGATE_BODY_TOO_LARGE') return; // the 413 is out already
    if (code === 'MESHGATE_BODY_TIMEOUT') return this.fail(408, BODY_TIMEOUT_MESSAGE, err);
    const backend = this.set!.backendId;
    if (!beforeResponse) {
      // Mid-body: the client cannot be told with a status any more.
      this.res.destroy();
      return this.done(this.status || 502, err);
    }
    if (code === 'UND_ERR_HEADERS_TIMEOUT') return this.fail(504, `meshgate: ${backend} did not answer within ${this.policy!.responseTimeoutMs} ms\n`, err);
    if (code === 'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH') return this.fail(400, 'meshgate: request body length does not match Content-Length\n', err);
    if (connectFailed) return this.fail(502, `meshgate: could not connect to ${backend} (${code}) after ${this.attempts} attempt(s)\n`, err);
    return this.fail(502, `meshgate: upstream error from ${backend} (${code || err.message})\n`, err);
  }

  // ---- helpers

  passiveFailure(ep: UpstreamEndpoint, kind: 'connect' | '5xx', reason: string): void {
    const ms = this.set!.reportFailure(ep, kind);
    if (ms === 0) return;
    if (channels.endpointEjected.hasSubscribers) channels.endpointEjected.publish({ endpoint: ep.id, backend: this.set!.backendId, reason, ms });
    this.ctx.onEjected?.(ep.id, this.set!.backendId, reason, ms);
  }

  release(): void {
    if (this.ep !== undefined) this.set!.release(this.ep);
  }

  onClientClose = (): void => {
    if (this.finished && this.ended) return;
    if (this.res.writableFinished) return;
    this.clientGone = true;
    if (this.ep === undefined) return this.done(499);
    this.abortUpstream(upstreamError('client went away', 'MESHGATE_CLIENT_GONE'));
  };

  redirect(httpsPort: number): void {
    const host = this.host.replace(/:\d+$/, '');
    const url = this.req.url ?? '/';
    const path = this.absolute ? absoluteForm(url)?.path ?? '/' : url;
    const location = `https://${host}${httpsPort === 443 ? '' : `:${httpsPort}`}${path}`;
    this.res.writeHead(308, { location, 'content-length': 0, 'x-request-id': this.requestId });
    this.res.end();
    this.done(308);
  }

  fail(status: number, body: string, err?: EventError): void {
    if (this.finished) return;
    const res = this.res;
    if (!res.headersSent && !this.clientGone) {
      // A request body nobody will read: close the h1 connection after the answer instead of draining it.
      if (this.hasBody && !this.req.readableEnded && !this.h2) (res as http.ServerResponse).shouldKeepAlive = false;
      res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body), 'x-request-id': this.requestId });
      res.end(body);
    } else {
      res.destroy();
    }
    this.done(status, err);
  }

  done(status: number, err?: EventError): void {
    if (this.finished) return;
    this.finished = true;
    const c = this.ctx.counters;
    const cls = status < 200 ? '1xx' : status < 300 ? '2xx' : status < 400 ? '3xx' : status < 500 ? '4xx' : '5xx';
    c[cls] = (c[cls] ?? 0) + 1;
    if (this.ctx.accessLog.enabled) {
      const m = this.match;
      // The trace the backend saw (ours, or the client's when we made no span).
      const tp = this.sentTraceparent ?? headerOne(this.req.headers.traceparent);
      this.ctx.accessLog.request(this.ctx.logPrefix ??= AccessLog.prefix(this.ctx.nodeId, this.ctx.worker),
        tp ? tp.slice(3, 35) : '', this.requestId, this.req.method ?? '', this.host, this.req.url ?? '', status, this.req.httpVersion,
        m?.ingress ?? '', m?.backend ?? '', this.ep?.id ?? '', this.attempts, this.bytesOut, Math.round((performance.now() - this.started) * 1000) / 1000);
    }
    if (this.info !== undefined && channels.requestEnd.hasSubscribers) {
      channels.requestEnd.publish({ ctx: this.info, statusCode: status, ...(err ? { error: err } : {}), bytesOut: this.bytesOut });
    }
  }
}

const BODY_TIMEOUT_MESSAGE = 'meshgate: the request body stalled (request body timeout)\n';

function upstreamError(message: string, code: string): UpstreamError {
  const e = new Error(message) as UpstreamError;
  e.code = code;
  return e;
}

/**
 * Request line and header lines (`name: value\r\n`), without the final blank
 * line. A request without Host (HTTP/1.0) gets the endpoint's, as HTTP/1.1 requires.
 */
function headBlock(method: string, path: string, headers: readonly string[], bodyLength: number, ep: UpstreamEndpoint): string {
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

/** `http://` or `https://`, an authority without userinfo, then the path and query (RFC 9112 3.2.2, RFC 3986 3.2). */
const ABSOLUTE = /^https?:\/\/([^/?#@]+)([/?].*)?$/i;

/**
 * An absolute-form target split into its authority and origin-form (`/` when
 * the path is empty). null when it is not http(s), has no host, or carries
 * userinfo (`http://evil@example.com/`, an open-proxy trick: refused, 400).
 */
/**
 * The target in origin-form. An absolute-form one (RFC 9112 3.2.2: MUST be
 * accepted) sets the exchange's host to its authority, which wins over Host.
 */
export function originTarget(x: { host: string; absolute: boolean }, url: string): string {
  if (url.charCodeAt(0) === 47 /* / */) return url;
  const abs = absoluteForm(url);
  if (abs === null) return url;
  x.host = abs.authority;
  x.absolute = true;
  return abs.path;
}

export function absoluteForm(target: string): { authority: string; path: string } | null {
  const m = ABSOLUTE.exec(target);
  if (m === null) return null;
  const rest = m[2];
  return { authority: m[1]!, path: rest === undefined ? '/' : rest.charCodeAt(0) === 63 /* ? */ ? `/${rest}` : rest };
}

const HOST = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-._~!$&'()*+,;=%]+)(?::(\d{1,5}))?$/;

/** An empty Host (HTTP/1.0) is allowed; otherwise reg-name or IP literal, optional port 0-65535. */
export function validHost(host: string): boolean {
  if (host === '') return true;
  const m = HOST.exec(host);
  return m !== null && (m[1] === undefined || Number(m[1]) <= 65535);
}

function hostHeaderCount(raw: readonly string[] | undefined): number {
  if (!raw) return 0;
  let n = 0;
  for (let i = 0; i < raw.length; i += 2) if (raw[i]!.length === 4 && raw[i]!.toLowerCase() === 'host') n++;
  return n;
}

export function headerOne(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function cookieValue(cookie: string | undefined, name: string): string | undefined {
  if (cookie === undefined) return undefined;
  for (const part of cookie.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
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

function stripConnectionTokens(out: string[], tokens: string): void {
  const drop = new Set(tokens.split(',').map((s) => s.trim()).filter(Boolean));
  for (let i = out.length - 2; i >= 0; i -= 2) if (drop.has(out[i]!)) out.splice(i, 2);
}

/**
 * The client's headers as a flat [name, value, ...] list for undici, minus
 * hop-by-hop ones, plus X-Forwarded-*, X-Request-Id and a traceparent when
 * the client sent none.
 */
export function forwardHeaders(x: { req: Req; h2: boolean; host: string; absolute?: boolean; requestId: string; scheme(): string }, trace = true): string[] {
  const h = x.req.headers;
  const out: string[] = [];
  const conn = x.h2 ? undefined : h.connection;
  const connTokens = conn !== undefined && conn !== 'keep-alive' && conn !== 'close'
    ? new Set(conn.toLowerCase().split(',').map((s) => s.trim()))
    : undefined;
  let priorXff: string | undefined;
  for (const k in h) {
    if (k.charCodeAt(0) === 58 /* ':' pseudo-header */) continue;
    const v = h[k];
    if (v === undefined || HOP_BY_HOP.has(k)) continue;
    if (!trace && (k === 'traceparent' || k === 'tracestate')) continue; // added per attempt (traceHeaders)
    if (REPLACED.has(k)) {
      if (k === 'x-forwarded-for') priorXff = headerOne(v);
      continue;
    }
    if (connTokens !== undefined && connTokens.has(k)) continue;
    if (typeof v === 'string') out.push(k, v);
    else for (const one of v) out.push(k, one);
  }
  if (x.h2 && h.host === undefined && x.host !== '') out.push('host', x.host);
  if (x.absolute === true) setHost(out, x.host);
  const clientIp = x.req.socket?.remoteAddress ?? '';
  out.push(
    'x-forwarded-for', priorXff ? `${priorXff}, ${clientIp}` : clientIp,
    'x-forwarded-proto', x.scheme(),
    'x-request-id', x.requestId,
  );
  if (x.host !== '') out.push('x-forwarded-host', x.host);
  if (trace && h.traceparent === undefined) out.push('traceparent', newTraceparent());
  return out;
}
