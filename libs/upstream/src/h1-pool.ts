/**
 * HTTP/1.1 keep-alive connections to one endpoint, lean enough for the
 * request path: raw `net.Socket`s whose reads go straight into node's native
 * llhttp (`parser.consume`), one `write` per request head, no request or
 * response objects, no promises, no per-request timers (one sweep per worker
 * checks connect, response-header and idle deadlines). Idle connections are
 * reused most-recent first; past `connections` requests wait in a queue.
 *
 * Error codes follow undici's (the data plane maps them to statuses):
 * UND_ERR_CONNECT_TIMEOUT, UND_ERR_HEADERS_TIMEOUT, UND_ERR_SOCKET (closed
 * before the response ended), UND_ERR_REQ_CONTENT_LENGTH_MISMATCH, plus the
 * socket's own (ECONNREFUSED, ECONNRESET, ...), and ours:
 * MESHGATE_BAD_RESPONSE (a response the parser refuses, a status outside
 * 100-599, or a 101 nobody asked for: not retried), MESHGATE_INTERNAL (an
 * exception on this request's path).
 *
 * A hostile or broken backend must not reach another request: a connection
 * is handed back to the pool only at the end of the read that completed its
 * response, and any byte that arrives with no request in flight (a response
 * nobody asked for, one glued after the response asked for, even a lone
 * CRLF on an idle connection) closes it; only CR and LF glued to the end of
 * a response, which llhttp skips between messages, are let be. Every
 * parser, socket and stream callback is guarded (h1-connection.ts): an
 * exception fails that one request and closes its connection, never the
 * worker.
 */
import { H1Connection, ConnState, upstreamError, type ResponseHandler, type UpstreamRequest } from './h1-connection.ts';

export { H1Connection, type ResponseHandler, type UpstreamError, type UpstreamRequest } from './h1-connection.ts';

export interface H1PoolOptions {
  connections: number;
  connectTimeoutMs: number;
  idleTimeoutMs: number;
  /** Called when the pool opens a connection (its deadlines need sweeping from then on). */
  onConnection?: () => void;
}

export class H1Pool {
  readonly host: string;
  readonly port: number;
  readonly opts: H1PoolOptions;
  readonly all = new Set<H1Connection>();
  readonly idle: H1Connection[] = [];
  readonly queue: [UpstreamRequest, ResponseHandler][] = [];
  closed = false;

  constructor(host: string, port: number, opts: H1PoolOptions) {
    this.host = host;
    this.port = port;
    this.opts = opts;
  }

  dispatch(req: UpstreamRequest, handler: ResponseHandler): void {
    if (this.closed) return handler.onResponseError(upstreamError('upstream pool closed', 'UND_ERR_CLOSED'));
    const conn = this.#takeIdle() ?? (this.all.size < this.opts.connections ? new H1Connection(this) : undefined);
    if (conn === undefined) this.queue.push([req, handler]);
    else conn.send(req, handler);
  }

  /** The most recently used idle connection that is still open. */
  #takeIdle(): H1Connection | undefined {
    for (;;) {
      const c = this.idle.pop();
      if (c === undefined) return undefined;
      c.inIdle = false;
      if (c.state === ConnState.idle && !c.socket.destroyed) return c;
    }
  }

  /** Drops a request still waiting for a connection. */
  cancel(handler: ResponseHandler): boolean {
    const i = this.queue.findIndex((q) => q[1] === handler);
    if (i < 0) return false;
    this.queue.splice(i, 1);
    return true;
  }

  /** `conn` finished its response and may carry another; idempotent (a connection is in `idle` at most once). */
  released(conn: H1Connection): void {
    if (conn.state !== ConnState.idle || conn.inIdle) return;
    const next = this.queue.shift();
    if (next !== undefined) return conn.send(next[0], next[1]);
    if (this.closed || conn.idleLimitMs === 0) return conn.destroy();
    conn.idleSince = performance.now();
    conn.inIdle = true;
    this.idle.push(conn);
  }

  /** `conn` is gone: requests waiting for a connection get new ones, up to the limit. */
  removed(conn: H1Connection): void {
    this.all.delete(conn);
    this.#dropIdle(conn);
    while (this.queue.length > 0 && !this.closed && this.all.size < this.opts.connections) {
      const [req, handler] = this.queue.shift()!;
      new H1Connection(this).send(req, handler);
    }
  }

  #dropIdle(conn: H1Connection): void {
    if (!conn.inIdle) return;
    conn.inIdle = false;
    const i = this.idle.lastIndexOf(conn);
    if (i >= 0) this.idle.splice(i, 1);
  }

  /** Called by a connection closing itself. */
  leftIdle(conn: H1Connection): void {
    this.#dropIdle(conn);
  }

  /** Deadlines: connect, response headers, idle. Called by the worker's sweep. */
  sweep(now: number): void {
    for (const c of this.all) {
      try {
        c.check(now);
      } catch (err) {
        c.crash(err);
      }
    }
  }

  /** Closes idle connections now and busy ones when their response ends. */
  close(): void {
    this.closed = true;
    for (const c of this.idle.splice(0)) c.destroy();
    for (const [, h] of this.queue.splice(0)) h.onResponseError(upstreamError('upstream pool closed', 'UND_ERR_CLOSED'));
    if (this.all.size === 0) return;
  }
}
