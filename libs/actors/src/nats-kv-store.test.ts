import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startNatsServer, type NatsServer } from '@meshgate/testing';
import { jsonCodec, KvConflictError, KvUnavailableError, MemoryKvStore, NatsKvStore, NatsTransport, type KvStore } from './index.ts';

let nats: NatsServer;
let t: NatsTransport;
let kv: NatsKvStore;

before(async () => {
  nats = await startNatsServer();
  t = await NatsTransport.connect({ servers: nats.url, name: 'kv-test', codec: jsonCodec });
  kv = await NatsKvStore.open(t.connection, 'kv-test');
});

after(async () => {
  await t?.close();
  await nats?.stop();
});

const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array | undefined) => (b ? new TextDecoder().decode(b) : undefined);

for (const [name, make] of [['NatsKvStore', () => kv], ['MemoryKvStore', () => new MemoryKvStore()]] as const) {
  test(`${name}: get, put, compare-and-set, delete`, async () => {
    const store: KvStore = make();
    const key = `k${Math.random().toString(36).slice(2)}`;
    assert.equal(await store.get(key), undefined);
    const r1 = await store.update(key, bytes('one'), 0);
    await assert.rejects(store.update(key, bytes('again'), 0), KvConflictError);
    const r2 = await store.update(key, bytes('two'), r1);
    await assert.rejects(store.update(key, bytes('stale'), r1), KvConflictError);
    const e = await store.get(key);
    assert.equal(text(e?.value), 'two');
    assert.equal(e?.revision, r2);
    await store.delete(key);
    assert.equal(await store.get(key), undefined);
    await store.update(key, bytes('three'), 0);
    assert.equal(text((await store.get(key))?.value), 'three');
  });
}

test('a value close to max_payload (1 MiB) is stored whole', async () => {
  const big = new Uint8Array(900 * 1024).fill(7);
  await kv.put('big', big);
  assert.deepEqual((await kv.get('big'))?.value, big);
});

test('the bucket survives reopening (durable)', async () => {
  await kv.put('durable', bytes('yes'));
  const again = await NatsKvStore.open(t.connection, 'kv-test');
  assert.equal(text((await again.get('durable'))?.value), 'yes');
});

test('a reader binds without creating the bucket, and reads what a writer stores later', async () => {
  const reader = await NatsKvStore.open(t.connection, 'kv-later', { mode: 'reader' });
  await assert.rejects(reader.get('x'));
  const writer = await NatsKvStore.open(t.connection, 'kv-later');
  await writer.put('x', bytes('written'));
  // The reader bound before the stream existed (no direct get): the stream message get still works.
  assert.equal(text((await reader.get('x'))?.value), 'written');
  const direct = await NatsKvStore.open(t.connection, 'kv-later', { mode: 'reader' });
  assert.equal(text((await direct.get('x'))?.value), 'written');
  assert.equal(await direct.get('missing'), undefined);
});

test('without JetStream, opening a bucket fails with KvUnavailableError naming -js', async () => {
  const plain = await startNatsServer({ jetstream: false });
  const pt = await NatsTransport.connect({ servers: plain.url, name: 'kv-test-nojs', codec: jsonCodec });
  try {
    await assert.rejects(NatsKvStore.open(pt.connection, 'nojs', { timeoutMs: 500 }), (err: Error) => err instanceof KvUnavailableError && /-js/.test(err.message));
  } finally {
    await pt.close();
    await plain.stop();
  }
});
