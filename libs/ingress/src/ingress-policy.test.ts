import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyzeAnnotations, resolvePolicy } from './ingress-policy.ts';

const N = 'nginx.ingress.kubernetes.io/';
const nginx = (a: Record<string, string>) => analyzeAnnotations(Object.fromEntries(Object.entries(a).map(([k, v]) => [k.includes('/') ? k : N + k, v])));
const outcome = (a: ReturnType<typeof analyzeAnnotations>, name: string) => a.findings.find((f) => f.annotation === (name.includes('/') ? name : N + name))?.outcome;

test('access control, snippets and not-yet routing are refused, naming the annotation', () => {
  const a = nginx({ 'satisfy': 'any', 'auth-proxy-set-headers': 'auth-headers', 'configuration-snippet': 'more_set_headers "x: y";', 'rewrite-target': '/$2' });
  assert.deepEqual(a.refusals.map((r) => r.annotation).sort(), ['auth-proxy-set-headers', 'configuration-snippet', 'rewrite-target', 'satisfy'].map((n) => N + n));
  for (const r of a.refusals) assert.ok(r.message.startsWith(`${r.annotation} is refused: `), r.message);
  assert.match(a.refusals.find((r) => r.annotation.endsWith('satisfy'))!.message, /access control is not implemented yet/);
  assert.match(a.refusals.find((r) => r.annotation.endsWith('-snippet'))!.message, /never runs snippets/);
  assert.equal(outcome(a, 'auth-proxy-set-headers'), 'refused');
});

test('a refused annotation with a value that changes nothing is served: HTTP backends, switches set to false, settings of an off switch', () => {
  const a = nginx({ 'backend-protocol': 'http', 'enable-cors': 'false', 'cors-allow-origin': '*', 'use-regex': 'False', 'canary-weight': '10', 'session-cookie-name': 'x', 'proxy-ssl-verify': 'on' });
  assert.deepEqual(a.refusals, []);
  assert.deepEqual(a.warnings, []);
  for (const f of a.findings) assert.equal(f.outcome, 'supported', f.annotation);
  assert.equal(nginx({ 'backend-protocol': 'GRPC' }).refusals.length, 1);
  assert.equal(nginx({ 'canary': 'true', 'canary-weight': '10' }).refusals.length, 2);
  assert.equal(nginx({ 'backend-protocol': 'HTTPS', 'proxy-ssl-verify': 'on' }).refusals.length, 2);
});

test('ignored annotations and unknown names are warnings; the Ingress is served', () => {
  const a = nginx({ 'proxy-buffer-size': '16k', 'proxy-send-timeout': '30', 'enable-opentelemetry': 'true', 'no-such-thing': 'x', 'meshgate.dev/health-path': '/h', 'meshgate.dev/typo': 'x' });
  assert.deepEqual(a.refusals, []);
  assert.equal(a.warnings.length, 6);
  assert.equal(outcome(a, 'proxy-buffer-size'), 'ignored');
  assert.equal(outcome(a, 'no-such-thing'), 'unknown');
  assert.equal(outcome(a, 'meshgate.dev/typo'), 'unknown');
  assert.match(a.warnings.find((w) => w.annotation === 'meshgate.dev/health-path')!.message, /Service annotation/);
  assert.match(a.warnings.find((w) => w.annotation === `${N}proxy-buffer-size`)!.message, /no buffers to size/);
  // Other prefixes are not meshgate's business.
  assert.deepEqual(analyzeAnnotations({ 'kubernetes.io/ingress.class': 'nginx', 'cert-manager.io/cluster-issuer': 'x' }).findings, []);
});

test('supported values translate with ingress-nginx syntax; bad values warn and keep the default', () => {
  const a = nginx({ 'proxy-body-size': '8m', 'proxy-connect-timeout': '10', 'proxy-read-timeout': '120', 'proxy-next-upstream-tries': '5', 'load-balance': 'ewma', 'enable-access-log': 'false', 'preserve-trailing-slash': 'true' });
  // proxy-read-timeout also bounds a WebSocket's silence, as nginx's proxy_read_timeout does.
  assert.deepEqual(a.settings, { maxBodyBytes: 8 * 1024 * 1024, connectTimeoutMs: 10_000, responseTimeoutMs: 120_000, tunnelIdleTimeoutMs: 120_000, attempts: 5, loadBalance: 'least-request', accessLog: false, redirectTrailingSlash: 'keep' });
  assert.deepEqual(a.warnings, []);
  // proxy.go in ingress-nginx's e2e: "15r" is no size and "50k" no timeout: the default stays.
  const bad = nginx({ 'proxy-body-size': '15r', 'proxy-connect-timeout': '50k', 'proxy-read-timeout': '20k', 'ssl-redirect': 'yes' });
  assert.deepEqual(bad.settings, {});
  assert.equal(bad.warnings.length, 4);
  assert.match(bad.warnings[0]!.message, /is not valid: .*; the default is used/);
  assert.deepEqual(nginx({ 'proxy-body-size': '0' }).settings, { maxBodyBytes: 0 });
});

test('redirects: ssl-redirect, force-ssl-redirect (which wins), and their defaults per flavour', () => {
  assert.deepEqual(nginx({ 'ssl-redirect': 'false' }).settings, { sslRedirect: 'never' });
  assert.deepEqual(nginx({ 'ssl-redirect': 'false', 'force-ssl-redirect': 'true' }).settings, { sslRedirect: 'always' });
  const ngx = { nginx: true, hasTls: true };
  assert.equal(resolvePolicy({}, ngx)!.sslRedirect, true, 'class nginx with tls: on by default');
  assert.equal(resolvePolicy({}, { ...ngx, hasTls: false })!.sslRedirect, false);
  assert.equal(resolvePolicy({ sslRedirect: 'always' }, { ...ngx, hasTls: false })!.sslRedirect, true);
  assert.equal(resolvePolicy({ sslRedirect: 'never' }, ngx)!.sslRedirect, false);
  assert.deepEqual(resolvePolicy({}, ngx), { maxBodyBytes: 1024 * 1024, connectTimeoutMs: 5_000, responseTimeoutMs: 60_000, attempts: 3, redirectTrailingSlash: 'strip', sslRedirect: true });
  assert.equal(resolvePolicy({}, { nginx: false, hasTls: true }), undefined, 'meshgate flavour: the proxy\'s defaults');
  assert.deepEqual(resolvePolicy({ sslRedirect: 'tls' }, { nginx: false, hasTls: true }), { sslRedirect: true });
});

test('retries: tries, "off", and conditions meshgate does not retry on', () => {
  assert.deepEqual(nginx({ 'proxy-next-upstream': 'off', 'proxy-next-upstream-tries': '5' }).settings, { attempts: 1 });
  assert.deepEqual(nginx({ 'proxy-next-upstream-tries': '0' }).settings, { attempts: 0 });
  const a = nginx({ 'proxy-next-upstream': 'error timeout http_502', 'proxy-next-upstream-tries': '888888' });
  assert.deepEqual(a.settings, { attempts: 888888 });
  assert.equal(outcome(a, 'proxy-next-upstream'), 'supported');
  assert.equal(a.warnings.length, 1);
  assert.match(a.warnings[0]!.message, /does not retry on http_502/);
});

test('upstream-hash-by: one nginx variable maps to a hash key; anything else is refused', () => {
  const key = (v: string) => nginx({ 'upstream-hash-by': v }).settings.hashBy;
  assert.deepEqual(key('$request_uri'), { kind: 'uri', name: '' });
  assert.deepEqual(key('${remote_addr}'), { kind: 'client-ip', name: '' });
  assert.deepEqual(key('$binary_remote_addr'), { kind: 'client-ip', name: '' });
  assert.deepEqual(key('$http_x_user_id'), { kind: 'header', name: 'x-user-id' });
  assert.deepEqual(key('$cookie_SessionID'), { kind: 'cookie', name: 'SessionID' });
  assert.equal(nginx({ 'upstream-hash-by': '$request_uri' }).settings.loadBalance, 'consistent-hash');
  for (const v of ['$request_uri$host', '${request_uri}-text-value', '$host', 'static']) {
    const a = nginx({ 'upstream-hash-by': v });
    assert.equal(a.refusals.length, 1, v);
    assert.match(a.refusals[0]!.message, /upstream-hash-by ".*": meshgate hashes by one of/);
  }
  // upstream-hash-by takes precedence over load-balance, as in ingress-nginx.
  assert.equal(nginx({ 'upstream-hash-by': '$remote_addr', 'load-balance': 'ewma' }).settings.loadBalance, 'consistent-hash');
  assert.equal(nginx({ 'load-balance': 'sticky_balanced' }).refusals.length, 1);
  assert.equal(nginx({ 'load-balance': 'chash' }).warnings.length, 1);
});

test('meshgate.dev wins where both name a setting, with a warning when they disagree', () => {
  const a = nginx({ 'proxy-body-size': '8m', 'meshgate.dev/proxy-body-size': '1k', 'proxy-connect-timeout': '3', 'meshgate.dev/connect-timeout': '3s' });
  assert.deepEqual(a.settings, { maxBodyBytes: 1024, connectTimeoutMs: 3_000 });
  assert.equal(a.warnings.length, 1);
  assert.match(a.warnings[0]!.message, /proxy-body-size and meshgate\.dev\/proxy-body-size disagree: meshgate\.dev\/proxy-body-size wins/);
});

test('meshgate.dev annotations: the values the data plane had, plus ssl-redirect "tls", hash-by uri and access-log', () => {
  const a = analyzeAnnotations({
    'meshgate.dev/load-balance': 'consistent-hash', 'meshgate.dev/hash-by': 'header:X-User', 'meshgate.dev/retries': '0',
    'meshgate.dev/ssl-redirect': 'tls', 'meshgate.dev/all-endpoints-down': 'fail', 'meshgate.dev/access-log': 'false', 'meshgate.dev/upstream-idle-timeout': '1m',
  });
  assert.deepEqual(a.settings, { loadBalance: 'consistent-hash', hashBy: { kind: 'header', name: 'x-user' }, attempts: 1, sslRedirect: 'tls', allDown: 'fail', accessLog: false, idleTimeoutMs: 60_000 });
  assert.deepEqual(a.warnings, []);
  const bad = analyzeAnnotations({ 'meshgate.dev/retries': '11', 'meshgate.dev/response-timeout': 'soon' });
  assert.deepEqual(bad.settings, {});
  assert.equal(bad.warnings.length, 2);
});

test('findings are printable and short, like error messages: a hostile value is not echoed whole', () => {
  const a = nginx({ 'proxy-body-size': `${'9'.repeat(5000)}x`, 'upstream-hash-by': `$a\n${'b'.repeat(500)}` });
  for (const f of [...a.findings.map((x) => x.message), ...a.warnings.map((w) => w.message)]) {
    assert.ok(f.length < 2_100, `${f.length} characters`);
  }
  for (const f of a.findings) assert.doesNotMatch(f.message, /\n/);
});
