/**
 * Epoch time with the fraction of a millisecond, for stamps that other
 * threads and processes compare (an ACK's servingAt, a span's start).
 *
 * Not `performance.timeOrigin + performance.now()`: in a worker thread
 * started on a busy machine the time origin is out of step with
 * performance.now()'s own, by as long as the thread waited to start
 * (measured here: 8 to 250 ms off, 60 worker threads started on 2 busy
 * cores; 0.05 ms on an idle machine). The origin here is taken in this
 * thread, at a tick of Date.now(), so it is right to microseconds;
 * each minute it follows Date.now() if the wall clock was stepped or
 * slewed by more than a millisecond since.
 */
let originMs = NaN;
let checkedAt = -Infinity;
const RECHECK_MS = 60_000;

/**
 * Date.now() - performance.now(), read in that order, is never over the
 * true origin (Date.now() truncates, and any time between the two reads
 * only lowers it), and is within a few microseconds of it when read just
 * after Date.now() ticks. So: the highest reading, taken until a tick falls
 * between two readings 20 µs apart (a preempted thread waits for another
 * tick), at most 20 ms; about a millisecond, once per thread.
 */
function calibrate(): number {
  let best = -Infinity;
  let last = Date.now();
  let lastP = performance.now();
  const until = lastP + 20;
  for (;;) {
    const now = Date.now();
    const p = performance.now();
    if (now - p > best) best = now - p;
    if ((now !== last && p - lastP < 0.02) || p > until) return best;
    last = now;
    lastP = p;
  }
}

/** Epoch ms at performance.now() === 0 in this thread. */
export function epochOriginMs(): number {
  const p = performance.now();
  if (Number.isNaN(originMs)) originMs = calibrate();
  else if (p - checkedAt > RECHECK_MS) {
    // As in calibrate(): up to 1 ms under the origin (more if this thread is preempted between the reads), never over it.
    const wall = Date.now() - performance.now();
    if (wall > originMs + 0.05 || wall < originMs - 1) originMs = calibrate();
  }
  checkedAt = p;
  return originMs;
}

/** Epoch ms, with the fraction: comparable across the threads and processes of a machine. */
export function epochNow(): number {
  const p = performance.now();
  return (p - checkedAt > RECHECK_MS ? epochOriginMs() : originMs) + p;
}
