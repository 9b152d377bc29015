import v8 from 'node:v8';
import { PerformanceObserver, constants, type PerformanceEntry } from 'node:perf_hooks';

/** One thread's V8 heap, as /metrics and /status report it. */
export interface HeapStats {
  /** Heap in use now (a point on the garbage-collection sawtooth). */
  usedBytes: number;
  /**
   * Heap in use right after the last full (mark-compact) collection: what is
   * really alive. The figure that tells a leak (it keeps climbing) from a heap
   * growing into its steady size (it levels off). 0 before the first one.
   */
  liveBytes: number;
  /** Full collections so far. */
  majorGcs: number;
  /** Memory the heap holds from the system (V8 total_physical_size): what it adds to RSS. */
  committedBytes: number;
}

/**
 * Watches this thread's heap (each worker thread has its own isolate, so
 * each calls this once). A `gc` performance observer costs nothing per
 * request: it runs only when V8 has collected.
 */
export function watchHeap(): { stats(): HeapStats; stop(): void } {
  let liveBytes = 0;
  let majorGcs = 0;
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      if (((e as PerformanceEntry & { detail?: { kind?: number } }).detail)?.kind !== constants.NODE_PERFORMANCE_GC_MAJOR) continue;
      majorGcs++;
      // The observer runs soon after the collection: close to what survived it.
      liveBytes = v8.getHeapStatistics().used_heap_size;
    }
  });
  obs.observe({ entryTypes: ['gc'] });
  return {
    stats: () => {
      const h = v8.getHeapStatistics();
      return { usedBytes: h.used_heap_size, liveBytes, majorGcs, committedBytes: h.total_physical_size };
    },
    stop: () => obs.disconnect(),
  };
}
