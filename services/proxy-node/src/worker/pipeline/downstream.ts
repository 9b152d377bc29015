/**
 * The two sides of a client exchange as the pipeline sees them, whatever the
 * protocol: the request (`IncomingRequest`) and the way to answer it
 * (`Downstream`). HTTP/1 implements both with H1Request / H1Response
 * (h1-server.ts), HTTP/2 with h2-stream.ts on node's core stream API, and a
 * WebSocket upgrade before its 101 with raw-downstream.ts. Nothing past this
 * line knows which it has.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import type { TLSSocket } from 'node:tls';

export interface IncomingRequest {
  readonly method: string;
  /** The raw request-target (`:path` for HTTP/2). */
  readonly url: string;
  /** Lower-case names; repeated fields joined as node:http does. */
  readonly headers: IncomingHttpHeaders;
  /** name, value, ... as received (a second Host is refused; HTTP/2's header limits count them). */
  readonly rawHeaders: readonly string[];
  /** '1.0', '1.1' or '2.0'. */
  readonly httpVersion: string;
  readonly httpVersionMajor: number;
  /** The request body; null when it has none. */
  readonly body: Readable | null;
  /** The whole request, body included, has been read. */
  readonly readableEnded: boolean;
  /** The connection came over TLS. */
  readonly encrypted: boolean;
  /** That TLS connection (its SNI, client certificate); undefined over plain TCP. */
  readonly tlsSocket?: TLSSocket | undefined;
  readonly remoteAddress: string;
  /**
   * Tell `watcher` when the body stalls past the body timeout (nginx
   * client_body_timeout): no byte while the proxy reads it. Time the proxy
   * is not reading (the upstream pushes back) does not count.
   */
  watchBody(watcher: BodyWatcher): void;
}

export interface BodyWatcher {
  readonly finished: boolean;
  onBodyTimeout(): void;
}

export interface Downstream {
  readonly headersSent: boolean;
  readonly writableFinished: boolean;
  /** HTTP/1: whether the connection stays open after this response (set false to close it). */
  shouldKeepAlive: boolean;
  /** `headers`: a flat [name, value, ...] list with lower-case names. */
  writeHead(status: number, headers: readonly string[]): void;
  /** false: the client pushes back; wait for 'drain'. */
  write(chunk: Buffer): boolean;
  end(chunk?: Buffer | string): void;
  /** Abort: the client sees the exchange cut (connection closed, or the stream reset). */
  destroy(): void;
  /** 'close': the client went away before the response finished. At most one listener each. */
  once(event: 'close' | 'drain', fn: () => void): void;
}
