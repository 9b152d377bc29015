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
