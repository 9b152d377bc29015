/**
 * How long each step of one change took (ms): read, build, store, encode,
 * announce... logged with the published version, so a slow change says
 * where its time went without a profiler.
 */
export class StageTimer {
  #last = performance.now();
  readonly ms: Record<string, number> = {};

  /** Adds the time since the previous lap (or the start) to `step`. */
  lap(step: string): void {
    const now = performance.now();
    this.ms[step] = Math.round(((this.ms[step] ?? 0) + now - this.#last) * 10) / 10;
    this.#last = now;
  }
}
