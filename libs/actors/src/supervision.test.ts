import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ActorSystem, type Behavior, type SystemEvent } from './index.ts';
import { sleep, waitFor } from './wait-for.ts';

type CounterMsg = { type: 'test.v1.inc' } | { type: 'test.v1.get' } | { type: 'test.v1.boom' };

/** A counter whose state is lost on restart; counts incarnations in `stats`. */
function counter(stats: { starts: number; stops: number }): () => Behavior<CounterMsg> {
  return () => {
    let count = 0;
    return {
      start() { stats.starts++; },
      receive(msg) {
        if (msg.type === 'test.v1.boom') throw new Error('boom');
        if (msg.type === 'test.v1.inc') count++;
        return count;
      },
      stop() { stats.stops++; },
    };
  };
}

function recorder() {
  const events: (SystemEvent & { at: number })[] = [];
  return { events, onEvent: (e: SystemEvent) => events.push({ ...e, at: Date.now() }) };
}

test('a crashing actor is restarted with fresh state after a backoff while its siblings keep processing', async () => {
  const { events, onEvent } = recorder();
  const system = new ActorSystem({ onEvent });
  const workerStats = { starts: 0, stops: 0 };
  const siblingStats = { starts: 0, stops: 0 };
  const worker = await system.spawnAndStart('worker', counter(workerStats), { minBackoffMs: 100, maxBackoffMs: 1000 });
  const sibling = await system.spawnAndStart('sibling', counter(siblingStats));

  worker.tell({ type: 'test.v1.inc' });
  worker.tell({ type: 'test.v1.inc' });
  assert.equal(await worker.ask({ type: 'test.v1.get' }), 2);

  // The asker of the crashing message gets the handler's error.
  await assert.rejects(worker.ask({ type: 'test.v1.boom' }), /boom/);
  // Told during the backoff: kept for the next incarnation.
  worker.tell({ type: 'test.v1.inc' });

  // Siblings are unaffected while the worker waits to restart.
  for (let i = 0; i < 5; i++) sibling.tell({ type: 'test.v1.inc' });
  assert.equal(await sibling.ask({ type: 'test.v1.get' }), 5);
  assert.equal(workerStats.starts, 1, 'worker still in backoff');

  // Fresh state: 0 + the one increment queued during the restart.
  assert.equal(await worker.ask({ type: 'test.v1.get' }), 1);
  assert.equal(workerStats.starts, 2);
  assert.equal(workerStats.stops, 1, 'stop() ran before the restart');
  assert.equal(siblingStats.starts, 1);

  const crash = events.find((e) => e.type === 'actor.crashed' && e.name === 'worker');
  assert.ok(crash && crash.type === 'actor.crashed');
  assert.ok(crash.restartInMs! >= 80 && crash.restartInMs! <= 120, `backoff ${crash.restartInMs} ≈ 100 ms ± jitter`);
  const restarted = events.filter((e) => e.type === 'actor.started' && e.name === 'worker')[1];
  assert.ok(restarted.at - crash.at >= 60, 'restart waited for the backoff');

  // A second consecutive crash doubles the backoff.
  await assert.rejects(worker.ask({ type: 'test.v1.boom' }), /boom/);
  const crashes = events.filter((e) => e.type === 'actor.crashed' && e.name === 'worker');
  const second = crashes[1];
  assert.ok(second.type === 'actor.crashed' && second.restartInMs! >= 160 && second.restartInMs! <= 240, `second backoff ${JSON.stringify(second)}`);
  await system.shutdown();
});

test('start() failing on the first start: spawnAndStart rejects, actor.start-failed, no restart loop', async () => {
  const { events, onEvent } = recorder();
  const system = new ActorSystem({ onEvent });
  let starts = 0;
  const failing = (): Behavior<CounterMsg> => ({
    start() { starts++; throw new Error('port in use'); },
    receive() {},
  });
  await assert.rejects(system.spawnAndStart('listener', failing, { minBackoffMs: 10 }), /port in use/);
  assert.ok(events.some((e) => e.type === 'actor.start-failed' && e.name === 'listener' && String(e.error).includes('port in use')));
  assert.ok(events.some((e) => e.type === 'actor.stopped' && e.name === 'listener'));
  assert.equal(system.lookup('listener'), undefined);
  await sleep(200);
  assert.equal(starts, 1);

  // Same with plain spawn(): reported, not retried; queued asks are rejected.
  const ref = system.spawn('listener2', failing, { minBackoffMs: 10 });
  await assert.rejects(ref.ask({ type: 'test.v1.get' }), { code: 'MESHGATE_ACTOR_STOPPED' });
  await sleep(100);
  assert.equal(starts, 2);
  assert.ok(!events.some((e) => e.type === 'actor.crashed'));
  await system.shutdown();
});

test('start() failing on a restart counts as a crash and is retried with backoff', async () => {
  const { events, onEvent } = recorder();
  const system = new ActorSystem({ onEvent });
  let starts = 0;
  const ref = await system.spawnAndStart<CounterMsg>('flaky', () => ({
    start() { if (++starts === 2) throw new Error('nats away'); },
    receive(msg) { if (msg.type === 'test.v1.boom') throw new Error('boom'); return starts; },
  }), { minBackoffMs: 10, maxBackoffMs: 100 });
  ref.tell({ type: 'test.v1.boom' });
  assert.equal(await ref.ask({ type: 'test.v1.get' }), 3);
  const crashes = events.filter((e) => e.type === 'actor.crashed');
  assert.equal(crashes.length, 2);
  assert.match(String((crashes[1] as { error: unknown }).error), /nats away/);
  assert.ok(!events.some((e) => e.type === 'actor.start-failed'));
  await system.shutdown();
});

test('more than maxRestarts crashes within windowMs stop the actor', async () => {
  const { events, onEvent } = recorder();
  const system = new ActorSystem({ onEvent });
  const stats = { starts: 0, stops: 0 };
  const ref = await system.spawnAndStart('crashy', counter(stats), { minBackoffMs: 5, maxBackoffMs: 20, maxRestarts: 2, windowMs: 60_000 });
  await assert.rejects(ref.ask({ type: 'test.v1.boom' }), /boom/);
  await assert.rejects(ref.ask({ type: 'test.v1.boom' }), /boom/);
  await assert.rejects(ref.ask({ type: 'test.v1.boom' }), /boom/);
  await waitFor(() => events.some((e) => e.type === 'actor.stopped' && e.name === 'crashy'), 'crashy stopped');
  assert.equal(stats.starts, 3, 'initial start + 2 restarts');
  const failed = events.find((e) => e.type === 'actor.failed');
  assert.ok(failed && failed.type === 'actor.failed' && failed.reason === 'max-restarts');
  assert.equal(system.lookup('crashy'), undefined);
  await assert.rejects(ref.ask({ type: 'test.v1.get' }), { code: 'MESHGATE_ACTOR_STOPPED' });
  await system.shutdown();
});

test("restart: 'never' stops the actor on its first crash", async () => {
  const { events, onEvent } = recorder();
  const system = new ActorSystem({ onEvent });
  const stats = { starts: 0, stops: 0 };
  const ref = await system.spawnAndStart('once', counter(stats), { restart: 'never' });
  await assert.rejects(ref.ask({ type: 'test.v1.boom' }), /boom/);
  await waitFor(() => system.lookup('once') === undefined, 'once stopped');
  assert.ok(events.some((e) => e.type === 'actor.failed' && e.reason === 'restart-never'));
  assert.equal(stats.starts, 1);
  assert.equal(stats.stops, 1);
  await system.shutdown();
});

test('a restarting parent stops its children first and can spawn them again', async () => {
  const system = new ActorSystem();
  const childStats = { starts: 0, stops: 0 };
  const parent = await system.spawnAndStart<CounterMsg>('parent', () => ({
    start(ctx) { ctx.spawn('child', counter(childStats)); },
    receive(msg) { if (msg.type === 'test.v1.boom') throw new Error('boom'); },
  }), { minBackoffMs: 5 });
  await assert.rejects(parent.ask({ type: 'test.v1.boom' }), /boom/);
  await waitFor(() => childStats.starts === 2, 'child respawned');
  assert.equal(childStats.stops, 1);
  assert.equal(await system.lookup<CounterMsg>('parent/child')!.ask({ type: 'test.v1.get' }), 0);
  await system.shutdown();
  assert.equal(childStats.stops, 2);
});
