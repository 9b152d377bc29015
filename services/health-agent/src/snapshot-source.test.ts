import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { LocalTransport, MemoryKvStore } from '@meshgate/actors';
import {
  MessageType, encodeSnapshot, signMessage, snapshotValue, subjects as makeSubjects, writeStoredSnapshot,
  type SnapshotRefMessage,
} from '@meshgate/protocol';
import { createLogger } from '@meshgate/telemetry';
import { startHealthAgent } from './health-agent.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(what: string, fn: () => boolean, ms = 3_000): Promise<void> {
  const end = Date.now() + ms;
  while (!fn()) { if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms`); await sleep(10); }
}

/** Only the target list matters here: probes are spread over a minute, so hardly any runs. */
const content = (ports: number[]) => ({
  rules: [], tls: [],
  backends: [{ id: 'default/a:80', namespace: 'default', service: 'a', servicePort: 80, healthPath: '/', annotations: {}, endpoints: ports.map((p) => ({ id: `127.0.0.1:${p}`, address: '127.0.0.1', port: p })) }],
});
const ids = (eps: { endpoint: string }[]) => eps.map((e) => e.endpoint).sort();

test('agent with --trust-key: probes only what the config service signed; forged, unsigned and corrupt snapshots are refused', async () => {
  const transport = new LocalTransport();
  const subjects = makeSubjects('ss1');
  const real = generateKeyPairSync('ed25519');
  const forger = generateKeyPairSync('ed25519');
  const agent = await startHealthAgent({
    transport, log: createLogger('test', { level: 'silent' }), agentId: 'a', subjectPrefix: 'ss1', intervalMs: 60_000,
    trustKey: createPublicKey(real.privateKey),
  });
  try {
    transport.publish(subjects.snapshot, signMessage(encodeSnapshot(content([1]), 1), real.privateKey));
    await until('the signed snapshot is probed', () => agent.endpoints().length === 1);
    // Anyone else's snapshot, however new, leaves the targets as they are.
    transport.publish(subjects.snapshot, signMessage(encodeSnapshot(content([2, 3]), 2), forger.privateKey));
    transport.publish(subjects.snapshot, encodeSnapshot(content([4]), 3));
    const good = signMessage(encodeSnapshot(content([5]), 4), real.privateKey);
    transport.publish(subjects.snapshot, { ...good, body: good.body.map((b, i) => (i === 10 ? b ^ 1 : b)) });
    await sleep(200);
    assert.deepEqual(ids(agent.endpoints()), ['127.0.0.1:1']);
    // The next genuine one is taken.
    transport.publish(subjects.snapshot, signMessage(encodeSnapshot(content([6]), 5), real.privateKey));
    await until('the next signed snapshot is probed', () => ids(agent.endpoints()).join() === '127.0.0.1:6');
  } finally {
    await agent.stop();
    await transport.close();
  }
});

test('agent: a snapshot announced by reference (over max_payload) is read from the KV store, and verified', async () => {
  const transport = new LocalTransport();
  const subjects = makeSubjects('ss2');
  const store = new MemoryKvStore();
  const real = generateKeyPairSync('ed25519');
  const writer = snapshotValue(store, 'config');
  // Stored before the agent starts: it reads the KV store at start, no config service needed.
  let rev = await writeStoredSnapshot(writer, signMessage(encodeSnapshot(content([1]), 1), real.privateKey), 0);
  const agent = await startHealthAgent({
    transport, log: createLogger('test', { level: 'silent' }), agentId: 'a', subjectPrefix: 'ss2', intervalMs: 60_000,
    trustKey: createPublicKey(real.privateKey), store,
  });
  try {
    await until('the stored snapshot is probed at start', () => ids(agent.endpoints()).join() === '127.0.0.1:1');
    // A large snapshot: 3,000 endpoints, well over one message's worth once stored in chunks.
    const many = Array.from({ length: 3_000 }, (_, i) => 10_000 + i);
    const big = signMessage(encodeSnapshot(content(many), 2), real.privateKey);
    rev = await writeStoredSnapshot(writer, big, rev);
    const ref: SnapshotRefMessage = { type: MessageType.SnapshotRef, version: 2, hash: big.hash, bytes: big.body.length };
    transport.publish(subjects.snapshot, ref);
    await until('the referenced snapshot is probed', () => agent.endpoints().length === 3_000);
    // A forged snapshot written into the store (a KV writer that is not the config service) is refused too.
    const forged = signMessage(encodeSnapshot(content([7]), 3), generateKeyPairSync('ed25519').privateKey);
    await writeStoredSnapshot(writer, forged, rev);
    transport.publish(subjects.snapshot, { type: MessageType.SnapshotRef, version: 3, hash: forged.hash, bytes: forged.body.length } satisfies SnapshotRefMessage);
    await sleep(200);
    assert.equal(agent.endpoints().length, 3_000);
  } finally {
    await agent.stop();
    await transport.close();
  }
});
