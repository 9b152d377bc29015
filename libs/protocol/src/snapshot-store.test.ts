import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CHUNK_BYTES, ChunkedValue, INLINE_BYTES, type KvLike } from './snapshot-store.ts';
import { memoryKv } from './memory-kv.ts';

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

test('a second value rides in the same head: staged (inline, or its chunks first), one compare-and-set stores both', async () => {
  const kv = memoryKv();
  const snap = new ChunkedValue(kv, 'snapshot', 'w1');
  const objects = new ChunkedValue(kv, 'applied', 'w1');
  const small = await objects.stage(bytes(100));
  assert.deepEqual(kv.writes, [], 'a small value is not written on its own');
  const rev = await snap.write(bytes(50), 0, { applied: small });
  assert.deepEqual(kv.writes, ['snapshot.head']);
  const h = await new ChunkedValue(kv, 'snapshot', 'reader').readHead<{ blob: string; chunks: number; size: number; applied: { blob: string; chunks: number; size: number } }>();
  assert.equal(h?.revision, rev);
  assert.deepEqual(new Uint8Array((await objects.bytesOf(h!.head.applied))!), bytes(100));
  // A large one: its chunks, then the head that points at them.
  const big = await objects.stage(bytes(CHUNK_BYTES + 1));
  await snap.write(bytes(50), rev, { applied: big });
  assert.deepEqual(kv.writes.slice(1), ['applied.blob.w1.1.0', 'applied.blob.w1.1.1', 'snapshot.head']);
  const r = await new ChunkedValue(kv, 'snapshot', 'reader').read<{ blob: string; chunks: number; size: number; applied: { blob: string; chunks: number; size: number } }>();
  assert.deepEqual(new Uint8Array((await objects.bytesOf(r!.head.applied))!), bytes(CHUNK_BYTES + 1));
  assert.deepEqual(new Uint8Array(r!.bytes), bytes(50));
});

test('read(first) uses a head just read, and reads again when its chunks were rewritten meanwhile', async () => {
  const kv = memoryKv();
  const v = new ChunkedValue(kv, 'snapshot', 'w1');
  let rev = await v.write(bytes(INLINE_BYTES + 1), 0);
  const first = await v.readHead();
  const gets = { n: 0 };
  const counting: KvLike = { ...kv, get: (k) => { gets.n++; return kv.get(k); } };
  const reader = new ChunkedValue(counting, 'snapshot', 'reader');
  assert.deepEqual(new Uint8Array((await reader.read(first))!.bytes), bytes(INLINE_BYTES + 1));
  assert.equal(gets.n, 1, 'its one chunk, not the head again');
  // Two more writes by the same writer reuse the first write's slot: `first` now points at other bytes.
  rev = await v.write(bytes(INLINE_BYTES + 2), rev);
  await v.write(bytes(INLINE_BYTES + 3), rev);
  const r = await reader.read(first);
  assert.deepEqual(new Uint8Array(r!.bytes), bytes(INLINE_BYTES + 3));
});
