/**
 * JSON access-log lines on stdout, batched: the request path appends to an
 * array and a timer writes them in one go, so logging costs no write per
 * request and never waits on the terminal or pipe.
 */
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
    ingress: string, backend: string, upstream: string, attempts: number, bytesOut: number, durationMs: number): void {
    if (!this.enabled) return;
    this.#lines.push(`{"time":${isoNow()},"traceId":${JSON.stringify(traceId)},${prefix}"requestId":${JSON.stringify(requestId)},"method":${JSON.stringify(method)},"host":${JSON.stringify(host)},"path":${JSON.stringify(path)},"status":${status},"proto":${JSON.stringify(proto)},"ingress":${JSON.stringify(ingress)},"backend":${JSON.stringify(backend)},"upstream":${JSON.stringify(upstream)},"attempts":${attempts},"bytesOut":${bytesOut},"durationMs":${durationMs}}`);
  }

  /** `"node":...,"worker":...,` for `request`. */
  static prefix(node: string, worker: number): string {
    return `"node":${JSON.stringify(node)},"worker":${worker},`;
  }

  flush(): void {
    if (this.#lines.length === 0) return;
    const chunk = this.#lines.join('\n') + '\n';
    this.#lines.length = 0;
    process.stdout.write(chunk);
  }

  close(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.flush();
  }
}
