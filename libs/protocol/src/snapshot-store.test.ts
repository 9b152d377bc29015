import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CHUNK_BYTES, ChunkedValue, INLINE_BYTES, type KvLike } from './snapshot-store.ts';

/** A KV store in a Map with the same compare-and-set as JetStream KV's update(), counting writes. */
function memoryKv() {
  const data = new Map<string, { value: Uint8Array; revision: number }>();
  let seq = 0;
  const kv: KvLike & { writes: string[] } = {
    writes: [],
    async get(key) { return data.get(key); },
    async put(key, value) { kv.writes.push(key); data.set(key, { value, revision: ++seq }); return seq; },
    async update(key, value, revision) {
      if ((data.get(key)?.revision ?? 0) !== revision) throw Object.assign(new Error(`${key} changed`), { code: 'MESHGATE_KV_CONFLICT' });
      return kv.put(key, value);
    },
  };
  return kv;
}

const bytes = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 7) & 0xff);

test('a small value rides in the head: one write, read back whole', async () => {
  const kv = memoryKv();
  const v = new ChunkedValue(kv, 'snapshot', 'w1');
  const rev = await v.write(bytes(INLINE_BYTES), 0, { version: 3 });
  assert.deepEqual(kv.writes, ['snapshot.head']);
  const r = await v.read<{ blob: string; chunks: number; size: number; version: number }>();
  assert.equal(r?.revision, rev);
  assert.equal(r?.head.version, 3);
  assert.equal(r?.head.chunks, 0);
  assert.deepEqual(new Uint8Array(r!.bytes), bytes(INLINE_BYTES));
});

test('a larger value goes in chunks, the head last; a reader gets it whole', async () => {
  const kv = memoryKv();
  const v = new ChunkedValue(kv, 'applied', 'w1');
  const big = bytes(CHUNK_BYTES * 2 + 5);
  await v.write(big, 0);
  assert.equal(kv.writes.length, 4, 'three chunks and the head');
  assert.equal(kv.writes.at(-1), 'applied.head');
  const r = await new ChunkedValue(kv, 'applied', 'reader').read();
  assert.equal(r?.head.chunks, 3);
  assert.equal(r?.head.inline, undefined);
  assert.deepEqual(new Uint8Array(r!.bytes), big);
});

test('the head is compare-and-set: a writer on a stale revision is refused, and a small value replaces a chunked one', async () => {
  const kv = memoryKv();
  const a = new ChunkedValue(kv, 'snapshot', 'a');
  const b = new ChunkedValue(kv, 'snapshot', 'b');
  const r1 = await a.write(bytes(INLINE_BYTES + 1), 0);
  await assert.rejects(b.write(bytes(10), 0), (e: { code?: string }) => e.code === 'MESHGATE_KV_CONFLICT');
  await b.write(bytes(10), r1);
  const r = await a.read();
  assert.deepEqual(new Uint8Array(r!.bytes), bytes(10));
});
