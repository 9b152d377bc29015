import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Filter, Verdict } from '../filters/filter.ts';
import { runRequestFilters } from './pipeline.ts';
import { routedContext } from './test-context.ts';
import type { RequestContext } from './request-context.ts';

function withFilters(filters: Filter[]) {
  const r = routedContext();
  r.ctx.route = { ...r.ctx.route!, requestFilters: filters };
  return r;
}
const filter = (name: string, onRequest: (ctx: RequestContext) => Verdict | Promise<Verdict>): Filter => ({ name, onRequest });

test('request filters run in order; continue goes on to the upstream phase', () => {
  const seen: string[] = [];
  const { ctx } = withFilters([filter('a', () => { seen.push('a'); }), filter('b', () => { seen.push('b'); })]);
  let next = 0;
  runRequestFilters(ctx, 0, () => { next++; });
  assert.deepEqual(seen, ['a', 'b']);
  assert.equal(next, 1);
});

test('respond now: later filters and the upstream do not run; the client gets the answer', () => {
  const seen: string[] = [];
  const { ctx, down } = withFilters([
    filter('deny', () => ({ kind: 'respond', status: 403, body: 'no\n', headers: ['x-denied-by', 'test'] })),
    filter('never', () => { seen.push('never'); }),
  ]);
  runRequestFilters(ctx, 0, () => seen.push('upstream'));
  assert.deepEqual(seen, []);
  assert.equal(down.status, 403);
  assert.equal(down.header('x-denied-by'), 'test');
  assert.equal(down.header('x-request-id'), 'req-1');
  assert.equal(down.body, 'no\n');
  assert.ok(ctx.finished);
});

test('an async filter: the rest runs when it settles; a rejection is a 500; a client that left is not answered', async () => {
  const seen: string[] = [];
  const ok = withFilters([filter('wait', async () => { seen.push('wait'); }), filter('after', () => { seen.push('after'); })]);
  await new Promise<void>((resolve) => runRequestFilters(ok.ctx, 0, () => { seen.push('upstream'); resolve(); }));
  assert.deepEqual(seen, ['wait', 'after', 'upstream']);

  const bad = withFilters([filter('boom', () => Promise.reject(new Error('auth service down')))]);
  runRequestFilters(bad.ctx, 0, () => assert.fail('must not reach the upstream'));
  await new Promise((r) => setImmediate(r));
  assert.equal(bad.down.status, 500);

  let release: (v: Verdict) => void = () => {};
  const gone = withFilters([filter('slow', () => new Promise<Verdict>((r) => { release = r; }))]);
  runRequestFilters(gone.ctx, 0, () => assert.fail('must not reach the upstream'));
  gone.down.close();
  gone.ctx.onClientClose();
  release(undefined);
  await new Promise((r) => setImmediate(r));
  assert.equal(gone.down.status, 0);
});
