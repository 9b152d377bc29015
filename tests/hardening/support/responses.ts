/** One HTTP/1.1 response read off a raw byte string by its own framing. */
export interface ParsedResponse {
  status: number;
  /** Lower-case names; repeated headers joined with ', '. */
  headers: Record<string, string>;
  body: string;
}

/**
 * Reads the responses in `raw` one after another, each framed by its
 * Content-Length or chunked coding as a client would (a response with
 * neither runs to the end). `rest` is what follows the last complete one:
 * anything there means the framing was broken.
 */
export function parseResponses(raw: string, noBody: (i: number) => boolean = () => false): { responses: ParsedResponse[]; rest: string } {
  const responses: ParsedResponse[] = [];
  let at = 0;
  while (at < raw.length) {
    const end = raw.indexOf('\r\n\r\n', at);
    if (end < 0) break;
    const lines = raw.slice(at, end).split('\r\n');
    const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0]!);
    if (!m) break;
    const headers: Record<string, string> = {};
    for (const l of lines.slice(1)) {
      const i = l.indexOf(':');
      const k = l.slice(0, i).trim().toLowerCase();
      headers[k] = headers[k] === undefined ? l.slice(i + 1).trim() : `${headers[k]}, ${l.slice(i + 1).trim()}`;
    }
    const status = Number(m[1]);
    let p = end + 4;
    let body = '';
    if (noBody(responses.length) || status < 200 || status === 204 || status === 304) {
      // no body
    } else if (/chunked/i.test(headers['transfer-encoding'] ?? '')) {
      let done = false;
      for (;;) {
        const eol = raw.indexOf('\r\n', p);
        if (eol < 0) break;
        const size = parseInt(raw.slice(p, eol), 16);
        if (Number.isNaN(size)) break;
        if (size === 0) {
          const fin = raw.indexOf('\r\n\r\n', eol);
          if (fin < 0) break;
          p = fin + 4;
          done = true;
          break;
        }
        body += raw.slice(eol + 2, eol + 2 + size);
        p = eol + 2 + size + 2;
      }
      if (!done) break;
    } else if (headers['content-length'] !== undefined) {
      const n = Number(headers['content-length']);
      if (raw.length < p + n) break;
      body = raw.slice(p, p + n);
      p += n;
    } else {
      body = raw.slice(p);
      p = raw.length;
    }
    responses.push({ status, headers, body });
    at = p;
  }
  return { responses, rest: raw.slice(at) };
}
