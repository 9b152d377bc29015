/**
 * HTTP/2 request limits equal to HTTP/1's (h1-server.ts: a 16 KB header
 * block, 100 header fields), and the session idle timeout.
 *
 * Two tiers, because a request nghttp2 refuses never reaches JavaScript and
 * can only be reset: node's own limits (`maxHeaderListPairs`, the
 * SETTINGS_MAX_HEADER_LIST_SIZE it advertises and enforces) are set to twice
 * the HTTP/1 limits, so a stream never holds more than that while its
 * headers are decoded; past them the stream is reset (RST_STREAM
 * ENHANCE_YOUR_CALM) and the session goes on. Between the HTTP/1 limit and
 * twice it, the request reaches the handler, which answers 431 as HTTP/1
 * does (`h2HeaderExcess`).
 */
import type { ServerHttp2Session, ServerHttp2Stream } from 'node:http2';

/** Header fields per request (as H1Server's MAX_HEADERS). */
export const H2_MAX_HEADER_FIELDS = 100;

/** node:http2 server options for header limits of `maxHeaderSize` bytes and H2_MAX_HEADER_FIELDS fields. */
export function h2HeaderOptions(maxHeaderSize: number): { maxHeaderListPairs: number; settings: { maxHeaderListSize: number } } {
  return {
    // Counts the pseudo-header fields too (:method, :scheme, :authority, :path).
    maxHeaderListPairs: 2 * (H2_MAX_HEADER_FIELDS + 4),
    // RFC 9113 6.5.2 accounting: name + value + 32 octets per field.
    settings: { maxHeaderListSize: 2 * maxHeaderSize + 32 * (H2_MAX_HEADER_FIELDS + 4) },
  };
}

/**
 * Why an HTTP/2 request's headers are over the HTTP/1 limits, or undefined.
 * Counted as their HTTP/1 form would be (`name: value` and a line end each,
 * the pseudo-header fields standing for the request line); the `cookie`
 * crumbs an HTTP/2 client may split one Cookie into (RFC 9113 8.2.3) count
 * as one field.
 */
export function h2HeaderExcess(raw: readonly string[], maxHeaderSize: number): string | undefined {
  let fields = 0;
  let bytes = 0;
  let cookie = false;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    bytes += name.length + raw[i + 1]!.length + 4;
    if (name.charCodeAt(0) === 58 /* : */) continue;
    if (name === 'cookie') {
      if (cookie) continue;
      cookie = true;
    }
    fields++;
  }
  if (fields > H2_MAX_HEADER_FIELDS) return `more than ${H2_MAX_HEADER_FIELDS} header fields`;
  if (bytes > maxHeaderSize) return `headers larger than ${maxHeaderSize} bytes`;
  return undefined;
}

/**
 * Closes `session` (GOAWAY, then the connection) once it has had no open
 * stream for `ms`, as Envoy's idle_timeout and nginx's keepalive_timeout
 * for HTTP/2: PING frames do not keep an idle session open. 0: never.
 */
export function closeWhenIdle(session: ServerHttp2Session, ms: number): void {
  if (ms <= 0) return;
  let open = 0;
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    timer = setTimeout(() => { if (open === 0 && !session.closed && !session.destroyed) session.close(); }, ms);
    timer.unref();
  };
  session.on('stream', (stream: ServerHttp2Stream) => {
    open++;
    clearTimeout(timer);
    stream.once('close', () => { if (--open === 0 && !session.closed) arm(); });
  });
  session.once('close', () => clearTimeout(timer));
  arm();
}
