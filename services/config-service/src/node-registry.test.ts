import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MessageType, type AckMessage } from '@meshgate/protocol';
import { NodeRegistry } from './node-registry.ts';

const ack = (a: Partial<AckMessage> & { version: number }): AckMessage => ({ type: MessageType.Ack, nodeId: 'n1', ok: true, hash: `h${a.version}`, at: 0, ...a });

test('a node ACKs for itself: the version is acked at once', () => {
  const r = new NodeRegistry();
  r.ack(ack({ version: 5 }));
  assert.equal(r.view()[0]!.ackedVersion, 5);
});

test('workers ACK route deltas for themselves: the node has a version once every worker ACKed it', () => {
  const r = new NodeRegistry();
  r.ack(ack({ version: 5 }));
  r.ack(ack({ version: 6, worker: 0, workers: 3 }));
  r.ack(ack({ version: 7, worker: 0, workers: 3 }));
  r.ack(ack({ version: 6, worker: 2, workers: 3 }));
  assert.equal(r.view()[0]!.ackedVersion, 5, 'worker 1 has not ACKed anything newer');
  r.ack(ack({ version: 7, worker: 1, workers: 3 }));
  let v = r.view()[0]!;
  assert.equal(v.ackedVersion, 6, 'the oldest of the three');
  assert.equal(v.hash, 'h6');
  r.ack(ack({ version: 7, worker: 2, workers: 3 }));
  v = r.view()[0]!;
  assert.deepEqual([v.ackedVersion, v.version, v.hash], [7, 7, 'h7']);
  // A node-level ACK (a full snapshot) speaks for every worker.
  r.ack(ack({ version: 9 }));
  r.ack(ack({ version: 10, worker: 1, workers: 3 }));
  assert.equal(r.view()[0]!.ackedVersion, 9);
});

test('a one-worker node: its worker ACK is the node ACK', () => {
  const r = new NodeRegistry();
  r.ack(ack({ version: 3, worker: 0, workers: 1, applyMs: 0.4 }));
  const v = r.view()[0]!;
  assert.deepEqual([v.ackedVersion, v.applyMs], [3, 0.4]);
});

test('a worker NACK is the node NACK, cleared by a newer ACK', () => {
  const r = new NodeRegistry();
  r.ack(ack({ version: 3 }));
  r.ack(ack({ version: 3, ok: false, refused: 4, error: 'bad signature', worker: 1, workers: 2 }));
  assert.equal(r.view()[0]!.nack?.version, 4);
  r.ack(ack({ version: 5 }));
  assert.equal(r.view()[0]!.nack, undefined);
});
