import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeSnapshotContent, msgpackCodec, routeChanges, type SnapshotContent } from '@meshgate/protocol';
import { SnapshotLedger } from './snapshot-ledger.ts';

const rule = (path: string): SnapshotContent['rules'][number] => ({ host: '', path, pathType: 'Prefix', backend: 'default/a:80', ingress: 'default/ing' });
const backend: SnapshotContent['backends'][number] = { id: 'default/a:80', namespace: 'default', service: 'a', servicePort: '80', endpoints: [{ id: '127.0.0.1:1', address: '127.0.0.1', port: 1 }], healthPath: '/', annotations: {} };
const content = (...paths: string[]): SnapshotContent => ({ rules: paths.map(rule), backends: [backend], tls: [] });
const paths = (c: SnapshotContent) => c.rules.map((r) => r.path).sort();
const delta = (version: number, from: SnapshotContent, to: SnapshotContent) => ({ version, base: version - 1, hash: `h${version}`, changes: routeChanges(from, to, 100)! });

test('a full snapshot: the version, and a replacement worker gets it as it came', () => {
  const l = new SnapshotLedger();
  assert.equal(l.hasBase, false);
  assert.equal(l.applied(), undefined);
  assert.throws(() => l.content(), /no snapshot yet/);
  const snap = { version: 1, hash: 'h1', packed: msgpackCodec.encode(content('/a')), traceparent: 't' };
  l.serve(snap, 'disk');
  assert.deepEqual([l.version, l.hash, l.source, l.hasBase, l.deltaCount], [1, 'h1', 'disk', true, 0]);
  assert.equal(l.applied(), snap);
  assert.deepEqual(paths(l.content()), ['/a']);
});

test('route deltas: held in order, the content decoded only when asked, replacement workers get them after the snapshot', () => {
  const l = new SnapshotLedger();
  const c1 = content('/a');
  const c2 = content('/a', '/b');
  const c3 = content('/b');
  l.serve({ version: 1, hash: 'h1', packed: msgpackCodec.encode(c1) }, 'pull');
  l.hold(delta(2, c1, c2));
  l.hold(delta(3, c2, c3));
  assert.deepEqual([l.version, l.hash, l.source, l.deltaCount], [3, 'h3', 'push', 2]);
  assert.deepEqual(l.applied()?.deltas?.map((d) => d.version), [2, 3]);
  assert.equal(l.applied()?.version, 1, 'the snapshot under the deltas');
  assert.deepEqual(paths(l.content()), ['/b']);
  // One more after the content was brought up to date: only that one is applied on top.
  l.hold(delta(4, c3, content('/c')));
  assert.deepEqual(paths(l.content()), ['/c']);
  assert.deepEqual(paths(decodeSnapshotContent<SnapshotContent>(l.packedNow())), ['/c']);
});

test('fold: the deltas become one snapshot of the current version; nothing to fold is a no-op', () => {
  const l = new SnapshotLedger();
  const c1 = content('/a');
  l.serve({ version: 1, hash: 'h1', packed: msgpackCodec.encode(c1) }, 'push');
  assert.equal(l.fold(), undefined);
  l.hold(delta(2, c1, content('/z')));
  const folded = l.fold()!;
  assert.deepEqual([folded.version, folded.hash, folded.deltas], [2, 'h2', undefined]);
  assert.deepEqual(paths(decodeSnapshotContent<SnapshotContent>(folded.packed)), ['/z']);
  assert.equal(l.deltaCount, 0);
  assert.equal(l.applied(), folded);
  assert.deepEqual(paths(l.content()), ['/z']);
});

test('a full snapshot after deltas starts over; content handed in is used as is', () => {
  const l = new SnapshotLedger();
  const c1 = content('/a');
  l.serve({ version: 1, hash: 'h1', packed: msgpackCodec.encode(c1) }, 'push');
  l.hold(delta(2, c1, content('/b')));
  const given = content('/given');
  l.serve({ version: 5, hash: 'h5', packed: msgpackCodec.encode(content('/packed')) }, 'pull', given);
  assert.equal(l.deltaCount, 0);
  assert.equal(l.content(), given);
});
