import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AdminMessageType, AdminVerifier, generateSigningKeyPair, loadSigningKey, loadTrustKey, keyIdOf, msgpackCodec, signAdminRequest,
  type ApplyRequest,
} from './index.ts';

const pairOf = () => { const p = generateSigningKeyPair(); return { key: loadSigningKey(p.privatePem), trust: loadTrustKey(p.publicPem) }; };
const op = pairOf();
const other = pairOf();
const NOW = 1_750_000_000_000;
const req: ApplyRequest = { type: AdminMessageType.Apply, action: 'apply', files: [{ path: 'a.yaml', text: 'kind: Service\n' }] };

test('a signed apply verifies once (after msgpack); unsigned, other key, altered, other mesh, old or replayed: refused', () => {
  let now = NOW;
  const v = new AdminVerifier({ keys: [op.trust], mesh: 'meshgate', now: () => now });
  const err = (r: ApplyRequest) => { try { v.check(r); return ''; } catch (e) { return (e as Error).message; } };
  const signed = msgpackCodec.decode(msgpackCodec.encode(signAdminRequest(req, op.key, 'meshgate', NOW))) as ApplyRequest;
  assert.match(err(req), /^apply refused: the request is not signed.*--operator-signing-key/);
  assert.match(err(signAdminRequest(req, other.key, 'meshgate', NOW)), new RegExp(`signed by key ${keyIdOf(other.trust)}, which this config service does not trust`));
  assert.match(err({ ...signed, files: [{ path: 'a.yaml', text: 'kind: Secret\n' }] }), /does not verify/);
  assert.match(err({ ...signed, action: 'delete' }), /^delete refused: .*does not verify/);
  assert.match(err(signAdminRequest(req, op.key, 'other-mesh', NOW)), /does not verify: .*another mesh/);
  assert.match(err(signAdminRequest(req, op.key, 'meshgate', NOW - 6 * 60_000)), /more than 5 min from the config service's clock/);
  assert.equal(err(signed), '');
  assert.match(err(signed), /already received .*replayed/);
  // Nonces are forgotten only once their requests are too old anyway.
  now = NOW + 11 * 60_000;
  assert.match(err(signed), /more than 5 min/);
  assert.equal(err(signAdminRequest(req, op.key, 'meshgate', now)), '');
});
