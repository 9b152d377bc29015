import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { LimitTable } from './limit-table.ts';

test('a rate lets a burst through at once, then one per interval (nginx limit_req burst=N nodelay: N + 1 at once)', () => {
  const t = LimitTable.create(64);
  const s = t.slot('ing\x00192.0.2.1', false);
  let ok = 0;
  for (let i = 0; i < 20; i++) if (t.take(s, 0, 1, 4)) ok++;
  assert.equal(ok, 5);
  // The other rate of the slot is apart.
  assert.equal(t.take(s, 1, 1, 0), true);
  assert.equal(t.take(s, 1, 1, 0), false);
});

test('keys have slots of their own, found again; requests in progress are counted up to a maximum', () => {
  const t = LimitTable.create(64);
  const a = t.slot('a', false);
  const b = t.slot('b', false);
  assert.notEqual(a, b);
  assert.equal(t.slot('a', false), a);
  assert.ok(t.acquire(a, 2) && t.acquire(a, 2));
  assert.equal(t.acquire(a, 2), false);
  assert.equal(t.acquire(b, 2), true, 'another key');
  t.release(a);
  assert.equal(t.acquire(a, 2), true);
  assert.equal(t.share(a), 1, 'a node-wide key is the node\'s alone');
});

test('a full neighbourhood takes over a slot whose state is spent; none spent: -1 (the filter refuses, as nginx does with a full zone)', () => {
  const t = LimitTable.create(8);
  const slots = Array.from({ length: 8 }, (_, i) => t.slot(`k${i}`, false));
  assert.equal(new Set(slots).size, 8);
  for (const s of slots) assert.ok(t.acquire(s, 10));
  assert.equal(t.slot('k8', false), -1, 'every slot has a request in progress');
  t.release(slots[3]!);
  assert.equal(t.slot('k8', false), slots[3], 'the idle one is taken over');
});

test('cluster keys: arrivals are counted for the exchange, the share scales them, and the default share applies until one is set', () => {
  const t = LimitTable.create(64);
  const s = t.slot('c', true);
  t.slot('c', true);
  t.slot('n', false);
  const seen: [number, number][] = [];
  t.drainArrivals((slot, _id, _fp, n) => seen.push([slot, n]));
  assert.deepEqual(seen, [[s, 2]]);
  t.drainArrivals((_s, _id, _fp, n) => assert.equal(n, 0, 'read and reset'));
  assert.equal(t.share(s), 1);
  t.setDefaultShare(1 / 3);
  assert.ok(Math.abs(t.share(s) - 1 / 3) < 1e-6);
  let fp = 0;
  t.drainArrivals((_s, _id, f) => { fp = f; });
  t.setShare(s, fp, 0.25);
  assert.equal(t.share(s), 0.25);
  t.setShare(s, fp + 2, 0.5);
  assert.equal(t.share(s), 0.25, 'a share for another key (the slot was taken over meanwhile) is dropped');
});

test('worker threads share the table: together they let through exactly the burst and never exceed the connection limit', async () => {
  const t = LimitTable.create(1024);
  const url = new URL('./limit-table.ts', import.meta.url).href;
  const code = `
    const { workerData, parentPort } = require('node:worker_threads');
    import(${JSON.stringify(url)}).then(({ LimitTable }) => {
      const t = new LimitTable(workerData);
      let rate = 0, conn = 0;
      for (let i = 0; i < 5000; i++) {
        const s = t.slot('ing\\x00198.51.100.7', false);
        if (t.take(s, 0, 0.01, 99)) rate++;
        if (t.acquire(s, 10)) conn++;
      }
      parentPort.postMessage({ rate, conn });
    });`;
  const results = await Promise.all(Array.from({ length: 4 }, () => new Promise<{ rate: number; conn: number }>((resolve, reject) => {
    const w = new Worker(code, { eval: true, workerData: t.buffer });
    w.once('message', (m) => { resolve(m); void w.terminate(); });
    w.once('error', reject);
  })));
  assert.equal(results.reduce((n, r) => n + r.rate, 0), 100);
  assert.equal(results.reduce((n, r) => n + r.conn, 0), 10);
});
