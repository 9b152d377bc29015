import assert from 'node:assert/strict';
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { test } from 'node:test';
import { memoryKv } from './memory-kv.ts';
import { MessageType, type SnapshotMessage } from './messages.ts';
import { encodeSnapshot } from './snapshot.ts';
import { signMessage } from './snapshot-signing.ts';
import { snapshotValue, writeStoredSnapshot } from './snapshot-store.ts';
import { SnapshotClient, type SnapshotRequester } from './snapshot-client.ts';

const content = (n: number) => ({ rules: [], tls: [], backends: [{ id: `b${n}` }] });

/** Answers "latest snapshot?" as a config service would, counting the asks; `down`: no answer. */
function configService(answer: () => unknown) {
  const asked: unknown[] = [];
  let down = false;
  const transport: SnapshotRequester = {
    async request<R>(subject: string, data: unknown): Promise<R> {
      asked.push({ subject, data });
      if (down) throw new Error('timeout');
      return answer() as R;
    },
  };
  return { transport, asked, setDown: (d: boolean) => { down = d; } };
}

test('latest: the KV store first (the config service not asked), else the config service; only newer than held', async () => {
  const store = memoryKv();
  const cs = configService(() => encodeSnapshot(content(9), 9));
  const client = new SnapshotClient({ transport: cs.transport, latestSubject: 'get', store });
  assert.equal((await client.latest(0))?.version, 9, 'nothing stored yet: asked the config service');
  assert.deepEqual(cs.asked, [{ subject: 'get', data: { type: MessageType.SnapshotGet, have: 0 } }]);
  await writeStoredSnapshot(snapshotValue(store, 'w'), encodeSnapshot(content(3), 3), 0);
  assert.equal((await client.latest(2))?.version, 3);
  assert.equal(await client.latest(3), undefined, 'not newer: nothing');
  assert.equal(cs.asked.length, 1, 'the KV store answered');
  assert.equal(await client.storedVersion(), 3);
});

test('latest: a reference is read from the KV store; without a store it is nothing; no answer rejects', async () => {
  const store = memoryKv();
  const big = encodeSnapshot(content(5), 5);
  const ref = { type: MessageType.SnapshotRef, version: 5, hash: big.hash, bytes: big.body.length };
  const cs = configService(() => ref);
  assert.equal(await new SnapshotClient({ transport: cs.transport, latestSubject: 'get' }).latest(0), undefined);
  await assert.rejects(new SnapshotClient({ transport: cs.transport, latestSubject: 'get' }).resolve(ref as never), /only in the KV store/);
  const client = new SnapshotClient({ transport: cs.transport, latestSubject: 'get', store });
  await writeStoredSnapshot(snapshotValue(store, 'w'), big, 0);
  assert.equal((await client.resolve(ref as never))?.version, 5);
  cs.setDown(true);
  await assert.rejects(new SnapshotClient({ transport: cs.transport, latestSubject: 'get' }).latest(0), /timeout/);
});

test('open: signature first, then format and hash; without a trust key anything well-formed passes', () => {
  const real = generateKeyPairSync('ed25519');
  const cs = configService(() => undefined);
  const client = new SnapshotClient({ transport: cs.transport, latestSubject: 'get', trustKey: createPublicKey(real.privateKey) });
  assert.equal(client.verifying, true);
  const good = signMessage(encodeSnapshot(content(1), 1), real.privateKey);
  assert.deepEqual(client.openContent(good), content(1));
  assert.throws(() => client.open(encodeSnapshot(content(1), 1)), /unsigned/);
  assert.throws(() => client.open(signMessage(encodeSnapshot(content(1), 1), generateKeyPairSync('ed25519').privateKey)), /signed by key/);
  assert.throws(() => client.open({ ...good, body: good.body.map((b, i) => (i === 10 ? b ^ 1 : b)) }), /refused/);
  const open = new SnapshotClient({ transport: cs.transport, latestSubject: 'get' });
  assert.throws(() => open.open({ ...good, hash: 'f'.repeat(64) }), /corrupt/);
});

test('catchUp: one fetch at a time, what it found handed over; the schedule comes due each period', async () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => { release = r; });
  const transport: SnapshotRequester = { async request<R>() { await gate; return encodeSnapshot(content(2), 2) as R; } };
  const client = new SnapshotClient({ transport, latestSubject: 'get', emptyEvery: 1, every: 5 });
  const found: SnapshotMessage[] = [];
  client.catchUp(0, (s) => found.push(s));
  client.catchUp(0, (s) => found.push(s));
  release();
  await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(found.map((s) => s.version), [2], 'the second call found one running');
  const due = [1, 2, 3, 4, 5, 6, 7, 8].map((t) => client.due(t, t < 3 ? 0 : 1));
  assert.deepEqual(due, [true, true, false, false, false, false, true, false], 'each tick while empty, then every 5th');
});
