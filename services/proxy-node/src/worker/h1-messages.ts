/**
 * The request and response objects of H1Server (h1-server.ts): the subset
 * of IncomingMessage / ServerResponse the proxy handler uses, one of each
 * per request, the response head rendered into one string and sent with
 * the body in one write.
 */
import type net from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { Readable } from 'node:stream';
import { STATUS_CODES, type IncomingHttpHeaders } from 'node:http';
import type { H1Conn } from './h1-conn.ts';
import type { BodyWatcher } from './pipeline/downstream.ts';

/** Duplicate request headers: these keep the first value (as node:http does); the rest are joined. */
const SINGLE = new Set(['content-type', 'content-length', 'user-agent', 'referer', 'host', 'authorization', 'proxy-authorization',
  'if-modified-since', 'if-unmodified-since', 'from', 'location', 'max-forwards', 'retry-after', 'etag', 'last-modified', 'server', 'age', 'expires']);

type Headers = IncomingHttpHeaders;
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

export type { BodyWatcher };

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

  /** Closes the connection (`_err`: as ServerResponse takes one; HTTP/1 has no way to carry it). */
  destroy(_err?: Error): void {
    this.conn.socket.destroy();
  }
}
