import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { LimitTable } from '../../limit-table.ts';
import { routedContext } from '../pipeline/test-context.ts';
import { runRequestFilters } from '../pipeline/pipeline.ts';
import { compileRoute } from '../pipeline/compiled-route.ts';
import { forwardHeaders } from '../pipeline/upstream-request.ts';
import type { RoutePolicy } from '../route-policy.ts';
import { AccessIndex } from './access-index.ts';
import { FILTERS } from './index.ts';

const sha = (p: string) => `{SHA}${createHash('sha1').update(p).digest('base64')}`;
const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;

/** One Ingress with basic auth, CORS, a rate limit and a request header set: the filters of both access-control families together. */
const policy: Partial<RoutePolicy> = {
  id: 'default/shop',
  basicAuth: { realm: 'shop', secret: 'default/users', secretType: 'auth-file', users: 'default/users#auth-file' },
  cors: { allowOrigins: ['https://app.example'], wildcard: 'one-label', allowMethods: ['GET'], allowHeaders: ['Authorization'], exposeHeaders: [], allowCredentials: true, maxAgeSeconds: 60, credentialedWildcard: 'literal' },
  rateLimit: { rps: 1, burstMultiplier: 1 },
  requestHeaders: { set: [{ name: 'authorization', value: 'Bearer backend-token' }] },
};
const table = LimitTable.create(256);

function send(headers: Record<string, string>, method = 'GET', peer = '192.0.2.1') {
  const { ctx, down } = routedContext({ method, remoteAddress: peer, headers: { host: 'shop.example', ...headers } }, policy);
  ctx.route = compileRoute(ctx.route!.policy, { httpsPort: undefined, limits: table, access: new AccessIndex({ authUsers: [{ id: 'default/users#auth-file', users: [['foo', sha('bar')]] }] }) });
  let upstream = false;
  runRequestFilters(ctx, 0, () => { upstream = true; });
  return { ctx, down, upstream };
}

test('the filters run in their documented order: IP lists, limits, CORS, header rewriting, then client certificates and authentication', () => {
  const order = FILTERS.map((f) => `${f.name} ${f.order}`);
  assert.deepEqual(order, ['ip-access 50', 'rate-limit 60', 'cors 70', 'header-rewrite 80', 'ssl-redirect 100', 'body-limit 200', 'client-cert 300', 'basic-auth 400', 'external-auth 500']);
});

test('a CORS preflight is answered before authentication; a 401 carries the CORS headers; a client over its limit is refused before any password check', () => {
  const origin = 'https://app.example';
  const pre = send({ origin, 'access-control-request-method': 'GET' }, 'OPTIONS', '192.0.2.10');
  assert.deepEqual([pre.upstream, pre.down.status, pre.ctx.deniedBy], [false, 204, undefined], 'no credentials on a preflight');
  assert.equal(pre.down.header('access-control-allow-origin'), origin);
  const noAuth = send({ origin }, 'GET', '192.0.2.11');
  assert.deepEqual([noAuth.down.status, noAuth.ctx.deniedBy], [401, 'auth']);
  assert.equal(noAuth.down.header('access-control-allow-origin'), origin, 'the page can read why it was refused');
  assert.equal(noAuth.down.header('www-authenticate'), 'Basic realm="shop"');
  // rps 1, burst 1: two pass at once, the third is refused by the limit, whatever its credentials.
  const peer = '192.0.2.12';
  assert.ok(send({ authorization: basic('foo', 'bar') }, 'GET', peer).upstream);
  assert.ok(send({ authorization: basic('foo', 'bar') }, 'GET', peer).upstream);
  const over = send({ authorization: basic('foo', 'wrong') }, 'GET', peer);
  assert.deepEqual([over.down.status, over.ctx.deniedBy], [503, 'rate']);
});

test('what authentication changes upstream is the request header rewriting works on: the Ingress\'s own request headers have the last word', () => {
  const r = send({ authorization: basic('foo', 'bar') }, 'GET', '192.0.2.20');
  assert.ok(r.upstream);
  const up = forwardHeaders(r.ctx, false);
  const values = up.flatMap((name, i) => (i % 2 === 0 && name === 'authorization' ? [up[i + 1]] : []));
  assert.deepEqual(values, ['Bearer backend-token'], 'the client\'s credentials are dropped, the Ingress\'s header is set');
});
