import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backoffDelay, resolveSupervision, RestartWindow } from './backoff.ts';
import { parsePublishSubject, parseSubscribeSubject, subjectMatches } from './subject.ts';

const matches = (pattern: string, subject: string) => subjectMatches(parseSubscribeSubject(pattern), parsePublishSubject(subject));

test('subject wildcards follow NATS: * is one token, > is one or more trailing tokens', () => {
  assert.equal(matches('a.b', 'a.b'), true);
  assert.equal(matches('a.b', 'a.b.c'), false);
  assert.equal(matches('a.*', 'a.b'), true);
  assert.equal(matches('a.*', 'a.b.c'), false);
  assert.equal(matches('a.*.c', 'a.x.c'), true);
  assert.equal(matches('a.>', 'a.b.c'), true);
  assert.equal(matches('a.>', 'a'), false);
  assert.equal(matches('>', 'a'), true);
  assert.equal(matches('*.b.>', 'x.b.c.d'), true);
});

test('backoff doubles from minBackoffMs, caps at maxBackoffMs, jitter stays within ±20 %', () => {
  const s = resolveSupervision({ minBackoffMs: 100, maxBackoffMs: 1000 });
  assert.equal(backoffDelay(1, s, () => 0.5), 100);
  assert.equal(backoffDelay(2, s, () => 0.5), 200);
  assert.equal(backoffDelay(3, s, () => 0.5), 400);
  assert.equal(backoffDelay(10, s, () => 0.5), 1000);
  assert.equal(backoffDelay(1, s, () => 0), 80);
  assert.equal(backoffDelay(1, s, () => 0.999999), 120);
  assert.equal(backoffDelay(50, s, () => 0.999999), 1000, 'never above max');
});

test('restart window allows maxRestarts within windowMs, then again after the window slides', () => {
  const w = new RestartWindow(resolveSupervision({ maxRestarts: 2, windowMs: 1000 }));
  assert.equal(w.tryRestart(0), true);
  assert.equal(w.tryRestart(10), true);
  assert.equal(w.tryRestart(20), false);
  assert.equal(w.tryRestart(1005), true);
});
