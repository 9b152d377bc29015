/**
 * What H1Server refuses in a request head before anything is forwarded,
 * beyond what llhttp itself refuses, and the status each refusal gets.
 */
import type { IncomingHttpHeaders } from 'node:http';

/** More header fields than this: 431 (Envoy's limit; node:http's size accounting refused the corpus' 1,000 small headers too). */
export const MAX_HEADERS = 100;

/** `Upgrade: websocket` (the only protocol tunnelled; RFC 6455 4.1, token case-insensitive). */
export function isWebSocket(upgrade: string | undefined): boolean {
  return upgrade !== undefined && upgrade.trim().toLowerCase() === 'websocket';
}

/**
 * Headers a `Connection` header may not name (400). Hop-by-hop removal of
 * a header named there would change the request's framing
 * (Content-Length, Transfer-Encoding: the backend would read the body as
 * the next request), its routing (Host), or take away a header the proxy
 * sets itself.
 */
export const CONNECTION_FORBIDDEN: ReadonlySet<string> = new Set(['content-length', 'transfer-encoding', 'host',
  'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-forwarded-port', 'x-real-ip', 'forwarded',
  'x-request-id', 'traceparent', 'tracestate']);

/** The Connection header names a header it may not (see CONNECTION_FORBIDDEN). */
export function connectionNamesForbidden(connection: string | undefined): boolean {
  if (connection === undefined || connection === 'keep-alive' || connection === 'close') return false;
  for (const token of connection.split(',')) if (CONNECTION_FORBIDDEN.has(token.trim().toLowerCase())) return true;
  return false;
}

/**
 * Why the head of an HTTP/1.`minor` request is refused (a code for
 * refusalStatus), or undefined when it may be served.
 */
export function headRefusal(h: IncomingHttpHeaders, minor: number): string | undefined {
  // RFC 9112 3.2: an HTTP/1.1 request without Host is refused (node:http's requireHostHeader).
  if (minor >= 1 && h.host === undefined) return 'MESHGATE_NO_HOST';
  if (connectionNamesForbidden(h.connection)) return 'MESHGATE_CONNECTION_HEADER';
  const te = h['transfer-encoding'];
  if (te !== undefined) {
    // RFC 9112 6.1: Transfer-Encoding in HTTP/1.0 is faulty framing (nginx refuses it since 1.21.1).
    if (minor === 0) return 'MESHGATE_TE_HTTP10';
    // Any coding but exactly `chunked` (`identity, chunked`, `gzip, chunked`): 501 as nginx ("unknown transfer-encoding").
    if (te.toLowerCase() !== 'chunked') return 'MESHGATE_TE_UNSUPPORTED';
  }
  return undefined;
}

/** Status of a refused request by parse error code (llhttp's HPE_* or ours); any other code is a 400. */
const REFUSAL: Record<string, number> = {
  HPE_HEADER_OVERFLOW: 431,
  HPE_CHUNK_EXTENSIONS_OVERFLOW: 413,
  MESHGATE_TE_UNSUPPORTED: 501,
};

export function refusalStatus(code: string): number {
  return REFUSAL[code] ?? 400;
}
