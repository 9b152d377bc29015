/**
 * One upstream HTTP/1.1 connection of an H1Pool (h1-pool.ts): a raw
 * `net.Socket` whose reads go straight into node's native llhttp, the
 * request it carries, and the guards that keep a hostile backend's bytes
 * away from every other request (see h1-pool.ts).
 */
import net from 'node:net';
import type { Readable } from 'node:stream';
import { HTTPParser, consumableHandle, setReading, type NativeParser, type OnHeadersComplete, type ParseError } from './native-http-parser.ts';
import type { H1Pool } from './h1-pool.ts';

export interface UpstreamError extends Error {
  code: string;
  /**
   * The connection had carried a response before and failed before any
   * byte of this one: most likely the server closed it while it was idle
   * (the keep-alive race), so the request may go again to the same endpoint.
   */
  stale?: boolean;
}

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

/** H1Connection.state values. */
export const ConnState = { connecting: 0, idle: 1, busy: 2, closed: 3 } as const;

export function upstreamError(message: string, code: string): UpstreamError {
  const e = new Error(message) as UpstreamError;
  e.code = code;
  return e;
}

/** One upstream TCP connection and the request it carries. */
export class H1Connection {
  readonly pool: H1Pool;
  readonly socket: net.Socket;
  readonly parser: NativeParser;
  state: number = ConnState.connecting;
  handler: ResponseHandler | undefined;
  /** The connection already carried a response: a reset before this one's head may be a stale keep-alive. */
  reused = false;
  /** In the pool's idle list (never twice). */
  inIdle = false;
  /** A byte of the response to the request in flight arrived. */
  responseBegun = false;
  /**
   * Its response ended in the read being parsed: the connection goes back to
   * the pool when that read is done, so bytes after the response in the
   * same read are stray (and close it), never the next request's response.
   */
  releaseAfterRead = false;
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
    parser[HTTPParser.kOnMessageBegin] = this.#onMessageBegin;
    parser[HTTPParser.kOnHeaders] = (headers: string[]) => { for (const h of headers) this.partial.push(h); };
    parser[HTTPParser.kOnHeadersComplete] = this.#onHead;
    parser[HTTPParser.kOnBody] = this.#onBody;
    parser[HTTPParser.kOnMessageComplete] = this.#onMessageComplete;
    parser[HTTPParser.kOnExecute] = this.#afterRead;
    socket.once('connect', this.#onConnect);
    socket.on('data', this.#onData);
    socket.on('end', this.#onEnd);
    socket.on('error', this.#onError);
    socket.on('close', this.#onClose);
  }

  #onConnect = (): void => {
    try {
      const handle = consumableHandle(this.socket as never);
      if (handle !== undefined) {
        this.parser.consume(handle);
        this.consumed = true;
      }
      if (this.state !== ConnState.connecting) return;
      if (this.handler !== undefined) this.state = ConnState.busy;
      else {
        this.state = ConnState.idle;
        this.pool.released(this);
      }
    } catch (err) {
      this.crash(err);
    }
  };

  /** Only when the handle could not be consumed: reads come here and are parsed in JS. */
  #onData = (d: Buffer): void => {
    try {
      this.#afterRead(this.parser.execute(d));
    } catch (err) {
      this.crash(err);
    }
  };

  #onEnd = (): void => {
    try {
      const r = this.parser.finish();
      if (r !== undefined && typeof r !== 'number') this.#parseError(r);
      else this.destroy();
    } catch (err) {
      this.crash(err);
    }
  };

  #onError = (err: Error & { code?: string }): void => {
    this.#fail(this.#socketError(err.message, err.code ?? 'UND_ERR_SOCKET'));
  };

  /** A socket error or close; `stale` when it ended a reused connection before any byte of the response. */
  #socketError(message: string, code: string): UpstreamError {
    const e = upstreamError(message, code);
    if (this.reused && !this.responseBegun) e.stale = true;
    return e;
  }

  #onClose = (): void => {
    try {
      this.#fail(this.#socketError('upstream closed the connection', 'UND_ERR_SOCKET'));
    } finally {
      this.state = ConnState.closed;
      this.pool.leftIdle(this);
      if (this.consumed) { this.consumed = false; this.parser.unconsume(); }
      this.parser.remove();
      this.parser.free();
      this.pool.removed(this);
    }
  };

  send(req: UpstreamRequest, handler: ResponseHandler): void {
    if (this.state === ConnState.closed) return handler.onResponseError(upstreamError('upstream connection closed', 'UND_ERR_SOCKET'));
    this.handler = handler;
    handler.upstream = this;
    if (this.state !== ConnState.connecting) this.state = ConnState.busy;
    this.sentAt = performance.now();
    this.headersTimeoutMs = req.headersTimeoutMs;
    this.gotHead = false;
    this.responseBegun = false;
    this.status = 0;
    this.skipBody = req.method === 'HEAD';
    this.partial.length = 0;
    this.socket.write(req.head + '\r\n', 'latin1');
    if (req.body !== null) this.#streamBody(req.body, req.bodyLength);
  }

  /** Request body with backpressure both ways; chunked when the length is unknown. */
  #streamBody(body: Readable, length: number): void {
    this.body = body;
    const socket = this.socket;
    const chunked = length < 0;
    let sent = 0;
    const onData = (chunk: Buffer) => {
      try {
        sent += chunk.length;
        const ok = chunked ? (socket.write(`${chunk.length.toString(16)}\r\n`), socket.write(chunk), socket.write('\r\n')) : socket.write(chunk);
        if (!ok) body.pause();
      } catch (err) {
        this.crash(err);
      }
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
      try {
        cleanup();
        if (chunked) socket.write('0\r\n\r\n');
        else if (sent !== length) this.#fail(upstreamError('request body length does not match Content-Length', 'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH'), true);
      } catch (err) {
        this.crash(err);
      }
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

  /** The first byte of a response: with no request in flight it is stray, and the connection cannot be trusted. */
  #onMessageBegin = (): void => {
    if (this.handler === undefined) this.destroy();
    else this.responseBegun = true;
  };

  #onHead: OnHeadersComplete = (_maj, _min, headers, _method, _url, statusCode, statusMessage, _upgrade, shouldKeepAlive) => {
    if (headers === undefined) { headers = this.partial; this.partial = []; }
    const h = this.handler;
    if (h === undefined || this.state === ConnState.closed) return 0; // stray: the connection is closing already
    try {
      if (statusCode < 100 || statusCode > 599 || statusCode === 101) {
        // No status a client could be given (node's HTTP/2 layer throws on them); and the pool never
        // asks to switch protocols (WebSocket goes through undici): an upstream error, not retried.
        const why = statusCode === 101 ? '101 Switching Protocols to a request that asked for no upgrade' : `status ${statusCode} is outside 100-599`;
        this.#fail(upstreamError(why, 'MESHGATE_BAD_RESPONSE'), true);
        return 0;
      }
      this.status = statusCode;
      if (statusCode < 200) return 0; // 1xx: the final response follows
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
      h.onResponseHead(statusCode, statusMessage, headers, shouldKeepAlive);
      return this.skipBody ? 1 : 0;
    } catch (err) {
      this.crash(err);
      return 0;
    }
  };

  #onBody = (b: Buffer): void => {
    const h = this.handler;
    if (h === undefined || this.status < 200) return;
    try {
      h.onResponseData(b);
    } catch (err) {
      this.crash(err);
    }
  };

  #onMessageComplete = (): void => {
    const h = this.handler;
    if (h === undefined || this.state === ConnState.closed || this.status < 200) return; // stray, failed, or the end of a 1xx
    this.#detach();
    this.reused = true;
    if (this.keepAlive && this.body === null) this.releaseAfterRead = true;
    else this.destroy();
    try {
      h.onResponseEnd();
    } catch (err) {
      this.crash(err);
    }
  };

  /** After each read (kOnExecute when the parser reads the socket itself; after execute() otherwise). */
  #afterRead = (ret: number | ParseError): void => {
    const release = this.releaseAfterRead;
    this.releaseAfterRead = false;
    try {
      if (typeof ret !== 'number') return this.#parseError(ret);
      if (this.state === ConnState.closed) return;
      if (release) {
        this.state = ConnState.idle;
        this.pool.released(this);
      } else if (this.handler === undefined) {
        // Bytes with no request in flight (even a lone CRLF, which the parser skips): close.
        this.destroy();
      }
    } catch (err) {
      this.crash(err);
    }
  };

  #detach(): void {
    const h = this.handler;
    if (h !== undefined) h.upstream = undefined;
    this.handler = undefined;
    if (this.paused) this.resume();
  }

  /**
   * A response the parser refused: an upstream error, not retried (nginx does not retry an
   * invalid header by default); an end of stream in the middle of a response is a closed socket.
   */
  #parseError(err: ParseError): void {
    if (err.code === 'HPE_INVALID_EOF_STATE') return this.#fail(this.#socketError('upstream closed the connection mid-response', 'UND_ERR_SOCKET'), true);
    this.#fail(upstreamError(`malformed response (${err.code})`, 'MESHGATE_BAD_RESPONSE'), true);
  }

  /** Ends the current request with `err` and (with `destroy`) closes the connection. */
  #fail(err: UpstreamError, destroy = false): void {
    const h = this.handler;
    try {
      if (h !== undefined) {
        this.#detach();
        h.onResponseError(err);
      }
    } catch {
      // The owner failed while being told of a failure: it answers for its own client (the proxy
      // handler guards its paths); this side only has to let go of the connection.
      destroy = true;
    } finally {
      if (destroy) this.destroy();
    }
  }

  /**
   * An exception on this connection's path (a bug, or the owner's callback
   * threw): its request fails, the connection closes, the worker goes on.
   */
  crash(err: unknown): void {
    const e = upstreamError(`internal error on the upstream connection: ${(err as Error)?.message ?? String(err)}`, 'MESHGATE_INTERNAL');
    (e as Error & { cause?: unknown }).cause = err;
    try {
      this.#fail(e, true);
    } catch {
      this.socket.destroy();
    }
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
    if (this.state === ConnState.connecting) {
      if (now - this.createdAt > o.connectTimeoutMs) {
        this.#fail(upstreamError(`connect timeout after ${o.connectTimeoutMs} ms`, 'UND_ERR_CONNECT_TIMEOUT'), true);
        this.destroy();
      }
    } else if (this.state === ConnState.busy) {
      if (!this.gotHead && this.handler !== undefined && now - this.sentAt > this.headersTimeoutMs) {
        this.#fail(upstreamError(`no response headers within ${this.headersTimeoutMs} ms`, 'UND_ERR_HEADERS_TIMEOUT'), true);
      }
    } else if (this.state === ConnState.idle && now - this.idleSince > this.idleLimitMs) {
      this.destroy();
    }
  }

  destroy(): void {
    if (this.state === ConnState.closed) return;
    this.state = ConnState.closed;
    this.releaseAfterRead = false;
    this.pool.leftIdle(this);
    this.socket.destroy();
  }
}
