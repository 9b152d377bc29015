import assert from 'node:assert/strict';
import { test } from 'node:test';
import { spreadLimit } from './spread.ts';

test('nodes of one mesh come due at different changes, each at the same one every time', () => {
  const ids = Array.from({ length: 50 }, (_, i) => `bench-${i}`);
  const limits = ids.map((id) => spreadLimit(256, id));
  for (const l of limits) assert.ok(l >= 256 && l < 512, `${l} outside [256, 512)`);
  const perLimit = new Map<number, number>();
  for (const l of limits) perLimit.set(l, (perLimit.get(l) ?? 0) + 1);
  assert.ok(Math.max(...perLimit.values()) <= 3, `${Math.max(...perLimit.values())} nodes come due at one change`);
  // Spread over the range, not bunched: every quarter of it has some.
  for (let q = 0; q < 4; q++) assert.ok(limits.some((l) => l >= 256 + q * 64 && l < 256 + (q + 1) * 64), `none in quarter ${q}`);
  assert.deepEqual(ids.map((id) => spreadLimit(256, id)), limits);
  assert.equal(spreadLimit(32, ''), spreadLimit(32, ''));
});
