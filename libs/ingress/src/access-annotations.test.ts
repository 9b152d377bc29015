import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseCidrList } from './cidr.ts';
import { analyzeAnnotations } from './ingress-policy.ts';

const N = 'nginx.ingress.kubernetes.io/';
const M = 'meshgate.dev/';
const nginx = (a: Record<string, string>) => analyzeAnnotations(Object.fromEntries(Object.entries(a).map(([k, v]) => [k.includes('/') ? k : N + k, v])));

test('CIDR lists: IPv4 and IPv6, an address alone is a /32 or /128, spaces after commas; anything else says what is wrong', () => {
  assert.deepEqual(parseCidrList('18.0.0.0/8, 56.0.0.1,2001:DB8::/32 ::1'), { cidrs: ['18.0.0.0/8', '56.0.0.1/32', '2001:db8::/32', '::1/128'] });
  assert.deepEqual(parseCidrList('::ffff:10.0.0.1/128'), { cidrs: ['::ffff:a00:1/128'] });
  for (const bad of ['10.0.0.0/33', '10.0.0', '256.1.1.1', 'fe80::1%eth0', '2001:db8::/129', 'example.com', '10.0.0.0/8/1', '']) {
    assert.ok('error' in parseCidrList(bad), bad);
  }
});

test('IP lists (ipallowlist.go, ipdenylist.go): allow and deny CIDRs; whitelist is allowlist\'s old name; a bad list refuses the Ingress', () => {
  const a = nginx({ 'denylist-source-range': '18.1.0.0/16, 56.0.0.0/8', 'whitelist-source-range': '18.0.0.0/8, 55.0.0.0/8' });
  assert.deepEqual(a.settings.ipAccess, { deny: ['18.1.0.0/16', '56.0.0.0/8'], allow: ['18.0.0.0/8', '55.0.0.0/8'] });
  assert.deepEqual(a.refusals, []);
  const both = nginx({ 'allowlist-source-range': '10.0.0.0/8', 'whitelist-source-range': '192.168.0.0/16' });
  assert.deepEqual(both.settings.ipAccess, { allow: ['10.0.0.0/8'] });
  assert.match(both.findings.find((f) => f.annotation.endsWith('whitelist-source-range'))!.message, /no effect: allowlist-source-range/);
  const bad = nginx({ 'allowlist-source-range': '10.0.0.0/8, 10.0.0.300' });
  assert.equal(bad.refusals.length, 1);
  assert.match(bad.refusals[0]!.message, /allowlist-source-range is refused: allowlist-source-range: "10\.0\.0\.300" is not an IPv4 or IPv6 address/);
  assert.deepEqual(analyzeAnnotations({ [`${M}denylist-source-range`]: '2001:db8::/32' }).settings.ipAccess, { deny: ['2001:db8::/32'] });
});

test('rate limits: limit-rps, -rpm, -connections, the burst multiplier and the allowlist fill one policy; meshgate.dev/limit-scope and -status join ingress-nginx\'s', () => {
  const a = analyzeAnnotations({
    [`${N}limit-rps`]: '10', [`${N}limit-rpm`]: '300', [`${N}limit-connections`]: '8', [`${N}limit-burst-multiplier`]: '2',
    [`${N}limit-whitelist`]: '10.0.0.0/8', [`${M}limit-scope`]: 'cluster', [`${M}limit-status`]: '429',
  });
  assert.deepEqual(a.settings.rateLimit, { rps: 10, rpm: 300, connections: 8, burstMultiplier: 2, exempt: ['10.0.0.0/8'], scope: 'cluster', status: 429 });
  assert.deepEqual(a.warnings, []);
  // The same key from both: meshgate.dev wins, with a warning naming the key.
  const clash = analyzeAnnotations({ [`${N}limit-rps`]: '10', [`${M}limit-rps`]: '20' });
  assert.deepEqual(clash.settings.rateLimit, { rps: 20 });
  assert.match(clash.warnings[0]!.message, /disagree on rps: meshgate\.dev\/limit-rps wins/);
  assert.equal(nginx({ 'limit-rps': '0' }).settings.rateLimit, undefined, '0: no limit');
  // A limit that does not read refuses (it would not limit); a bad multiplier keeps the default.
  assert.equal(nginx({ 'limit-rps': '10r' }).refusals.length, 1);
  assert.equal(nginx({ 'limit-connections': '-1' }).refusals.length, 1);
  const mult = nginx({ 'limit-rps': '5', 'limit-burst-multiplier': 'x' });
  assert.deepEqual(mult.settings.rateLimit, { rps: 5 });
  assert.equal(mult.warnings.length, 1);
  assert.equal(analyzeAnnotations({ [`${M}limit-scope`]: 'global' }).warnings.length, 1);
  assert.equal(analyzeAnnotations({ [`${M}limit-status`]: '200' }).warnings.length, 1);
  assert.equal(nginx({ 'limit-rate': '100' }).refusals.length, 1, 'bandwidth limits are not implemented');
});

test('CORS (cors.go): enable-cors alone gets ingress-nginx\'s defaults', () => {
  const a = nginx({ 'enable-cors': 'true' });
  assert.deepEqual(a.settings.cors, {
    allowOrigins: ['*'], wildcard: 'one-label',
    allowMethods: ['GET', 'PUT', 'POST', 'DELETE', 'PATCH', 'OPTIONS'],
    allowHeaders: ['DNT', 'Keep-Alive', 'User-Agent', 'X-Requested-With', 'If-Modified-Since', 'Cache-Control', 'Content-Type', 'Range', 'Authorization'],
    exposeHeaders: [], allowCredentials: true, maxAgeSeconds: 1728000, credentialedWildcard: 'literal',
  });
  assert.equal(nginx({ 'enable-cors': 'false', 'cors-allow-origin': 'https://a.com' }).settings.cors, undefined);
  assert.match(nginx({ 'cors-max-age': '5' }).findings[0]!.message, /no effect: enable-cors is not "true"/);
});

test('CORS (cors.go): methods, max-age, credentials, headers, expose headers; invalid ones keep the default with a warning', () => {
  const a = nginx({
    'enable-cors': 'true', 'cors-allow-methods': 'POST, GET', 'cors-max-age': '200', 'cors-allow-credentials': 'false',
    'cors-allow-headers': 'DNT, User-Agent', 'cors-expose-headers': 'X-CustomResponseHeader, X-CustomSecondHeader',
  });
  const c = a.settings.cors!;
  assert.deepEqual([c.allowMethods, c.maxAgeSeconds, c.allowCredentials, c.allowHeaders, c.exposeHeaders],
    [['POST', 'GET'], 200, false, ['DNT', 'User-Agent'], ['X-CustomResponseHeader', 'X-CustomSecondHeader']]);
  const bad = nginx({ 'enable-cors': 'true', 'cors-allow-methods': 'GET; DROP', 'cors-max-age': 'soon' });
  assert.deepEqual(bad.settings.cors!.allowMethods, ['GET', 'PUT', 'POST', 'DELETE', 'PATCH', 'OPTIONS']);
  assert.equal(bad.settings.cors!.maxAgeSeconds, 1728000);
  assert.equal(bad.warnings.length, 2);
});

test('CORS origins (cors.go): lists, trailing commas, wildcards, ports and other schemes; "*" anywhere means any; entries without a scheme are skipped', () => {
  const origins = (v: string) => nginx({ 'enable-cors': 'true', 'cors-allow-origin': v });
  assert.deepEqual(origins('https://origin.cors.com:8080, https://origin2.cors.com').settings.cors!.allowOrigins, ['https://origin.cors.com:8080', 'https://origin2.cors.com']);
  assert.deepEqual(origins('https://origin-123.cors.com:8080,   ,https://origin-321.cors.com:8080,').settings.cors!.allowOrigins, ['https://origin-123.cors.com:8080', 'https://origin-321.cors.com:8080']);
  assert.deepEqual(origins('*, foo.bar.com').settings.cors!.allowOrigins, ['*']);
  assert.deepEqual(origins('      ').settings.cors!.allowOrigins, ['*'], 'missing origins: any');
  assert.deepEqual(origins('http://*.origin.cors.com, http://*.origin.com:8080').settings.cors!.allowOrigins, ['http://*.origin.cors.com', 'http://*.origin.com:8080']);
  assert.deepEqual(origins('test://localhost, tauri://localhost:3000').settings.cors!.allowOrigins, ['test://localhost', 'tauri://localhost:3000']);
  assert.deepEqual(origins('HTTPS://Shop.Example:443, null').settings.cors!.allowOrigins, ['null'], 'an upper-case scheme is no origin for ingress-nginx either');
  assert.deepEqual(origins('https://Shop.Example:443, null').settings.cors!.allowOrigins, ['https://shop.example', 'null'], 'default port and case do not count');
  const skip = origins('origin.cors.com:8080, https://origin2.cors.com, https://origin.com');
  assert.deepEqual(skip.settings.cors!.allowOrigins, ['https://origin2.cors.com', 'https://origin.com']);
  assert.match(skip.warnings[0]!.message, /skipped, as ingress-nginx does: origin\.cors\.com:8080/);
  const none = origins('origin.cors.com, ftp:/x');
  assert.equal(none.refusals.length, 1, 'no valid origin at all refuses (ingress-nginx would allow any)');
  assert.match(none.refusals[0]!.message, /no valid origin/);
});

test('meshgate.dev CORS twins read their own siblings; meshgate.dev/enable-cors wins over ingress-nginx\'s', () => {
  const a = analyzeAnnotations({ [`${M}enable-cors`]: 'true', [`${M}cors-allow-origin`]: 'https://a.example', [`${N}enable-cors`]: 'true', [`${N}cors-allow-origin`]: 'https://b.example' });
  assert.deepEqual(a.settings.cors!.allowOrigins, ['https://a.example']);
  assert.equal(a.warnings.length, 1);
});
