/**
 * Proxy node membership with real processes: two proxy nodes sharing the
 * HTTP port and one health agent. kill -9 a node: the agent reports it down
 * (health.v1.status, and a change on health.v1.nodes) within 2 s; restart
 * it: up again. Stop a node gracefully: it announces that it leaves.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startMesh, startLoad, eventually, type Mesh } from './mesh.ts';

let mesh: Mesh;

before(async () => { mesh = await startMesh({ backends: 1, proxies: 2, workers: 1, agents: 1 }); });
after(async () => { await mesh?.stop(); });

const nodeState = async (id: string) => (await mesh.status()).nodes.find((n) => n.nodeId === id);

test('kill -9 a proxy node: marked down within 2 s; restarted: up again', async (t) => {
  await eventually('both nodes up', async () => (await mesh.status()).nodes.filter((n) => n.up).length === 2, 5_000);
  const load = startLoad(mesh.url('/'), 100);
  const killedAt = await mesh.killProxy(1);
  const downAfter = await eventually('proxy-1 reported down', async () => (await nodeState('proxy-1'))?.state === 'down', 2_000, 25);
  const n = (await nodeState('proxy-1'))!;
  assert.equal(n.up, false);
  assert.match(n.reason, /^no heartbeat for \d+ ms$/);
  assert.ok(n.since >= killedAt, 'since = when it was marked down');
  assert.equal((await nodeState('proxy-0'))?.state, 'up', 'the other node stays up');
  const ev = mesh.nodeEvents.find((e) => e.at >= killedAt && e.msg.nodes.some((x) => x.nodeId === 'proxy-1' && x.state === 'down'));
  assert.ok(ev, 'a down event on health.v1.nodes');

  const restartAt = Date.now();
  await mesh.startProxy(1);
  const upAfter = await eventually('proxy-1 up again', async () => (await nodeState('proxy-1'))?.state === 'up', 2_000, 25);
  assert.match((await nodeState('proxy-1'))!.reason, /^heartbeat again after \d+ ms$/);
  const rs = await load.stop();
  // Clients whose keep-alive connection was on the killed node lose those
  // requests (nothing a health agent can do); new connections go to the other node.
  const lost = rs.filter((r) => r.status !== 200).length;
  t.diagnostic(`marked down ${downAfter} ms after kill -9 (polled every 25 ms); up ${upAfter} ms after the restarted node was ready (${Date.now() - restartAt} ms incl. start); ${lost} of ${rs.length} GETs lost with the killed node's connections`);
});

test('a node stopped gracefully announces that it leaves', async () => {
  const stoppedAt = await mesh.killProxy(1, 'SIGTERM');
  const n = (await nodeState('proxy-1'))!;
  assert.equal(n.state, 'leaving');
  assert.equal(n.up, false);
  assert.equal(n.reason, 'left (draining)');
  assert.ok(n.since >= stoppedAt - 10);
  // It stays 'leaving' (not 'down') after its heartbeats stop.
  await new Promise((r) => setTimeout(r, 1_800));
  assert.equal((await nodeState('proxy-1'))!.state, 'leaving');
});
