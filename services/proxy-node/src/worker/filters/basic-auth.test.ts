import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import bcrypt from 'bcryptjs';
import { routedContext } from '../pipeline/test-context.ts';
import { AccessIndex } from './access-index.ts';
import { basicAuth, basicCredentials, CredentialCache, fnv1a } from './basic-auth.ts';
import type { FilterEnv, Respond } from './filter.ts';
import type { RoutePolicy } from '../route-policy.ts';

const aprMd5 = createRequire(import.meta.url)('apache-md5') as (password: string, salt?: string) => string;
const sha = (p: string) => `{SHA}${createHash('sha1').update(p).digest('base64')}`;
// htpasswd -B writes $2y$: the same algorithm as bcryptjs's $2b$.
const bcryptY = (p: string) => bcrypt.hashSync(p, 4).replace(/^\$2b\$/, '$2y$');
const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;

const policy: Partial<RoutePolicy> = { basicAuth: { realm: 'test auth', secret: 'default/users', secretType: 'auth-file', users: 'default/users#auth-file' } };
const env = (users: [string, string][]): FilterEnv => ({ httpsPort: undefined, access: new AccessIndex({ authUsers: [{ id: 'default/users#auth-file', users }] }) });

function run(users: [string, string][], authorization?: string) {
  const { ctx } = routedContext({ headers: { host: 'auth', ...(authorization !== undefined ? { authorization } : {}) } }, policy);
  const f = basicAuth.compile(ctx.route!.policy, env(users))!;
  return { ctx, f, verdict: () => f.onRequest!(ctx) };
}

test('basic auth: no Authorization header or a wrong password is 401 with the realm; denied_by auth', async () => {
  const none = run([['foo', sha('bar')]]);
  const v = none.verdict() as Respond;
  assert.equal(v.status, 401);
  assert.deepEqual(v.headers, ['www-authenticate', 'Basic realm="test auth"']);
  assert.match(v.body!, /401 Authorization Required/);
  assert.equal(v.deniedBy, 'auth');
  for (const a of [basic('user', 'pass'), basic('foo', 'wrong'), 'Bearer abc', 'Basic !!!', basic('foo', 'bar').replace('Basic', 'Digest')]) {
    assert.equal((run([['foo', sha('bar')]], a).verdict() as Respond).status, 401, a);
  }
});

test('basic auth: {SHA} is checked in place; the Authorization header does not go upstream (nginx: proxy_set_header Authorization "")', () => {
  const r = run([['foo', sha('bar')]], basic('foo', 'bar'));
  assert.equal(r.verdict(), undefined);
  assert.equal(r.ctx.req.headers.authorization, undefined);
  assert.equal(r.ctx.deniedBy, undefined);
});

test('basic auth: bcrypt ($2y$, $2a$, $2b$) and $apr1$ are checked off the event loop, then cached: the next request is answered at once', async () => {
  for (const hash of [bcryptY('bar'), bcrypt.hashSync('bar', 4), bcrypt.hashSync('bar', 4).replace(/^\$2b\$/, '$2a$'), aprMd5('bar')]) {
    const { ctx } = routedContext({ headers: { host: 'auth', authorization: basic('foo', 'bar') } }, policy);
    const f = basicAuth.compile(ctx.route!.policy, env([['foo', hash]]))!;
    const first = f.onRequest!(ctx);
    assert.ok(first instanceof Promise, hash);
    assert.equal(await first, undefined, hash);
    assert.equal(ctx.req.headers.authorization, undefined);
    // The same credentials again on this route: the cache answers, synchronously.
    const again = routedContext({ headers: { host: 'auth', authorization: basic('foo', 'bar') } }, policy).ctx;
    assert.equal(f.onRequest!(again), undefined, hash);
    const wrong = routedContext({ headers: { host: 'auth', authorization: basic('foo', 'baz') } }, policy).ctx;
    assert.equal(((await f.onRequest!(wrong)) as Respond).status, 401, hash);
  }
});

test('basic auth: a user whose hash the build refused is not in the list: 401, as nginx answers a line it cannot read', async () => {
  assert.equal((run([], basic('foo', 'bar')).verdict() as Respond).status, 401);
});

test('basic auth: users missing from the snapshot (the Secret could not be read) is 503, never a pass', () => {
  const { ctx } = routedContext({ headers: { host: 'auth', authorization: basic('foo', 'bar') } }, policy);
  const f = basicAuth.compile(ctx.route!.policy, { httpsPort: undefined })!;
  const v = f.onRequest!(ctx) as Respond;
  assert.equal(v.status, 503);
  assert.match(v.body!, /503 Service Temporarily Unavailable/);
  assert.equal(basicAuth.compile(routedContext().ctx.route!.policy, env([])), undefined, 'no basic auth: no filter');
});

test('credential cache: keyed by a hash of the value, a hit compares the whole value, bounded (oldest out)', () => {
  const c = new CredentialCache(2);
  c.add('a');
  c.add('b');
  assert.ok(c.has('a') && c.has('b') && !c.has('c'));
  c.add('c');
  assert.equal(c.size, 2);
  assert.ok(!c.has('a') && c.has('c'));
  assert.equal(fnv1a(''), 0x811c9dc5);
  assert.notEqual(fnv1a('Basic Zm9vOmJhcg=='), fnv1a('Basic Zm9vOmJhcw=='));
  assert.deepEqual(basicCredentials(basic('a', 'b:c')), ['a', 'b:c']);
  assert.deepEqual(basicCredentials(`basic ${Buffer.from('x:y').toString('base64')}`), ['x', 'y']);
  assert.equal(basicCredentials('Basic eA=='), undefined, 'no colon');
});
