/**
 * What a proxy node accepts: signed snapshots from the trusted key only;
 * forged, corrupt, unsigned, stale and unknown-format ones are NACKed and
 * the current config keeps serving. Plus: endpoint changes travel as deltas
 * under 1 KB, snapshots over max_payload go through the KV store, and two
 * config services never publish conflicting versions.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { NatsTransport, NatsKvStore, type TransportMessage } from '@meshgate/actors';
import {
  AdminMessageType, MessageType, encodeSnapshot, encodeRoutesDelta, generateSigningKeyPair, loadSigningKey, msgpackCodec, readStoredSnapshot, signMessage, subjects, allNodesSubject,
  type AckMessage, type ApplyReply, type RouteChanges, type RoutesDeltaMessage, type SnapshotMessage,
} from '@meshgate/protocol';
import { configServiceStarted, startNatsServer, eventually, type NatsServer, type Proc } from '@meshgate/testing';
import { get, makeMeshDir, ready, services, startBackends, startConfigService, startProxy, status, type MeshDir, type ProxyProc } from './mesh.ts';

let nats: NatsServer;
let m: MeshDir;
let t: NatsTransport;
let proxy: ProxyProc;
const procs: Proc[] = [];
const acks: AckMessage[] = [];
const endpointMessages: TransportMessage[] = [];
const S = subjects();

before(async () => {
  nats = await startNatsServer();
  m = await makeMeshDir();
  t = await NatsTransport.connect({ servers: nats.url, codec: msgpackCodec, name: 'verification-test' });
  t.subscribe(allNodesSubject(S.ack), (msg) => { acks.push(msg.data as AckMessage); });
  t.subscribe(S.endpoints, (msg) => { endpointMessages.push(msg); });
  const config = startConfigService(m, nats.url);
  procs.push(...startBackends(m), config);
  await configServiceStarted(config);
  proxy = await startProxy(m, nats.url, 'cp-verify-1');
  procs.push(proxy.proc);
  await ready(proxy);
});

after(async () => {
  await Promise.all(procs.map((p) => p.stop()));
  await t?.close();
  await nats?.stop();
  fs.rmSync(m.dir, { recursive: true, force: true });
});

const trustedKey = () => loadSigningKey(fs.readFileSync(m.signing));
const routes = (p: string) => ({ rules: [{ host: '', path: p, pathType: 'Prefix', backend: 'default/users-svc:80', ingress: 'default/evil' }], backends: [], tls: [] });

async function expectNack(snap: SnapshotMessage, pattern: RegExp): Promise<void> {
  const before = await status(proxy);
  const from = acks.length;
  t.publish(S.snapshot, snap);
  await eventually(`NACK matching ${pattern}`, async () => acks.slice(from).some((a) => !a.ok && pattern.test(a.error ?? '')), 5_000);
  const nack = acks.slice(from).find((a) => !a.ok)!;
  assert.equal(nack.nodeId, 'cp-verify-1');
  assert.equal(nack.version, before.version, 'the NACK names the version kept');
  assert.equal((await status(proxy)).version, before.version);
  assert.equal(await get(proxy, '/users/x'), 200, 'the old config keeps serving');
  assert.equal(await get(proxy, '/evil'), 404);
}

test('forged: signed by another key', async () => {
  const other = loadSigningKey(generateSigningKeyPair().privatePem);
  await expectNack(signMessage(encodeSnapshot(routes('/evil'), Date.now() + 1e6), other), /signed by key [0-9a-f]+, not the trusted/);
});

test('unsigned', async () => {
  await expectNack(encodeSnapshot(routes('/evil'), Date.now() + 1e6), /unsigned/);
});

test('corrupt: body altered after signing', async () => {
  const snap = signMessage(encodeSnapshot(routes('/evil'), Date.now() + 1e6), trustedKey());
  const body = new Uint8Array(snap.body); body[body.length - 3] ^= 0xff;
  await expectNack({ ...snap, body }, /forged or altered/);
});

test('corrupt content under a valid signature, and an unknown format', async () => {
  const snap = encodeSnapshot(routes('/evil'), Date.now() + 1e6);
  await expectNack(signMessage({ ...snap, hash: 'f'.repeat(64) }, trustedKey()), /corrupt: content hash/);
  await expectNack(signMessage({ ...snap, format: 9 }, trustedKey()), /format 9/);
});

test('stale: a genuine older snapshot replayed', async () => {
  const v = (await status(proxy)).version;
  await expectNack(signMessage(encodeSnapshot(routes('/evil'), v - 1), trustedKey()), /stale snapshot/);
});

/** A route delta goes straight to each worker, which checks it and NACKs for itself; the node shows the NACK too. */
async function expectRouteNack(d: RoutesDeltaMessage, pattern: RegExp): Promise<void> {
  const before = await status(proxy);
  const from = acks.length;
  t.publish(S.routes, d);
  await eventually(`worker NACK matching ${pattern}`, async () => acks.slice(from).some((a) => !a.ok && pattern.test(a.error ?? '')), 5_000);
  const nack = acks.slice(from).find((a) => !a.ok)!;
  assert.deepEqual([nack.nodeId, nack.worker, nack.workers, nack.refused], ['cp-verify-1', 0, 1, d.version]);
  assert.equal(nack.version, before.version, 'the NACK names the version kept');
  const after = await status(proxy);
  assert.equal(after.version, before.version);
  assert.match(after.lastNack?.error ?? '', pattern);
  assert.equal(await get(proxy, '/users/x'), 200, 'the old config keeps serving');
  assert.equal(await get(proxy, '/evil'), 404);
}

const evilDelta = (version: number, base: number) => encodeRoutesDelta({
  removedRules: [], addedRules: routes('/evil').rules as unknown as RouteChanges['addedRules'], removedBackends: [], upsertedBackends: [],
}, version, base, 'f'.repeat(64));

test('route deltas: forged, unsigned, altered and stale ones are NACKed by the worker, the old config keeps serving', async () => {
  const v = (await status(proxy)).version;
  const other = loadSigningKey(generateSigningKeyPair().privatePem);
  await expectRouteNack(signMessage(evilDelta(v + 1e6, v), other), /signed by key [0-9a-f]+, not the trusted/);
  await expectRouteNack(evilDelta(v + 1e6, v), /unsigned/);
  const signed = signMessage(evilDelta(v + 1e6, v), trustedKey());
  const body = new Uint8Array(signed.body); body[body.length - 3] ^= 0xff;
  await expectRouteNack({ ...signed, body }, /forged or altered/);
  await expectRouteNack(signMessage(evilDelta(v - 1, v - 2), trustedKey()), /stale route delta/);
});

test('an endpoint change goes out as a delta under 1 KB, and the nodes apply it', async () => {
  const before = (await status(proxy)).version;
  const from = endpointMessages.length;
  fs.writeFileSync(path.join(m.manifests, 'services.yaml'), services(m, '127.0.0.2'));
  await eventually('delta received', async () => endpointMessages.length > from, 10_000);
  const raw = msgpackCodec.encode(endpointMessages[from]!.data);
  assert.ok(raw.length < 1024, `delta is ${raw.length} bytes`);
  const d = endpointMessages[from]!.data as { base: number; version: number };
  assert.equal(d.base, before);
  await eventually('node at the delta version', async () => (await status(proxy)).version === d.version, 5_000);
  assert.match(proxy.proc.output(), /endpoint delta applied/);
  assert.equal(await get(proxy, '/products/x'), 200);
});

test('a snapshot larger than max_payload (1 MiB) reaches the node through the KV store', async () => {
  // An incompressible Service annotation makes the snapshot big.
  const big = randomBytes(1100 * 1024).toString('base64');
  fs.writeFileSync(path.join(m.manifests, 'big.yaml'), `apiVersion: v1
kind: Service
metadata:
  name: big-svc
  annotations: { padding: "${big}" }
spec:
  ports: [{ name: http, port: 80, targetPort: 8080 }]
---
apiVersion: v1
kind: Endpoints
metadata: { name: big-svc }
subsets: [{ addresses: [{ ip: 127.0.0.1 }], ports: [{ name: http, port: ${m.usersPort} }] }]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: { name: big }
spec:
  rules: [{ http: { paths: [{ path: /big, pathType: Prefix, backend: { service: { name: big-svc, port: { number: 80 } } } }] } }]
`);
  await eventually('/big served', async () => (await get(proxy, '/big')) === 200, 15_000);
  const stored = await readStoredSnapshot(await NatsKvStore.open(t.connection, S.kvBucket));
  assert.ok(stored!.snapshot.body.length > 1024 * 1024, `snapshot is ${stored!.snapshot.body.length} bytes`);
  assert.equal(stored!.snapshot.version, (await status(proxy)).version);
  fs.rmSync(path.join(m.manifests, 'big.yaml'));
  await eventually('/big gone', async () => (await get(proxy, '/big')) === 404, 15_000);
});

test('two config services at once: one version at a time, no conflicting snapshots', async () => {
  const second = startConfigService(m, nats.url);
  procs.push(second);
  await second.waitFor(/config service started/);
  const seen = new Map<number, string>();
  // Full snapshots, and the route deltas a new path goes out as.
  const subs = [S.snapshot, S.routes].map((subject) => t.subscribe(subject, (msg) => {
    const s = msg.data as SnapshotMessage | RoutesDeltaMessage;
    if (s.type !== MessageType.Snapshot && s.type !== MessageType.RoutesDelta) return;
    const prev = seen.get(s.version);
    assert.ok(prev === undefined || prev === s.hash, `version ${s.version} published with two hashes`);
    seen.set(s.version, s.hash);
  }));
  // Both watch the same directory and both try to publish each change.
  for (const p of ['/two-a', '/two-b']) {
    fs.writeFileSync(path.join(m.manifests, `${p.slice(1)}.yaml`), `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: { name: ${p.slice(1)} }
spec:
  rules: [{ http: { paths: [{ path: ${p}, pathType: Prefix, backend: { service: { name: users-svc, port: { number: 80 } } } }] } }]
`);
    await eventually(`${p} served`, async () => (await get(proxy, p)) === 200, 10_000);
  }
  // Applies at once: the queue group hands each to one of the two, and each stores its objects and
  // snapshot on top of the other's (compare-and-set, built again on a conflict): none is lost.
  const applies = ['/ap-1', '/ap-2', '/ap-3', '/ap-4', '/ap-5', '/ap-6'];
  const replies = await Promise.all(applies.map((p) => t.request<ApplyReply>(S.admin, {
    type: AdminMessageType.Apply, action: 'apply', files: [{ path: `${p.slice(1)}.yaml`, text: `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: { name: ${p.slice(1)} }
spec:
  rules: [{ http: { paths: [{ path: ${p}, pathType: Prefix, backend: { service: { name: users-svc, port: { number: 80 } } } }] } }]
` }],
  }, 30_000)));
  for (const r of replies) assert.equal(r.results[0]?.outcome, 'created', JSON.stringify(r));
  for (const p of applies) await eventually(`${p} served`, async () => (await get(proxy, p)) === 200, 10_000);
  for (const sub of subs) sub.unsubscribe();
  const versions = [...seen.keys()].sort();
  assert.ok(versions.length >= 2);
  await second.stop();
});
