import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { analyzeAnnotations } from './ingress-policy.ts';
import { htpasswdLines, supportedHash } from './access-secrets.ts';
import { build, hostRule, ingressV1, WEB } from './test-helpers.ts';
import { makeTestCert } from './test-certs.ts';

const N = 'nginx.ingress.kubernetes.io/';
const nginx = (a: Record<string, string>) => analyzeAnnotations(Object.fromEntries(Object.entries(a).map(([k, v]) => [k.includes('/') ? k : N + k, v])));
const BCRYPT = '$2y$05$ZtrYyb8XGsxHi8xNbMoVReZgI20ymUJsp8jsgqJfYD6gUr3VJbtc2';
const SHA = `{SHA}${createHash('sha1').update('bar').digest('base64')}`;
const APR1 = '$apr1$r31.....$HqJZimcKQFAMYayBlzkrA/';

const rule = hostRule;
const ann = (a: Record<string, string>) => `  annotations: ${JSON.stringify(a)}\n`;
const secret = (name: string, data: Record<string, string>) => `apiVersion: v1
kind: Secret
metadata: {name: ${name}}
type: Opaque
stringData: ${JSON.stringify(data)}
`;

test('auth-type basic builds the setting from its siblings; the Ingress\'s namespace fills a bare Secret name', () => {
  const a = nginx({ 'auth-type': 'basic', 'auth-secret': 'users', 'auth-realm': 'test auth' });
  assert.deepEqual(a.refusals, []);
  assert.deepEqual(a.settings.basicAuth, { realm: 'test auth', secret: 'users', secretType: 'auth-file', users: '' });
  for (const f of a.findings) assert.equal(f.outcome, 'supported', f.annotation);
  const cfg = build({ 'web.yaml': WEB, 'i.yaml': ingressV1('i', rule('a.example'), ann({ [`${N}auth-type`]: 'basic', [`${N}auth-secret`]: 'users' })) });
  assert.deepEqual(cfg.rules[0]!.policy!.basicAuth, { realm: '', secret: 'default/users', secretType: 'auth-file', users: 'default/users#auth-file' });
  // meshgate.dev twins do the same.
  const m = analyzeAnnotations({ 'meshgate.dev/auth-type': 'basic', 'meshgate.dev/auth-secret': 'ns/users', 'meshgate.dev/auth-secret-type': 'auth-map' });
  assert.deepEqual(m.settings.basicAuth, { realm: '', secret: 'ns/users', secretType: 'auth-map', users: '' });
});

test('basic authentication refuses what it cannot do: digest, no Secret, a bad secret type; siblings alone change nothing', () => {
  assert.match(nginx({ 'auth-type': 'digest', 'auth-secret': 's' }).refusals[0]!.message, /digest.*not implemented/);
  assert.match(nginx({ 'auth-type': 'basic' }).refusals[0]!.message, /needs auth-secret/);
  assert.match(nginx({ 'auth-type': 'basic', 'auth-secret': 's', 'auth-secret-type': 'plain' }).refusals[0]!.message, /auth-file.*auth-map/);
  const alone = nginx({ 'auth-secret': 's', 'auth-realm': 'r' });
  assert.deepEqual(alone.refusals, []);
  assert.deepEqual(alone.findings.map((f) => f.message), ['no effect without auth-type', 'no effect without auth-type']);
});

test('auth-url: http URLs; a Service DNS name goes to its endpoints; https and variables are refused', () => {
  const a = nginx({ 'auth-url': 'http://10.0.0.9/basic-auth/user/password', 'auth-signin': 'http://$host/auth/start', 'auth-response-headers': 'X-User, X-Email', 'auth-method': 'POST' });
  assert.deepEqual(a.refusals, []);
  assert.deepEqual(a.settings.externalAuth, { url: 'http://10.0.0.9/basic-auth/user/password', method: 'POST', responseHeaders: ['x-user', 'x-email'], signin: 'http://$host/auth/start' });
  const svc = nginx({ 'auth-url': 'http://oauth2-proxy.auth.svc.cluster.local:4180/oauth2/auth' }).settings.externalAuth!;
  assert.equal(svc.backend, 'auth/oauth2-proxy:4180');
  assert.match(nginx({ 'auth-url': 'https://auth.example/verify' }).refusals[0]!.message, /https auth service is not implemented yet/);
  assert.match(nginx({ 'auth-url': 'http://$host/path' }).refusals[0]!.message, /variables in auth-url are not supported/);
  assert.match(nginx({ 'auth-url': 'https://invalid..auth.url' }).refusals[0]!.message, /auth-url/);
  assert.match(nginx({ 'auth-url': 'http://a/', 'auth-method': 'FETCH' }).refusals.map((r) => r.message).join(), /not an HTTP method/);
  assert.match(nginx({ 'auth-url': 'http://a/', 'auth-response-headers': 'X-Ok, bad header' }).refusals.map((r) => r.message).join(), /not a header name/);
  // An unknown variable in auth-signin is a warning, and no redirect is made.
  const w = nginx({ 'auth-url': 'http://a/', 'auth-signin': 'http://$server_addr/start' });
  assert.equal(w.settings.externalAuth!.signin, undefined);
  assert.match(w.warnings[0]!.message, /\$server_addr/);
});

test('auth-cache-key turns caching on with ingress-nginx\'s default durations (200 202 401 5m)', () => {
  assert.deepEqual(nginx({ 'auth-url': 'http://a/', 'auth-cache-key': '$remote_user$http_authorization' }).settings.externalAuth!.cacheDurations, [[[200, 202, 401], 300_000]]);
  assert.deepEqual(nginx({ 'auth-url': 'http://a/', 'auth-cache-key': 'fixed', 'auth-cache-duration': '200 201 401 30m, 1h' }).settings.externalAuth!.cacheDurations,
    [[[200, 201, 401], 1_800_000], [[], 3_600_000]]);
  assert.match(nginx({ 'auth-url': 'http://a/', 'auth-cache-key': 'k', 'auth-cache-duration': '200 fast' }).refusals.map((r) => r.message).join(), /auth-cache-duration/);
});

test('auth-tls-secret: verify on and depth 1 by default; bad values warn and keep the default, as ingress-nginx', () => {
  assert.deepEqual(nginx({ 'auth-tls-secret': 'ns/ca' }).settings.clientCert, { secret: 'ns/ca', verify: 'on', depth: 1, passCertificate: false });
  const a = nginx({ 'auth-tls-secret': 'ca', 'auth-tls-verify-client': 'sometimes', 'auth-tls-verify-depth': '0', 'auth-tls-pass-certificate-to-upstream': 'true', 'auth-tls-match-cn': 'CN=(a|b)' });
  assert.deepEqual(a.settings.clientCert, { secret: 'ca', verify: 'on', depth: 1, passCertificate: true, matchCn: 'CN=(a|b)' });
  assert.equal(a.warnings.length, 1);
  assert.match(nginx({ 'auth-tls-secret': 'ca', 'auth-tls-match-cn': 'authtls' }).refusals.map((r) => r.message).join(), /must start with "CN="/);
});

test('htpasswd files: user:hash lines, comments and blank lines skipped; bcrypt, {SHA} and $apr1$ are checked, others are not', () => {
  assert.deepEqual(htpasswdLines('# users\nfoo:' + BCRYPT + '\n\nbar:' + SHA + ':a comment\r\nbad\n'), [['foo', BCRYPT], ['bar', SHA], ['bad', '']]);
  for (const h of [BCRYPT, BCRYPT.replace('$2y$', '$2a$'), SHA, APR1]) assert.ok(supportedHash(h), h);
  for (const h of ['', 'plain', '$1$abc$def', '{SSHA}xxxx', 'rl2GXxfTfUgBo']) assert.ok(!supportedHash(h), h);
});

test('a build carries the users of the Secrets its policies name; a hash it cannot check is an error naming Secret and user, never the hash', () => {
  const files = {
    'web.yaml': WEB,
    's.yaml': [secret('file', { auth: `foo:${BCRYPT}\nbar:${SHA}\nold:rl2GXxfTfUgBo\n` }), secret('map', { foo: APR1 })].join('---\n'),
    'i.yaml': [
      ingressV1('f', rule('f.example'), ann({ [`${N}auth-type`]: 'basic', [`${N}auth-secret`]: 'file' })),
      ingressV1('m', rule('m.example'), ann({ [`${N}auth-type`]: 'basic', [`${N}auth-secret`]: 'map', [`${N}auth-secret-type`]: 'auth-map' })),
      ingressV1('x', rule('x.example'), ann({ [`${N}auth-type`]: 'basic', [`${N}auth-secret`]: 'something' })),
      ingressV1('o', rule('o.example'), ann({ [`${N}auth-type`]: 'basic', [`${N}auth-secret`]: 'other/file' })),
    ].join('---\n'),
  };
  const cfg = build(files);
  assert.deepEqual(cfg.authUsers, [
    { id: 'default/file#auth-file', users: [['foo', BCRYPT], ['bar', SHA]] },
    { id: 'default/map#auth-map', users: [['foo', APR1]] },
  ]);
  const by = new Map(cfg.ingresses.map((i) => [i.name, i]));
  for (const n of ['f', 'm', 'x', 'o']) assert.equal(by.get(n)!.state, 'served', `${n}: served (a missing Secret answers 503 rather than dropping the routes)`);
  const msgs = cfg.errors.map((e) => `${e.name}: ${e.field}: ${e.message}`);
  assert.ok(msgs.some((m) => /^f: metadata\.annotations\.nginx\.ingress\.kubernetes\.io\/auth-secret: .*Secret default\/file: user "old" has a password hash meshgate cannot check/.test(m)), msgs.join('\n'));
  assert.ok(msgs.some((m) => /^x: .*Secret default\/something not found: requests get 503/.test(m)), msgs.join('\n'));
  assert.ok(msgs.some((m) => /^o: .*in another namespace/.test(m)), msgs.join('\n'));
  assert.ok(!JSON.stringify(cfg.errors).includes('rl2GX') && !JSON.stringify(cfg.ingresses).includes('$2y$'), 'no hash in any message');
});

test('client certificates are per host: the oldest Ingress sets them; a missing CA means 403 for its hosts; a rule without a host is refused', () => {
  const ca = makeTestCert({ cn: 'Test CA' });
  const files = {
    'web.yaml': WEB,
    's.yaml': secret('ca', { 'ca.crt': ca.cert }),
    'i.yaml': [
      ingressV1('a', rule('a.example') + rule('b.example').replace('  rules:\n', ''), `  creationTimestamp: "2024-01-01T00:00:00Z"\n` + ann({ [`${N}auth-tls-secret`]: 'default/ca', [`${N}auth-tls-verify-client`]: 'optional' })),
      ingressV1('b', rule('b.example').replace('path: /', 'path: /b'), `  creationTimestamp: "2024-02-01T00:00:00Z"\n` + ann({ [`${N}auth-tls-secret`]: 'nosuch' })),
      ingressV1('c', rule('').replace('host: \n    ', ''), ann({ [`${N}auth-tls-secret`]: 'ca' })),
    ].join('---\n'),
  };
  const cfg = build(files);
  assert.equal(cfg.clientAuth!.length, 1, JSON.stringify(cfg.clientAuth));
  assert.deepEqual({ ...cfg.clientAuth![0]!, ca: cfg.clientAuth![0]!.ca !== undefined }, { hosts: ['a.example', 'b.example'], ingress: 'default/a', verify: 'optional', depth: 1, passCertificate: false, ca: true });
  const by = new Map(cfg.ingresses.map((i) => [i.name, i]));
  assert.match(by.get('b')!.reason!, /host b\.example already asks for client certificates as Ingress default\/a says/);
  assert.equal(by.get('c')!.state, 'rejected');
  assert.match(by.get('c')!.reason!, /give every rule of this Ingress a host/);
  // Alone, b's missing Secret makes its hosts answer 403.
  const alone = build({ 'web.yaml': WEB, 'i.yaml': ingressV1('b', rule('b.example'), ann({ [`${N}auth-tls-secret`]: 'nosuch' })) });
  assert.deepEqual(alone.clientAuth, [{ hosts: ['b.example'], ingress: 'default/b', verify: 'on', depth: 1, passCertificate: false }]);
  assert.match(alone.errors[0]!.message, /client-certificate CA Secret default\/nosuch not found: requests to b\.example get 403/);
});

test('auth-url naming a Service: its backend (endpoints, health) comes with the snapshot', () => {
  const cfg = build({ 'web.yaml': WEB, 'i.yaml': ingressV1('i', rule('a.example'), ann({ [`${N}auth-url`]: 'http://web.default.svc.cluster.local/verify' })) });
  assert.equal(cfg.rules[0]!.policy!.externalAuth!.backend, 'default/web:80');
  assert.deepEqual(cfg.backends.find((b) => b.id === 'default/web:80')!.endpoints.map((e) => e.id), ['10.0.0.1:8080', '10.0.0.2:8080']);
});
