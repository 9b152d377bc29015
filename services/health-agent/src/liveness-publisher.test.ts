import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { LivenessVerifier, type LivenessViewPart } from '@meshgate/protocol';
import { FULL_VIEW_PART, LivenessPublisher } from './liveness-publisher.ts';

const ep = (i: number) => ({ endpoint: `127.0.0.1:${i}`, healthy: i % 2 === 0, reason: 'r', since: i });

test('changes of one turn go out together, in order, with increasing sequence numbers', async () => {
  const sent: LivenessViewPart[] = [];
  const p = new LivenessPublisher('a1', (m) => sent.push(m));
  p.changed(ep(1));
  p.changed(ep(2));
  assert.equal(sent.length, 0, 'not before the turn ends');
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(sent.map((m) => [m.kind, m.seq, m.endpoints.length]), [['delta', 1, 2]]);
  assert.equal(sent[0]!.agent, 'a1');
});

test('a full view in parts of one epoch; an empty one is one empty part', () => {
  const sent: LivenessViewPart[] = [];
  const p = new LivenessPublisher('a1', (m) => sent.push(m));
  p.full(Array.from({ length: FULL_VIEW_PART + 1 }, (_, i) => ep(i)));
  p.full([]);
  assert.deepEqual(sent.map((m) => [m.epoch, m.part, m.parts, m.endpoints.length, m.seq]), [[1, 0, 2, FULL_VIEW_PART, 1], [1, 1, 2, 1, 2], [2, 0, 1, 0, 3]]);
});

test('signed with the agent key: a node with its public key admits it', () => {
  const { privateKey } = generateKeyPairSync('ed25519');
  const sent: LivenessViewPart[] = [];
  new LivenessPublisher('a1', (m) => sent.push(m), privateKey).full([ep(1)]);
  const verifier = new LivenessVerifier({ keys: [createPublicKey(privateKey)] });
  assert.doesNotThrow(() => verifier.check(sent[0]!));
});
