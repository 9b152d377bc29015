import { PerformanceObserver } from 'node:perf_hooks';

/** Garbage-collection pause time of this thread so far (ms), from V8's gc performance entries. */
let gcTotal = 0;
let observing = false;
const observeGc = () => {
  if (observing) return;
  observing = true;
  const obs = new PerformanceObserver((list) => { for (const e of list.getEntries()) gcTotal += e.duration; });
  obs.observe({ entryTypes: ['gc'] });
};

/**
 * How long each step of one change took (ms): read, build, store, encode,
 * announce... logged with the published version, so a slow change says
 * where its time went without a profiler. `gc` is the garbage collectors'
 * pause time seen since the timer started (it overlaps the steps: a slow
 * step with a large `gc` waited for a collection).
 */
export class StageTimer {
  #last = performance.now();
  readonly #gc0: number;
  readonly ms: Record<string, number> = {};

  constructor() {
    observeGc();
    this.#gc0 = gcTotal;
  }

  /** Adds the time since the previous lap (or the start) to `step`. */
  lap(step: string): void {
    const now = performance.now();
    this.ms[step] = Math.round(((this.ms[step] ?? 0) + now - this.#last) * 10) / 10;
    this.#last = now;
    this.ms.gc = Math.round((gcTotal - this.#gc0) * 10) / 10;
  }
}
