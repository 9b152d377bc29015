import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { BackendConfig, RouteRule } from '@meshgate/ingress';
import type { SnapshotContent } from './content.ts';
import { applyRouteChanges, decodeRouteChanges, encodeRoutesDelta, routeChanges, ruleKey } from './route-delta.ts';

const rule = (path: string, backend = 'default/a:80', host = '', pathType: RouteRule['pathType'] = 'Prefix'): RouteRule => ({ host, path, pathType, backend, ingress: 'default/ing' });
const backend = (id: string, port = 8080): BackendConfig => ({ id, namespace: 'default', service: id.split('/')[1]!.split(':')[0]!, servicePort: '80', endpoints: [{ id: `127.0.0.1:${port}`, address: '127.0.0.1', port }], healthPath: '/', annotations: {} });
const content = (rules: RouteRule[], backends: BackendConfig[]): SnapshotContent => ({ rules, backends, tls: [] });
const sorted = (c: SnapshotContent) => ({ rules: [...c.rules].sort((a, b) => ruleKey(a).localeCompare(ruleKey(b))), backends: [...c.backends].sort((a, b) => a.id.localeCompare(b.id)) });

test('route changes: added, removed and changed rules and backends; applying them gives the new content', () => {
  const a = backend('default/a:80');
  const b = backend('default/b:80', 8081);
  const prev = content([rule('/x'), rule('/y'), rule('/z', 'default/b:80')], [a, b]);
  const next = content([rule('/x'), rule('/y', 'default/c:80'), rule('/new')], [a, backend('default/c:80', 8082)]);
  const ch = routeChanges(prev, next, 100)!;
  assert.deepEqual(ch.removedRules.map((r) => r.path).sort(), ['/y', '/z']);
  assert.deepEqual(ch.addedRules.map((r) => r.path).sort(), ['/new', '/y']);
  assert.deepEqual(ch.removedBackends, ['default/b:80']);
  assert.deepEqual(ch.upsertedBackends.map((x) => x.id), ['default/c:80']);
  assert.deepEqual(sorted(applyRouteChanges(prev, ch)), sorted(next));
  // Through the wire.
  const m = encodeRoutesDelta(ch, 2, 1, 'h');
  assert.deepEqual(decodeRouteChanges(m), JSON.parse(JSON.stringify(ch)));
  assert.ok(m.body.length < 1024, `${m.body.length} bytes`);
});

test('a Prefix path with and without its trailing slash is the same rule', () => {
  const prev = content([rule('/x')], []);
  const ch = routeChanges(prev, content([rule('/x/')], []), 10)!;
  assert.deepEqual(ch.removedRules, [{ host: '', path: '/x', pathType: 'Prefix' }]);
  assert.deepEqual(applyRouteChanges(prev, ch).rules, [rule('/x/')]);
});

test('no route delta for certificate, default backend, endpoint-only or too large changes', () => {
  const a = backend('default/a:80');
  const prev = content([rule('/x'), rule('/y')], [a]);
  assert.equal(routeChanges(prev, { ...content([rule('/x')], [a]), tls: [{ id: 'default/t', cert: 'c', key: 'k', hosts: [] }] }, 10), undefined, 'certificates');
  assert.equal(routeChanges(prev, { ...content([rule('/x')], [a]), defaultBackend: { backend: 'default/a:80', ingress: 'default/ing' } }, 10), undefined, 'default backend');
  assert.equal(routeChanges(prev, content([rule('/x'), rule('/y')], [backend('default/a:80', 9999)]), 10), undefined, 'endpoints only');
  assert.equal(routeChanges(prev, content([rule('/p'), rule('/q'), rule('/r')], [a]), 3), undefined, 'over maxRules');
  assert.ok(routeChanges(prev, content([rule('/p'), rule('/q'), rule('/r')], [a]), 5));
});

test('decodeRouteChanges refuses a body that is not route changes', () => {
  assert.throws(() => decodeRouteChanges({ ...encodeRoutesDelta({ removedRules: [], addedRules: [], removedBackends: [], upsertedBackends: [] }, 2, 1, 'h'), body: new Uint8Array([0xc0]) }), /route delta v2 is corrupt/);
});

test('several route deltas applied in one pass give the same content, in the same order, as one at a time', () => {
  // A seeded sequence of random changes over a small key space, so paths and backends come and go and come back.
  let seed = 7;
  const rnd = (n: number) => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed % n; };
  const backends = [0, 1, 2, 3].map((i) => backend(`default/b${i}:80`, 8080 + i));
  let c = content(Array.from({ length: 20 }, (_, i) => rule(`/p${i}`, `default/b${i % 4}:80`)), backends);
  const start = c;
  const all = [];
  for (let step = 0; step < 60; step++) {
    const rules = new Map(c.rules.map((r) => [ruleKey(r), r]));
    for (let k = 0; k < 1 + rnd(3); k++) {
      const r = rule(`/p${rnd(30)}`, `default/b${rnd(4)}:80`);
      if (rnd(3) === 0) rules.delete(ruleKey(r)); else rules.set(ruleKey(r), r);
    }
    const bs = c.backends.map((b) => (rnd(5) === 0 ? backend(b.id, 9000 + rnd(100)) : b));
    const next = content([...rules.values()], bs);
    const ch = routeChanges(c, next, 100);
    if (!ch) continue;
    all.push(ch);
    // One delta by its definition: what stays, in order, then what is new.
    const gone = new Set([...ch.removedRules, ...ch.addedRules].map(ruleKey));
    const goneB = new Set([...ch.removedBackends, ...ch.upsertedBackends.map((b) => b.id)]);
    c = { rules: [...c.rules.filter((r) => !gone.has(ruleKey(r))), ...ch.addedRules], backends: [...c.backends.filter((b) => !goneB.has(b.id)), ...ch.upsertedBackends], tls: c.tls };
    assert.deepEqual(applyRouteChanges(start, ...all), c);
  }
  assert.ok(all.length > 30, `${all.length} deltas`);
});

test('rules with an id (Gateway API) are keyed by it: two rules on one host and path are two rules, and travel whole', () => {
  const gw = (id: string, backend: string): RouteRule => ({
    host: 'a.example.com', path: '/x', pathType: 'Prefix', backend, ingress: 'HTTPRoute default/r', id,
    listener: { ports: [80], hostname: '' }, conditions: { headers: [{ name: 'version', type: 'Exact', value: id }] },
    backends: [{ backend, weight: 1 }, { backend: '', weight: 1, invalid: 'BackendNotFound: Service default/gone not found' }],
    filters: [{ type: 'RequestHeaderModifier', modifier: { set: [{ name: 'x', value: '1' }] } }], precedence: [2, -2, 1, -1, 0, 0, 'default/r', 0],
  });
  const prev = content([rule('/x'), gw('one', 'default/a:80'), gw('two', 'default/a:80')], []);
  const next = content([rule('/x'), gw('one', 'default/a:80'), gw('two', 'default/b:80')], []);
  const ch = routeChanges(prev, next, 10)!;
  assert.deepEqual(ch.removedRules, [{ host: 'a.example.com', path: '/x', pathType: 'Prefix', id: 'two' }]);
  assert.deepEqual(ch.addedRules.map((r) => r.id), ['two']);
  assert.deepEqual(sorted(applyRouteChanges(prev, ch)), sorted(next));
  assert.deepEqual(decodeRouteChanges(encodeRoutesDelta(ch, 2, 1, 'h')), JSON.parse(JSON.stringify(ch)));
});

test('access material (basic-auth users, client-certificate hosts) travels like certificates: a change is a full snapshot; deltas keep it', async () => {
  const { applyEndpointChanges, endpointChanges } = await import('./endpoint-delta.ts');
  const a = backend('default/a:80');
  const users = [{ id: 'default/u#auth-file', users: [['foo', '{SHA}YmFy'] as [string, string]] }];
  const clientAuth = [{ hosts: ['m.example'], ingress: 'default/ing', ca: 'PEM', verify: 'on' as const, depth: 1, passCertificate: false }];
  const prev: SnapshotContent = { ...content([rule('/x')], [a]), authUsers: users, clientAuth };
  assert.equal(routeChanges(prev, { ...content([rule('/x'), rule('/y')], [a]), clientAuth }, 10), undefined, 'users gone');
  assert.equal(routeChanges(prev, { ...content([rule('/x'), rule('/y')], [a]), authUsers: users }, 10), undefined, 'client auth gone');
  const same = routeChanges(prev, { ...content([rule('/x'), rule('/y')], [a]), authUsers: users, clientAuth }, 10)!;
  assert.deepEqual(applyRouteChanges(prev, same).authUsers, users);
  assert.deepEqual(applyRouteChanges(prev, same).clientAuth, clientAuth);
  // An endpoint delta neither hides an access change nor drops the material.
  const moved = { ...content([rule('/x')], [backend('default/a:80', 9090)]), authUsers: users, clientAuth };
  assert.equal(endpointChanges(prev, { ...moved, authUsers: [] }), undefined);
  const ch = endpointChanges(prev, moved)!;
  assert.deepEqual(applyEndpointChanges(prev, ch).authUsers, users);
  assert.deepEqual(applyEndpointChanges(prev, ch).clientAuth, clientAuth);
});
