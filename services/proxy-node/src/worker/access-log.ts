/**
 * JSON access-log lines on stdout, batched: the request path appends to an
 * array and a timer writes them in one go, so logging costs no write per
 * request and never waits on the terminal or pipe.
 *
 * Written to fd 1 directly (fs.write on the libuv pool), not through the
 * worker's process.stdout, which copies every chunk to the main thread over
 * a MessagePort and writes it there: that hop cost a quarter of the worker's
 * throughput. Pieces are at most PIPE_BUF (4096) bytes and end at a line end,
 * so each is one atomic write(2) and lines of different workers (all writing
 * to the same pipe) never interleave.
 */
import fs from 'node:fs';

const PIPE_BUF = 4096;

let isoMs = -1;
let iso = '';
/** Quoted ISO timestamp, rendered at most once per millisecond. */
function isoNow(): string {
  const now = Date.now();
  if (now !== isoMs) {
    isoMs = now;
    iso = `"${new Date(now).toISOString()}"`;
  }
  return iso;
}

export class AccessLog {
  readonly #lines: string[] = [];
  readonly #timer: NodeJS.Timeout | undefined;
  readonly enabled: boolean;

  constructor(enabled: boolean, flushMs = 100) {
    this.enabled = enabled;
    if (enabled) {
      this.#timer = setInterval(() => this.flush(), flushMs);
      this.#timer.unref();
    }
  }

  write(rec: Record<string, unknown>): void {
    if (this.enabled) this.#lines.push(JSON.stringify(rec));
  }

  /**
   * The request line of the proxy path, the same JSON as `write` would make
   * of these fields, built by hand: the timestamp is rendered once per
   * millisecond, node and worker once per worker, and only strings a client
   * chose go through JSON.stringify (escaping).
   */
  request(prefix: string, traceId: string, requestId: string, method: string, host: string, path: string, status: number, proto: string,
    ingress: string, backend: string, upstream: string, attempts: number, bytesOut: number, durationMs: number, deniedBy?: string): void {
    if (!this.enabled) return;
    // denied_by only on refusals: `ip`, `rate`, `cors`, `auth`, `mtls` (filters/filter.ts DeniedBy).
    const denied = deniedBy === undefined ? '' : `,"denied_by":"${deniedBy}"`;
    this.#lines.push(`{"time":${isoNow()},"traceId":${JSON.stringify(traceId)},${prefix}"requestId":${JSON.stringify(requestId)},"method":${JSON.stringify(method)},"host":${JSON.stringify(host)},"path":${JSON.stringify(path)},"status":${status},"proto":${JSON.stringify(proto)},"ingress":${JSON.stringify(ingress)},"backend":${JSON.stringify(backend)},"upstream":${JSON.stringify(upstream)},"attempts":${attempts},"bytesOut":${bytesOut},"durationMs":${durationMs}${denied}}`);
  }

  /** `"node":...,"worker":...,` for `request`. */
  static prefix(node: string, worker: number): string {
    return `"node":${JSON.stringify(node)},"worker":${worker},`;
  }

  #pending: Buffer | undefined;
  #writing = false;
  /** Bytes of `#pending` in the write in flight. */
  #inflight = 0;
  #closed = false;
  /** Lines lost to write errors other than a full pipe (stdout closed). */
  dropped = 0;

  flush(): void {
    if (this.#writing || this.#lines.length === 0) return;
    this.#pending = Buffer.from(this.#lines.join('\n') + '\n');
    this.#lines.length = 0;
    this.#writing = true;
    this.#next();
  }

  /** Writes the next piece of `#pending`; EAGAIN (a full non-blocking pipe) waits and tries again. */
  #next(): void {
    const buf = this.#pending;
    if (buf === undefined || buf.length === 0) {
      this.#pending = undefined;
      this.#writing = false;
      return;
    }
    let end = buf.length;
    if (end > PIPE_BUF) {
      const nl = buf.lastIndexOf(10, PIPE_BUF - 1);
      end = nl >= 0 ? nl + 1 : buf.indexOf(10) + 1 || buf.length; // a line longer than PIPE_BUF goes alone
    }
    this.#inflight = end;
    fs.write(1, buf, 0, end, null, (err, written) => {
      if (this.#closed) return;
      if (err) {
        if ((err as NodeJS.ErrnoException).code === 'EAGAIN') { setTimeout(() => this.#next(), 5).unref(); return; }
        this.dropped += countLines(buf);
        this.#pending = undefined;
        this.#writing = false;
        return;
      }
      this.#pending = buf.subarray(written);
      this.#next();
    });
  }

  /** Writes what is left, synchronously (the worker is about to end). */
  close(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#closed = true;
    const rest = [this.#pending?.subarray(this.#writing ? this.#inflight : 0), this.#lines.length ? Buffer.from(this.#lines.join('\n') + '\n') : undefined].filter((b): b is Buffer => b !== undefined);
    this.#pending = undefined;
    this.#lines.length = 0;
    for (const b of rest) {
      try { fs.writeSync(1, b); } catch { this.dropped += countLines(b); }
    }
  }
}

function countLines(b: Buffer): number {
  let n = 0;
  for (let i = b.indexOf(10); i >= 0; i = b.indexOf(10, i + 1)) n++;
  return n;
}
