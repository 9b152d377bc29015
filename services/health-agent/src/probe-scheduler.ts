/**
 * Runs one probe per endpoint every interval (with jitter), for thousands of
 * endpoints, from one timer: a min-heap of due times, as Envoy's and
 * HAProxy's check schedulers keep one timer list rather than a timer per
 * check. Why not a setTimeout per endpoint: 10,000 timers with random
 * durations make 10,000 timer lists in Node, and nothing would bound how
 * many probes run at once.
 *
 * - Due times are anchored to the schedule, not to when a probe finished, so
 *   slow probes do not make the schedule drift.
 * - An endpoint whose previous probe still runs skips its turn (counted).
 * - At most `maxInFlight` probes run at once (sockets are file descriptors);
 *   beyond that probes wait, and their lateness shows in the stats.
 * - A schedule that fell more than an interval behind restarts from now
 *   instead of firing a burst of catch-up probes.
 */
export interface ProbeSchedulerOptions {
  intervalMs: number;
  /** Each interval is intervalMs * (1 +- jitter). Default 0.1. */
  jitter?: number;
  /** Default 2048. */
  maxInFlight?: number;
  /** One probe of `id`; resolves when it finished (it must not reject). */
  run(id: string): Promise<void>;
  now?: () => number;
}

export interface SchedulerStats {
  endpoints: number;
  intervalMs: number;
  probesPerSecond: number;
  lateP50Ms: number;
  lateP99Ms: number;
  lateMaxMs: number;
  skippedBusy: number;
  inFlight: number;
  started: number;
}

interface Entry { readonly id: string; due: number; busy: boolean; index: number }

/** Ring buffer size for lateness samples: enough for 5 s at 10,000 probes/s. */
const SAMPLES = 65_536;

export class ProbeScheduler {
  readonly #o: Required<Omit<ProbeSchedulerOptions, 'now'>>;
  readonly #now: () => number;
  readonly #heap: Entry[] = [];
  readonly #entries = new Map<string, Entry>();
  #timer: NodeJS.Timeout | undefined;
  #timerAt = Infinity;
  #inFlight = 0;
  #stopped = false;
  #started = 0;
  #skippedBusy = 0;
  #firstStart = 0;
  readonly #sampleAt = new Float64Array(SAMPLES);
  readonly #sampleLate = new Float64Array(SAMPLES);
  #sampleCount = 0;

  constructor(opts: ProbeSchedulerOptions) {
    this.#o = { jitter: 0.1, maxInFlight: 2048, ...opts };
    this.#now = opts.now ?? (() => performance.now());
  }

  get size(): number { return this.#entries.size; }
  has(id: string): boolean { return this.#entries.has(id); }

  /** Starts probing `id`; its first probe comes at a random point of the first interval. */
  add(id: string, firstWithinMs = this.#o.intervalMs): void {
    if (this.#entries.has(id) || this.#stopped) return;
    const e: Entry = { id, due: this.#now() + Math.random() * firstWithinMs, busy: false, index: -1 };
    this.#entries.set(id, e);
    this.#push(e);
    this.#arm();
  }

  remove(id: string): void {
    const e = this.#entries.get(id);
    if (!e) return;
    this.#entries.delete(id);
    if (e.index >= 0) this.#removeAt(e.index);
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  stats(windowMs = 5_000): SchedulerStats {
    const now = this.#now();
    const lates: number[] = [];
    const n = Math.min(this.#sampleCount, SAMPLES);
    for (let i = 0; i < n; i++) {
      const k = (this.#sampleCount - 1 - i) % SAMPLES;
      if (now - this.#sampleAt[k]! > windowMs) break;
      lates.push(this.#sampleLate[k]!);
    }
    lates.sort((a, b) => a - b);
    const span = Math.min(windowMs, now - this.#firstStart);
    const q = (p: number) => (lates.length ? lates[Math.min(lates.length - 1, Math.floor(p * lates.length))]! : 0);
    const r = (x: number) => Math.round(x * 10) / 10;
    return {
      endpoints: this.#entries.size, intervalMs: this.#o.intervalMs,
      probesPerSecond: span > 0 ? Math.round((lates.length * 1000) / span) : 0,
      lateP50Ms: r(q(0.5)), lateP99Ms: r(q(0.99)), lateMaxMs: r(lates.length ? lates[lates.length - 1]! : 0),
      skippedBusy: this.#skippedBusy, inFlight: this.#inFlight, started: this.#started,
    };
  }

  #fire = (): void => {
    this.#timer = undefined;
    this.#timerAt = Infinity;
    if (this.#stopped) return;
    const now = this.#now();
    const { intervalMs, jitter, maxInFlight } = this.#o;
    while (this.#heap.length && this.#heap[0]!.due <= now && this.#inFlight < maxInFlight) {
      const e = this.#heap[0]!;
      const late = now - e.due;
      this.#record(now, late);
      if (e.busy) this.#skippedBusy++;
      else this.#start(e);
      let next = e.due + intervalMs * (1 + jitter * (2 * Math.random() - 1));
      if (next <= now) next = now + intervalMs * Math.random();
      e.due = next;
      this.#siftDown(0);
    }
    this.#arm();
  };

  #start(e: Entry): void {
    e.busy = true;
    this.#inFlight++;
    this.#started++;
    if (this.#firstStart === 0) this.#firstStart = this.#now();
    void this.#o.run(e.id).finally(() => {
      e.busy = false;
      const wasFull = this.#inFlight >= this.#o.maxInFlight;
      this.#inFlight--;
      if (wasFull) this.#arm(true);
    });
  }

  #record(now: number, late: number): void {
    const k = this.#sampleCount % SAMPLES;
    this.#sampleAt[k] = now;
    this.#sampleLate[k] = late;
    this.#sampleCount++;
  }

  #arm(immediately = false): void {
    if (this.#stopped || this.#heap.length === 0) return;
    const at = immediately ? this.#now() : this.#heap[0]!.due;
    if (this.#timer && this.#timerAt <= at) return;
    clearTimeout(this.#timer);
    this.#timerAt = at;
    this.#timer = setTimeout(this.#fire, Math.max(0, at - this.#now()));
    this.#timer.unref();
  }

  // Binary min-heap on `due`; entries know their index so remove() is O(log n).
  #push(e: Entry): void {
    e.index = this.#heap.length;
    this.#heap.push(e);
    this.#siftUp(e.index);
  }

  #removeAt(i: number): void {
    const h = this.#heap;
    const removed = h[i]!;
    removed.index = -1;
    const last = h.pop()!;
    if (last === removed) return;
    h[i] = last;
    last.index = i;
    this.#siftDown(i);
    this.#siftUp(last.index);
  }

  #siftUp(i: number): void {
    const h = this.#heap;
    const e = h[i]!;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (h[p]!.due <= e.due) break;
      h[i] = h[p]!;
      h[i]!.index = i;
      i = p;
    }
    h[i] = e;
    e.index = i;
  }

  #siftDown(i: number): void {
    const h = this.#heap;
    const n = h.length;
    const e = h[i]!;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && h[r]!.due < h[l]!.due ? r : l;
      if (h[c]!.due >= e.due) break;
      h[i] = h[c]!;
      h[i]!.index = i;
      i = c;
    }
    h[i] = e;
    e.index = i;
  }
}
