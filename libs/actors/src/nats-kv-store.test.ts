import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startNatsServer, type NatsServer } from '@meshgate/testing';
import { getBlob, jsonCodec, KvConflictError, MemoryKvStore, NatsKvStore, NatsTransport, putBlob, type KvStore } from './index.ts';

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

test('a blob larger than max_payload (1 MiB) goes in chunks and comes back whole', async () => {
  const big = new Uint8Array(2.5 * 1024 * 1024);
  for (let i = 0; i < big.length; i++) big[i] = (i * 31) & 0xff;
  const ref = await putBlob(kv, 'blob', 0, big);
  assert.ok(ref.chunks >= 10);
  const back = await getBlob(kv, 'blob', ref);
  assert.deepEqual(back, big);
  assert.equal(await getBlob(kv, 'blob', { ...ref, slot: 1 }), undefined);
});

test('the bucket survives reopening (durable)', async () => {
  await kv.put('durable', bytes('yes'));
  const again = await NatsKvStore.open(t.connection, 'kv-test');
  assert.equal(text((await again.get('durable'))?.value), 'yes');
});
