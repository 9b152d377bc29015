/**
 * The client side of one fuzz case: write its steps on a fresh connection
 * and read the responses with a lenient parser, stopping as soon as the
 * answer is known (every request answered, or the proxy closed) or the
 * proxy went quiet. No HTTP library: the point is to send what one refuses.
 */
import net from 'node:net';

export type Step = Buffer | { pauseMs: number };

export interface Response {
  status: number;
  /** The request tag the backend echoed (absent on the proxy's own answers). */
  echo?: string;
  headers: [string, string][];
  body: Buffer;
}

export interface ExchangeResult {
  /** Final (non-1xx) responses, in order. */
  responses: Response[];
  /** The proxy closed the connection. */
  closed: boolean;
  /** Stopped because nothing came for quietMs while requests were unanswered. */
  quiet: boolean;
  /** Bytes that could not be read as a response (a garbled answer), if any. */
  garbage?: string;
  error?: string;
  ms: number;
}

interface ParsedResponses {
  responses: Response[];
  garbage?: string;
  upgraded: boolean;
  /** Offset after the last complete response (where to go on from when more bytes come). */
  consumed: number;
}

const byIndex = new WeakMap<ReadonlyMap<string, string>, string[]>();
function methodAt(methods: readonly string[] | ReadonlyMap<string, string>, echo: string | undefined, i: number): string {
  if (Array.isArray(methods)) return methods[i] ?? 'GET';
  const m = methods as ReadonlyMap<string, string>;
  if (echo !== undefined) return m.get(echo) ?? 'GET'; // an echoed tag the client did not plan: a body-borne GET
  let list = byIndex.get(m);
  if (!list) byIndex.set(m, list = [...m.values()]);
  return list[i] ?? 'GET';
}

/**
 * Responses in `buf`. A response to HEAD has no body: the method is looked up
 * by the tag the response echoes (`methods` by tag), else taken from
 * `methods` by position (what the client sent i-th).
 */
export function parseResponses(buf: Buffer, methods: readonly string[] | ReadonlyMap<string, string>, closed: boolean, start = 0, firstIndex = 0): ParsedResponses {
  const responses: Response[] = [];
  let off = start;
  while (off < buf.length) {
    const headEnd = buf.indexOf('\r\n\r\n', off, 'latin1');
    if (headEnd === -1) {
      const line = buf.toString('latin1', off, Math.min(buf.length, off + 12));
      if (!'HTTP/1.'.startsWith(line.slice(0, 7)) || closed) return { consumed: off, responses, garbage: buf.toString('latin1', off, off + 200), upgraded: false };
      return { consumed: off, responses, upgraded: false };
    }
    const lines = buf.toString('latin1', off, headEnd).split('\r\n');
    const m = /^HTTP\/1\.[01] (\d{3})(?: |$)/.exec(lines[0]);
    if (!m) return { consumed: off, responses, garbage: buf.toString('latin1', off, off + 200), upgraded: false };
    const status = Number(m[1]);
    const headers = lines.slice(1).map((l): [string, string] => { const c = l.indexOf(':'); return [l.slice(0, c).toLowerCase(), l.slice(c + 1).trim()]; });
    const get = (n: string) => headers.find(([k]) => k === n)?.[1];
    let p = headEnd + 4;
    if (status === 101) return { responses: [...responses, { status, headers, body: Buffer.alloc(0) }], upgraded: true, consumed: headEnd + 4 };
    if (status >= 100 && status < 200) { off = p; continue; }
    const echoed = get('x-fuzz-echo');
    const method = methodAt(methods, echoed, firstIndex + responses.length);
    let body: Buffer = Buffer.alloc(0);
    if (method === 'HEAD' || status === 204 || status === 304) { /* no body */ } else if (/chunked/i.test(get('transfer-encoding') ?? '')) {
      const parts: Buffer[] = [];
      for (;;) {
        const eol = buf.indexOf('\r\n', p, 'latin1');
        if (eol === -1) return { consumed: off, responses, upgraded: false };
        const size = parseInt(buf.toString('latin1', p, eol), 16);
        if (!Number.isFinite(size)) return { consumed: off, responses, garbage: buf.toString('latin1', p, p + 200), upgraded: false };
        if (size === 0) {
          const end = buf.indexOf('\r\n\r\n', eol, 'latin1');
          if (end === -1) return { consumed: off, responses, upgraded: false };
          p = end + 4;
          break;
        }
        if (buf.length < eol + 2 + size + 2) return { consumed: off, responses, upgraded: false };
        parts.push(buf.subarray(eol + 2, eol + 2 + size));
        p = eol + 2 + size + 2;
      }
      body = Buffer.concat(parts);
    } else if (get('content-length') !== undefined) {
      const n = Number(get('content-length'));
      if (buf.length < p + n) return { consumed: off, responses, upgraded: false };
      body = buf.subarray(p, p + n);
      p += n;
    } else {
      if (!closed) return { consumed: off, responses, upgraded: false };
      body = buf.subarray(p);
      p = buf.length;
    }
    responses.push({ status, headers, body, ...(echoed ? { echo: echoed } : {}) });
    off = p;
  }
  return { consumed: off, responses, upgraded: false };
}

export interface ExchangeOptions {
  /** Method of each request by tag, in the order sent (for HEAD). */
  methods: ReadonlyMap<string, string>;
  /** Stop early once this many final responses came (and a short grace passed). */
  expected: number;
  /**
   * Requests the client's bytes frame completely before anything a proxy
   * may wait on: until that many answers came, silence must last stallMs
   * (a slow proxy on a busy machine is not a stalled one); after, quietMs.
   */
  mustAnswer: number;
  stallMs: number;
  quietMs: number;
  maxMs: number;
  /**
   * Shared with the other proxy's exchange of the same case: each posts its
   * answer count, and one that goes quiet with fewer answers than the other
   * waits `extendMs` more once (a busy machine is not a stalled proxy).
   */
  peer?: { answers: number[]; me: number; extendMs: number };
  /**
   * How many requests of this case the proxy's backend has answered so far:
   * a proxy that goes quiet with fewer answers than that also waits
   * `peer.extendMs` more once (the answer may still be on its way).
   */
  upstreamAnswered?: () => number;
}

export function exchange(port: number, steps: readonly Step[], opts: ExchangeOptions): Promise<ExchangeResult> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    const sock = net.connect({ port, host: '127.0.0.1' });
    sock.setNoDelay(true);
    let closed = false;
    let error: string | undefined;
    let writing = true;
    let timer: NodeJS.Timeout | undefined;
    let done = false;
    let extended = false;
    const seen = { responses: [] as Response[], tail: Buffer.alloc(0) as Buffer };
    const finish = (quiet: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      clearTimeout(hard);
      sock.destroy();
      const parsed = parseResponses(seen.tail, opts.methods, true, 0, seen.responses.length);
      resolve({ responses: [...seen.responses, ...parsed.responses], closed, quiet, ms: Date.now() - t0, ...(parsed.garbage !== undefined ? { garbage: parsed.garbage } : {}), ...(error ? { error } : {}) });
    };
    const hard = setTimeout(() => finish(true), opts.maxMs);
    let seq = 0;
    const arm = () => {
      seq++;
      if (writing || done) return;
      clearTimeout(timer);
      const armedAt = seq;
      // Only the bytes after the last complete response are kept and parsed again.
      const more = parseResponses(seen.tail, opts.methods, false, 0, seen.responses.length);
      for (const r of more.responses) seen.responses.push(r);
      seen.tail = seen.tail.subarray(more.consumed);
      const parsed = { responses: seen.responses, upgraded: more.upgraded, garbage: more.garbage };
      const enough = parsed.upgraded || parsed.garbage !== undefined || parsed.responses.length >= opts.expected;
      const peer = opts.peer;
      if (peer) peer.answers[peer.me] = parsed.responses.length;
      // After a stalled event loop, timers run before the I/O that waited:
      // look once more after the poll phase before calling the proxy quiet.
      const fire = (f: () => void) => () => setImmediate(() => { if (seq === armedAt && !done) f(); });
      timer = setTimeout(fire(() => {
        const behind = peer && (peer.answers[1 - peer.me] > parsed.responses.length || (opts.upstreamAnswered?.() ?? 0) > parsed.responses.length);
        if (!enough && peer && !extended && behind) {
          extended = true;
          timer = setTimeout(fire(() => finish(true)), peer.extendMs);
          return;
        }
        finish(!enough);
      }), enough ? 50 : parsed.responses.length < opts.mustAnswer ? opts.stallMs : opts.quietMs);
    };
    sock.on('data', (b: Buffer) => { seen.tail = seen.tail.length ? Buffer.concat([seen.tail, b]) : b; arm(); });
    sock.on('error', (e: NodeJS.ErrnoException) => { error = e.code ?? e.message; });
    sock.on('close', () => { closed = true; finish(false); });
    sock.once('connect', async () => {
      for (const s of steps) {
        if (closed || done) break;
        if (Buffer.isBuffer(s)) sock.write(s);
        else await new Promise((r) => setTimeout(r, s.pauseMs));
      }
      writing = false;
      arm();
    });
  });
}
