import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  encodeSnapshot, generateSigningKeyPair, loadSigningKey, loadTrustKey, signMessage, verifyMessage, SnapshotSignatureError,
  endpointChanges, applyEndpointChanges, encodeEndpointsDelta, msgpackCodec, type SnapshotContent,
} from './index.ts';

const pair = generateSigningKeyPair();
const key = loadSigningKey(pair.privatePem);
const trust = loadTrustKey(pair.publicPem);

test('a signed snapshot verifies; unsigned, forged, altered or re-versioned ones do not', () => {
  const snap = signMessage(encodeSnapshot({ a: 1 }, 5), key);
  verifyMessage(snap, trust);
  verifyMessage(encodeSnapshot({ a: 1 }, 5), undefined); // no trust key: anything goes
  assert.throws(() => verifyMessage(encodeSnapshot({ a: 1 }, 5), trust), /unsigned/);
  const other = loadSigningKey(generateSigningKeyPair().privatePem);
  assert.throws(() => verifyMessage(signMessage(encodeSnapshot({ a: 1 }, 5), other), trust), /signed by key .* not the trusted/);
  assert.throws(() => verifyMessage({ ...snap, version: 6 }, trust), SnapshotSignatureError);
  const body = new Uint8Array(snap.body); body[3] ^= 1;
  assert.throws(() => verifyMessage({ ...snap, body }, trust), /forged or altered/);
});

test('keys that are not Ed25519 PEM are refused with what to run', () => {
  assert.throws(() => loadSigningKey('nope'), /openssl genpkey -algorithm ed25519/);
  assert.throws(() => loadTrustKey('nope'), /openssl pkey/);
});

test('an endpoint-only change is a delta under 1 KB whatever the number of routes', () => {
  const backends = Array.from({ length: 2_000 }, (_, i) => ({
    id: `default/s${i}:80`, namespace: 'default', service: `s${i}`, servicePort: 80, healthPath: '/', annotations: {},
    endpoints: [{ id: `10.0.${i >> 8}.${i & 255}:8080`, address: `10.0.${i >> 8}.${i & 255}`, port: 8080 }],
  }));
  const rules = backends.map((b, i) => ({ host: '', path: `/p${i}`, pathType: 'Prefix' as const, backend: b.id, ingress: 'default/x' }));
  const prev: SnapshotContent = { rules, backends, tls: [] };
  const next = applyEndpointChanges(prev, [{ backend: 'default/s7:80', endpoints: [{ id: '10.9.9.9:80', address: '10.9.9.9', port: 80 }] }]);
  const changes = endpointChanges(prev, next)!;
  assert.equal(changes.length, 1);
  const full = encodeSnapshot(next, 2);
  const delta = signMessage(encodeEndpointsDelta(changes, 2, 1, full.hash), key);
  assert.ok(msgpackCodec.encode(delta).length < 1024, `delta is ${msgpackCodec.encode(delta).length} bytes`);
  assert.equal(encodeSnapshot(applyEndpointChanges(prev, changes), 2).hash, full.hash);
  assert.equal(endpointChanges(prev, { ...next, rules: rules.slice(1) }), undefined);
});
