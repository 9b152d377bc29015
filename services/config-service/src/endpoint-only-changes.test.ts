import { test } from 'node:test';
import assert from 'node:assert/strict';
import { endpointChanges, msgpackCodec, type SnapshotContent } from '@meshgate/protocol';
import { endpointOnlyChanges } from './endpoint-only-changes.ts';

const content = (over: Partial<SnapshotContent> = {}, ip = '10.0.0.1'): SnapshotContent => ({
  rules: [{ host: '', path: '/a', pathType: 'Prefix', backend: 'default/web:80', ingress: 'default/i' }],
  backends: [
    { id: 'default/web:80', namespace: 'default', service: 'web', servicePort: 80, endpoints: [{ id: `${ip}:8080`, address: ip, port: 8080 }], healthPath: '/', annotations: {} },
    { id: 'default/api:80', namespace: 'default', service: 'api', servicePort: 80, endpoints: [], healthPath: '/', annotations: {} },
  ],
  tls: [],
  ...over,
});

test('endpoint-only changes: the same answer as comparing encodings, without encoding', () => {
  const cases: [string, SnapshotContent, SnapshotContent][] = [
    ['nothing changed', content(), content()],
    ['one endpoint moved', content(), content({}, '10.0.0.2')],
    ['a rule changed', content(), content({ rules: [{ host: '', path: '/b', pathType: 'Prefix', backend: 'default/web:80', ingress: 'default/i' }] })],
    ['a rule added', content(), content({ rules: [...content().rules, { host: 'x.com', path: '/', pathType: 'Exact', backend: 'default/api:80', ingress: 'default/j' }] })],
    ['a default backend', content(), content({ defaultBackend: { backend: 'default/api:80', ingress: 'default/i' } })],
    ['a certificate', content(), content({ tls: [{ id: 'default/t', hosts: ['a.com'], cert: 'c', key: 'k' }] })],
    ['basic-auth users', content(), content({ authUsers: [{ id: 'default/u#auth-file', users: [['foo', '{SHA}YmFy']] }] })],
    ['client-certificate hosts', content(), content({ clientAuth: [{ hosts: ['m.com'], ingress: 'default/i', verify: 'on', depth: 1, passCertificate: false }] })],
    ['a backend annotation', content(), content({ backends: content().backends.map((b, i) => (i === 1 ? { ...b, healthPath: '/health' } : b)) })],
  ];
  for (const [name, a, b] of cases) {
    const want = endpointChanges(a, b);
    const got = endpointOnlyChanges(a, b);
    assert.deepEqual(got && msgpackCodec.decode(msgpackCodec.encode(got)), want && msgpackCodec.decode(msgpackCodec.encode(want)), name);
  }
  assert.deepEqual(endpointOnlyChanges(content(), content({}, '10.0.0.9'))?.map((c) => c.backend), ['default/web:80']);
});

test('endpoint-only changes whatever the order of rules and backends (after a route delta the stored order is the delta\'s)', () => {
  const a = content();
  const shuffled: SnapshotContent = { ...a, rules: [...a.rules, { host: 'x.com', path: '/', pathType: 'Exact' as const, backend: 'default/api:80', ingress: 'default/j' }].reverse(), backends: [...a.backends].reverse() };
  const withRule = { ...a, rules: [...a.rules, { host: 'x.com', path: '/', pathType: 'Exact' as const, backend: 'default/api:80', ingress: 'default/j' }] };
  assert.deepEqual(endpointOnlyChanges(shuffled, withRule), []);
  assert.deepEqual(endpointOnlyChanges(shuffled, { ...withRule, backends: content({}, '10.0.0.7').backends })?.map((c) => c.backend), ['default/web:80']);
});
