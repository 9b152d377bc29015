import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProbeScheduler } from './probe-scheduler.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('every endpoint is probed about once per interval, concurrently', async () => {
  const counts = new Map<string, number>();
  let running = 0;
  let maxRunning = 0;
  const s = new ProbeScheduler({
    intervalMs: 50,
    run: async (id) => {
      running++; maxRunning = Math.max(maxRunning, running);
      counts.set(id, (counts.get(id) ?? 0) + 1);
      await sleep(20);
      running--;
    },
  });
  for (let i = 0; i < 200; i++) s.add(`e${i}`);
  await sleep(530);
  s.stop();
  const c = [...counts.values()];
  assert.equal(c.length, 200);
  // ~10 per endpoint in 530 ms at 50 ms (+-10% jitter, first within one interval).
  assert.ok(Math.min(...c) >= 5 && Math.max(...c) <= 12, `per-endpoint probes ${Math.min(...c)}..${Math.max(...c)}`);
  assert.ok(maxRunning > 10, 'probes overlap');
  const st = s.stats();
  assert.equal(st.endpoints, 200);
  assert.ok(st.probesPerSecond > 1_000, `rate ${st.probesPerSecond}`);
});

test('a slow probe skips its turns instead of piling up; remove stops an endpoint', async () => {
  let slowRuns = 0;
  let fastRuns = 0;
  const s = new ProbeScheduler({
    intervalMs: 20,
    run: async (id) => { if (id === 'slow') { slowRuns++; await sleep(200); } else fastRuns++; },
  });
  s.add('slow', 1);
  s.add('fast', 1);
  await sleep(150);
  assert.equal(slowRuns, 1);
  assert.ok(s.stats().skippedBusy >= 3);
  s.remove('fast');
  const f = fastRuns;
  await sleep(60);
  assert.equal(fastRuns, f);
  assert.equal(s.size, 1);
  s.stop();
});

test('maxInFlight bounds concurrent probes', async () => {
  let running = 0;
  let maxRunning = 0;
  const s = new ProbeScheduler({
    intervalMs: 30, maxInFlight: 5,
    run: async () => { running++; maxRunning = Math.max(maxRunning, running); await sleep(10); running--; },
  });
  for (let i = 0; i < 50; i++) s.add(`e${i}`);
  await sleep(200);
  s.stop();
  assert.equal(maxRunning, 5);
});

test('heap order survives many adds and removes', async () => {
  const seen: string[] = [];
  const s = new ProbeScheduler({ intervalMs: 10_000, run: async (id) => { seen.push(id); } });
  for (let i = 0; i < 100; i++) s.add(`e${i}`, 40);
  for (let i = 0; i < 100; i += 2) s.remove(`e${i}`);
  await sleep(120);
  s.stop();
  assert.deepEqual(new Set(seen), new Set(Array.from({ length: 50 }, (_, i) => `e${2 * i + 1}`)));
  assert.equal(seen.length, 50);
});
