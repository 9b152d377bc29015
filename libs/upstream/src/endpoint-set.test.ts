import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EndpointSet } from './endpoint-set.ts';
import { Liveness } from './liveness.ts';

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
  assert.equal(set.pick({ tried: new Set(['a', 'b', 'c']) }), undefined);
  live.replace([{ endpoint: 'a', healthy: false }, { endpoint: 'b', healthy: false }, { endpoint: 'c', healthy: false }]);
  assert.equal(set.pick(), undefined);
  assert.equal(set.hasHealthy(), false);
  assert.equal(set.pick({ allDown: 'try-all' })?.id !== undefined, true, 'try-all ignores the agents');
});

test('a passive ejection expires on its own', async () => {
  const live = new Liveness();
  live.eject('a', 30);
  assert.equal(live.isHealthy('a'), false);
  await new Promise((r) => setTimeout(r, 40));
  assert.equal(live.isHealthy('a'), true);
});

test('ejection time doubles with repeats, up to the maximum, and is forgotten after a quiet period', () => {
  const live = new Liveness({ baseMs: 100, maxMs: 350, forgetMs: 60_000 });
  const times: number[] = [];
  for (let i = 0; i < 4; i++) {
    times.push(live.eject('a'));
    live.setHealthy('a', true); // the agent brings it back: the ejection ends, the count stays
  }
  assert.deepEqual(times, [100, 200, 350, 350]);
  const forgetful = new Liveness({ baseMs: 100, forgetMs: 0 });
  forgetful.eject('a');
  forgetful.setHealthy('a', true);
  assert.equal(forgetful.eject('a'), 100);
});

test('consecutive 5xx eject after the threshold; a success in between resets the count', () => {
  const live = new Liveness({ serverErrors: 3 });
  const set = new EndpointSet('x', eps, live);
  const a = set.endpoints[0]!;
  assert.equal(set.reportFailure(a, '5xx'), 0);
  assert.equal(set.reportFailure(a, '5xx'), 0);
  set.reportSuccess(a);
  assert.equal(set.reportFailure(a, '5xx'), 0);
  assert.equal(set.reportFailure(a, '5xx'), 0);
  assert.ok(set.reportFailure(a, '5xx') > 0);
  assert.equal(live.isHealthy('a'), false);
});

test('at most maxEjectedShare of a backend is ejected; the first connect failure ejects', () => {
  const live = new Liveness({ maxEjectedShare: 0.5 });
  const four = ['a', 'b', 'c', 'd'].map((id, i) => ({ id, address: '127.0.0.1', port: 1000 + i }));
  const set = new EndpointSet('x', four, live);
  const [a, b, c] = set.endpoints;
  assert.ok(set.reportFailure(a!, 'connect') > 0);
  assert.ok(set.reportFailure(b!, 'connect') > 0);
  assert.equal(set.reportFailure(c!, 'connect'), 0, 'a third ejection would exceed half of the backend');
  assert.equal(live.isHealthy('c'), true);
});

test('panic: when passive ejections leave nothing, ejected endpoints are tried; agent-down ones are not', () => {
  const live = new Liveness();
  const set = new EndpointSet('x', eps.slice(0, 2), live);
  live.eject('a', 10_000);
  live.setHealthy('b', false, 'probe failed');
  assert.equal(set.pick()?.id, 'a');
  assert.equal(set.pick({ allDown: 'fail' }), undefined);
});

test('least-request prefers the endpoint with fewer requests in flight', () => {
  const set = new EndpointSet('x', eps.slice(0, 2), new Liveness());
  const [a] = set.endpoints;
  for (let i = 0; i < 10; i++) set.acquire(a!);
  const picks = Array.from({ length: 200 }, () => set.pick({ lb: 'least-request' })!.id);
  // a is only chosen when both random candidates are a (1 in 4).
  assert.ok(picks.filter((p) => p === 'b').length > 120, `b picked ${picks.filter((p) => p === 'b').length}/200`);
});

test('consistent hash: same key same endpoint; removing one moves only its keys', () => {
  const live = new Liveness();
  const set = new EndpointSet('x', eps, live);
  const keys = Array.from({ length: 300 }, (_, i) => `user-${i}`);
  const before = keys.map((k) => set.pick({ lb: 'consistent-hash', hashKey: k })!.id);
  assert.deepEqual(keys.map((k) => set.pick({ lb: 'consistent-hash', hashKey: k })!.id), before);
  const counts = new Map<string, number>();
  for (const id of before) counts.set(id, (counts.get(id) ?? 0) + 1);
  for (const id of ['a', 'b', 'c']) assert.ok((counts.get(id) ?? 0) > 50, `endpoint ${id} got ${counts.get(id)} of 300 keys`);
  live.setHealthy('b', false);
  const after = keys.map((k) => set.pick({ lb: 'consistent-hash', hashKey: k })!.id);
  keys.forEach((_, i) => { if (before[i] !== 'b') assert.equal(after[i], before[i]); else assert.notEqual(after[i], 'b'); });
});
