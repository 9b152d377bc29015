/**
 * One request's state through the pipeline's phases (pipeline/README.md):
 * what the parse phase read, what the route phase found, the upstream
 * attempts and the response. It is also the H1Pool response handler, so a
 * proxied request allocates this object and little else; the handler
 * callbacks hand over to the upstream phase (upstream-call.ts).
 */
import type { RouteMatch } from '@meshgate/routing';
import type { EndpointSet, H1Connection, H1Pool, ResponseHandler, UpstreamEndpoint, UpstreamError } from '@meshgate/upstream';
import type { RequestInfo } from '@meshgate/telemetry';
import type { DeniedBy } from '../filters/filter.ts';
import { realClientAddress } from '../forwarded.ts';
import type { CompiledRoute } from './compiled-route.ts';
import type { Downstream, IncomingRequest } from './downstream.ts';
import type { PipelineEnv } from './pipeline-env.ts';
import { abortUpstream, onUpstreamData, onUpstreamEnd, onUpstreamError, onUpstreamHead } from './upstream-call.ts';
import { crashed, finish } from './respond.ts';
import { BodyTimeoutError, ClientGoneError } from '@meshgate/upstream';

export class RequestContext implements ResponseHandler {
  readonly env: PipelineEnv;
  readonly req: IncomingRequest;
  readonly down: Downstream;
  readonly started = performance.now();
  readonly h2: boolean;

  // ---- parse and route phases
  requestId = '';
  /** The authority the request is routed by (Host, `:authority`, or an absolute-form target's). */
  host = '';
  /** The target was absolute-form: `host` comes from it and replaces Host upstream. */
  absolute = false;
  /** The target in origin-form, as received (redirects keep it). */
  originTarget = '';
  /** Normalised path and query, as sent upstream. */
  upstreamTarget = '';
  hasBody = false;
  /** Content-Length of the request body; -1 when unknown (chunked, or HTTP/2 without one). */
  declaredLength = -1;
  match: RouteMatch | undefined;
  route: CompiledRoute | undefined;
  set: EndpointSet | undefined;
  /** Set while anyone listens to the request events. */
  info: RequestInfo | undefined;

  // ---- upstream phase
  ep: UpstreamEndpoint | undefined;
  tried: Set<string> | undefined;
  attempts = 0;
  retryable = false;
  /** Header lines for upstream, built once by the upstream request phase. */
  headers: string[] = [];
  /** Request line and header lines, rendered once (attempts differ only in their trace headers). */
  head = '';
  sentTraceparent: string | undefined;
  /** The upstream connection carrying this request now (set by the pool). */
  upstream: H1Connection | undefined;
  /** The pool of the current attempt (to cancel a request still queued for a connection). */
  pool: H1Pool | undefined;

  /** The access rule that refused the request: the access log's denied_by and meshgate_denied_total{reason} (set from Respond.deniedBy). */
  deniedBy: DeniedBy | undefined = undefined;
  #client: string | undefined = undefined;
  #atEnd: (() => void)[] | undefined = undefined;

  // ---- response and log phases
  status = 0;
  bytesOut = 0;
  expectedLength = -1;
  ended = false;
  paused = false;
  clientGone = false;
  finished = false;

  constructor(env: PipelineEnv, req: IncomingRequest, down: Downstream) {
    this.env = env;
    this.req = req;
    this.down = down;
    this.h2 = req.httpVersionMajor === 2;
  }

  get scheme(): 'http' | 'https' {
    return this.req.encrypted ? 'https' : 'http';
  }

  /**
   * The real client address: the peer, or what trusted proxies say it was
   * (forwarded.ts realClientAddress, --trusted-proxies); an IPv4-mapped IPv6
   * address as IPv4. Worked out on first use.
   */
  get clientAddress(): string {
    if (this.#client === undefined) {
      const xff = this.env.trustedProxies === undefined ? undefined : this.req.headers['x-forwarded-for'];
      const a = realClientAddress(this.req.remoteAddress, Array.isArray(xff) ? xff.join(',') : xff, this.env.trustedProxies);
      this.#client = a.startsWith('::ffff:') && a.indexOf('.') !== -1 ? a.slice(7) : a;
    }
    return this.#client;
  }

  /** Runs `fn` when the request ends, whatever ends it (before the log phase). */
  atEnd(fn: () => void): void {
    (this.#atEnd ??= []).push(fn);
  }

  /** The log phase calls this once. */
  runAtEnd(): void {
    const fns = this.#atEnd;
    if (fns === undefined) return;
    this.#atEnd = undefined;
    for (const fn of fns) fn();
  }

  // ---- H1Pool response handler: the upstream phase

  onResponseHead(status: number, _text: string, raw: string[]): void {
    onUpstreamHead(this, status, raw);
  }

  onResponseData(chunk: Buffer): void {
    onUpstreamData(this, chunk);
  }

  onResponseEnd(): void {
    onUpstreamEnd(this);
  }

  onResponseError(err: UpstreamError): void {
    onUpstreamError(this, err);
  }

  /**
   * The request body stalled past the body timeout (nginx client_body_timeout;
   * told by H1Server, or by the HTTP/2 body watch): the backend must not keep
   * a half-received request, so the attempt is aborted, and the client gets 408.
   */
  onBodyTimeout(): void {
    abortUpstream(this, new BodyTimeoutError());
  }

  readonly onClientClose = (): void => {
    if (this.finished && this.ended) return;
    if (this.down.writableFinished) return;
    this.clientGone = true;
    try {
      if (this.ep === undefined) finish(this, 499);
      else abortUpstream(this, new ClientGoneError());
    } catch (err) {
      crashed(this, err);
    }
  };

  readonly onDrain = (): void => {
    this.paused = false;
    try {
      this.upstream?.resume();
    } catch (err) {
      crashed(this, err);
    }
  };
}
