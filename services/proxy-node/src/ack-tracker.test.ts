import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AckTracker } from './ack-tracker.ts';

const pending = (version: number, previous = 0) => ({ version, hash: `h${version}`, since: 0, previous });

test('a version is done once every worker applied it, with the first serving time', () => {
  const a = new AckTracker<string>(3);
  assert.equal(a.ready, false);
  assert.equal(a.begin({ ...pending(1), span: 's1' }), undefined);
  assert.equal(a.applied(0, 1, 30), undefined);
  assert.equal(a.applied(1, 1, 10), undefined);
  const done = a.applied(2, 1, 20);
  assert.equal(done?.version, 1);
  assert.equal(done?.servingAt, 30);
  assert.equal(done?.span, 's1');
  assert.equal(a.pending, undefined);
  assert.equal(a.ready, true);
  assert.deepEqual(a.workerVersions, [1, 1, 1]);
});

test('a worker past the pending version counts (it took newer deltas itself); a newer begin supersedes', () => {
  const a = new AckTracker(2);
  a.begin(pending(1));
  assert.equal(a.begin(pending(2, 1))?.version, 1, 'the superseded one comes back');
  assert.equal(a.applied(0, 3, 5), undefined);
  assert.equal(a.applied(1, 2, 6)?.version, 2);
});

test('a refusal ends only the version it names', () => {
  const a = new AckTracker(1);
  a.begin(pending(4, 3));
  assert.equal(a.refused(2), undefined);
  assert.equal(a.pending?.version, 4);
  assert.equal(a.refused(4)?.previous, 3);
  assert.equal(a.pending, undefined);
});

test('reports only raise a worker\'s version; an exit resets it; who is behind', () => {
  const a = new AckTracker(3);
  a.reported(0, 5);
  a.reported(0, 4);
  a.reported(1, 6);
  assert.deepEqual(a.workerVersions, [5, 6, 0]);
  assert.deepEqual(a.behind(6), [0, 2]);
  a.exited(1);
  assert.deepEqual(a.workerVersions, [5, 0, 0]);
});

test('a save waits for the pending version\'s own save, which it sits on', () => {
  const a = new AckTracker(1);
  const order: string[] = [];
  assert.equal(a.saveAfter(() => order.push('delta')), false, 'nothing pending: the caller saves now');
  a.begin({ ...pending(1), save: () => order.push('snapshot') });
  assert.equal(a.saveAfter(() => order.push('delta')), true);
  a.applied(0, 1, 0)?.save?.();
  assert.deepEqual(order, ['snapshot', 'delta']);
});
