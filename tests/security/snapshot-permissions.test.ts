/**
 * The control channel end to end, on a nats-server running the documented
 * permissions (infra/compose/nats/auth.conf, docs/security.md) with signed
 * snapshots:
 *
 * - a forged publisher that HAS every NATS permission the config service
 *   has (its stolen password), but not its signing key, publishes snapshots
 *   (forged, unsigned, by reference into a KV entry it wrote): the proxy
 *   NACKs each and keeps serving, and the health agent keeps probing what the
 *   real config service published;
 * - a proxy or health agent login cannot publish a snapshot at all (the
 *   server refuses it, nobody receives it), cannot write the KV bucket, and
 *   cannot subscribe to the config service's requests to answer them in its
 *   place.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import { NatsKvStore, NatsTransport, type NatsTransportStatus } from '@meshgate/actors';
import {
  MessageType, encodeSnapshot, msgpackCodec, signMessage, snapshotValue, subjects, writeStoredSnapshot, allNodesSubject, nodeSubject,
  type AckMessage, type SnapshotHead, type SnapshotRefMessage,
} from '@meshgate/protocol';
import { eventually, startNatsServer, type NatsServer, type Proc } from '@meshgate/testing';
import { get, makeMeshDir, startBackends, status } from '../control-plane/mesh.ts';
import { AUTH_CONF, as, cliAs, loginOf, startSecuredMesh, type SecuredMesh } from './nats-mesh.ts';

const S = subjects('meshgate');

let nats: NatsServer;
let mesh: SecuredMesh;
let backends: Proc[];
/** Sees every message on the mesh's subjects, as the config service's user may. */
let observer: NatsTransport;
const acks: AckMessage[] = [];
const seen: unknown[] = [];

before(async () => {
  nats = await startNatsServer({ config: fs.readFileSync(AUTH_CONF, 'utf8') });
  const m = await makeMeshDir();
  backends = startBackends(m);
  mesh = await startSecuredMesh(nats.url, { configService: as('config-service'), proxy: as('proxy'), agent: as('health-agent') }, m);
  observer = await NatsTransport.connect({ servers: nats.url, codec: msgpackCodec, reconnect: false, security: loginOf('config-service') });
  observer.subscribe(allNodesSubject(S.ack), (msg) => { acks.push(msg.data as AckMessage); });
  observer.subscribe('meshgate.>', (msg) => { seen.push(msg.data); });
  await observer.flush();
  await eventually('the proxy serves /users/ from the real snapshot', async () => (await get(mesh.proxy, '/users/')) === 200, 20_000);
});

after(async () => {
  await observer?.close();
  await mesh?.stop();
  await Promise.all((backends ?? []).map((b) => b.stop()));
  await nats?.stop();
});

test('a forged publisher with the config service\'s NATS login but not its key: every snapshot it sends is NACKed, the old config keeps serving', async () => {
  const { version: kept, hash } = await status(mesh.proxy);
  assert.ok(kept > 0);
  const forger = await NatsTransport.connect({ servers: nats.url, codec: msgpackCodec, reconnect: false, security: loginOf('config-service') });
  const forgerKey = generateKeyPairSync('ed25519').privateKey;
  // No routes at all: served, it would turn every request into a 404.
  const empty = { rules: [], tls: [], backends: [] };
  const nackOf = (v: number) => () => acks.find((a) => !a.ok && a.refused === v && a.nodeId === 'secured-1');
  try {
    const forged = signMessage(encodeSnapshot(empty, kept + 1_000), forgerKey);
    forger.publish(S.snapshot, forged);
    await eventually('NACK of the forged snapshot', async () => Boolean(nackOf(kept + 1_000)()), 10_000);
    assert.match(nackOf(kept + 1_000)()!.error!, /signature|signed|key/i);
    assert.equal(nackOf(kept + 1_000)()!.version, kept, 'the NACK names the version kept');

    forger.publish(S.snapshot, encodeSnapshot(empty, kept + 1_001));
    await eventually('NACK of the unsigned snapshot', async () => Boolean(nackOf(kept + 1_001)()), 10_000);

    // The same login may write the KV bucket: a forged snapshot stored there and announced by reference.
    const kv = await NatsKvStore.open(forger.connection, S.kvBucket);
    const head = await snapshotValue(kv, 'forger').readHead<SnapshotHead>();
    const stored = signMessage(encodeSnapshot(empty, kept + 1_002), forgerKey);
    await writeStoredSnapshot(snapshotValue(kv, 'forger'), stored, head?.revision ?? 0);
    forger.publish(S.snapshot, { type: MessageType.SnapshotRef, version: kept + 1_002, hash: stored.hash, bytes: stored.body.length } satisfies SnapshotRefMessage);
    await eventually('NACK of the forged snapshot read from the KV store', async () => Boolean(nackOf(kept + 1_002)()), 10_000);

    // Still the real config, still serving it.
    assert.deepEqual(await status(mesh.proxy).then((s) => [s.version, s.hash]), [kept, hash]);
    assert.equal(await get(mesh.proxy, '/users/'), 200);
    assert.equal(await get(mesh.proxy, '/products/'), 200);
    // The health agent refused them too (it would otherwise stop probing every backend).
    await eventually('the agent refused the forged snapshots', async () => (mesh.agent.output().match(/"snapshot refused; keeping the current targets"/g) ?? []).length >= 3, 10_000);
    assert.doesNotMatch(mesh.agent.output(), /"probing endpoints","version":\d+,"endpoints":0/);
    // meshgate get nodes shows the refusal.
    const r = await cliAs(as('operator'), ['get', 'nodes', '-o', 'json', '--nats', nats.url]);
    assert.equal(r.code, 0, r.out);
    const node = (JSON.parse(r.out) as { nodes: { nodeId: string; version: number; nack?: { version: number } }[] }).nodes.find((n) => n.nodeId === 'secured-1')!;
    assert.equal(node.version, kept);
    assert.ok((node.nack?.version ?? 0) > kept, JSON.stringify(node));
  } finally {
    await forger.close();
  }
});

test('a proxy or health agent login cannot publish a snapshot, write the KV bucket, or take the config service\'s requests', async () => {
  for (const user of ['proxy', 'health-agent']) {
    const t = await NatsTransport.connect({ servers: nats.url, codec: msgpackCodec, reconnect: false, security: loginOf(user) });
    const errors: string[] = [];
    t.onStatus((st: NatsTransportStatus) => { if (st.type === 'error') errors.push(String((st.data as { error?: unknown }).error)); });
    try {
      const marker = `published by ${user}`;
      t.publish(S.snapshot, { type: MessageType.Snapshot, marker });
      t.publish(S.endpoints, { type: MessageType.EndpointsDelta, marker });
      // A subject the role may publish, after: once it reached the observer, the refused ones would have.
      const allowed = user === 'proxy' ? nodeSubject(S.heartbeat, 'secured-1') : S.healthNodes;
      t.publish(allowed, { marker: `${marker}, allowed` });
      await t.flush();
      await eventually(`${user}: its allowed message arrived`, async () => seen.some((d) => (d as { marker?: string })?.marker === `${marker}, allowed`), 5_000);
      await eventually(`${user}: publish violations reported`, async () => errors.filter((e) => /Permissions Violation for Publish to "meshgate\.config\.v1\.(snapshot|endpoints)"/.test(e)).length >= 2, 5_000);
      assert.ok(!seen.some((d) => (d as { marker?: string })?.marker === marker), `${user}: a refused snapshot reached a subscriber`);

      // The KV bucket: reading is fine, writing is refused (no JetStream ack: the write fails).
      const reader = await NatsKvStore.open(t.connection, S.kvBucket, { mode: 'reader', timeoutMs: 1_000 });
      assert.ok(await reader.get('snapshot.head'), `${user} reads the stored snapshot head`);
      await assert.rejects(reader.put('snapshot.head', new Uint8Array([1])), /KV write/);

      // Answering the config service's requests needs a subscription the server refuses.
      t.subscribe(S.admin, (m) => m.reply?.({ type: 'admin.v1.error', message: 'impostor' }));
      t.subscribe(S.snapshotGet, (m) => m.reply?.({ type: 'none' }));
      await t.flush();
      await eventually(`${user}: subscribe violations reported`, async () => errors.filter((e) => /Permissions Violation for Subscription to "meshgate\.config\.v1\.(admin|snapshot\.get)"/.test(e)).length >= 2, 5_000);
    } finally {
      await t.close();
    }
  }
  // And the mesh kept working through all of it.
  assert.equal(await get(mesh.proxy, '/users/'), 200);
  const r = await cliAs(as('operator'), ['get', 'nodes', '--nats', nats.url]);
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /secured-1/);
});

test('heartbeats and ACKs on per-node subjects: a node login publishes only its own, and a message naming another node than its subject is dropped', async () => {
  const hb = (nodeId: string, marker: string) => ({
    type: MessageType.Heartbeat, nodeId, version: 1, hash: 'x', ready: true, workers: 1, admin: `http://${marker}`, state: 'up', at: Date.now(),
  });
  // proxy-1's own login (auth.conf): its own subjects only.
  const own = await NatsTransport.connect({ servers: nats.url, codec: msgpackCodec, reconnect: false, security: loginOf('proxy-1') });
  const errors: string[] = [];
  own.onStatus((st: NatsTransportStatus) => { if (st.type === 'error') errors.push(String((st.data as { error?: unknown }).error)); });
  // The shared `proxy` login may use any node's subject, so the receivers check the body against it.
  const shared = await NatsTransport.connect({ servers: nats.url, codec: msgpackCodec, reconnect: false, security: loginOf('proxy') });
  try {
    own.publish(nodeSubject(S.heartbeat, 'secured-1'), hb('secured-1', 'stolen-heartbeat'));
    own.publish(nodeSubject(S.ack, 'secured-1'), { type: MessageType.Ack, nodeId: 'secured-1', ok: true, version: 1, hash: 'x', at: Date.now(), marker: 'stolen-ack' });
    own.publish(nodeSubject(S.heartbeat, 'proxy-1'), hb('proxy-1', 'own-heartbeat'));
    await own.flush();
    await eventually('proxy-1 publishes its own heartbeat', async () => seen.some((d) => (d as { admin?: string })?.admin === 'http://own-heartbeat'), 5_000);
    await eventually('publishing as another node is refused by the server', async () => errors.filter((e) => /Permissions Violation for Publish to "meshgate\.(node\.v1\.heartbeat|config\.v1\.ack)\.secured-1"/.test(e)).length >= 2, 5_000);
    assert.ok(!seen.some((d) => ['http://stolen-heartbeat'].includes((d as { admin?: string })?.admin ?? '') || (d as { marker?: string })?.marker === 'stolen-ack'), 'a refused message reached a subscriber');

    // Spoofing through the shared login: the subject says one node, the body another.
    shared.publish(nodeSubject(S.heartbeat, 'secured-1'), hb('ghost-node', 'spoof'));
    shared.publish(nodeSubject(S.ack, 'secured-1'), { type: MessageType.Ack, nodeId: 'ghost-node', ok: true, version: 1, hash: 'x', at: Date.now() });
    await shared.flush();
    await eventually('the config service dropped them', async () => /dropped a node message sent on another node's subject.*ghost-node/.test(mesh.configService.output()), 5_000);
    await eventually('the agent dropped the heartbeat', async () => /dropped a heartbeat sent on another node's subject.*ghost-node/.test(mesh.agent.output()), 5_000);
    const r = await cliAs(as('operator'), ['get', 'nodes', '-o', 'json', '--nats', nats.url]);
    assert.equal(r.code, 0, r.out);
    const ids = (JSON.parse(r.out) as { nodes: { nodeId: string }[] }).nodes.map((n) => n.nodeId);
    assert.ok(ids.includes('secured-1') && !ids.includes('ghost-node'), ids.join());
  } finally {
    await own.close();
    await shared.close();
  }
});
