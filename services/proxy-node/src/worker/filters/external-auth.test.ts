import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { UpstreamPools } from '@meshgate/upstream';
import { freePort } from '@meshgate/testing';
import { routedContext } from '../pipeline/test-context.ts';
import { externalAuth } from './external-auth.ts';
import type { Filter, Respond } from './filter.ts';
import type { RoutePolicy } from '../route-policy.ts';
import type { RequestContext } from '../pipeline/request-context.ts';

/** A real auth service: /ok 200 with X-User and a cookie, /deny 401, /forbid 403, /teapot 418, /slow never answers. */
let auth: http.Server;
let port: number;
const seen: http.IncomingMessage[] = [];
const pools = new UpstreamPools({ responseTimeoutMs: 500 });

before(async () => {
  auth = http.createServer((req, res) => {
    seen.push(req);
    const p = req.url ?? '';
    if (p.startsWith('/ok')) { res.writeHead(200, { 'x-user': 'alice', 'set-cookie': 'alma=armud' }); return res.end('ok'); }
    if (p.startsWith('/deny')) { res.writeHead(401, { 'www-authenticate': 'Basic realm="auth service"', 'set-cookie': 'session=; Max-Age=0' }); return res.end(); }
    if (p.startsWith('/forbid')) { res.writeHead(403); return res.end(); }
    if (p.startsWith('/teapot')) { res.writeHead(418); return res.end(); }
    if (p.startsWith('/slow')) return; // never answers
    res.writeHead(404);
    res.end();
  });
  await new Promise<void>((r) => auth.listen(0, '127.0.0.1', r));
  port = (auth.address() as { port: number }).port;
});

after(async () => {
  await pools.close();
  auth.closeAllConnections();
  await new Promise<void>((r) => auth.close(() => r()));
});

function setup(ext: Partial<NonNullable<RoutePolicy['externalAuth']>> & { url: string }, req: Parameters<typeof routedContext>[0] = {}): { ctx: RequestContext; f: Filter } {
  const { ctx } = routedContext({ url: '/?a=b&c=d', headers: { host: 'auth', foo: 'bar', 'x-forwarded-for': '6.6.6.6' }, ...req }, { externalAuth: ext, responseTimeoutMs: 500 }, { pools });
  return { ctx, f: externalAuth.compile(ctx.route!.policy, { httpsPort: undefined })! };
}

const url = (p: string) => `http://127.0.0.1:${port}${p}`;

test('external auth: the subrequest carries the original method, URI and headers (no body), X-Original-URL and X-Forwarded-*', async () => {
  seen.length = 0;
  const { ctx, f } = setup({ url: url('/ok/verify') }, { method: 'POST', body: 'secret body', headers: { host: 'auth', foo: 'bar', 'content-length': '11', cookie: 'c=1', 'x-forwarded-for': '6.6.6.6' } });
  assert.equal(await f.onRequest!(ctx), undefined);
  const r = seen[0]!;
  assert.equal(r.method, 'GET', 'nginx subrequests are GET unless auth-method');
  assert.equal(r.url, '/ok/verify');
  assert.equal(r.headers.host, `127.0.0.1:${port}`);
  assert.equal(r.headers['x-original-url'], 'http://auth/?a=b&c=d');
  assert.equal(r.headers['x-original-method'], 'POST');
  assert.equal(r.headers['x-auth-request-redirect'], '/?a=b&c=d');
  assert.equal(r.headers['x-forwarded-for'], '127.0.0.1', 'the client\'s own X-Forwarded-For is not trusted');
  assert.equal(r.headers['x-forwarded-proto'], 'http');
  assert.equal(r.headers['x-forwarded-host'], 'auth');
  assert.equal(r.headers.foo, 'bar');
  assert.equal(r.headers.cookie, 'c=1');
  assert.equal(r.headers['content-length'], undefined);
  assert.equal(r.headers['x-request-id'], 'req-1');
  // auth-method sends X-Original-URI and X-Scheme too, as ingress-nginx.
  seen.length = 0;
  const m = setup({ url: url('/ok'), method: 'POST' });
  await m.f.onRequest!(m.ctx);
  assert.equal(seen[0]!.method, 'POST');
  assert.equal(seen[0]!.headers['x-original-uri'], '/?a=b&c=d');
  assert.equal(seen[0]!.headers['x-scheme'], 'http');
});

test('external auth: 2xx passes; auth-response-headers replace the request\'s (and remove it when the response has none); Set-Cookie reaches the client on success', async () => {
  const { ctx, f } = setup({ url: url('/ok'), responseHeaders: ['x-user', 'foo'] }, { headers: { host: 'auth', foo: 'bar', 'x-user': 'mallory' } });
  assert.equal(await f.onRequest!(ctx), undefined);
  assert.equal(ctx.req.headers['x-user'], 'alice');
  assert.equal(ctx.req.headers.foo, undefined, 'ingress-nginx e2e: "should overwrite Foo header with auth response"');
  const ok: string[] = [];
  f.onResponse!(ctx, 200, ok);
  assert.deepEqual(ok, ['set-cookie', 'alma=armud']);
  const err: string[] = [];
  f.onResponse!(ctx, 503, err);
  assert.deepEqual(err, [], 'e2e: "user does not retain cookie if upstream returns error status code"');
  const always = setup({ url: url('/ok'), alwaysSetCookie: true });
  await always.f.onRequest!(always.ctx);
  const h: string[] = [];
  always.f.onResponse!(always.ctx, 503, h);
  assert.deepEqual(h, ['set-cookie', 'alma=armud'], 'e2e: auth-always-set-cookie');
});

test('external auth: 401 and 403 are answered (with the auth service\'s WWW-Authenticate); other statuses are 500', async () => {
  const d = setup({ url: url('/deny') });
  const v = (await d.f.onRequest!(d.ctx)) as Respond;
  assert.equal(v.status, 401);
  assert.deepEqual(v.headers, ['www-authenticate', 'Basic realm="auth service"']);
  assert.equal(v.deniedBy, 'auth');
  const fb = setup({ url: url('/forbid') });
  assert.equal(((await fb.f.onRequest!(fb.ctx)) as Respond).status, 403);
  const t = setup({ url: url('/teapot') });
  assert.equal(((await t.f.onRequest!(t.ctx)) as Respond).status, 500);
});

test('external auth: 401 with auth-signin is a 302 with rd= the original URL (ingress-nginx e2e), its Set-Cookie included', async () => {
  const { ctx, f } = setup({ url: url('/deny'), signin: 'http://$host/auth/start' });
  const v = (await f.onRequest!(ctx)) as Respond;
  assert.equal(v.status, 302);
  assert.deepEqual(v.headers, ['location', `http://auth/auth/start?rd=http://auth${encodeURIComponent('/?a=b&c=d')}`, 'set-cookie', 'session=; Max-Age=0']);
  const orig = setup({ url: url('/deny'), signin: 'http://$host/auth/start', signinRedirectParam: 'orig' });
  assert.equal(((await orig.f.onRequest!(orig.ctx)) as Respond).headers![1], `http://auth/auth/start?orig=http://auth${encodeURIComponent('/?a=b&c=d')}`);
  // oauth2-proxy's usual form sets rd itself: kept as written.
  const own = setup({ url: url('/deny'), signin: 'https://$host/oauth2/start?rd=$escaped_request_uri' });
  assert.equal(((await own.f.onRequest!(own.ctx)) as Respond).headers![1], `https://auth/oauth2/start?rd=${encodeURIComponent('/?a=b&c=d')}`);
});

test('external auth: an unreachable or silent auth service is 500, never a pass', async () => {
  const gone = setup({ url: `http://127.0.0.1:${await freePort()}/verify` });
  const v = (await gone.f.onRequest!(gone.ctx)) as Respond;
  assert.equal(v.status, 500);
  assert.match(v.body!, /did not answer/);
  const slow = setup({ url: url('/slow') });
  assert.equal(((await slow.f.onRequest!(slow.ctx)) as Respond).status, 500);
});

test('external auth: auth-cache-key caches verdicts for auth-cache-duration, per host (e2e: 200 after the auth service is gone, 500 for another server)', async () => {
  const ext = { url: url('/ok'), cacheKey: 'fixed', cacheDurations: [[[200, 201, 401], 1_800_000]] as [number[], number][] };
  const { ctx, f } = setup(ext);
  assert.equal(await f.onRequest!(ctx), undefined);
  seen.length = 0;
  const again = routedContext({ headers: { host: 'auth' } }, { externalAuth: ext }, { pools }).ctx;
  assert.equal(f.onRequest!(again), undefined, 'a cache hit answers at once');
  assert.equal(seen.length, 0);
  const other = routedContext({ headers: { host: 'different' } }, { externalAuth: { ...ext, url: `http://127.0.0.1:${await freePort()}/ok` } }, { pools }).ctx;
  const f2 = externalAuth.compile(other.route!.policy, { httpsPort: undefined })!;
  assert.equal(((await f2.onRequest!(other)) as Respond).status, 500);
  // 403 is not in the list: asked again each time.
  const forbid = { url: url('/forbid'), cacheKey: 'k', cacheDurations: ext.cacheDurations };
  const fb = setup(forbid);
  await fb.f.onRequest!(fb.ctx);
  seen.length = 0;
  await fb.f.onRequest!(routedContext({ headers: { host: 'auth' } }, { externalAuth: forbid }, { pools }).ctx);
  assert.equal(seen.length, 1);
});
