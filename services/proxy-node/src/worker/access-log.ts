/**
 * JSON access-log lines on stdout, batched: the request path appends to an
 * array and a timer writes them in one go, so logging costs no write per
 * request and never waits on the terminal or pipe.
 */
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
