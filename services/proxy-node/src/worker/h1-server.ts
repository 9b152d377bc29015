/**
 * The plain-HTTP/1.1 listener, without node:http's server objects: a
 * `net.Server` whose sockets are read by node's native llhttp directly
 * (`parser.consume`, as node:http itself does), one small request object and
 * one response object per request (the subset of IncomingMessage /
 * ServerResponse the proxy handler uses), the response head rendered into
 * one string and sent with the body in one write. No stream, event emitter,
 * timer or nextTick per request: one sweep per listener checks header and
 * keep-alive deadlines.
 *
 * Behaviour kept from node:http: the same parser and strictness (no lenient
 * flags), 400 / 431 / 413 (chunk extensions) / 408 (header timeout) with
 * `Connection: close`, pipelined requests answered in order, HTTP/1.0 and
 * `Connection: close` honoured, `Expect: 100-continue` answered, `Date`
 * added when the response has none, request bodies streamed with
 * backpressure, Upgrade handed over with the bytes already read.
 *
 * Stricter than node:http (as nginx): Transfer-Encoding on HTTP/1.0 is a 400
 * (RFC 9112 6.1); only WebSocket upgrades (and CONNECT, refused by the
 * upgrade handler) leave the parser, any other Upgrade (h2c) is served as a
 * plain request; a request body that stalls for the body timeout gets 408
 * (nginx client_body_timeout: time between two reads of the body).
 */
import net from 'node:net';
import { Readable } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { STATUS_CODES, type IncomingHttpHeaders } from 'node:http';
import { HTTPParser, METHODS, consumableHandle, setReading, type NativeParser, type ParseError } from '@meshgate/upstream';

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

/** Duplicate request headers: these keep the first value (as node:http does); the rest are joined. */
const SINGLE = new Set(['content-type', 'content-length', 'user-agent', 'referer', 'host', 'authorization', 'proxy-authorization',
  'if-modified-since', 'if-unmodified-since', 'from', 'location', 'max-forwards', 'retry-after', 'etag', 'last-modified', 'server', 'age', 'expires']);

type Headers = IncomingHttpHeaders;
/** More header fields than this: 431 (Envoy's limit; node:http's size accounting refused the corpus' 1,000 small headers too). */
const MAX_HEADERS = 100;
type HeaderBag = Record<string, string | string[] | undefined>;

function headersObject(raw: readonly string[]): Headers {
  const h = { __proto__: null } as unknown as HeaderBag;
  for (let i = 0; i < raw.length; i += 2) {
    const k = raw[i]!.toLowerCase();
    const v = raw[i + 1]!;
    const prev = h[k];
    if (prev === undefined) h[k] = k === 'set-cookie' ? [v] : v;
    else if (k === 'set-cookie') (prev as string[]).push(v);
    else if (SINGLE.has(k)) continue;
    else h[k] = `${prev as string}${k === 'cookie' ? '; ' : ', '}${v}`;
  }
  return h as Headers;
}

let dateLine = '';
let dateAt = 0;
function date(): string {
  const now = Date.now();
  if (now - dateAt >= 1000) {
    dateAt = now - (now % 1000);
    dateLine = `date: ${new Date(dateAt).toUTCString()}\r\n`;
  }
  return dateLine;
}

import type { BodyWatcher } from './pipeline/downstream.ts';

/** One request, shaped like the IncomingMessage fields the proxy reads. */
export class H1Request {
  readonly method: string;
  readonly url: string;
  readonly headers: Headers;
  readonly rawHeaders: string[];
  readonly httpVersion: string;
  readonly httpVersionMajor = 1;
  readonly httpVersionMinor: number;
  readonly socket: net.Socket;
  readonly shouldKeepAlive: boolean;
  /** The request body as a stream; null when the request has none. */
  body: Readable | null = null;
  /** The parser reached the end of this request. */
  complete = false;
  /**
   * Set by whoever answers this request (the proxy handler) while its body is
   * read, told when the body stalls past the body timeout: it answers 408 and
   * aborts its upstream request; the connection is closed after that answer.
   */
  bodyWatcher: BodyWatcher | undefined = undefined;

  constructor(socket: net.Socket, method: string, url: string, raw: string[], minor: number, keepAlive: boolean) {
    this.socket = socket;
    this.method = method;
    this.url = url;
    this.rawHeaders = raw;
    this.headers = headersObject(raw);
    this.httpVersionMinor = minor;
    this.httpVersion = minor === 1 ? '1.1' : `1.${minor}`;
    this.shouldKeepAlive = keepAlive;
  }

  get readableEnded(): boolean { return this.complete && (this.body === null || this.body.readableEnded); }

  get encrypted(): boolean { return (this.socket as { encrypted?: boolean }).encrypted === true; }

  get tlsSocket(): TLSSocket | undefined { return this.encrypted ? this.socket as TLSSocket : undefined; }

  get remoteAddress(): string { return this.socket.remoteAddress ?? ''; }

  /** H1Server times the body itself (H1Conn.check) and tells the watcher. */
  watchBody(watcher: BodyWatcher): void { this.bodyWatcher = watcher; }
}

/** One response, shaped like the ServerResponse calls the proxy makes. */
export class H1Response {
  readonly conn: H1Conn;
  readonly req: H1Request;
  shouldKeepAlive: boolean;
  headersSent = false;
  writableFinished = false;
  #head = '';
  #flushed = false;
  #chunked = false;
  #noBody = false;
  closeCb: (() => void) | undefined;
  drainCb: (() => void) | undefined;

  constructor(conn: H1Conn, req: H1Request) {
    this.conn = conn;
    this.req = req;
    this.shouldKeepAlive = req.shouldKeepAlive;
  }

  once(event: 'close' | 'drain', fn: () => void): this {
    if (event === 'close') this.closeCb = fn;
    else this.drainCb = fn;
    return this;
  }

  /** `headers`: a flat [name, value, ...] list of lower-case names, or an object. */
  writeHead(status: number, headers: readonly string[] | Record<string, string | number>): this {
    let head = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Unknown'}\r\n`;
    let length = false;
    let hasDate = false;
    if (Array.isArray(headers)) {
      for (let i = 0; i < headers.length; i += 2) {
        const k = headers[i]!;
        if (k === 'content-length') length = true;
        else if (k === 'date') hasDate = true;
        head += `${k}: ${headers[i + 1]}\r\n`;
      }
    } else {
      for (const k in headers) {
        if (k === 'content-length') length = true;
        head += `${k}: ${(headers as Record<string, string | number>)[k]}\r\n`;
      }
    }
    if (!hasDate) head += date();
    this.#noBody = this.req.method === 'HEAD' || status === 204 || status === 304 || status < 200;
    if (!length && !this.#noBody) {
      // No length: chunked for HTTP/1.1, delimited by close for HTTP/1.0.
      if (this.req.httpVersionMinor >= 1) {
        this.#chunked = true;
        head += 'transfer-encoding: chunked\r\n';
      } else this.shouldKeepAlive = false;
    }
    if (!this.shouldKeepAlive || this.conn.closing) {
      this.shouldKeepAlive = false;
      head += 'connection: close\r\n';
    } else if (this.req.httpVersionMinor === 0) head += 'connection: keep-alive\r\n';
    this.#head = head + '\r\n';
    this.headersSent = true;
    return this;
  }

  write(chunk: Buffer): boolean {
    const s = this.conn.socket;
    if (s.destroyed) return true;
    if (this.#chunked) {
      if (chunk.length === 0) return true;
      s.cork();
      this.#flushHead();
      s.write(`${chunk.length.toString(16)}\r\n`, 'latin1');
      s.write(chunk);
      const ok = s.write('\r\n', 'latin1');
      s.uncork();
      return ok;
    }
    if (!this.#flushed) {
      this.#flushed = true;
      if (chunk.length <= 16_384) return s.write(this.#head + chunk.toString('latin1'), 'latin1');
      s.cork();
      s.write(this.#head, 'latin1');
      const ok = s.write(chunk);
      s.uncork();
      return ok;
    }
    return s.write(chunk);
  }

  #flushHead(): void {
    if (this.#flushed) return;
    this.#flushed = true;
    this.conn.socket.write(this.#head, 'latin1');
  }

  end(chunk?: Buffer | string): void {
    if (this.writableFinished) return;
    const s = this.conn.socket;
    if (!s.destroyed) {
      if (typeof chunk === 'string') chunk = Buffer.from(chunk);
      if (this.#noBody) chunk = undefined;
      if (this.#chunked) {
        if (chunk !== undefined && chunk.length > 0) {
          s.cork();
          this.write(chunk);
          s.write('0\r\n\r\n', 'latin1');
          s.uncork();
        } else if (!this.#flushed) {
          this.#flushed = true;
          s.write(`${this.#head}0\r\n\r\n`, 'latin1');
        } else s.write('0\r\n\r\n', 'latin1');
      } else if (chunk !== undefined && chunk.length > 0) this.write(chunk);
      else this.#flushHead();
    }
    this.writableFinished = true;
    this.conn.finished(this);
  }

  destroy(): void {
    this.conn.socket.destroy();
  }
}

const METHOD_CONNECT = METHODS.indexOf('CONNECT');

/** `Upgrade: websocket` (the only protocol tunnelled; RFC 6455 4.1, token case-insensitive). */
function isWebSocket(upgrade: string | undefined): boolean {
  return upgrade !== undefined && upgrade.trim().toLowerCase() === 'websocket';
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
      for (const c of this.conns) c.check(now);
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

/** One client connection: its parser, the request being answered and those pipelined behind it. */
export class H1Conn {
  readonly owner: H1Server;
  readonly socket: net.Socket;
  readonly parser: NativeParser;
  /** The request whose bytes the parser is reading (its body may still come). */
  incoming: H1Request | undefined;
  /** The response being answered. */
  active: H1Response | undefined;
  /** Pipelined requests waiting for `active` to finish. */
  readonly waiting: H1Request[] = [];
  /** Start of the request head being read (0: none). */
  headStart: number;
  /** A byte of a request arrived on this connection. */
  begun = false;
  idleSince = 0;
  closing = false;
  consumed = false;
  paused = false;
  partial: string[] = [];
  pendingError = 0;
  /** Body chunks parsed on this connection; the sweep compares it with `bodyReadsSeen` (no timer or clock read per chunk). */
  bodyReads = 0;
  /** `bodyReads` at the last sweep; -1: a new body started, its clock starts at the next sweep. */
  bodyReadsSeen = -1;
  /** When the sweep last saw the body progress (or reading resume). */
  bodyAt = 0;
  /** A non-WebSocket Upgrade request is being served as a plain one: llhttp stops after it, the rest of the read must be fed again. */
  plainUpgrade = false;

  constructor(owner: H1Server, socket: net.Socket) {
    this.owner = owner;
    this.socket = socket;
    this.headStart = performance.now();
    const p = this.parser = new HTTPParser();
    p.initialize(HTTPParser.REQUEST, {}, owner.opts.maxHeaderSize, 0);
    p[HTTPParser.kOnMessageBegin] = () => { this.headStart = performance.now(); this.begun = true; };
    p[HTTPParser.kOnHeaders] = (headers: string[], url: string) => {
      for (const h of headers) this.partial.push(h);
      this.partialUrl += url;
    };
    p[HTTPParser.kOnHeadersComplete] = this.#onHead;
    p[HTTPParser.kOnBody] = (b: Buffer) => {
      this.bodyReads++;
      const body = this.incoming?.body;
      if (body && !body.push(b)) this.pause();
    };
    p[HTTPParser.kOnMessageComplete] = () => {
      const req = this.incoming;
      if (req === undefined) return;
      this.incoming = undefined;
      req.complete = true;
      req.body?.push(null);
    };
    p[HTTPParser.kOnExecute] = (ret: number | ParseError) => this.#afterExecute(ret);
    const handle = consumableHandle(socket as never);
    if (handle !== undefined) {
      p.consume(handle);
      this.consumed = true;
      // Flowing, so the end of the stream still reaches 'end' (reads go to the parser, not to 'data').
      socket.resume();
    } else {
      socket.on('data', this.#onData);
    }
    socket.on('drain', this.#onDrain);
    socket.on('error', this.#onError);
    socket.on('end', this.#onEnd);
    socket.on('close', this.#onSocketClose);
  }

  #onDrain = (): void => { this.active?.drainCb?.(); };
  #onError = (): void => { this.socket.destroy(); };
  #onEnd = (): void => {
    // The client is done sending; answer what is in flight, then close.
    this.closing = true;
    if (this.idle()) this.socket.destroy();
  };
  #onSocketClose = (): void => { this.#onClose(); };

  partialUrl = '';

  #onData = (d: Buffer): void => {
    this.#afterExecute(this.parser.execute(d), d);
  };

  /**
   * After each read: requests parsed from it start here, not in the middle of
   * parsing, so a request whose bytes turn out malformed further on (a bad
   * chunk, a bad Transfer-Encoding) never reaches a backend.
   */
  #afterExecute(ret: number | ParseError, d?: Buffer): void {
    if (typeof ret !== 'number') return this.#parseError(ret);
    if (this.upgrade !== undefined) return this.#handOver(ret, d);
    if (this.plainUpgrade) return this.#continueAfterUpgrade(ret, d);
    if (this.active === undefined && this.waiting.length > 0) this.#start(this.waiting.shift()!);
  }

  /**
   * llhttp pauses after any request with Upgrade (it cannot know we will not
   * switch protocols): once that request is complete, parse what followed it
   * in the same read as HTTP again.
   */
  #continueAfterUpgrade(parsed: number, d: Buffer | undefined): void {
    if (this.incoming !== undefined) return this.#afterExecuteDone(); // its body is still coming: not paused yet
    this.plainUpgrade = false;
    const buf = this.consumed ? this.parser.getCurrentBuffer() : d;
    const rest = buf !== undefined && parsed < buf.length ? buf.subarray(parsed) : undefined;
    this.#afterExecuteDone();
    if (rest !== undefined && !this.socket.destroyed) this.#afterExecute(this.parser.execute(rest), rest);
  }

  #afterExecuteDone(): void {
    if (this.active === undefined && this.waiting.length > 0) this.#start(this.waiting.shift()!);
  }

  upgrade: H1Request | undefined;

  #onHead = (_maj: number, minor: number, headers: string[] | undefined, method: number, url: string | undefined,
    _status: number, _msg: string, upgrade: boolean, keepAlive: boolean): number => {
    if (headers === undefined) { headers = this.partial; this.partial = []; }
    if (url === undefined) { url = this.partialUrl; this.partialUrl = ''; }
    this.headStart = 0;
    if (this.pendingError !== 0) return 0; // the connection is being refused: nothing after the error is served
    if (headers.length > 2 * MAX_HEADERS) {
      this.#parseError({ code: 'HPE_HEADER_OVERFLOW' } as ParseError);
      return 0;
    }
    const req = new H1Request(this.socket, METHODS[method] ?? 'GET', url, headers, minor, keepAlive && !this.closing);
    if (minor >= 1 && req.headers.host === undefined) {
      // RFC 9112 3.2: an HTTP/1.1 request without Host is refused (node:http's requireHostHeader).
      this.#parseError({ code: 'MESHGATE_NO_HOST' } as ParseError);
      return 0;
    }
    if (upgrade) {
      // Only WebSocket is tunnelled (and CONNECT reaches the upgrade handler to be refused). Any other
      // Upgrade, h2c above all, is a plain request: a backend answering 101 must not get a raw tunnel
      // past routing (h2c smuggling). The proxy handler strips Upgrade and HTTP2-Settings.
      if (method === METHOD_CONNECT || isWebSocket(req.headers.upgrade)) {
        this.upgrade = req;
        return 2;
      }
      this.plainUpgrade = true;
    }
    const h = req.headers;
    const cl = h['content-length'];
    const te = h['transfer-encoding'];
    if ((cl !== undefined && cl !== '0') || te !== undefined) {
      if (te !== undefined && minor === 0) {
        // RFC 9112 6.1: Transfer-Encoding in HTTP/1.0 is faulty framing (nginx refuses it since 1.21.1).
        this.#parseError({ code: 'MESHGATE_TE_HTTP10' } as ParseError);
        return 0;
      }
      req.body = new Readable({ read: () => this.resume() });
      this.bodyReadsSeen = -1;
    }
    this.incoming = req;
    this.waiting.push(req);
    return 0;
  };

  #start(req: H1Request): void {
    const res = new H1Response(this, req);
    this.active = res;
    const expect = req.headers.expect;
    if (expect !== undefined) {
      if (typeof expect === 'string' && expect.toLowerCase() === '100-continue' && req.httpVersionMinor >= 1) {
        this.socket.write('HTTP/1.1 100 Continue\r\n\r\n', 'latin1');
      } else {
        res.shouldKeepAlive = false;
        res.writeHead(417, { 'content-length': 0 });
        return res.end();
      }
    }
    this.owner.opts.onRequest(req, res);
  }

  /** The active response ended: close, or answer the next pipelined request. */
  finished(res: H1Response): void {
    if (this.active !== res) return;
    this.active = undefined;
    const body = res.req.body;
    if (body !== null && !res.req.complete) {
      // Answered before its body was read (an early error, an upstream that did not wait): discard the rest.
      body.resume();
      this.resume();
    }
    if (!res.shouldKeepAlive || this.socket.destroyed) {
      this.closing = true;
      (this.socket as net.Socket & { destroySoon(): void }).destroySoon();
      return;
    }
    const next = this.waiting.shift();
    if (next !== undefined) return this.#start(next);
    if (this.pendingError !== 0) return this.#refuse(this.pendingError);
    if (this.closing) return (this.socket as net.Socket & { destroySoon(): void }).destroySoon();
    this.idleSince = performance.now();
    // A request body left unread (the answer came first) must not block the next request.
    if (this.paused && this.incoming === undefined) this.resume();
  }

  /** No request in progress (a connection that never sent a byte counts as idle). */
  idle(): boolean {
    return this.active === undefined && this.incoming === undefined && this.waiting.length === 0 && (this.headStart === 0 || !this.begun);
  }

  #parseError(err: ParseError): void {
    const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'HPE_CHUNK_EXTENSIONS_OVERFLOW' ? 413 : 400;
    const broken = this.incoming;
    this.incoming = undefined;
    if (broken !== undefined) {
      const i = this.waiting.indexOf(broken);
      if (i >= 0) this.waiting.splice(i, 1);
      // Its upstream side (if it started) sees the body end early and gives up.
      broken.body?.destroy();
    }
    // Requests complete before the malformed one are answered first, then the error (as nginx does).
    this.pendingError = status;
    this.pause();
    if (this.active !== undefined) return;
    const next = this.waiting.shift();
    if (next !== undefined) this.#start(next);
    else this.#refuse(status);
  }

  #refuse(status: number): void {
    this.closing = true;
    const s = this.socket;
    if (!s.destroyed && s.writable) s.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`, 'latin1');
    (s as net.Socket & { destroySoon(): void }).destroySoon();
  }

  /** Upgrade: detach the parser and give the socket, with the bytes past the head, to the upgrade handler. */
  #handOver(parsed: number, d: Buffer | undefined): void {
    const req = this.upgrade!;
    this.upgrade = undefined;
    let head: Buffer;
    if (this.consumed) {
      head = this.parser.getCurrentBuffer().subarray(parsed);
      this.consumed = false;
      this.parser.unconsume();
      this.socket.pause();
    } else {
      head = d ? d.subarray(parsed) : Buffer.alloc(0);
      this.socket.off('data', this.#onData);
    }
    this.owner.conns.delete(this);
    this.#freeParser();
    // Only ours: TLS and the data plane keep their own listeners on the socket.
    this.socket.off('drain', this.#onDrain);
    this.socket.off('error', this.#onError);
    this.socket.off('end', this.#onEnd);
    this.socket.off('close', this.#onSocketClose);
    this.owner.opts.onUpgrade(req, this.socket, head);
  }

  #freeParser(): void {
    const p = this.parser;
    p.remove();
    p.free();
  }

  pause(): void {
    if (this.paused) return;
    this.paused = true;
    setReading(this.socket, this.consumed, false);
  }

  resume(): void {
    if (!this.paused || this.pendingError !== 0) return;
    this.paused = false;
    setReading(this.socket, this.consumed, true);
  }

  check(now: number): void {
    const o = this.owner.opts;
    const incoming = this.incoming;
    if (this.headStart !== 0 && now - this.headStart > o.headersTimeoutMs) {
      this.headStart = 0;
      if (this.active === undefined) this.#refuse(408);
      else this.pendingError = 408;
    } else if (incoming !== undefined && incoming.body !== null) {
      // A body being read (or discarded after its answer): its clock stops while an earlier pipelined
      // request is served (nginx reads a body only when it serves its request; the client may be
      // waiting for its 100 Continue) and while we do not read (paused = backpressure from the upstream).
      const behind = this.active !== undefined && this.active.req !== incoming;
      if (this.paused || behind || this.bodyReads !== this.bodyReadsSeen) {
        this.bodyReadsSeen = this.bodyReads;
        this.bodyAt = now;
      } else if (now - this.bodyAt > this.owner.bodyTimeoutMs) this.#bodyTimeout(incoming);
    } else if (this.idleSince !== 0 && this.idle() && now - this.idleSince > o.keepAliveTimeoutMs) {
      this.socket.destroy();
    }
  }

  /**
   * The request body stalled: 408 and close (nginx `client_body_timeout`).
   * The request's handler answers if it is being served (and aborts its
   * upstream request, so the backend does not hold a half-received request);
   * otherwise the 408 follows the responses in flight. A request answered
   * before its body ended (the rest being discarded) just gets a close.
   */
  #bodyTimeout(req: H1Request): void {
    this.incoming = undefined;
    const i = this.waiting.indexOf(req);
    if (i >= 0) this.waiting.splice(i, 1);
    else if (this.active?.req !== req) {
      // Answered already, the rest of its body was being discarded: nothing to say, close.
      req.body?.destroy();
      this.closing = true;
      this.socket.destroy();
      return;
    }
    this.pendingError = 408;
    this.pause();
    const watcher = req.bodyWatcher;
    req.bodyWatcher = undefined;
    if (this.active?.req === req && watcher !== undefined) watcher.onBodyTimeout();
    req.body?.destroy();
    if (this.active === undefined) this.#refuse(408);
  }

  #onClose(): void {
    this.owner.conns.delete(this);
    const req = this.incoming;
    if (req?.body && !req.complete) req.body.destroy();
    this.incoming = undefined;
    this.waiting.length = 0;
    const res = this.active;
    this.active = undefined;
    if (this.consumed) {
      this.consumed = false;
      this.parser.unconsume();
    }
    this.#freeParser();
    if (res !== undefined && !res.writableFinished) res.closeCb?.();
  }
}
