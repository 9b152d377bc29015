import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryKvStore } from '@meshgate/actors';
import { encodeSnapshot } from '@meshgate/protocol';
import { createLogger } from '@meshgate/telemetry';
import { emptyApplied, type AppliedState } from './applied-objects.ts';
import { CONFLICT, MAX_RETRIES, StoreSync, untilStored } from './store-sync.ts';

const log = createLogger('test', { level: 'silent' });
const snap = (v: number) => encodeSnapshot({ rules: [], backends: [], tls: [], v }, v);
const objects = (name: string): AppliedState => ({ ...emptyApplied(), objects: [{ kind: 'Ingress', name } as never] });

test('untilStored: retries a conflict, at most MAX_RETRIES times more, then gives up', async () => {
  const tries: number[] = [];
  assert.equal(await untilStored(async (n) => { tries.push(n); return n < 2 ? CONFLICT : 'ok'; }, () => 'gave up'), 'ok');
  assert.deepEqual(tries, [0, 1, 2]);
  let calls = 0;
  assert.equal(await untilStored(async () => { calls++; return CONFLICT; }, () => 'gave up'), 'gave up');
  assert.equal(calls, MAX_RETRIES + 1);
  await assert.rejects(untilStored(async () => CONFLICT, () => { throw new Error('try again'); }), /try again/);
});

test('two config services on one store: the second to write conflicts, and after a sync stores on top', async () => {
  const kv = new MemoryKvStore();
  const a = new StoreSync(kv, 'a', log);
  const b = new StoreSync(kv, 'b', log);
  await a.sync();
  await b.sync();
  assert.equal(await a.store(snap(1), objects('x')), 'stored');
  assert.equal(await b.store(snap(2), objects('y')), CONFLICT);
  assert.equal(await b.syncChanged(), true);
  assert.equal(b.latest?.version, 1, 'b adopted what a stored');
  assert.equal(b.applied.objects[0]!.name, 'x');
  assert.equal(await b.store(snap(2), objects('y')), 'stored');
  assert.equal(await a.syncChanged(), true);
  assert.equal(await a.syncChanged(), false, 'nothing new');
  assert.deepEqual([a.latest?.version, a.applied.objects[0]!.name], [2, 'y']);
  assert.deepEqual(a.content(), { rules: [], backends: [], tls: [], v: 2 });
});

test('without a store: everything in memory, always stored', async () => {
  const s = new StoreSync(undefined, 'a', log);
  assert.equal(s.durable, false);
  assert.equal(await s.syncChanged(), false);
  const o = objects('x');
  assert.equal(await s.store(snap(1), o), 'stored');
  assert.equal(s.applied, o);
  assert.equal(s.latest === undefined, true, 'what is published is the publisher\'s to say');
  s.published(snap(1), { rules: [], backends: [], tls: [] });
  assert.equal(s.latest?.version, 1);
});

test('the store away: a change of the directory waits (pending), an apply fails loudly', async () => {
  const kv = new MemoryKvStore();
  const down = { get: async () => { throw new Error('no JetStream'); }, put: async () => { throw new Error('no JetStream'); }, update: async () => { throw new Error('no JetStream'); } };
  const s = new StoreSync(down, 'a', log);
  assert.equal(await s.store(snap(1), s.applied), 'pending');
  assert.equal(s.unpersisted, true);
  await assert.rejects(s.store(snap(1), objects('x')), /cannot store the applied objects in the KV store \(no JetStream\): is nats-server running with JetStream/);
  const back = new StoreSync(kv, 'a', log);
  back.published(snap(1), { rules: [], backends: [], tls: [] });
  await back.sync();
  assert.equal(back.unpersisted, true, 'an empty store: ours is stored again');
});
