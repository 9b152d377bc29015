import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EndpointSet, Liveness } from './endpoint-set.ts';

const eps = ['a', 'b', 'c'].map((id, i) => ({ id, address: '127.0.0.1', port: 1000 + i }));

test('round robin over every endpoint', () => {
  const set = new EndpointSet('x', eps, new Liveness());
  assert.deepEqual([1, 2, 3, 4, 5, 6].map(() => set.pick()!.id), ['a', 'b', 'c', 'a', 'b', 'c']);
});

test('unhealthy endpoints are skipped and come back when healthy again', () => {
  const live = new Liveness();
  const set = new EndpointSet('x', eps, live);
  live.setHealthy('b', false, 'connect ECONNREFUSED');
  assert.deepEqual([1, 2, 3, 4].map(() => set.pick()!.id), ['a', 'c', 'a', 'c']);
  live.setHealthy('b', true);
  assert.ok([1, 2, 3].map(() => set.pick()!.id).includes('b'));
});

test('tried endpoints are skipped; nothing left gives undefined', () => {
  const live = new Liveness();
  const set = new EndpointSet('x', eps, live);
  assert.equal(set.pick(new Set(['a', 'b', 'c'])), undefined);
  live.replace([{ endpoint: 'a', healthy: false }, { endpoint: 'b', healthy: false }, { endpoint: 'c', healthy: false }]);
  assert.equal(set.pick(), undefined);
  assert.equal(set.hasHealthy(), false);
});

test('a passive ejection expires on its own', async () => {
  const live = new Liveness();
  live.eject('a', 30);
  assert.equal(live.isHealthy('a'), false);
  await new Promise((r) => setTimeout(r, 40));
  assert.equal(live.isHealthy('a'), true);
});
