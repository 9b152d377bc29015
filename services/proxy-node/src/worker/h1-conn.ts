/**
 * One HTTP/1.x client connection of H1Server (h1-server.ts): node's native
 * llhttp reads the socket (`parser.consume`), requests are answered one at
 * a time and in order, at most MAX_PIPELINE read ahead.
 */
import type net from 'node:net';
import { Readable } from 'node:stream';
import { STATUS_CODES } from 'node:http';
import { HPE_PAUSED, HTTPParser, METHODS, consumableHandle, setReading, type NativeParser, type ParseError } from '@meshgate/upstream';
import { H1Request, H1Response } from './h1-messages.ts';
import { MAX_HEADERS, headRefusal, isWebSocket, refusalStatus } from './h1-head-checks.ts';
import type { H1Server } from './h1-server.ts';

const METHOD_CONNECT = METHODS.indexOf('CONNECT');

/**
 * Pipelined requests read ahead of the one being answered. Past this many
 * the connection is not read until the queue drains to half of it (nginx
 * reads one request at a time); the parser stops right after the request
 * head that filled the queue and the rest of that read is kept.
 */
export const MAX_PIPELINE = 16;

type Closable = net.Socket & { destroySoon(): void };

/**
 * One client connection: its parser, the request being answered and those
 * pipelined behind it. Every callback the parser or the socket runs here is
 * guarded: an exception (a bug) ends this connection, never the worker.
 */
export class H1Conn {
  readonly owner: H1Server;
  readonly socket: net.Socket;
  readonly parser: NativeParser;
  /** The request whose bytes the parser is reading (its body may still come). */
  incoming: H1Request | undefined;
  /** The response being answered. */
  active: H1Response | undefined;
  /** Pipelined requests waiting for `active` to finish (at most MAX_PIPELINE). */
  readonly waiting: H1Request[] = [];
  /** Start of the request head being read (0: none). */
  headStart: number;
  /** A byte of a request arrived on this connection. */
  begun = false;
  idleSince = 0;
  closing = false;
  consumed = false;
  /** Backpressure: a request body's reader is full. */
  paused = false;
  partial: string[] = [];
  partialUrl = '';
  pendingError = 0;
  /** Body chunks parsed on this connection; the sweep compares it with `bodyReadsSeen` (no timer or clock read per chunk). */
  bodyReads = 0;
  /** `bodyReads` at the last sweep; -1: a new body started, its clock starts at the next sweep. */
  bodyReadsSeen = -1;
  /** When the sweep last saw the body progress (or reading resume). */
  bodyAt = 0;
  /** A non-WebSocket Upgrade request is being served as a plain one: llhttp stops after it, the rest of the read must be fed again. */
  plainUpgrade = false;
  /** A WebSocket upgrade (or CONNECT) parsed: handed over once every request before it is answered. */
  upgrade: H1Request | undefined;
  /** Bytes read past the upgrade's head. */
  #upgradeRest: Buffer | undefined;
  /** Bytes read past the request head that filled the pipeline queue, parsed as the queue drains. */
  #held: Buffer | undefined;
  /** The parser was stopped (HPE_PAUSED) at a head that filled the queue. */
  #queueFull = false;
  /** #pump is running: a response ending inside it lets the loop start the next request (no recursion). */
  #pumping = false;
  /** A response ended since the connection last settled. */
  #answered = false;
  /** The socket is being read (see #syncReading). */
  #reading = true;
  /** The socket went to the upgrade handler. */
  #handedOver = false;

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
    p[HTTPParser.kOnBody] = this.#onBody;
    p[HTTPParser.kOnMessageComplete] = this.#onMessageComplete;
    p[HTTPParser.kOnExecute] = (ret: number | ParseError) => this.#guarded(() => this.#afterExecute(ret, undefined));
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

  /** Runs `f`; an exception closes this connection (its requests fail) instead of reaching the worker. */
  #guarded(f: () => void): void {
    try {
      f();
    } catch {
      this.socket.destroy();
    }
  }

  #onDrain = (): void => { this.#guarded(() => this.active?.drainCb?.()); };
  #onError = (): void => { this.socket.destroy(); };
  #onEnd = (): void => {
    // The client is done sending; answer what is in flight, then close.
    this.closing = true;
    if (this.idle()) this.socket.destroy();
  };
  #onSocketClose = (): void => { this.#onClose(); };

  #onData = (d: Buffer): void => {
    this.#guarded(() => this.#afterExecute(this.parser.execute(d), d));
  };

  #onBody = (b: Buffer): void => {
    this.bodyReads++;
    const body = this.incoming?.body;
    if (body) this.#guarded(() => { if (!body.push(b)) this.pause(); });
  };

  #onMessageComplete = (): void => {
    const req = this.incoming;
    if (req === undefined) return;
    this.incoming = undefined;
    req.complete = true;
    this.#guarded(() => req.body?.push(null));
  };

  /**
   * After each read (`d`: the bytes executed; undefined when the parser
   * read the socket itself, then they are its current buffer): requests
   * parsed from it start here, not in the middle of parsing, so a request
   * whose bytes turn out malformed further on (a bad chunk, a bad
   * Transfer-Encoding) never reaches a backend.
   */
  #afterExecute(ret: number | ParseError, d: Buffer | undefined): void {
    if (this.#held !== undefined) {
      // Bytes read while the parser is stopped (TLS hands over every record it has decrypted,
      // reading stopped or not): the parser took none of them; they go after the ones kept.
      this.#held = Buffer.concat([this.#held, d ?? this.parser.getCurrentBuffer()]);
      return;
    }
    if (typeof ret !== 'number') {
      if (this.#queueFull && ret.code === 'HPE_PAUSED') return this.#hold((d ?? this.parser.getCurrentBuffer()).subarray(ret.bytesParsed));
      return this.#parseError(ret);
    }
    if (this.upgrade !== undefined && this.#upgradeRest === undefined) {
      this.#upgradeRest = (d ?? this.parser.getCurrentBuffer()).subarray(ret);
      this.#releaseSocket();
      return this.#pump();
    }
    if (this.plainUpgrade) return this.#continueAfterUpgrade(ret, d);
    this.#pump();
  }

  /** The queue is full: keep the rest of the read, stop reading until the queue drains. */
  #hold(rest: Buffer): void {
    this.#queueFull = false;
    this.#held = rest;
    this.#syncReading();
    this.#pump();
  }

  /** Parses the kept bytes (the queue has room again); reading resumes when they are all parsed. */
  #feedHeld(): void {
    const rest = this.#held!;
    this.#held = undefined;
    this.parser.resume();
    if (rest.length > 0) this.#afterExecute(this.parser.execute(rest), rest);
    this.#syncReading();
  }

  /**
   * llhttp pauses after any request with Upgrade (it cannot know we will not
   * switch protocols): once that request is complete, parse what followed it
   * in the same read as HTTP again.
   */
  #continueAfterUpgrade(parsed: number, d: Buffer | undefined): void {
    if (this.incoming !== undefined) return this.#pump(); // its body is still coming: not paused yet
    this.plainUpgrade = false;
    const buf = d ?? this.parser.getCurrentBuffer();
    const rest = parsed < buf.length ? buf.subarray(parsed) : undefined;
    this.#pump();
    if (rest !== undefined && !this.socket.destroyed) this.#afterExecute(this.parser.execute(rest), rest);
  }

  #onHead = (maj: number, minor: number, headers: string[] | undefined, method: number, url: string | undefined,
    _status: number, _msg: string, upgrade: boolean, keepAlive: boolean): number => {
    if (headers === undefined) { headers = this.partial; this.partial = []; }
    if (url === undefined) { url = this.partialUrl; this.partialUrl = ''; }
    this.headStart = 0;
    if (this.pendingError !== 0 || this.socket.destroyed) return 0; // the connection is being refused: nothing after the error is served
    try {
      return this.#head(maj, minor, headers, method, url, upgrade, keepAlive);
    } catch {
      this.socket.destroy();
      return 0;
    }
  };

  /** A request head: refused (see #parseError), queued, or an upgrade to hand over. */
  #head(maj: number, minor: number, headers: string[], method: number, url: string, upgrade: boolean, keepAlive: boolean): number {
    const refuse = (code: string) => { this.#parseError({ code } as ParseError); return 0; };
    if (headers.length > 2 * MAX_HEADERS) return refuse('HPE_HEADER_OVERFLOW');
    // HTTP/0.9 (`GET /` with no version): llhttp reads the lines after it as its headers; nginx refuses it.
    if (maj !== 1) return refuse('MESHGATE_HTTP09');
    const req = new H1Request(this.socket, METHODS[method] ?? 'GET', url, headers, minor, keepAlive && !this.closing);
    const h = req.headers;
    const refusal = headRefusal(h, minor);
    if (refusal !== undefined) return refuse(refusal);
    const te = h['transfer-encoding'];
    if (upgrade) {
      // Only WebSocket is tunnelled (and CONNECT reaches the upgrade handler to be refused). Any other
      // Upgrade, h2c above all, is a plain request: a backend answering 101 must not get a raw tunnel
      // past routing (h2c smuggling). The proxy handler strips Upgrade and HTTP2-Settings.
      if (method === METHOD_CONNECT || isWebSocket(h.upgrade)) {
        this.upgrade = req;
        return 2;
      }
      this.plainUpgrade = true;
    }
    const cl = h['content-length'];
    if ((cl !== undefined && cl !== '0') || te !== undefined) {
      req.body = new Readable({ read: () => this.resume() });
      this.bodyReadsSeen = -1;
    }
    this.incoming = req;
    this.waiting.push(req);
    if (this.waiting.length >= MAX_PIPELINE && !this.plainUpgrade) {
      this.#queueFull = true;
      return HPE_PAUSED;
    }
    return 0;
  }

  #start(req: H1Request): void {
    const res = new H1Response(this, req);
    this.active = res;
    try {
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
    } catch {
      // A bug answering this request: 500 if nothing was sent yet, else the connection closes.
      if (res.writableFinished) return;
      if (!res.headersSent && !this.socket.destroyed) {
        res.shouldKeepAlive = false;
        res.writeHead(500, { 'content-length': 0 });
        res.end();
      } else {
        this.socket.destroy();
      }
    }
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
      this.waiting.length = 0;
      this.#held = undefined;
      (this.socket as Closable).destroySoon();
      return;
    }
    this.#answered = true;
    this.#pump();
  }

  /**
   * Starts the pipelined requests in order, one at a time, in a loop: an
   * answer given synchronously (a 404, a 400) ends inside #start and the
   * loop goes on, with no recursion however many requests were pipelined.
   * Kept bytes are parsed as the queue drains. Then, with nothing left in
   * flight: a pending upgrade is handed over, a pending error answered, or
   * the connection becomes idle.
   */
  #pump(): void {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      while (!this.socket.destroyed) {
        if (this.#held !== undefined && this.waiting.length <= MAX_PIPELINE / 2 && this.pendingError === 0) {
          this.#feedHeld();
          continue;
        }
        if (this.active !== undefined) break;
        const next = this.waiting.shift();
        if (next === undefined) break;
        this.#start(next);
      }
    } finally {
      this.#pumping = false;
    }
    this.#settle();
  }

  /** Nothing in flight any more: what comes next on this connection. */
  #settle(): void {
    if (this.socket.destroyed || this.active !== undefined || this.waiting.length > 0) return;
    if (this.upgrade !== undefined && this.#upgradeRest !== undefined) return this.#handOver();
    if (this.pendingError !== 0) return this.#refuse(this.pendingError);
    if (!this.#answered) return;
    this.#answered = false;
    if (this.closing) return (this.socket as Closable).destroySoon();
    this.idleSince = performance.now();
    // A request body left unread (the answer came first) must not block the next request.
    if (this.paused && this.incoming === undefined) this.resume();
  }

  /** No request in progress (a connection that never sent a byte counts as idle). */
  idle(): boolean {
    return this.active === undefined && this.incoming === undefined && this.waiting.length === 0 && this.#held === undefined &&
      this.upgrade === undefined && (this.headStart === 0 || !this.begun);
  }

  #parseError(err: ParseError): void {
    const status = refusalStatus(err.code);
    const broken = this.incoming;
    this.incoming = undefined;
    if (broken !== undefined) {
      const i = this.waiting.indexOf(broken);
      if (i >= 0) this.waiting.splice(i, 1);
      // Its upstream side (if it started) sees the body end early and gives up.
      broken.body?.destroy();
    }
    // Requests complete before the malformed one are answered first, then the error (as nginx does).
    // The first error is the one answered: bytes after it are not read.
    if (this.pendingError === 0) this.pendingError = status;
    this.#held = undefined;
    this.#syncReading();
    this.#pump();
  }

  #refuse(status: number): void {
    this.closing = true;
    const s = this.socket;
    if (!s.destroyed && s.writable) s.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`, 'latin1');
    (s as Closable).destroySoon();
  }

  /**
   * The bytes after an upgrade's head are the tunnel's, never HTTP: the
   * parser lets go of the socket at once (what TLS still delivers from the
   * same read, and later reads, wait in the paused socket), while the
   * answers to the requests before the upgrade go on.
   */
  #releaseSocket(): void {
    if (this.consumed) {
      this.consumed = false;
      this.parser.unconsume();
      // Reads may have been stopped (a body's backpressure): from now on they go to the socket itself.
      if (!this.#reading) setReading(this.socket, true, true);
    } else {
      this.socket.off('data', this.#onData);
    }
    this.#reading = false;
    this.socket.pause();
  }

  /** Upgrade, nothing in flight before it: give the socket, with the bytes past the head, to the upgrade handler. */
  #handOver(): void {
    const req = this.upgrade!;
    const head = this.#upgradeRest!;
    this.upgrade = undefined;
    this.#upgradeRest = undefined;
    this.#handedOver = true;
    this.owner.conns.delete(this);
    this.#freeParser();
    // Only ours: TLS and the data plane keep their own listeners on the socket.
    this.socket.off('drain', this.#onDrain);
    this.socket.off('error', this.#onError);
    this.socket.off('end', this.#onEnd);
    this.socket.off('close', this.#onSocketClose);
    try {
      this.owner.opts.onUpgrade(req, this.socket, head);
    } catch {
      this.socket.destroy();
    }
  }

  #freeParser(): void {
    const p = this.parser;
    p.remove();
    p.free();
  }

  pause(): void {
    this.paused = true;
    this.#syncReading();
  }

  resume(): void {
    this.paused = false;
    this.#syncReading();
  }

  /** Reads the socket unless a body's reader is full, bytes are kept, an upgrade waits, or the connection is refused. */
  #syncReading(): void {
    if (this.#handedOver || this.upgrade !== undefined) return; // the socket is the tunnel's
    const on = !this.paused && this.#held === undefined && this.pendingError === 0;
    if (on === this.#reading || this.socket.destroyed) return;
    this.#reading = on;
    setReading(this.socket, this.consumed, on);
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
    this.#syncReading();
    const watcher = req.bodyWatcher;
    req.bodyWatcher = undefined;
    if (this.active?.req === req && watcher !== undefined) watcher.onBodyTimeout();
    req.body?.destroy();
    if (this.active === undefined) this.#refuse(408);
  }

  #onClose(): void {
    this.owner.conns.delete(this);
    const req = this.incoming;
    this.incoming = undefined;
    this.waiting.length = 0;
    this.#held = undefined;
    this.upgrade = undefined;
    const res = this.active;
    this.active = undefined;
    if (this.consumed) {
      this.consumed = false;
      this.parser.unconsume();
    }
    this.#freeParser();
    try {
      if (req?.body && !req.complete) req.body.destroy();
      if (res !== undefined && !res.writableFinished) res.closeCb?.();
    } catch {
      // The connection is gone already; a bug in its handler must not reach the worker.
    }
  }
}
