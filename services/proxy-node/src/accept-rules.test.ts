import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { test } from 'node:test';
import {
  applyRouteChanges, encodeEndpointsDelta, encodeRoutesDelta, endpointChanges, msgpackCodec, routeChanges, signMessage, verifyMessage,
  type RoutesDeltaMessage, type SnapshotContent,
} from '@meshgate/protocol';
import { acceptRouteDelta, judgeDelta, judgeSnapshot, openDelta } from './accept-rules.ts';

const rule = (path: string): SnapshotContent['rules'][number] => ({ host: '', path, pathType: 'Prefix', backend: 'default/a:80', ingress: 'default/ing' });
const backend = (port: number): SnapshotContent['backends'][number] => ({ id: 'default/a:80', namespace: 'default', service: 'a', servicePort: '80', endpoints: [{ id: `127.0.0.1:${port}`, address: '127.0.0.1', port }], healthPath: '/', annotations: {} });
const content = (paths: string[], port = 1): SnapshotContent => ({ rules: paths.map(rule), backends: [backend(port)], tls: [] });
const hashOf = (c: SnapshotContent) => createHash('sha256').update(msgpackCodec.encode(c)).digest('hex');
const held = { version: 5, hash: 'a'.repeat(64), hasBase: true };

test('snapshots: newer applies, the same one twice is ignored, older or another under the held version is refused', () => {
  assert.deepEqual(judgeSnapshot(held, { version: 6, hash: 'x' }), { kind: 'apply' });
  assert.deepEqual(judgeSnapshot(held, held), { kind: 'same' });
  assert.deepEqual(judgeSnapshot(held, { version: 4, hash: 'x' }), { kind: 'stale', error: 'stale snapshot v4: v5 is applied' });
  const c = judgeSnapshot(held, { version: 5, hash: 'b'.repeat(64) });
  assert.equal(c.kind, 'conflict');
  assert.match((c as { error: string }).error, /^snapshot v5 conflicts with the applied one \(hash bbbbbbbbbbbb != aaaaaaaaaaaa\)$/);
});

test('deltas: only on the held version; stale is refused, the same ignored, a gap or nothing to patch resyncs', () => {
  assert.deepEqual(judgeDelta(held, { version: 6, base: 5 }, 'endpoint delta'), { kind: 'apply' });
  assert.deepEqual(judgeDelta(held, { version: 5, base: 4 }, 'endpoint delta'), { kind: 'same' });
  assert.deepEqual(judgeDelta(held, { version: 3, base: 2 }, 'route delta'), { kind: 'stale', error: 'stale route delta v3: v5 is applied' });
  assert.deepEqual(judgeDelta(held, { version: 8, base: 7 }, 'route delta'), { kind: 'gap', reason: 'gap: route delta v8 is on v7, this node has v5' });
  assert.equal(judgeDelta({ ...held, hasBase: false }, { version: 6, base: 5 }, 'route delta').kind, 'gap');
  assert.equal(judgeDelta({ version: 0, hash: '', hasBase: false }, { version: 6, base: 5 }, 'endpoint delta').kind, 'gap');
});

test('route deltas: the signature is checked after the version, and the changes decoded', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const verify = (d: RoutesDeltaMessage) => verifyMessage(d, publicKey);
  const prev = content(['/a']);
  const next = content(['/a', '/b']);
  const changes = routeChanges(prev, next, 100)!;
  const signed = signMessage(encodeRoutesDelta(changes, 6, 5, hashOf(next)), privateKey);
  const ok = acceptRouteDelta(held, signed, verify);
  assert.equal(ok.kind, 'apply');
  assert.deepEqual(applyRouteChanges(prev, (ok as { changes: typeof changes }).changes).rules.map((r) => r.path), ['/a', '/b']);
  const unsigned = acceptRouteDelta(held, encodeRoutesDelta(changes, 6, 5, 'h'), verify);
  assert.equal(unsigned.kind, 'refused');
  assert.match((unsigned as { error: string }).error, /unsigned/);
  // The version rules come first: a stale forged one is stale, not checked.
  assert.equal(acceptRouteDelta(held, encodeRoutesDelta(changes, 4, 3, 'h'), verify).kind, 'stale');
});

test('openDelta: verified, applied, and refused when it does not give the announced content', () => {
  const prev = content(['/a'], 1);
  const next = content(['/a'], 2);
  const changes = endpointChanges(prev, next)!;
  const good = encodeEndpointsDelta(changes, 6, 5, hashOf(next));
  const r = openDelta(good, prev, () => {});
  assert.equal(r.content.backends[0]!.endpoints[0]!.port, 2);
  assert.equal(createHash('sha256').update(r.packed).digest('hex'), good.hash);
  assert.throws(() => openDelta({ ...good, hash: 'f'.repeat(64) }, prev, () => {}), /^Error: endpoint delta v6 does not give the announced content \(hash [0-9a-f]{12} != ffffffffffff\)$/);
  assert.throws(() => openDelta(good, prev, () => { throw new Error('forged'); }), /forged/);
  const routes = routeChanges(prev, content(['/a', '/c'], 1), 100)!;
  assert.deepEqual(openDelta(encodeRoutesDelta(routes, 6, 5, hashOf(content(['/a', '/c'], 1))), prev, () => {}).content.rules.map((x) => x.path).sort(), ['/a', '/c']);
});
