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
 * socket's own (ECONNREFUSED, ECONNRESET, ...).
 */
import net from 'node:net';
import type { Readable } from 'node:stream';
import { HTTPParser, consumableHandle, setReading, type NativeParser, type OnHeadersComplete, type ParseError } from './native-http-parser.ts';

export interface UpstreamError extends Error { code: string }

/** What a request's owner gets back. A handler is attached to at most one connection at a time (`upstream`). */
export interface ResponseHandler {
  /** Set by the pool while a connection carries this request; cleared when it ends. */
  upstream: H1Connection | undefined;
  /** Final response head (1xx are skipped). `headers` is the raw flat [name, value, ...] list. */
  onResponseHead(status: number, statusText: string, headers: string[], keepAlive: boolean): void;
  onResponseData(chunk: Buffer): void;
  onResponseEnd(): void;
  onResponseError(err: UpstreamError): void;
}

export interface UpstreamRequest {
  method: string;
  /** Request line: `GET /path HTTP/1.1\r\n` followed by header lines `name: value\r\n`, without the final blank line. */
  head: string;
  body: Readable | null;
  /** Declared body length; -1 = unknown, the body is sent chunked (the head must then carry `transfer-encoding: chunked`). */
  bodyLength: number;
  headersTimeoutMs: number;
}

export interface H1PoolOptions {
  connections: number;
  connectTimeoutMs: number;
  idleTimeoutMs: number;
  /** Called when the pool opens a connection (its deadlines need sweeping from then on). */
  onConnection?: () => void;
}

const enum_ = { connecting: 0, idle: 1, busy: 2, closed: 3 } as const;

function upstreamError(message: string, code: string): UpstreamError {
  const e = new Error(message) as UpstreamError;
  e.code = code;
  return e;
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
    const conn = this.idle.pop() ?? (this.all.size < this.opts.connections ? new H1Connection(this) : undefined);
    if (conn === undefined) this.queue.push([req, handler]);
    else conn.send(req, handler);
  }

  /** Drops a request still waiting for a connection. */
  cancel(handler: ResponseHandler): boolean {
    const i = this.queue.findIndex((q) => q[1] === handler);
    if (i < 0) return false;
    this.queue.splice(i, 1);
    return true;
  }

  released(conn: H1Connection): void {
    const next = this.queue.shift();
    if (next !== undefined) return conn.send(next[0], next[1]);
    if (this.closed || conn.idleLimitMs === 0) return conn.destroy();
    conn.idleSince = performance.now();
    this.idle.push(conn);
  }

  removed(conn: H1Connection): void {
    this.all.delete(conn);
    const i = this.idle.lastIndexOf(conn);
    if (i >= 0) this.idle.splice(i, 1);
    if (this.queue.length > 0 && !this.closed && this.all.size < this.opts.connections) {
      const [req, handler] = this.queue.shift()!;
      new H1Connection(this).send(req, handler);
    }
  }

  /** Deadlines: connect, response headers, idle. Called by the worker's sweep. */
  sweep(now: number): void {
    for (const c of this.all) c.check(now);
  }

  /** Closes idle connections now and busy ones when their response ends. */
  close(): void {
    this.closed = true;
    for (const c of this.idle.splice(0)) c.destroy();
    for (const [, h] of this.queue.splice(0)) h.onResponseError(upstreamError('upstream pool closed', 'UND_ERR_CLOSED'));
    if (this.all.size === 0) return;
  }
}

/** One upstream TCP connection and the request it carries. */
export class H1Connection {
  readonly pool: H1Pool;
  readonly socket: net.Socket;
  readonly parser: NativeParser;
  state: number = enum_.connecting;
  handler: ResponseHandler | undefined;
  /** The connection already carried a response: a reset before this one's head may be a stale keep-alive. */
  reused = false;
  createdAt = performance.now();
  sentAt = 0;
  idleSince = 0;
  /** Idle time after which this connection is closed: the pool's, or less when the server announced `Keep-Alive: timeout=N`. */
  idleLimitMs: number;
  headersTimeoutMs = 0;
  gotHead = false;
  skipBody = false;
  keepAlive = true;
  status = 0;
  consumed = false;
  paused = false;
  partial: string[] = [];
  body: Readable | null = null;

  constructor(pool: H1Pool) {
    this.pool = pool;
    this.idleLimitMs = pool.opts.idleTimeoutMs;
    pool.all.add(this);
    pool.opts.onConnection?.();
    const socket = this.socket = net.connect({ host: pool.host, port: pool.port, noDelay: true });
    const parser = this.parser = new HTTPParser();
    parser.initialize(HTTPParser.RESPONSE, {}, 0, 0);
    parser[HTTPParser.kOnHeaders] = (headers: string[]) => { for (const h of headers) this.partial.push(h); };
    parser[HTTPParser.kOnHeadersComplete] = this.#onHead;
    parser[HTTPParser.kOnBody] = (b: Buffer) => { if (this.handler !== undefined && this.status >= 200) this.handler.onResponseData(b); };
    parser[HTTPParser.kOnMessageComplete] = this.#onMessageComplete;
    parser[HTTPParser.kOnExecute] = (ret: number | ParseError) => { if (typeof ret !== 'number') this.#parseError(ret); };
    socket.once('connect', () => {
      if (this.state === enum_.connecting) this.state = this.handler ? enum_.busy : enum_.idle;
      const handle = consumableHandle(socket as never);
      if (handle !== undefined) {
        parser.consume(handle);
        this.consumed = true;
      }
    });
    socket.on('data', (d: Buffer) => {
      // Only when the handle could not be consumed.
      const r = parser.execute(d);
      if (typeof r !== 'number') this.#parseError(r);
    });
    socket.on('end', () => {
      const r = parser.finish();
      if (r !== undefined && typeof r !== 'number') this.#parseError(r);
      else this.destroy();
    });
    socket.on('error', (err: Error & { code?: string }) => this.#fail(upstreamError(err.message, err.code ?? 'UND_ERR_SOCKET')));
    socket.on('close', () => {
      this.#fail(upstreamError('upstream closed the connection', 'UND_ERR_SOCKET'));
      this.state = enum_.closed;
      if (this.consumed) { this.consumed = false; parser.unconsume(); }
      parser.remove();
      parser.free();
      this.pool.removed(this);
    });
  }

  send(req: UpstreamRequest, handler: ResponseHandler): void {
    this.handler = handler;
    handler.upstream = this;
    if (this.state !== enum_.connecting) this.state = enum_.busy;
    this.sentAt = performance.now();
    this.headersTimeoutMs = req.headersTimeoutMs;
    this.gotHead = false;
    this.status = 0;
    this.skipBody = req.method === 'HEAD';
    this.partial.length = 0;
    const socket = this.socket;
    if (req.body === null) {
      socket.write(req.head + '\r\n', 'latin1');
      return;
    }
    socket.write(req.head + '\r\n', 'latin1');
    this.#streamBody(req.body, req.bodyLength);
  }

  /** Request body with backpressure both ways; chunked when the length is unknown. */
  #streamBody(body: Readable, length: number): void {
    this.body = body;
    const socket = this.socket;
    const chunked = length < 0;
    let sent = 0;
    const onData = (chunk: Buffer) => {
      sent += chunk.length;
      const ok = chunked ? (socket.write(`${chunk.length.toString(16)}\r\n`), socket.write(chunk), socket.write('\r\n')) : socket.write(chunk);
      if (!ok) body.pause();
    };
    const onDrain = () => body.resume();
    const cleanup = () => {
      body.off('data', onData);
      body.off('end', onEnd);
      body.off('close', onClose);
      socket.off('drain', onDrain);
      if (this.body === body) this.body = null;
    };
    const onEnd = () => {
      cleanup();
      if (chunked) socket.write('0\r\n\r\n');
      else if (sent !== length) this.#fail(upstreamError('request body length does not match Content-Length', 'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH'), true);
    };
    const onClose = () => {
      // The client went away before its body ended: the upstream request cannot be completed.
      cleanup();
      this.#fail(upstreamError('request body ended early', 'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH'), true);
    };
    body.on('data', onData);
    body.once('end', onEnd);
    body.once('close', onClose);
    socket.on('drain', onDrain);
    if (body.isPaused()) body.resume();
  }

  #onHead: OnHeadersComplete = (_maj, _min, headers, _method, _url, statusCode, statusMessage, upgrade, shouldKeepAlive) => {
    const h = this.handler;
    if (headers === undefined) { headers = this.partial; this.partial = []; }
    this.status = statusCode;
    if (statusCode < 200) return upgrade ? 2 : 0; // 1xx: the final response follows
    this.gotHead = true;
    this.keepAlive = shouldKeepAlive;
    for (let i = 0; i < headers.length; i += 2) {
      // The server's own idle timeout (node:http sends 5 s): stop reusing the connection 1 s before it,
      // so a request never races the server closing it (undici does the same).
      if (headers[i]!.length === 10 && headers[i]!.toLowerCase() === 'keep-alive') {
        const m = /timeout=(\d+)/i.exec(headers[i + 1]!);
        if (m) this.idleLimitMs = Math.min(this.pool.opts.idleTimeoutMs, Math.max(0, Number(m[1]) * 1000 - 1000));
      }
    }
    h?.onResponseHead(statusCode, statusMessage, headers, shouldKeepAlive);
    return this.skipBody ? 1 : 0;
  };

  #onMessageComplete = (): void => {
    if (this.status < 200) return; // end of a 1xx
    const h = this.handler;
    this.#detach();
    this.reused = true;
    const reusable = this.keepAlive && this.body === null && this.state !== enum_.closed;
    if (!reusable) this.destroy();
    h?.onResponseEnd();
    if (reusable) {
      this.state = enum_.idle;
      this.pool.released(this);
    }
  };

  #detach(): void {
    const h = this.handler;
    if (h !== undefined) h.upstream = undefined;
    this.handler = undefined;
    if (this.paused) this.resume();
  }

  #parseError(err: ParseError): void {
    this.#fail(upstreamError(`invalid response from upstream (${err.code})`, 'UND_ERR_SOCKET'), true);
  }

  /** Ends the current request with `err` and closes the connection. */
  #fail(err: UpstreamError, destroy = false): void {
    const h = this.handler;
    if (h !== undefined) {
      this.#detach();
      h.onResponseError(err);
    }
    if (destroy) this.destroy();
  }

  /** The request's owner gave up (client gone): the connection cannot be reused mid-exchange. */
  abort(err: UpstreamError): void {
    this.#fail(err, true);
  }

  /** Backpressure from the client: stop reading the upstream socket. */
  pause(): void {
    if (this.paused) return;
    this.paused = true;
    setReading(this.socket, this.consumed, false);
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    setReading(this.socket, this.consumed, true);
  }

  check(now: number): void {
    const o = this.pool.opts;
    if (this.state === enum_.connecting) {
      if (now - this.createdAt > o.connectTimeoutMs) {
        this.#fail(upstreamError(`connect timeout after ${o.connectTimeoutMs} ms`, 'UND_ERR_CONNECT_TIMEOUT'), true);
        this.destroy();
      }
    } else if (this.state === enum_.busy) {
      if (!this.gotHead && this.handler !== undefined && now - this.sentAt > this.headersTimeoutMs) {
        this.#fail(upstreamError(`no response headers within ${this.headersTimeoutMs} ms`, 'UND_ERR_HEADERS_TIMEOUT'), true);
      }
    } else if (this.state === enum_.idle && now - this.idleSince > this.idleLimitMs) {
      this.destroy();
    }
  }

  destroy(): void {
    if (this.state === enum_.closed) return;
    if (this.state === enum_.idle) {
      const i = this.pool.idle.lastIndexOf(this);
      if (i >= 0) this.pool.idle.splice(i, 1);
    }
    this.state = enum_.closed;
    this.socket.destroy();
  }
}
