/**
 * HTTP/2 requests on node's core stream API (`stream.respond`), not the
 * Http2ServerRequest/Response compatibility layer: one object per side of
 * the exchange, headers converted once, no per-request promise or timer
 * unless the request has a body to watch.
 */
import http2, { type IncomingHttpHeaders, type ServerHttp2Stream } from 'node:http2';
import type { BodyWatcher, Downstream, IncomingRequest } from './downstream.ts';
import { tapBody } from './body-tap.ts';
import type { TLSSocket } from 'node:tls';

const { NGHTTP2_NO_ERROR } = http2.constants;
/** The error a cut stream is destroyed with (node resets it with INTERNAL_ERROR; the stream's 'error' goes nowhere). */
const CUT = new Error('response cut');

export class H2Request implements IncomingRequest {
  readonly stream: ServerHttp2Stream;
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly rawHeaders: readonly string[];
  readonly httpVersion = '2.0';
  readonly httpVersionMajor = 2;
  readonly body: ServerHttp2Stream | null;
  readonly encrypted = true;
  readonly remoteAddress: string;
  readonly #bodyTimeoutMs: number;

  constructor(stream: ServerHttp2Stream, headers: IncomingHttpHeaders, rawHeaders: readonly string[], bodyTimeoutMs: number) {
    this.stream = stream;
    this.headers = headers;
    this.rawHeaders = rawHeaders;
    this.method = (headers[':method'] as string | undefined) ?? '';
    this.url = (headers[':path'] as string | undefined) ?? '';
    this.body = stream.endAfterHeaders ? null : stream;
    this.remoteAddress = stream.session?.socket?.remoteAddress ?? '';
    this.#bodyTimeoutMs = bodyTimeoutMs;
  }

  get readableEnded(): boolean {
    return this.body === null || this.body.readableEnded;
  }

  get tlsSocket(): TLSSocket | undefined {
    return this.stream.session?.socket as TLSSocket | undefined;
  }

  /** After the 408 the stream is reset with NO_ERROR: the client stops sending the rest (RFC 9113 8.1). */
  watchBody(watcher: BodyWatcher): void {
    const stream = this.stream;
    const ms = this.#bodyTimeoutMs;
    if (ms <= 0 || this.body === null) return;
    let last = performance.now();
    const stop = () => clearTimeout(timer);
    const check = () => {
      try {
        tick();
      } catch {
        stop();
        stream.destroy();
      }
    };
    const tick = () => {
      if (watcher.finished || stream.readableEnded || stream.destroyed) return;
      const now = performance.now();
      if (stream.readableFlowing !== true || stream.readableLength > 0) last = now; // we are not reading: not the client's stall
      if (now - last < ms) {
        timer = setTimeout(check, ms - (now - last));
        return;
      }
      watcher.onBodyTimeout();
      // With NO_ERROR, node sends the RST_STREAM once the answer is written.
      if (!stream.closed) stream.close(NGHTTP2_NO_ERROR);
    };
    let timer = setTimeout(check, ms);
    tapBody(stream, () => { last = performance.now(); });
    stream.once('end', stop);
    stream.once('close', stop);
  }
}

export class H2Response implements Downstream {
  readonly stream: ServerHttp2Stream;
  headersSent = false;
  writableFinished = false;
  shouldKeepAlive = true;
  #noBody = false;

  constructor(stream: ServerHttp2Stream) {
    this.stream = stream;
  }

  writeHead(status: number, headers: readonly string[]): void {
    const out: Record<string, string | string[] | number> = { ':status': status };
    for (let i = 0; i < headers.length; i += 2) {
      const k = headers[i]!;
      const v = headers[i + 1]!;
      const prev = out[k];
      if (prev === undefined) out[k] = v;
      else if (Array.isArray(prev)) prev.push(v);
      else out[k] = [prev as string, v];
    }
    this.headersSent = true;
    this.#noBody = status === 204 || status === 304;
    // respond() throws on what HTTP/2 cannot carry (a bad status or header value, a stream already reset): that one stream fails.
    try {
      if (!this.stream.destroyed) this.stream.respond(out);
    } catch {
      this.destroy();
    }
  }

  write(chunk: Buffer): boolean {
    if (this.stream.destroyed || this.#noBody) return true;
    return this.stream.write(chunk);
  }

  end(chunk?: Buffer | string): void {
    if (this.writableFinished) return;
    this.writableFinished = true;
    if (this.stream.destroyed) return;
    if (chunk !== undefined && !this.#noBody && chunk.length > 0) this.stream.end(chunk);
    else this.stream.end();
  }

  /** RST_STREAM with INTERNAL_ERROR: a client must not read a cut response as a whole one (NO_ERROR would say so). */
  destroy(): void {
    if (!this.stream.destroyed) this.stream.destroy(CUT);
  }

  once(event: 'close' | 'drain', fn: () => void): void {
    this.stream.once(event, fn);
  }
}
