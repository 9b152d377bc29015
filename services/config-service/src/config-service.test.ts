import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LocalTransport, MemoryKvStore } from '@meshgate/actors';
import {
  AdminMessageType, ChunkedValue, msgpackCodec, snapshotValue, subjects as makeSubjects, writeStoredSnapshot,
  type ApplyReply, type GetReply, type SnapshotHead, type SnapshotMessage,
} from '@meshgate/protocol';
import { createLogger } from '@meshgate/telemetry';
import { serviceManifest } from '@meshgate/testing';
import { startConfigService } from './config-service.ts';

const log = createLogger('test', { level: 'silent' });
const subjects = makeSubjects();

function manifestsDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meshgate-cs-'));
  fs.writeFileSync(path.join(dir, 'svc.yaml'), serviceManifest('users-svc', [8080]));
  return dir;
}

const ordersIngress = `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: { name: orders }
spec:
  rules: [{ http: { paths: [{ path: /orders, pathType: Prefix, backend: { service: { name: users-svc, port: { number: 80 } } } }] } }]
`;

async function appliedIngresses(transport: LocalTransport): Promise<string[]> {
  const r = await transport.request<GetReply>(subjects.admin, { type: AdminMessageType.Get, what: 'ingresses' });
  return (r.ingresses ?? []).filter((i) => i.applied).map((i) => i.id);
}

test('applied objects ride in the snapshot head: one write per apply, and a restarted config service has them', async () => {
  const dir = manifestsDir();
  const store = new MemoryKvStore();
  const transport = new LocalTransport();
  const a = await startConfigService({ transport, log, manifestsDir: dir, store, watch: false });
  try {
    const before = (await store.get('snapshot.head'))!.revision;
    const reply = await transport.request<ApplyReply>(subjects.admin, { type: AdminMessageType.Apply, action: 'apply', files: [{ path: 'orders.yaml', text: ordersIngress }] });
    assert.equal(reply.results[0]?.outcome, 'created');
    const head = await store.get('snapshot.head');
    assert.equal(head?.revision, before + 1, 'one write: the head, nothing before it');
    assert.ok((msgpackCodec.decode(head.value) as SnapshotHead).applied, 'the objects are in the head');
    assert.equal(await store.get('applied.head'), undefined, 'nothing under the old key');
  } finally {
    await a.stop();
  }
  const b = await startConfigService({ transport, log, manifestsDir: dir, store, watch: false });
  try {
    assert.deepEqual(await appliedIngresses(transport), ['default/orders']);
  } finally {
    await b.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a store written before that (objects under their own key) still loads, and the next write moves them into the head', async () => {
  const dir = manifestsDir();
  const store = new MemoryKvStore();
  const transport = new LocalTransport();
  const a = await startConfigService({ transport, log, manifestsDir: dir, store, watch: false });
  await transport.request<ApplyReply>(subjects.admin, { type: AdminMessageType.Apply, action: 'apply', files: [{ path: 'orders.yaml', text: ordersIngress }] });
  await a.stop();
  // Rewrite the store as an earlier version left it: the objects under "applied", the head without them.
  const snap = snapshotValue(store, 'old');
  const r = (await snap.read<SnapshotHead>())!;
  const objects = new ChunkedValue(store, 'applied', 'old');
  await objects.write((await objects.bytesOf(r.head.applied!))!, 0);
  await writeStoredSnapshot(snap, msgpackCodec.decode(r.bytes) as SnapshotMessage, r.revision);
  assert.equal((msgpackCodec.decode((await store.get('snapshot.head'))!.value) as SnapshotHead).applied, undefined);

  const b = await startConfigService({ transport, log, manifestsDir: dir, store, watch: false });
  try {
    assert.deepEqual(await appliedIngresses(transport), ['default/orders']);
    const deleted = await transport.request<ApplyReply>(subjects.admin, { type: AdminMessageType.Apply, action: 'delete', files: [{ path: 'orders.yaml', text: ordersIngress }] });
    assert.equal(deleted.results[0]?.outcome, 'deleted');
    assert.ok((msgpackCodec.decode((await store.get('snapshot.head'))!.value) as SnapshotHead).applied, 'the objects are in the head now');
    assert.deepEqual(await appliedIngresses(transport), []);
  } finally {
    await b.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('two config services on one store: get answers with what the other applied', async () => {
  const dir = manifestsDir();
  const store = new MemoryKvStore();
  const ta = new LocalTransport();
  const tb = new LocalTransport();
  const a = await startConfigService({ transport: ta, log, manifestsDir: dir, store, watch: false });
  const b = await startConfigService({ transport: tb, log, manifestsDir: dir, store, watch: false });
  try {
    assert.deepEqual(await appliedIngresses(tb), []);
    await ta.request<ApplyReply>(subjects.admin, { type: AdminMessageType.Apply, action: 'apply', files: [{ path: 'orders.yaml', text: ordersIngress }] });
    assert.deepEqual(await appliedIngresses(tb), ['default/orders']);
    const r = await tb.request<GetReply>(subjects.admin, { type: AdminMessageType.Get, what: 'ingresses' });
    assert.ok(r.ingresses?.some((i) => i.id === 'default/orders' && i.state !== 'rejected'), JSON.stringify(r.ingresses));
    await tb.request<ApplyReply>(subjects.admin, { type: AdminMessageType.Apply, action: 'delete', files: [{ path: 'orders.yaml', text: ordersIngress }] });
    assert.deepEqual(await appliedIngresses(ta), []);
  } finally {
    await a.stop();
    await b.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
