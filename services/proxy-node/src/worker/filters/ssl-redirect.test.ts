import { test } from 'node:test';
import assert from 'node:assert/strict';
import { routedContext } from '../pipeline/test-context.ts';
import { sslRedirect } from './ssl-redirect.ts';

test('ssl-redirect: plain HTTP gets a 308 to the HTTPS port with the same host and target', () => {
  const { ctx } = routedContext({ url: '/a/b?x=1', headers: { host: 'shop.example:8080' } }, { sslRedirect: true }, { httpsPort: 8443 });
  const f = sslRedirect.compile(ctx.route!.policy, { httpsPort: 8443 })!;
  assert.deepEqual(f.onRequest!(ctx), { kind: 'respond', status: 308, headers: ['location', 'https://shop.example:8443/a/b?x=1'] });
});

test('ssl-redirect: no port on 443; a trailing slash dropped only when the policy says so; HTTPS passes', () => {
  const strip = routedContext({ url: '/a/', headers: { host: 'shop.example' } }, { sslRedirect: true, redirectStripsSlash: true });
  const f = sslRedirect.compile(strip.ctx.route!.policy, { httpsPort: 443 })!;
  assert.deepEqual(f.onRequest!(strip.ctx), { kind: 'respond', status: 308, headers: ['location', 'https://shop.example/a'] });
  const tls = routedContext({ url: '/a/', encrypted: true }, { sslRedirect: true });
  assert.equal(f.onRequest!(tls.ctx), undefined);
});

test('ssl-redirect: not compiled for a route without it, or a node without HTTPS', () => {
  const { ctx } = routedContext({}, { sslRedirect: false });
  assert.equal(sslRedirect.compile(ctx.route!.policy, { httpsPort: 8443 }), undefined);
  assert.equal(sslRedirect.compile({ ...ctx.route!.policy, sslRedirect: true }, { httpsPort: undefined }), undefined);
});
