import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeSnapshot, unpackSnapshotBody, decodeSnapshotContent, SnapshotFormatError, msgpackCodec } from './index.ts';

test('a snapshot round-trips through encode, the wire codec and decode', () => {
  const content = { rules: Array.from({ length: 100 }, (_, i) => ({ host: '', path: `/p${i}`, backend: `default/s${i}:80` })) };
  const msg = encodeSnapshot(content, 7);
  const wire = msgpackCodec.decode(msgpackCodec.encode(msg)) as typeof msg;
  assert.equal(wire.version, 7);
  const packed = unpackSnapshotBody(wire);
  assert.deepEqual(decodeSnapshotContent(packed), content);
});

test('equal content gives an equal hash', () => {
  assert.equal(encodeSnapshot({ a: 1 }, 1).hash, encodeSnapshot({ a: 1 }, 2).hash);
  assert.notEqual(encodeSnapshot({ a: 1 }, 1).hash, encodeSnapshot({ a: 2 }, 1).hash);
});

test('a corrupt, truncated or unknown-format snapshot is refused with a clear error', () => {
  const msg = encodeSnapshot({ a: 1 }, 3);
  const flipped = new Uint8Array(msg.body); flipped[flipped.length - 2] ^= 0xff;
  assert.throws(() => unpackSnapshotBody({ ...msg, body: flipped }), SnapshotFormatError);
  assert.throws(() => unpackSnapshotBody({ ...msg, body: msg.body.subarray(0, 1) }), /empty body/);
  assert.throws(() => unpackSnapshotBody({ ...msg, format: 99 }), /format 99/);
  assert.throws(() => unpackSnapshotBody({ ...msg, hash: 'x'.repeat(64) }), /content hash/);
});
