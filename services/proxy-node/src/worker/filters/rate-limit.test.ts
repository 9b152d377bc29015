import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LimitTable } from '../../limit-table.ts';
import { routedContext } from '../pipeline/test-context.ts';
import { runRequestFilters } from '../pipeline/pipeline.ts';
import type { RoutePolicy } from '../route-policy.ts';
import { rateLimit } from './rate-limit.ts';

/** A route with `rl`, on `table`: send() runs one request from `peer` through its filters. */
function route(rl: RoutePolicy['rateLimit'], table = LimitTable.create(256), id = 'default/shop') {
  const send = (peer = '192.0.2.1') => {
    const { ctx, down } = routedContext({ remoteAddress: peer }, { id, rateLimit: rl });
    const f = rateLimit.compile(ctx.route!.policy, { httpsPort: undefined, limits: table })!;
    ctx.route = { ...ctx.route!, requestFilters: [f] };
    let upstream = false;
    runRequestFilters(ctx, 0, () => { upstream = true; });
    return { ctx, down, upstream };
  };
  return { send, table };
}
const passed = (r: { send: (p?: string) => { upstream: boolean } }, n: number, peer?: string) => Array.from({ length: n }, () => r.send(peer)).filter((x) => x.upstream).length;

test('limit-rps: the burst (rps x limit-burst-multiplier) passes at once, then 503 with denied_by rate', () => {
  const r = route({ rps: 2 });
  assert.equal(passed(r, 20), 11, 'rps 2 x 5 = burst 10, and one more: nginx\'s burst=10 nodelay');
  const refused = r.send();
  assert.equal(refused.down.status, 503);
  assert.equal(refused.ctx.deniedBy, 'rate');
  assert.match(refused.down.body, /too many requests/);
  assert.equal(passed(route({ rps: 2, burstMultiplier: 1 }), 20), 3);
});

test('limit-rpm, and both rates together: each must let the request through', () => {
  assert.equal(passed(route({ rpm: 60, burstMultiplier: 1 }), 100), 61);
  assert.equal(passed(route({ rps: 100, rpm: 6, burstMultiplier: 1 }), 100), 7);
});

test('per client address, per Ingress; limit-whitelist exempts; limit-status changes the answer', () => {
  const table = LimitTable.create(256);
  const a = route({ rps: 1, burstMultiplier: 1 }, table);
  assert.equal(passed(a, 5, '192.0.2.1'), 2);
  assert.equal(passed(a, 5, '192.0.2.2'), 2, 'another client');
  assert.equal(passed(route({ rps: 1, burstMultiplier: 1 }, table, 'default/other'), 5, '192.0.2.1'), 2, 'another Ingress');
  assert.equal(passed(route({ rps: 1, burstMultiplier: 1, exempt: ['192.0.2.0/24'] }), 50), 50);
  const teapot = route({ rps: 1, burstMultiplier: 1, status: 429 });
  assert.equal(passed(teapot, 2), 2);
  assert.equal(teapot.send().down.status, 429);
});

test('limit-connections (limitconnections.go): requests in progress up to the limit; one ending lets the next in', () => {
  const r = route({ connections: 2 });
  const a = r.send();
  const b = r.send();
  const c = r.send();
  assert.deepEqual([a.upstream, b.upstream, c.upstream], [true, true, false]);
  assert.equal(c.down.status, 503);
  a.ctx.runAtEnd();
  assert.equal(r.send().upstream, true);
  assert.equal(r.send().upstream, false);
});

test('cluster scope: this node\'s share scales the rates and the burst (limit-exchange.ts sets it)', () => {
  const table = LimitTable.create(256);
  table.setDefaultShare(0.5);
  assert.equal(passed(route({ rps: 4, scope: 'cluster' }, table), 40), 11, 'half of burst 20, plus one');
  assert.equal(passed(route({ rps: 4, scope: 'node' }, table, 'default/node'), 40), 21, 'a node-scope limit is the node\'s whole');
});

test('no filter for a route without a limit (0 is no limit)', () => {
  const { ctx } = routedContext({}, {});
  assert.equal(rateLimit.compile(ctx.route!.policy, { httpsPort: undefined }), undefined);
  assert.equal(rateLimit.compile({ ...ctx.route!.policy, rateLimit: { burstMultiplier: 3 } }, { httpsPort: undefined }), undefined);
});
