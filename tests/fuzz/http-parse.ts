/**
 * A small strict HTTP/1.1 request parser (RFC 9112), written for the fuzzer
 * and nothing else. Two jobs:
 *   - the recording backend frames what each proxy sent upstream with it, so
 *     a request the proxy let through as body (or a body it let through as a
 *     request) shows up exactly as a real backend would see it;
 *   - the reference: the client's own bytes framed by it say which requests
 *     the client really sent (a payload inside a body is not one).
 * It refuses whatever RFC 9112 lets a recipient refuse: obs-fold, bare LF,
 * Content-Length with Transfer-Encoding, any transfer coding but a single
 * `chunked`, duplicate or malformed Content-Length, HTTP/1.1 without exactly
 * one Host, versions other than 1.0 and 1.1.
 */

export interface ParsedRequest {
  method: string;
  target: string;
  version: string;
  /** Header fields as sent (name case kept), trailers not included. */
  headers: [string, string][];
  body: Buffer;
  /** Offsets of the request in the parsed buffer. */
  start: number;
  end: number;
}

export type ParseStep =
  | { kind: 'request'; req: ParsedRequest }
  /** More bytes are needed; `head` is set once the header block is complete (the body is not). */
  | { kind: 'more'; head?: Omit<ParsedRequest, 'body' | 'end'> }
  | { kind: 'error'; reason: string };

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const REQUEST_LINE = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+) ([\x21-\x7e\x80-\xff]+) HTTP\/(\d)\.(\d)$/;
const MAX_HEAD = 64 * 1024;

export function header(headers: [string, string][], name: string): string[] {
  const out: string[] = [];
  for (const [k, v] of headers) if (k.toLowerCase() === name) out.push(v);
  return out;
}

/** Parses the header lines of a head or trailer block; an error string on bad syntax. */
function parseFields(lines: string[]): [string, string][] | string {
  const out: [string, string][] = [];
  for (const line of lines) {
    if (line.length === 0) continue;
    if (line[0] === ' ' || line[0] === '\t') return 'obs-fold';
    const colon = line.indexOf(':');
    if (colon <= 0) return 'header line without a name and colon';
    const name = line.slice(0, colon);
    if (!TOKEN.test(name)) return `bad header name ${JSON.stringify(name)}`;
    const value = line.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, '');
    // eslint-disable-next-line no-control-regex
    if (/[\x00-\x08\x0a-\x1f\x7f]/.test(value)) return `control character in ${name}`;
    out.push([name, value]);
  }
  return out;
}

type Framing = { kind: 'length'; n: number } | { kind: 'chunked' } | { kind: 'error'; reason: string };

function framingOf(version: string, headers: [string, string][], lenient = false): Framing {
  const te = header(headers, 'transfer-encoding');
  const cl = header(headers, 'content-length');
  if (te.length > 0) {
    if (version === '1.0') return { kind: 'error', reason: 'Transfer-Encoding on HTTP/1.0' };
    if (cl.length > 0) return { kind: 'error', reason: 'Content-Length with Transfer-Encoding' };
    const codings = te.join(',').split(',').map((s) => s.trim().toLowerCase()).filter((s) => s !== '');
    // RFC 9112 6.3: chunked as the final coding frames the body, whatever comes before it (lenient); a strict recipient refuses codings it does not know.
    const ok = lenient ? codings[codings.length - 1] === 'chunked' && codings.indexOf('chunked') === codings.length - 1 : codings.length === 1 && codings[0] === 'chunked';
    if (!ok) return { kind: 'error', reason: `transfer coding ${JSON.stringify(te.join(', '))}` };
    return { kind: 'chunked' };
  }
  if (cl.length > 1) return { kind: 'error', reason: 'several Content-Length fields' };
  if (cl.length === 1) {
    if (!/^\d{1,15}$/.test(cl[0])) return { kind: 'error', reason: `bad Content-Length ${JSON.stringify(cl[0])}` };
    return { kind: 'length', n: Number(cl[0]) };
  }
  return { kind: 'length', n: 0 };
}

/** A chunked body from `off`: the data and the offset after it, 'more', or an error. */
function parseChunked(buf: Buffer, off: number, lenient = false): { body: Buffer; end: number } | 'more' | string {
  const parts: Buffer[] = [];
  let p = off;
  /** End of the line at `from` and the length of its terminator (lenient: a bare LF ends a line too). */
  const eolAt = (from: number): [number, number] => {
    if (!lenient) { const e = buf.indexOf('\r\n', from, 'latin1'); return [e, 2]; }
    const e = buf.indexOf(0x0a, from);
    return e === -1 ? [-1, 0] : buf[e - 1] === 0x0d && e - 1 >= from ? [e - 1, 2] : [e, 1];
  };
  for (;;) {
    const [eol, eolLen] = eolAt(p);
    if (eol === -1) return buf.length - p > 1024 ? 'chunk size line too long' : (buf.indexOf(0x0a, p) !== -1 ? 'bare LF in chunk size line' : 'more');
    const line = lenient ? buf.toString('latin1', p, eol).replace(/[ \t]+$/, '') : buf.toString('latin1', p, eol);
    const m = lenient ? /^([0-9A-Fa-f]{1,8})((?:[ \t]*;[^\r\n]*)?)$/.exec(line) : /^([0-9A-Fa-f]{1,8})((?:[ \t]*;[ \t]*[!#$%&'*+.^_`|~0-9A-Za-z-]+(?:[ \t]*=[ \t]*(?:[!#$%&'*+.^_`|~0-9A-Za-z-]+|"(?:[\t \x21\x23-\x5b\x5d-\x7e\x80-\xff]|\\[\t \x21-\x7e\x80-\xff])*"))?)*)$/.exec(line);
    if (!m) return `bad chunk size line ${JSON.stringify(line.slice(0, 40))}`;
    const size = parseInt(m[1], 16);
    p = eol + eolLen;
    if (size === 0) {
      // trailer section, then CRLF
      const lines: string[] = [];
      for (;;) {
        const [e, n] = eolAt(p);
        if (e === -1) return buf.indexOf(0x0a, p) !== -1 ? 'bare LF in trailers' : 'more';
        const l = buf.toString('latin1', p, e);
        p = e + n;
        if (l === '') break;
        if (l.includes('\n') || l.includes('\r')) return 'bare CR or LF in trailers';
        lines.push(l);
      }
      const t = parseFields(lines);
      if (typeof t === 'string' && !lenient) return `trailer: ${t}`;
      return { body: Buffer.concat(parts), end: p };
    }
    if (buf.length < p + size + 2) return 'more';
    parts.push(buf.subarray(p, p + size));
    if (lenient && buf[p + size] === 0x0a) { p += size + 1; continue; }
    if (buf[p + size] !== 0x0d || buf[p + size + 1] !== 0x0a) return 'chunk data not followed by CRLF';
    p += size + 2;
  }
}

/** One request from `off` (leading empty lines skipped, RFC 9112 2.2). */
export function parseRequest(buf: Buffer, off: number): ParseStep {
  let start = off;
  while (buf.length >= start + 2 && buf[start] === 0x0d && buf[start + 1] === 0x0a) start += 2;
  if (start >= buf.length) return { kind: 'more' };
  const headEnd = buf.indexOf('\r\n\r\n', start, 'latin1');
  const limit = headEnd === -1 ? buf.length : headEnd;
  for (let i = start; i < limit; i++) {
    const c = buf[i];
    if (c === 0x0a && buf[i - 1] !== 0x0d) return { kind: 'error', reason: 'bare LF in the head' };
    if (c === 0x0d && i + 1 < buf.length && buf[i + 1] !== 0x0a) return { kind: 'error', reason: 'bare CR in the head' };
    if (c === 0) return { kind: 'error', reason: 'NUL in the head' };
  }
  if (headEnd === -1) return buf.length - start > MAX_HEAD ? { kind: 'error', reason: 'head too large' } : { kind: 'more' };
  const lines = buf.toString('latin1', start, headEnd).split('\r\n');
  const rl = REQUEST_LINE.exec(lines[0]);
  if (!rl) return { kind: 'error', reason: `bad request line ${JSON.stringify(lines[0].slice(0, 60))}` };
  const version = `${rl[3]}.${rl[4]}`;
  if (version !== '1.1' && version !== '1.0') return { kind: 'error', reason: `HTTP version ${version}` };
  const headers = parseFields(lines.slice(1));
  if (typeof headers === 'string') return { kind: 'error', reason: headers };
  if (version === '1.1' && header(headers, 'host').length !== 1) return { kind: 'error', reason: 'HTTP/1.1 needs exactly one Host' };
  const head = { method: rl[1], target: rl[2], version, headers, start };
  const framing = framingOf(version, headers);
  const bodyStart = headEnd + 4;
  if (framing.kind === 'error') return { kind: 'error', reason: framing.reason };
  if (framing.kind === 'length') {
    if (buf.length < bodyStart + framing.n) return { kind: 'more', head };
    return { kind: 'request', req: { ...head, body: buf.subarray(bodyStart, bodyStart + framing.n), end: bodyStart + framing.n } };
  }
  const c = parseChunked(buf, bodyStart);
  if (c === 'more') return { kind: 'more', head };
  if (typeof c === 'string') return { kind: 'error', reason: c };
  return { kind: 'request', req: { ...head, body: c.body, end: c.end } };
}

/**
 * The lenient reading: RFC 9112's framing rules exactly (Content-Length and
 * Transfer-Encoding as above), everything else as forgiving as a lenient
 * recipient may be: bare LF line ends (also in chunks), obs-fold unfolded,
 * header lines it cannot read skipped, any version or none, no Host check,
 * whitespace after a chunk size, anything in a chunk extension, any codings
 * before a final `chunked`.
 * Whatever it frames as a request of its own, the client did send as one.
 */
export function parseRequestLenient(buf: Buffer, off: number): ParseStep {
  let p = off;
  while (p < buf.length && (buf[p] === 0x0d || buf[p] === 0x0a)) p++;
  if (p >= buf.length) return { kind: 'more' };
  const start = p;
  const lines: string[] = [];
  for (;;) {
    const e = buf.indexOf(0x0a, p);
    if (e === -1) return buf.length - start > MAX_HEAD ? { kind: 'error', reason: 'head too large' } : { kind: 'more' };
    const l = buf.toString('latin1', p, e > p && buf[e - 1] === 0x0d ? e - 1 : e);
    p = e + 1;
    if (l === '') break;
    lines.push(l);
  }
  const rl = lines[0].trim().split(/[ \t]+/);
  if (rl.length < 2 || rl.length > 3) return { kind: 'error', reason: `bad request line ${JSON.stringify(lines[0].slice(0, 60))}` };
  const version = /^HTTP\/(\d+\.\d+)$/i.exec(rl[2] ?? '')?.[1] ?? '1.0';
  const fields: string[] = [];
  for (const l of lines.slice(1)) {
    if ((l[0] === ' ' || l[0] === '\t') && fields.length) fields[fields.length - 1] += ` ${l.trim()}`;
    else fields.push(l);
  }
  const headers: [string, string][] = [];
  for (const f of fields) {
    const c = f.indexOf(':');
    if (c > 0 && TOKEN.test(f.slice(0, c))) headers.push([f.slice(0, c), f.slice(c + 1).trim()]);
  }
  const head = { method: rl[0], target: rl[1], version, headers, start };
  const framing = framingOf(version === '1.0' || version === '1.1' ? version : '1.1', headers, true);
  if (framing.kind === 'error') return { kind: 'error', reason: framing.reason };
  if (framing.kind === 'length') {
    if (buf.length < p + framing.n) return { kind: 'more', head };
    return { kind: 'request', req: { ...head, body: buf.subarray(p, p + framing.n), end: p + framing.n } };
  }
  const c = parseChunked(buf, p, true);
  if (c === 'more') return { kind: 'more', head };
  if (typeof c === 'string') return { kind: 'error', reason: c };
  return { kind: 'request', req: { ...head, body: c.body, end: c.end } };
}

/** Every request of a complete byte string, and how it ends. */
export function parseAll(buf: Buffer, lenient = false): { requests: ParsedRequest[]; end: 'clean' | 'more' | string } {
  const requests: ParsedRequest[] = [];
  let off = 0;
  for (;;) {
    const s = lenient ? parseRequestLenient(buf, off) : parseRequest(buf, off);
    if (s.kind === 'request') { requests.push(s.req); off = s.req.end; continue; }
    if (s.kind === 'error') return { requests, end: s.reason };
    let rest = off;
    while (rest + 1 < buf.length && buf[rest] === 0x0d && buf[rest + 1] === 0x0a) rest += 2;
    return { requests, end: rest >= buf.length ? 'clean' : 'more' };
  }
}
