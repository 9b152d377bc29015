import { test } from 'node:test';
import assert from 'node:assert/strict';
import { routedContext } from '../pipeline/test-context.ts';
import { runRequestFilters } from '../pipeline/pipeline.ts';
import { trustedList } from '../forwarded.ts';
import { ipAccess } from './ip-access.ts';

/** The status a request from `peer` gets (0: it goes on to the upstream), and why. */
function verdict(ipAccessPolicy: { allow?: string[]; deny?: string[] }, peer: string, xff?: string, trusted?: string[]) {
  const { ctx, down } = routedContext({ remoteAddress: peer, headers: { host: 'x', ...(xff ? { 'x-forwarded-for': xff } : {}) } }, { ipAccess: ipAccessPolicy },
    trusted ? { trustedProxies: trustedList(trusted) } : {});
  let upstream = false;
  runRequestFilters(ctx, 0, () => { upstream = true; });
  return upstream ? 0 : `${down.status} ${ctx.deniedBy}`;
}

test('ip-access: the deny list refuses its addresses, all others pass (ipdenylist.go "only deny explicitly denied IPs")', () => {
  const p = { deny: ['18.0.0.0/8', '56.0.0.1/32'] };
  assert.equal(verdict(p, '18.0.0.1'), '403 ip');
  assert.equal(verdict(p, '56.0.0.1'), '403 ip');
  assert.equal(verdict(p, '56.0.0.2'), 0);
});

test('ip-access: with an allow list only its addresses pass, and the deny list still wins (ipdenylist.go "only allow explicitly allowed IPs")', () => {
  const p = { deny: ['18.1.0.0/16', '56.0.0.0/8'], allow: ['18.0.0.0/8', '55.0.0.0/8'] };
  assert.equal(verdict(p, '18.1.0.1'), '403 ip');
  assert.equal(verdict(p, '10.10.10.10'), '403 ip');
  assert.equal(verdict(p, '18.4.0.1'), 0);
  assert.equal(verdict(p, '55.55.55.55'), 0);
});

test('ip-access: IPv6 ranges, and IPv4-mapped IPv6 peers (a dual-stack listener) against IPv4 ranges', () => {
  const p = { allow: ['2001:db8::/32', '10.0.0.0/8'] };
  assert.equal(verdict(p, '2001:db8::7'), 0);
  assert.equal(verdict(p, '2001:db9::7'), '403 ip');
  assert.equal(verdict(p, '::ffff:10.1.2.3'), 0);
  assert.equal(verdict(p, '::ffff:11.1.2.3'), '403 ip');
});

test('ip-access: the real client address: X-Forwarded-For only from a trusted proxy (--trusted-proxies)', () => {
  const p = { deny: ['18.0.0.0/8'] };
  // From an untrusted peer the header is the client's own word: ignored.
  assert.equal(verdict(p, '127.0.0.1', '18.0.0.1'), 0);
  assert.equal(verdict(p, '127.0.0.1', '18.0.0.1', ['127.0.0.0/8']), '403 ip');
  assert.equal(verdict(p, '127.0.0.1', '18.0.0.1, 10.0.0.9', ['127.0.0.0/8', '10.0.0.0/8']), '403 ip', 'the first untrusted hop from the right');
  assert.equal(verdict({ allow: ['18.0.0.0/8'] }, '18.0.0.1', '10.9.9.9', ['127.0.0.0/8']), 0, 'an untrusted peer is the client whatever it says');
});

test('ip-access: no filter for a route without lists', () => {
  const { ctx } = routedContext({}, {});
  assert.equal(ipAccess.compile(ctx.route!.policy, { httpsPort: undefined }), undefined);
  assert.equal(ipAccess.compile({ ...ctx.route!.policy, ipAccess: { allow: [], deny: [] } }, { httpsPort: undefined }), undefined);
});
