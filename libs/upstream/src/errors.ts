/**
 * Upstream errors with stable codes, in undici's style: one class per code,
 * so callers test `err.code` (or `instanceof`) instead of matching messages.
 * The codes that undici also has keep undici's names. Which errors may be
 * retried, which count against an endpoint, and which status the client
 * gets are decided here, once (`isConnectError`, `isRetryable`,
 * `errorStatus`).
 */

export const UpstreamErrorCode = {
  /** The connection did not open in time. */
  ConnectTimeout: 'UND_ERR_CONNECT_TIMEOUT',
  /** The response head did not come in time. */
  HeadersTimeout: 'UND_ERR_HEADERS_TIMEOUT',
  /** The connection closed or reset before the response ended. */
  Socket: 'UND_ERR_SOCKET',
  /** The pool was closed (its endpoint left the config). */
  Closed: 'UND_ERR_CLOSED',
  /** The request body did not match its Content-Length (or ended early). */
  RequestContentLengthMismatch: 'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH',
  /** The upstream sent something that is not a valid response to the request in flight (a status outside 100-599, bad framing). */
  InvalidResponse: 'MESHGATE_BAD_RESPONSE',
  /** An exception on the request's own path (a bug): that request fails, the worker goes on. */
  Internal: 'MESHGATE_INTERNAL',
  /** The client went away: the attempt was abandoned. */
  ClientGone: 'MESHGATE_CLIENT_GONE',
  /** The request body grew past the route's limit. */
  BodyTooLarge: 'MESHGATE_BODY_TOO_LARGE',
  /** The request body stalled past the body timeout. */
  BodyTimeout: 'MESHGATE_BODY_TIMEOUT',
} as const;

export class UpstreamError extends Error {
  readonly code: string;
  /** A kept-alive connection died before any byte of the response: the server closed it while idle (retry the same endpoint). */
  stale?: boolean;
  constructor(message: string, code: string) {
    super(message);
    this.code = code;
    this.name = new.target.name;
  }
}

/** The socket could not connect (ECONNREFUSED, EHOSTUNREACH, ...): the request never reached the endpoint. */
export class ConnectError extends UpstreamError {}
export class ConnectTimeoutError extends UpstreamError {
  constructor(ms: number) {
    super(`connect timeout after ${ms} ms`, UpstreamErrorCode.ConnectTimeout);
  }
}
export class HeadersTimeoutError extends UpstreamError {
  constructor(ms: number) {
    super(`no response headers within ${ms} ms`, UpstreamErrorCode.HeadersTimeout);
  }
}
/** Closed or reset mid-exchange; `code` is the socket's (ECONNRESET, EPIPE) or UND_ERR_SOCKET. */
export class SocketError extends UpstreamError {
  constructor(message = 'upstream closed the connection', code: string = UpstreamErrorCode.Socket) {
    super(message, code);
  }
}
export class PoolClosedError extends UpstreamError {
  constructor() {
    super('upstream pool closed', UpstreamErrorCode.Closed);
  }
}
export class RequestContentLengthMismatchError extends UpstreamError {
  constructor(message = 'request body length does not match Content-Length') {
    super(message, UpstreamErrorCode.RequestContentLengthMismatch);
  }
}
export class InvalidResponseError extends UpstreamError {
  constructor(message: string) {
    super(message, UpstreamErrorCode.InvalidResponse);
  }
}
export class InternalError extends UpstreamError {
  constructor(cause: unknown) {
    super(`internal error: ${(cause as Error)?.message ?? String(cause)}`, UpstreamErrorCode.Internal);
  }
}
export class ClientGoneError extends UpstreamError {
  constructor() {
    super('client went away', UpstreamErrorCode.ClientGone);
  }
}
export class BodyTooLargeError extends UpstreamError {
  constructor(max: number) {
    super(`request body larger than ${max} bytes`, UpstreamErrorCode.BodyTooLarge);
  }
}
export class BodyTimeoutError extends UpstreamError {
  constructor() {
    super('request body timeout', UpstreamErrorCode.BodyTimeout);
  }
}

/** Socket error codes of a connection that never opened. */
const CONNECT_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EADDRNOTAVAIL', UpstreamErrorCode.ConnectTimeout,
]);
/** A kept-alive connection died under the request: nothing of the response came. */
const RESET_CODES: ReadonlySet<string> = new Set([UpstreamErrorCode.Socket, 'ECONNRESET', 'EPIPE', UpstreamErrorCode.Closed]);

type Coded = { code?: string; stale?: boolean } | undefined;

/** The request never reached the endpoint: safe to try another, and a sign the endpoint is down. */
export function isConnectError(err: Coded): boolean {
  return err?.code !== undefined && CONNECT_CODES.has(err.code);
}

/**
 * The attempt may go to another endpoint: it failed to connect, or a
 * connection died before any of the response came (the caller also checks
 * that the request is idempotent and has no body).
 */
export function isRetryable(err: Coded): boolean {
  return err?.code !== undefined && (CONNECT_CODES.has(err.code) || RESET_CODES.has(err.code));
}

/** What the client gets for an upstream error that happened before any of the response was sent. */
export interface ErrorStatus {
  /** HTTP status. */
  readonly status: number;
  /** gRPC status code for a gRPC request (grpc/status.h). */
  readonly grpc: number;
  /** A short reason for the body and the access log. */
  readonly reason: string;
}

const GRPC_UNAVAILABLE = 14;
const GRPC_DEADLINE_EXCEEDED = 4;
const GRPC_INTERNAL = 13;
const GRPC_CANCELLED = 1;
const GRPC_RESOURCE_EXHAUSTED = 8;

export function errorStatus(err: Coded): ErrorStatus {
  const code = err?.code ?? '';
  switch (code) {
    case UpstreamErrorCode.HeadersTimeout:
      return { status: 504, grpc: GRPC_DEADLINE_EXCEEDED, reason: 'upstream timeout' };
    case UpstreamErrorCode.BodyTimeout:
      return { status: 408, grpc: GRPC_CANCELLED, reason: 'request body timeout' };
    case UpstreamErrorCode.BodyTooLarge:
      return { status: 413, grpc: GRPC_RESOURCE_EXHAUSTED, reason: 'request body too large' };
    case UpstreamErrorCode.RequestContentLengthMismatch:
      return { status: 400, grpc: GRPC_INTERNAL, reason: 'request body length does not match Content-Length' };
    case UpstreamErrorCode.ClientGone:
      return { status: 499, grpc: GRPC_CANCELLED, reason: 'client went away' };
    case UpstreamErrorCode.Internal:
      return { status: 500, grpc: GRPC_INTERNAL, reason: 'internal error' };
    case UpstreamErrorCode.InvalidResponse:
      return { status: 502, grpc: GRPC_UNAVAILABLE, reason: 'invalid response' };
    default:
      return isConnectError(err)
        ? { status: 502, grpc: GRPC_UNAVAILABLE, reason: 'could not connect' }
        : { status: 502, grpc: GRPC_UNAVAILABLE, reason: 'upstream error' };
  }
}
