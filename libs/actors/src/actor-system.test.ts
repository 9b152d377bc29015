import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ActorSystem, ActorStoppedError, type Behavior, type SystemEvent } from './index.ts';
import { sleep, waitFor } from './wait-for.ts';

type LogMsg = { type: 'test.v1.work'; n: number; delayMs: number } | { type: 'test.v1.log' };

function logger(): Behavior<LogMsg> {
  const log: string[] = [];
  return {
    async receive(msg) {
      if (msg.type === 'test.v1.log') return [...log];
      log.push(`start:${msg.n}`);
      if (msg.delayMs) await sleep(msg.delayMs);
      log.push(`end:${msg.n}`);
      return msg.n;
    },
  };
}

test('messages are handled in order, one at a time, even when receive is async', async () => {
  const system = new ActorSystem();
  const ref = system.spawn('logger', logger);
  ref.tell({ type: 'test.v1.work', n: 1, delayMs: 30 });
  ref.tell({ type: 'test.v1.work', n: 2, delayMs: 0 });
  ref.tell({ type: 'test.v1.work', n: 3, delayMs: 10 });
  const log = await ref.ask<string[]>({ type: 'test.v1.log' });
  assert.deepEqual(log, ['start:1', 'end:1', 'start:2', 'end:2', 'start:3', 'end:3']);
  await system.shutdown();
});

test('ask returns the reply; ask timeout rejects with MESHGATE_ASK_TIMEOUT', async () => {
  const system = new ActorSystem({ stopTimeoutMs: 1000 });
  const ref = system.spawn('logger', logger);
  assert.equal(await ref.ask({ type: 'test.v1.work', n: 42, delayMs: 0 }), 42);
  await assert.rejects(ref.ask({ type: 'test.v1.work', n: 1, delayMs: 300 }, 50), (err: Error & { code?: string }) => {
    assert.equal(err.name, 'AskTimeoutError');
    assert.equal(err.code, 'MESHGATE_ASK_TIMEOUT');
    return true;
  });
  // The actor keeps working after an asker gave up.
  assert.equal(await ref.ask({ type: 'test.v1.work', n: 7, delayMs: 0 }), 7);
  await system.shutdown();
});

test('a stopped actor: tell is a dead letter, ask rejects ActorStoppedError, name is free again', async () => {
  const events: SystemEvent[] = [];
  const system = new ActorSystem({ onEvent: (e) => events.push(e) });
  const ref = system.spawn('logger', logger);
  await system.stop('logger');
  assert.equal(system.lookup('logger'), undefined);
  assert.doesNotThrow(() => ref.tell({ type: 'test.v1.work', n: 1, delayMs: 0 }));
  assert.ok(events.some((e) => e.type === 'actor.dead-letter' && e.name === 'logger'));
  await assert.rejects(ref.ask({ type: 'test.v1.log' }), ActorStoppedError);
  const again = await system.spawnAndStart('logger', logger);
  assert.equal(await again.ask({ type: 'test.v1.work', n: 2, delayMs: 0 }), 2);
  await system.shutdown();
});

test('spawn rejects duplicate and invalid names with coded errors', async () => {
  const system = new ActorSystem();
  system.spawn('a', logger);
  assert.throws(() => system.spawn('a', logger), { code: 'MESHGATE_ACTOR_NAME_TAKEN' });
  assert.throws(() => system.spawn('a/b', logger), { code: 'MESHGATE_INVALID_ACTOR_NAME' });
  await system.shutdown();
  await assert.rejects(system.spawnAndStart('b', logger), { code: 'MESHGATE_SYSTEM_SHUT_DOWN' });
});

test('shutdown stops children before parents, last spawned root first, and waits for in-flight messages', async () => {
  const stopped: string[] = [];
  let finishedSlow = false;
  const system = new ActorSystem({ onEvent: (e) => { if (e.type === 'actor.stopped') stopped.push(e.name); } });
  type Slow = { type: 'test.v1.slow' };
  const node = (children: string[]): () => Behavior<Slow> => () => ({
    start(ctx) { for (const c of children) ctx.spawn(c, node([])); },
    async receive() { await sleep(50); finishedSlow = true; },
    stop(ctx) { stopped.push(`stop():${ctx.name}`); },
  });
  await system.spawnAndStart('first', node([]));
  const parent = await system.spawnAndStart('parent', () => ({
    start(ctx) { ctx.spawn('child', node(['grandchild'])); },
    receive() {},
    stop(ctx) { stopped.push(`stop():${ctx.name}`); },
  }));
  assert.equal(parent.name, 'parent');
  await waitFor(() => system.lookup('parent/child/grandchild') !== undefined, 'grandchild');
  system.lookup<Slow>('first')!.tell({ type: 'test.v1.slow' });
  await sleep(5);
  await system.shutdown();
  assert.deepEqual(stopped, [
    'stop():parent/child/grandchild', 'parent/child/grandchild',
    'stop():parent/child', 'parent/child',
    'stop():parent', 'parent',
    'stop():first', 'first',
  ]);
  assert.equal(finishedSlow, true, 'in-flight message finished before stop');
  assert.equal(system.lookup('parent/child'), undefined);
});

test('stop() errors are reported as actor.stop-failed, not thrown', async () => {
  const events: SystemEvent[] = [];
  const system = new ActorSystem({ onEvent: (e) => events.push(e) });
  system.spawn('bad-stop', () => ({ receive() {}, stop() { throw new Error('nope'); } }));
  await system.shutdown();
  assert.ok(events.some((e) => e.type === 'actor.stop-failed' && e.name === 'bad-stop'));
  assert.ok(events.some((e) => e.type === 'actor.stopped' && e.name === 'bad-stop'));
});
