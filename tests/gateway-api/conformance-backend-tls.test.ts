// BackendTLSPolicy cases of the GATEWAY-HTTP profile (conformance/tests/
// backendtlspolicy*.go at v1.6.1) restated at the model level: the policy's
// status, and the TLS settings the backend carries. [The handshake (SNI,
// verification, 5xx on a bad CA) is pending on the data plane.]
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { BackendConfig, Condition, PolicyStatusBody } from '@meshgate/ingress';
import { Conformance, cond, INFRA } from './harness.ts';

const policy = (c: Conformance, name: string, type: string): Condition | undefined => {
  const s = c.object('BackendTLSPolicy', INFRA, name).status as PolicyStatusBody;
  const a = s.ancestors.find((x) => x.ancestorRef.name === 'same-namespace' || x.ancestorRef.name === 'same-namespace-with-https-listener');
  return a?.conditions.find((x) => x.type === type);
};
const backendFor = (c: Conformance, path: string): BackendConfig => {
  const o = c.request({ host: 'abc.example.com', path });
  assert.equal(o.status, 'backend', path);
  return c.cfg.backends.find((b) => o.status === 'backend' && b.id === o.rule.backend)!;
};

test('BackendTLSPolicy (backendtlspolicy.go): accepted, resolved, and on the backend', () => {
  const c = new Conformance(['tests/backendtlspolicy.yaml']);
  assert.equal(cond(policy(c, 'normative-test', 'Accepted')), 'Accepted=True/Accepted');
  assert.equal(cond(policy(c, 'normative-test', 'ResolvedRefs')), 'ResolvedRefs=True/ResolvedRefs');
  const tls = backendFor(c, '/backendtlspolicy').backendTls!;
  assert.equal(tls.hostname, 'abc.example.com');
  assert.equal(tls.caCertificates.length, 1);
  assert.match(tls.caCertificates[0]!, /BEGIN CERTIFICATE/);
});

test('BackendTLSPolicyInvalidCACertificateRef and BackendTLSPolicyInvalidKind: NoValidCACertificate, and the backend refuses plain text', () => {
  const c = new Conformance(['tests/backendtlspolicy-invalid-ca-certificate-ref.yaml', 'tests/backendtlspolicy-invalid-kind.yaml']);
  for (const name of ['nonexistent-ca-certificate-ref', 'malformed-ca-certificate-ref']) {
    assert.equal(cond(policy(c, name, 'Accepted')), 'Accepted=False/NoValidCACertificate', name);
    assert.equal(cond(policy(c, name, 'ResolvedRefs')), 'ResolvedRefs=False/InvalidCACertificateRef', name);
    assert.ok(backendFor(c, `/backendtlspolicy-${name}`).backendTls?.invalid, `${name}: requests get a 5xx`);
  }
  assert.equal(cond(policy(c, 'invalid-kind', 'Accepted')), 'Accepted=False/NoValidCACertificate');
  assert.equal(cond(policy(c, 'invalid-kind', 'ResolvedRefs')), 'ResolvedRefs=False/InvalidKind');
});

test('BackendTLSPolicyConflictResolution (backendtlspolicy-conflict-resolution.go)', () => {
  const c = new Conformance(['tests/backendtlspolicy-conflict-resolution.yaml']);
  for (const [name, want] of [['conflicted-without-section-name-1', 'Accepted=True/Accepted'], ['conflicted-without-section-name-2', 'Accepted=False/Conflicted'], ['conflicted-with-section-name-1', 'Accepted=True/Accepted'], ['conflicted-with-section-name-2', 'Accepted=False/Conflicted'], ['not-conflicted-with-section-name', 'Accepted=True/Accepted'], ['not-conflicted-without-section-name', 'Accepted=True/Accepted']] as const) {
    assert.equal(cond(policy(c, name, 'Accepted')), want, name);
  }
  assert.equal(backendFor(c, '/backendtlspolicy-conflicted-without-section-name').backendTls!.hostname, 'other.example.com');
  assert.equal(backendFor(c, '/backendtlspolicy-conflicted-with-section-name').backendTls!.hostname, 'other.example.com');
  assert.equal(backendFor(c, '/backendtlspolicy-not-conflicted-with-section-name').backendTls!.hostname, 'other.example.com');
  assert.equal(backendFor(c, '/backendtlspolicy-not-conflicted-without-section-name').backendTls!.hostname, 'abc.example.com');
});
