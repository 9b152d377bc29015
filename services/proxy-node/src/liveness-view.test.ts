import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { EndpointLiveness, LivenessViewPart } from '@meshgate/protocol';
import { LivenessView } from './liveness-view.ts';

const e = (endpoint: string, healthy: boolean, since: number, reason = healthy ? 'HTTP 200' : 'connect ECONNREFUSED'): EndpointLiveness => ({ endpoint, healthy, reason, since });
const msg = (agent: string, kind: 'delta' | 'full', endpoints: EndpointLiveness[], extra: Partial<LivenessViewPart> = {}): LivenessViewPart =>
  ({ type: 'health.v1.liveness', agent, kind, seq: 0, endpoints, ...extra });
const flips = (r: { endpoint: string; healthy: boolean }[]) => r.map((x) => `${x.endpoint} ${x.healthy ? 'up' : 'down'}`);

test('one agent: deltas flip endpoints; unchanged repeats do not', () => {
  const v = new LivenessView();
  assert.deepEqual(flips(v.apply(msg('a', 'delta', [e('x', true, 1)]))), [], 'unknown -> healthy is no flip');
  assert.deepEqual(flips(v.apply(msg('a', 'delta', [e('x', false, 2)]))), ['x down']);
  assert.deepEqual(flips(v.apply(msg('a', 'full', [e('x', false, 2)]))), []);
  assert.deepEqual(flips(v.apply(msg('a', 'delta', [e('x', true, 3)]))), ['x up']);
  assert.equal(v.merged.get('x')?.healthy, true);
});

test('two agents: the newest observation wins, and full views never make an endpoint flap', () => {
  const v = new LivenessView();
  v.apply(msg('a', 'delta', [e('x', true, 100)]));
  v.apply(msg('b', 'delta', [e('x', true, 105)]));
  // The backend dies: a notices first, b a moment later; one flip.
  assert.deepEqual(flips(v.apply(msg('a', 'delta', [e('x', false, 200)]))), ['x down']);
  assert.deepEqual(flips(v.apply(msg('b', 'delta', [e('x', false, 230)]))), []);
  // It recovers: whoever sees it first brings it back; the other's later "up" is no flip.
  assert.deepEqual(flips(v.apply(msg('b', 'delta', [e('x', true, 300)]))), ['x up']);
  assert.deepEqual(flips(v.apply(msg('a', 'delta', [e('x', true, 310)]))), []);
  // Disagreement (a cannot reach it): a's newer "down" wins, and periodic full
  // views from both, in any order and many times, change nothing.
  assert.deepEqual(flips(v.apply(msg('a', 'delta', [e('x', false, 400)]))), ['x down']);
  for (let i = 0; i < 5; i++) {
    assert.deepEqual(flips(v.apply(msg('b', 'full', [e('x', true, 300)]))), []);
    assert.deepEqual(flips(v.apply(msg('a', 'full', [e('x', false, 400)]))), []);
  }
  assert.equal(v.merged.get('x')?.healthy, false);
  assert.equal((v.merged.get('x') as unknown as { agent: string }).agent, 'a');
});

test('a tie on since goes to down, so every node picks the same', () => {
  const v = new LivenessView();
  v.apply(msg('b', 'delta', [e('x', true, 50)]));
  assert.deepEqual(flips(v.apply(msg('a', 'delta', [e('x', false, 50)]))), ['x down']);
  assert.deepEqual(flips(v.apply(msg('b', 'full', [e('x', true, 50)]))), []);
});

test('killing one of two agents loses no coverage; its view is dropped once stale, never the last one', () => {
  let now = 0;
  const v = new LivenessView(new Map(), { staleMs: 15_000, now: () => now });
  v.apply(msg('a', 'full', [e('x', true, 10), e('y', false, 10)]));
  v.apply(msg('b', 'full', [e('x', true, 12), e('y', false, 12)]));
  // a dies (silence). b keeps seeing changes: they win at once.
  now = 1_000;
  assert.deepEqual(flips(v.apply(msg('b', 'delta', [e('x', false, 1_000)]))), ['x down']);
  assert.deepEqual(flips(v.apply(msg('b', 'delta', [e('y', true, 1_001)]))), ['y up']);
  assert.deepEqual(v.agents.sort(), ['a', 'b']);
  now = 20_000;
  assert.deepEqual(flips(v.apply(msg('b', 'full', [e('x', false, 1_000), e('y', true, 1_001)]))), []);
  assert.deepEqual(v.agents, ['b']);
  // b alone, then silent for long: nothing drops it (no other agent talks).
  now = 100_000;
  assert.deepEqual(v.agents, ['b']);
  assert.equal(v.merged.get('x')?.healthy, false);
});

test("a stale agent's old claim stops shadowing the others once dropped", () => {
  let now = 0;
  const v = new LivenessView(new Map(), { staleMs: 15_000, now: () => now });
  // a's clock runs ahead: its "down" carries a since later than b's "up".
  v.apply(msg('a', 'delta', [e('x', false, 5_000)]));
  v.apply(msg('b', 'delta', [e('x', true, 1_000)]));
  assert.equal(v.merged.get('x')?.healthy, false);
  now = 16_000;
  assert.deepEqual(flips(v.apply(msg('b', 'full', [e('x', true, 1_000)]))), ['x up']);
});

test('a full view forgets what it no longer lists; a view in parts prunes only when complete', () => {
  const v = new LivenessView();
  v.apply(msg('a', 'full', [e('x', false, 1), e('y', false, 1), e('z', false, 1)]));
  assert.equal(v.merged.size, 3);
  // Epoch 7 in two parts; the first part alone prunes nothing.
  assert.deepEqual(flips(v.apply(msg('a', 'full', [e('x', false, 1)], { epoch: 7, part: 0, parts: 2 }))), []);
  assert.equal(v.merged.size, 3);
  // The second part completes it: z is gone (unknown = healthy for workers).
  const r = v.apply(msg('a', 'full', [e('y', false, 1)], { epoch: 7, part: 1, parts: 2 }));
  assert.deepEqual(flips(r), ['z up']);
  assert.equal(r[0]!.reason, 'no agent reports it any more');
  assert.deepEqual([...v.merged.keys()].sort(), ['x', 'y']);
  // A lost part: epoch 8 never completes, epoch 9 starts over; nothing is pruned wrongly.
  v.apply(msg('a', 'full', [e('x', false, 1)], { epoch: 8, part: 0, parts: 2 }));
  v.apply(msg('a', 'full', [e('x', false, 1)], { epoch: 9, part: 0, parts: 2 }));
  assert.deepEqual([...v.merged.keys()].sort(), ['x', 'y']);
  v.apply(msg('a', 'full', [e('y', false, 1)], { epoch: 9, part: 1, parts: 2 }));
  assert.deepEqual([...v.merged.keys()].sort(), ['x', 'y']);
});

test('LivenessView.for keeps one view per merged map', () => {
  const m = new Map<string, EndpointLiveness>();
  const v = LivenessView.for(m);
  assert.equal(LivenessView.for(m), v);
  v.apply(msg('a', 'delta', [e('x', false, 1)]));
  assert.equal(m.get('x')?.healthy, false);
});

test('views are kept per sender: one agent id under another key cannot rewrite the first one\'s view', () => {
  const v = new LivenessView();
  v.apply(msg('a', 'full', [e('x', false, 100), e('y', true, 100)]), 'a@key1');
  // The same agent id under key2 sends a full view that omits x: key1's "x down" stays.
  assert.deepEqual(flips(v.apply(msg('a', 'full', [e('y', true, 100)]), 'a@key2')), []);
  assert.equal(v.merged.get('x')?.healthy, false);
  assert.equal((v.merged.get('x') as unknown as { agent: string }).agent, 'a@key1');
  assert.deepEqual(v.agents.sort(), ['a@key1', 'a@key2']);
});
