import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendForwarded, isTrusted, parseCidrs, realClientAddress, trustedList } from './forwarded.ts';

const list = (text: string) => {
  const p = parseCidrs(text);
  if ('error' in p) throw new Error(p.error);
  return trustedList(p.cidrs);
};

test('parseCidrs: IPv4, IPv6, bare addresses; a bad part is named', () => {
  assert.deepEqual(parseCidrs('10.0.0.0/8, 192.0.2.7,2001:db8::/32,::1'), { cidrs: ['10.0.0.0/8', '192.0.2.7/32', '2001:db8::/32', '::1/128'] });
  for (const bad of ['10.0.0.0/33', '10.0.0/8', 'example.com', '2001:db8::/129', '10.0.0.0/x', '10.0.0.0/', '']) {
    const p = parseCidrs(bad);
    assert.ok('error' in p, bad);
  }
  assert.match((parseCidrs('10.0.0.0/8,1.2.3.4/40') as { error: string }).error, /'1\.2\.3\.4\/40'/);
});

test('isTrusted: IPv4 and IPv6 ranges, IPv4-mapped IPv6 addresses both ways, junk never', () => {
  const t = list('10.0.0.0/8,2001:db8::/32,::ffff:192.168.0.0/112');
  assert.equal(isTrusted(t, '10.1.2.3'), true);
  assert.equal(isTrusted(t, '::ffff:10.1.2.3'), true, 'a mapped address of a trusted IPv4 range');
  assert.equal(isTrusted(t, '192.168.4.5'), true, 'an IPv4 address in a mapped IPv6 range');
  assert.equal(isTrusted(t, '2001:db8::1'), true);
  assert.equal(isTrusted(t, '11.0.0.1'), false);
  assert.equal(isTrusted(t, '2001:db9::1'), false);
  assert.equal(isTrusted(t, ''), false);
  assert.equal(isTrusted(t, 'unknown'), false);
  assert.equal(isTrusted(t, 'fe80::1%eth0'), false);
});

test('realClientAddress walks X-Forwarded-For right to left past trusted hops (nginx real_ip_recursive)', () => {
  const t = list('10.0.0.0/8,2001:db8::/32');
  // No list, or an untrusted peer: the peer, whatever the header says.
  assert.equal(realClientAddress('203.0.113.9', '1.1.1.1', undefined), '203.0.113.9');
  assert.equal(realClientAddress('203.0.113.9', '1.1.1.1', t), '203.0.113.9');
  // A trusted peer: the first untrusted address from the right.
  assert.equal(realClientAddress('10.0.0.1', '198.51.100.7', t), '198.51.100.7');
  assert.equal(realClientAddress('10.0.0.1', '6.6.6.6, 198.51.100.7, 10.2.3.4', t), '198.51.100.7', 'the forged leftmost entry is not believed');
  assert.equal(realClientAddress('::ffff:10.0.0.1', '198.51.100.7', t), '198.51.100.7', 'a mapped peer');
  assert.equal(realClientAddress('2001:db8::5', '2001:db8::9, 2001:db9::1', t), '2001:db9::1');
  // Ports and brackets are allowed in entries.
  assert.equal(realClientAddress('10.0.0.1', '198.51.100.7:4711', t), '198.51.100.7');
  assert.equal(realClientAddress('10.0.0.1', '[2001:db9::1]:443', t), '2001:db9::1');
  // Everything trusted: the leftmost.
  assert.equal(realClientAddress('10.0.0.1', '10.9.9.9, 10.8.8.8', t), '10.9.9.9');
  // Not an address: the walk ends at the hop that wrote it.
  assert.equal(realClientAddress('10.0.0.1', 'unknown', t), '10.0.0.1');
  assert.equal(realClientAddress('10.0.0.1', '198.51.100.7, junk, 10.3.3.3', t), '10.3.3.3');
  assert.equal(realClientAddress('10.0.0.1', '', t), '10.0.0.1');
  assert.equal(realClientAddress('10.0.0.1', undefined, t), '10.0.0.1');
});

test('appendForwarded: an untrusted peer gets ours only; a trusted one keeps its own and is appended', () => {
  const t = list('10.0.0.0/8');
  const client = { 'x-forwarded-for': '6.6.6.6', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'evil.example', 'x-forwarded-port': '1', forwarded: 'for=6.6.6.6', 'x-real-ip': '6.6.6.6' };
  const asMap = (out: string[]) => Object.fromEntries(Array.from({ length: out.length / 2 }, (_, i) => [out[2 * i]!, out[2 * i + 1]!]));

  const untrusted: string[] = [];
  appendForwarded(untrusted, client, '203.0.113.9', 'http', 'shop.example', t);
  assert.deepEqual(asMap(untrusted), { 'x-forwarded-for': '203.0.113.9', 'x-forwarded-proto': 'http', 'x-real-ip': '203.0.113.9', 'x-forwarded-host': 'shop.example' });
  const noList: string[] = [];
  appendForwarded(noList, client, '10.0.0.1', 'http', 'shop.example', undefined);
  assert.deepEqual(asMap(noList), asMap(untrusted.map((v) => (v === '203.0.113.9' ? '10.0.0.1' : v))));

  const trusted: string[] = [];
  appendForwarded(trusted, client, '10.0.0.1', 'http', 'shop.example', t);
  assert.deepEqual(asMap(trusted), {
    'x-forwarded-for': '6.6.6.6, 10.0.0.1', 'x-forwarded-proto': 'https', 'x-real-ip': '6.6.6.6',
    'x-forwarded-host': 'evil.example', 'x-forwarded-port': '1', forwarded: 'for=6.6.6.6, for=10.0.0.1',
  });
  const trustedBare: string[] = [];
  appendForwarded(trustedBare, {}, '10.0.0.1', 'https', '', t);
  assert.deepEqual(asMap(trustedBare), { 'x-forwarded-for': '10.0.0.1', 'x-forwarded-proto': 'https', 'x-real-ip': '10.0.0.1' });
  const v6: string[] = [];
  appendForwarded(v6, { forwarded: 'for=1.2.3.4' }, '::ffff:10.0.0.1', 'http', 'h', t);
  assert.equal(asMap(v6).forwarded, 'for=1.2.3.4, for="[::ffff:10.0.0.1]"');
});
