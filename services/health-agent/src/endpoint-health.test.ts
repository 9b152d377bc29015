import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initialHealth, observe } from './endpoint-health.ts';

test('the first probe decides; then fall failures mark down and rise successes up', () => {
  const s = initialHealth();
  assert.equal(observe(s, true, 'HTTP 200', 2, 2), true);
  assert.equal(s.healthy, true);
  assert.equal(observe(s, false, 'connect ECONNREFUSED', 2, 2), false);
  assert.equal(s.healthy, true);
  assert.equal(observe(s, false, 'connect ECONNREFUSED', 2, 2), true);
  assert.equal(s.healthy, false);
  assert.equal(s.reason, 'connect ECONNREFUSED');
  assert.equal(observe(s, true, 'HTTP 200', 2, 2), false);
  assert.equal(observe(s, false, 'x', 2, 2), false);
  assert.equal(observe(s, true, 'HTTP 200', 2, 2), false);
  assert.equal(observe(s, true, 'HTTP 200', 2, 2), true);
  assert.equal(s.healthy, true);
});
