import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { HeartbeatMessage } from '@meshgate/protocol';
import { NodeMembership } from './node-membership.ts';

const hb = (nodeId: string, state: 'up' | 'leaving' = 'up', version = 7): HeartbeatMessage => ({
  type: 'node.v1.heartbeat', nodeId, version, hash: 'h', ready: true, workers: 2, admin: 'http://127.0.0.1:9901', state, at: 0,
});

test('up on heartbeat, down after the timeout, up again on the next heartbeat', () => {
  let now = 1_000;
  const m = new NodeMembership({ timeoutMs: 1_500, now: () => now });
  assert.equal(m.heartbeat(hb('a'))?.state, 'up');
  now += 1_000;
  assert.equal(m.heartbeat(hb('a')), undefined, 'no change, no event');
  now += 1_400;
  assert.deepEqual(m.tick(), []);
  now += 200;
  const down = m.tick();
  assert.equal(down.length, 1);
  assert.deepEqual({ ...down[0], since: 0 }, { nodeId: 'a', up: false, state: 'down', since: 0, reason: 'no heartbeat for 1600 ms', version: 7, ready: true, lastSeen: 2_000, admin: 'http://127.0.0.1:9901' });
  assert.deepEqual(m.tick(), [], 'reported once');
  now += 500;
  const back = m.heartbeat(hb('a', 'up', 8));
  assert.equal(back?.state, 'up');
  assert.equal(back?.reason, 'heartbeat again after 2100 ms');
  assert.equal(back?.since, now);
  assert.equal(back?.version, 8);
});

test('a draining node is leaving, not down, when its heartbeats stop; forgotten after a while', () => {
  let now = 0;
  const m = new NodeMembership({ timeoutMs: 1_000, forgetMs: 60_000, now: () => now });
  m.heartbeat(hb('a'));
  m.heartbeat(hb('b'));
  const l = m.heartbeat(hb('a', 'leaving'));
  assert.equal(l?.state, 'leaving');
  assert.equal(l?.up, false);
  assert.equal(l?.reason, 'left (draining)');
  now += 5_000;
  const changed = m.tick();
  assert.deepEqual(changed.map((n) => `${n.nodeId} ${n.state}`), ['b down']);
  assert.deepEqual(m.list().map((n) => `${n.nodeId} ${n.state}`), ['a leaving', 'b down']);
  now += 60_000;
  m.tick();
  assert.deepEqual(m.list(), []);
});
