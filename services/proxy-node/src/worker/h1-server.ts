/**
 * The plain-HTTP/1.1 listener, without node:http's server objects: a
 * `net.Server` whose sockets are read by node's native llhttp directly
 * (`parser.consume`, as node:http itself does; h1-conn.ts), one small
 * request object and one response object per request (the subset of
 * IncomingMessage / ServerResponse the proxy handler uses; h1-messages.ts),
 * the response head rendered into one string and sent with the body in one
 * write. No stream, event emitter, timer or nextTick per request: one sweep
 * per listener checks header and keep-alive deadlines.
 *
 * Behaviour kept from node:http: the same parser and strictness (no lenient
 * flags), 400 / 431 / 413 (chunk extensions) / 408 (header timeout) with
 * `Connection: close`, pipelined requests answered in order, HTTP/1.0 and
 * `Connection: close` honoured, `Expect: 100-continue` answered, `Date`
 * added when the response has none, request bodies streamed with
 * backpressure, Upgrade handed over with the bytes already read.
 *
 * Stricter than node:http (as nginx; h1-head-checks.ts): Transfer-Encoding
 * on HTTP/1.0 is a 400 (RFC 9112 6.1), any transfer coding but `chunked` a
 * 501, HTTP/0.9 a 400, a `Connection` header naming Content-Length,
 * Transfer-Encoding, Host or a header the proxy sets a 400; only WebSocket
 * upgrades (and CONNECT, refused by the upgrade handler) leave the parser,
 * any other Upgrade (h2c) is served as a plain request; a request body that
 * stalls for the body timeout gets 408 (nginx client_body_timeout: time
 * between two reads of the body); at most MAX_PIPELINE requests are read
 * ahead of the one being answered, and they are started in a loop, not by
 * recursion. Every parser, socket and timer callback is guarded: an
 * exception closes that connection, never the worker.
 */
import net from 'node:net';
import { H1Conn } from './h1-conn.ts';
import type { H1Request, H1Response } from './h1-messages.ts';

export { H1Request, H1Response, type BodyWatcher } from './h1-messages.ts';
export { H1Conn, MAX_PIPELINE } from './h1-conn.ts';

export interface H1ServerOptions {
  maxHeaderSize: number;
  headersTimeoutMs: number;
  /** Longest pause between two reads of a request body: past it 408 (nginx `client_body_timeout`). Default: headersTimeoutMs. */
  bodyTimeoutMs?: number;
  keepAliveTimeoutMs: number;
  onRequest(req: H1Request, res: H1Response): void;
  /** Upgrade request: the socket is the handler's from now on; `head` holds bytes read past the headers. */
  onUpgrade(req: H1Request, socket: net.Socket, head: Buffer): void;
}

export class H1Server {
  readonly server: net.Server;
  readonly opts: H1ServerOptions;
  readonly bodyTimeoutMs: number;
  readonly conns = new Set<H1Conn>();
  /** Checks each connection's timeouts; runs only while there are connections (an idle worker is not woken for it). */
  #sweep: NodeJS.Timeout | undefined;
  readonly #sweepMs: number;
  #closed = false;

  constructor(opts: H1ServerOptions) {
    this.opts = opts;
    this.bodyTimeoutMs = opts.bodyTimeoutMs ?? opts.headersTimeoutMs;
    this.server = net.createServer({ noDelay: true }, (socket) => this.#add(socket));
    // Header and body timeouts come at most a quarter of the timeout late (node:http checks on a similar interval).
    this.#sweepMs = Math.max(50, Math.min(1_000, Math.min(opts.headersTimeoutMs, this.bodyTimeoutMs) / 4));
  }

  /** Serves HTTP/1.x on a connection accepted elsewhere (TLS with ALPN http/1.1 or none). */
  adopt(socket: net.Socket): void {
    socket.setNoDelay(true);
    this.#add(socket);
  }

  #add(socket: net.Socket): void {
    this.conns.add(new H1Conn(this, socket));
    if (this.#sweep || this.#closed) return;
    this.#sweep = setInterval(() => {
      if (this.conns.size === 0) { clearInterval(this.#sweep); this.#sweep = undefined; return; }
      const now = performance.now();
      for (const c of this.conns) {
        try {
          c.check(now);
        } catch {
          c.socket.destroy(); // a bug on this connection's path must not stop the sweep or the worker
        }
      }
    }, this.#sweepMs);
    this.#sweep.unref();
  }

  /** Connections with no request in progress. */
  closeIdleConnections(): void {
    for (const c of this.conns) if (c.idle()) c.socket.destroy();
  }

  closeAllConnections(): void {
    for (const c of this.conns) c.socket.destroy();
  }

  /** Stops accepting; `cb` when every connection is gone. Idle ones are not closed here (see closeIdleConnections). */
  close(cb?: () => void): void {
    for (const c of this.conns) c.closing = true;
    this.#closed = true;
    if (this.#sweep) clearInterval(this.#sweep);
    this.server.close(() => cb?.());
  }
}
