import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { epochNow, epochOriginMs } from './clock.ts';

/** The calibration finds the origin to within microseconds, or at worst (a thread preempted at every tick for 20 ms) a fraction of a millisecond. */
const SLACK_MS = 1;

test('epochNow agrees with Date.now() here', () => {
  for (let i = 0; i < 1000; i++) {
    const before = Date.now();
    const t = epochNow();
    const after = Date.now();
    // Date.now() truncates to the millisecond: t is in [before, after + 1), give or take the calibration's microseconds.
    assert.ok(t >= before - SLACK_MS && t < after + 1 + SLACK_MS, `${t} outside [${before}, ${after + 1})`);
  }
  assert.equal(epochOriginMs(), epochOriginMs());
});

test('in worker threads started on busy cores too, where performance.timeOrigin can be far off', async (t) => {
  // Two threads spinning keep both cores busy while twenty workers start: each worker's
  // performance.timeOrigin is then taken out of step with its performance.now().
  const hogs = Array.from({ length: 2 }, () => new Worker('const t = Date.now(); while (Date.now() - t < 3000);', { eval: true }));
  const code = `
    const { parentPort } = require('node:worker_threads');
    import(${JSON.stringify(new URL('./clock.ts', import.meta.url).href)}).then(({ epochNow }) => {
      let worst = 0, timeOriginWorst = 0;
      for (let i = 0; i < 200; i++) {
        const before = Date.now();
        const t = epochNow();
        const o = performance.timeOrigin + performance.now();
        const after = Date.now();
        worst = Math.max(worst, before - t, t - (after + 1));
        timeOriginWorst = Math.max(timeOriginWorst, Math.abs(o - before));
      }
      parentPort.postMessage({ worst, timeOriginWorst });
    });`;
  try {
    const results = await Promise.all(Array.from({ length: 20 }, () => new Promise<{ worst: number; timeOriginWorst: number }>((resolve, reject) => {
      const w = new Worker(code, { eval: true });
      w.once('message', (m) => { resolve(m); void w.terminate(); });
      w.once('error', reject);
    })));
    for (const r of results) assert.ok(r.worst <= SLACK_MS, `epochNow() outside Date.now()'s millisecond by ${r.worst} ms`);
    // Not asserted (it depends on the machine's load): how far the time origin was off in the worst thread.
    t.diagnostic(`performance.timeOrigin + now() was off by up to ${Math.max(...results.map((r) => r.timeOriginWorst)).toFixed(1)} ms`);
  } finally {
    await Promise.all(hogs.map((h) => h.terminate()));
  }
});
