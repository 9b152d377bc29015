import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  MessageType, generateSigningKeyPair, loadSigningKey, loadTrustKey, keyIdOf, msgpackCodec,
  signLiveness, LivenessVerifier, type LivenessViewPart,
} from './index.ts';

const pairOf = () => { const p = generateSigningKeyPair(); return { key: loadSigningKey(p.privatePem), trust: loadTrustKey(p.publicPem) }; };
const a = pairOf();
const b = pairOf();
const NOW = 1_750_000_000_000;

function msg(over: Partial<LivenessViewPart> = {}): LivenessViewPart {
  return {
    type: MessageType.Liveness, agent: 'agent-1', kind: 'delta', seq: 1, boot: NOW - 1_000, at: NOW,
    endpoints: [{ endpoint: '10.0.0.1:80', healthy: false, reason: 'connect ECONNREFUSED', since: NOW - 5 }], ...over,
  };
}

test('a signed liveness message verifies after msgpack; the sender is agent id and key id', () => {
  const v = new LivenessVerifier({ keys: [a.trust, b.trust], now: () => NOW });
  const wire = msgpackCodec.decode(msgpackCodec.encode(signLiveness(msg(), a.key))) as LivenessViewPart;
  assert.equal(v.check(wire), `agent-1@${keyIdOf(a.trust)}`);
  // A second agent under the other trusted key.
  assert.equal(v.check(signLiveness(msg({ agent: 'agent-2' }), b.key)), `agent-2@${keyIdOf(b.trust)}`);
  // A full view in parts.
  assert.ok(v.check(signLiveness(msg({ kind: 'full', seq: 2, epoch: 1, part: 0, parts: 2 }), a.key)));
});

test('unsigned, untrusted, altered, old and replayed liveness messages are refused, each saying why', () => {
  const v = new LivenessVerifier({ keys: [a.trust], now: () => NOW });
  const reason = (m: LivenessViewPart) => { try { v.check(m); return 'accepted'; } catch (err) { return (err as { reason: string }).reason; } };
  assert.equal(reason(msg()), 'unsigned');
  assert.equal(reason(signLiveness(msg(), b.key)), 'key');
  const signed = signLiveness(msg(), a.key);
  for (const altered of [
    { ...signed, endpoints: [{ ...signed.endpoints[0]!, healthy: true }] },
    { ...signed, agent: 'agent-2' },
    { ...signed, seq: 9 },
    { ...signed, at: NOW + 1 },
    { ...signed, kind: 'full' as const },
  ]) assert.equal(reason(altered), 'signature');
  assert.equal(reason(signLiveness(msg({ at: NOW - 61_000 }), a.key)), 'stale');
  assert.equal(reason(signed), 'accepted');
  assert.equal(reason(signed), 'replay');
  assert.equal(reason(signLiveness(msg({ seq: 2 }), a.key)), 'accepted');
  assert.equal(reason(signLiveness(msg({ seq: 1, at: NOW + 1 }), a.key)), 'replay', 'an older seq of the same run');
  // A new run of the agent starts its seq again, and is newer.
  assert.equal(reason(signLiveness(msg({ boot: NOW, seq: 1, at: NOW + 10 }), a.key)), 'accepted');
  // The previous run's messages are now old news, even unseen ones.
  assert.equal(reason(signLiveness(msg({ seq: 3, at: NOW + 5 }), a.key)), 'replay');
});
