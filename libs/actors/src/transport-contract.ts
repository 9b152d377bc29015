// Shared tests (not exported from index.ts) that every Transport must pass,
// so LocalTransport and NatsTransport stay interchangeable. `pair()` returns
// two transports on the same bus (two connections for NATS).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ActorSystem, exposeActor, remoteRef, RemoteError, type Message, type Transport } from './index.ts';
import { waitFor } from './wait-for.ts';

export function transportContract(kind: string, pair: () => { a: Transport; b: Transport }): void {
  test(`${kind}: publish/subscribe with exact, * and > subjects`, async () => {
    const { a, b } = pair();
    const got: Record<string, string[]> = { exact: [], star: [], tail: [] };
    const subs = [
      b.subscribe('cfg.node1', (m) => { got.exact.push(m.subject); }),
      b.subscribe('cfg.*', (m) => { got.star.push(m.subject); }),
      b.subscribe('cfg.>', (m) => { got.tail.push(m.subject); }),
    ];
    await b.flush();
    a.publish('cfg.node1', { type: 'test.v1.x' });
    a.publish('cfg.node1.routes', { type: 'test.v1.x' });
    a.publish('other.node1', { type: 'test.v1.x' });
    await a.flush();
    await waitFor(() => got.tail.length === 2, 'cfg.> deliveries');
    await b.flush();
    assert.deepEqual(got, { exact: ['cfg.node1'], star: ['cfg.node1'], tail: ['cfg.node1', 'cfg.node1.routes'] });
    for (const s of subs) s.unsubscribe();
  });

  test(`${kind}: request/reply`, async () => {
    const { a, b } = pair();
    const sub = b.subscribe('math.double', (m) => { m.reply!({ n: (m.data as { n: number }).n * 2 }); });
    await b.flush();
    assert.deepEqual(await a.request('math.double', { n: 21 }), { n: 42 });
    sub.unsubscribe();
  });

  test(`${kind}: request timeout rejects with MESHGATE_ASK_TIMEOUT`, async () => {
    const { a, b } = pair();
    const sub = b.subscribe('silent', () => {});
    await b.flush();
    await assert.rejects(a.request('silent', {}, 100), { code: 'MESHGATE_ASK_TIMEOUT', name: 'AskTimeoutError' });
    sub.unsubscribe();
  });

  test(`${kind}: request with nobody listening rejects with MESHGATE_NO_RESPONDERS`, async () => {
    const { a } = pair();
    await assert.rejects(a.request('nobody.home', {}, 2000), { code: 'MESHGATE_NO_RESPONDERS', name: 'NoRespondersError' });
  });

  test(`${kind}: queue groups deliver each message to one member`, async () => {
    const { a, b } = pair();
    const perMember = [0, 0, 0];
    let plain = 0;
    const subs = [
      ...perMember.map((_, i) => b.subscribe('work.items', () => { perMember[i]++; }, { queue: 'workers' })),
      b.subscribe('work.*', () => { plain++; }),
    ];
    await b.flush();
    for (let i = 0; i < 30; i++) a.publish('work.items', { type: 'test.v1.item', i });
    await a.flush();
    await waitFor(() => plain === 30 && perMember.reduce((x, y) => x + y) === 30, 'all deliveries');
    await b.flush();
    assert.equal(perMember.reduce((x, y) => x + y), 30, 'each message went to exactly one queue member');
    for (const s of subs) s.unsubscribe();
  });

  test(`${kind}: exposeActor + remoteRef: tell, ask, remote errors`, async () => {
    const { a, b } = pair();
    type Msg = { type: 'kv.v1.put'; key: string; value: string } | { type: 'kv.v1.get'; key: string } | { type: 'kv.v1.fail' };
    const system = new ActorSystem();
    const store = await system.spawnAndStart<Msg>('kv', () => {
      const map = new Map<string, string>();
      return {
        receive(msg) {
          if (msg.type === 'kv.v1.put') map.set(msg.key, msg.value);
          else if (msg.type === 'kv.v1.get') return { type: 'kv.v1.value', value: map.get(msg.key) ?? null };
          else throw Object.assign(new Error('refused'), { code: 'KV_REFUSED' });
        },
      };
    });
    const sub = exposeActor(a, 'svc.kv', store);
    await a.flush();
    const remote = remoteRef<Msg>(b, 'svc.kv');
    assert.equal(remote.name, 'svc.kv');
    remote.tell({ type: 'kv.v1.put', key: 'k', value: 'v' });
    await b.flush();
    // Tell and ask travel different paths; poll until the put has landed.
    let reply: unknown;
    for (let i = 0; i < 100; i++) {
      reply = await remote.ask({ type: 'kv.v1.get', key: 'k' });
      if ((reply as { value: unknown }).value === 'v') break;
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.deepEqual(reply, { type: 'kv.v1.value', value: 'v' });
    await assert.rejects(remote.ask({ type: 'kv.v1.fail' }), (err: unknown) => {
      assert.ok(err instanceof RemoteError);
      assert.equal(err.code, 'KV_REFUSED');
      assert.equal(err.message, 'refused');
      return true;
    });
    // The failure restarted the actor (fresh state), which keeps serving.
    assert.deepEqual(await remote.ask({ type: 'kv.v1.get', key: 'k' }), { type: 'kv.v1.value', value: null });
    // A payload that is not a message is answered with a coded error.
    await assert.rejects(remoteRef<Message>(b, 'svc.kv').ask('junk' as unknown as Message), { code: 'MESHGATE_BAD_MESSAGE' });
    sub.unsubscribe();
    await system.shutdown();
  });
}
