// TLS Secrets are loaded at apply time as a TLS server would load them:
// expired, not yet valid, weak or mismatched certificates are rejected with
// file, line, Secret and field, and their Ingress keeps serving HTTP.
import assert from 'node:assert/strict';
import { createPrivateKey } from 'node:crypto';
import { test } from 'node:test';
import { formatManifestError } from './manifest-error.ts';
import { makeTestCert, tlsSecretYaml, type TestCert } from './test-certs.ts';
import { build, ingressV1, WEB } from './test-helpers.ts';
import type { ManifestError } from './types.ts';

const good = makeTestCert({ cn: 'good.example.com' });
const other = makeTestCert({ cn: 'other.example.com' });
const DAY = 86_400_000;

/** Builds one Secret named s (file s.yaml) and returns its errors. */
function secretErrors(yaml: string, now?: number): ManifestError[] {
  const cfg = build({ 's.yaml': yaml }, now === undefined ? {} : { now });
  return cfg.errors.filter((e) => e.kind === 'Secret');
}

function assertRejected(errs: ManifestError[], field: string, message: RegExp): ManifestError {
  const hit = errs.find((e) => e.field === field && message.test(e.message));
  assert.ok(hit, `expected ${field} ~ ${message}; got ${JSON.stringify(errs.map(formatManifestError))}`);
  assert.equal(hit.file, 's.yaml');
  assert.equal(hit.name, 's');
  assert.equal(hit.namespace, 'default');
  return hit;
}

test('valid certificates are accepted: EC P-256, RSA 2048, Ed25519, a SEC1 "EC PRIVATE KEY"', () => {
  for (const c of [good, makeTestCert({ key: 'rsa:2048' }), makeTestCert({ key: 'ed25519' })]) {
    assert.deepEqual(secretErrors(tlsSecretYaml('s', c)), []);
  }
  const sec1 = { cert: good.cert, key: createPrivateKey(good.key).export({ type: 'sec1', format: 'pem' }) as string };
  assert.deepEqual(secretErrors(tlsSecretYaml('s', sec1)), []);
});

test('an expired certificate is rejected on data.tls.crt with its line, Secret and end date', () => {
  const expired = makeTestCert({ cn: 'old.example.com', startDate: '20200101000000Z', endDate: '20200201000000Z' });
  const e = assertRejected(secretErrors(tlsSecretYaml('s', expired)), 'data.tls.crt', /expired 2020-02-01T00:00:00Z: renew it/);
  assert.equal(e.line, 7); // the tls.crt line of the Secret
  assert.match(formatManifestError(e), /^s\.yaml:7: Secret default\/s: data\.tls\.crt: the certificate \("CN=old\.example\.com"\) expired 2020-02-01/);
  // The clock is an option: a certificate valid today is expired a year from now.
  assertRejected(secretErrors(tlsSecretYaml('s', good), Date.now() + 365 * DAY), 'data.tls.crt', /expired/);
});

test('a not yet valid certificate is rejected and the message points at the clock', () => {
  const future = makeTestCert({ startDate: '20990101000000Z', endDate: '20990201000000Z' });
  assertRejected(secretErrors(tlsSecretYaml('s', future)), 'data.tls.crt', /is not valid yet: its validity starts 2099-01-01T00:00:00Z; check its notBefore date and this machine's clock/);
  assertRejected(secretErrors(tlsSecretYaml('s', good), Date.now() - 2 * DAY), 'data.tls.crt', /not valid yet/);
});

test('a key that does not match the certificate is rejected on data.tls.key', () => {
  assertRejected(secretErrors(tlsSecretYaml('s', { cert: good.cert, key: other.key })), 'data.tls.key', /does not match the certificate in tls\.crt \("CN=good\.example\.com"\)/);
  // Different key types (RSA key, EC certificate) are a mismatch too, not a crash.
  assertRejected(secretErrors(tlsSecretYaml('s', { cert: good.cert, key: makeTestCert({ key: 'rsa:2048' }).key })), 'data.tls.key', /does not match/);
});

test('stringData Secrets name stringData.tls.* fields', () => {
  const indent = (s: string) => s.trimEnd().split('\n').map((l) => `    ${l}`).join('\n');
  const yaml = `apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ntype: kubernetes.io/tls\nstringData:\n  tls.crt: |\n${indent(good.cert)}\n  tls.key: |\n${indent(other.key)}\n`;
  const e = assertRejected(secretErrors(yaml), 'stringData.tls.key', /does not match/);
  assert.ok(e.line !== undefined && e.line > 6);
});

test('a key TLS would refuse (RSA 1024) is rejected at apply, not in a worker', () => {
  assertRejected(secretErrors(tlsSecretYaml('s', makeTestCert({ key: 'rsa:1024' }))), 'data.tls.crt', /1024-bit RSA key \(at least 2048 needed\)/);
});

test('garbage inside the PEM markers, encrypted keys and a bad chain member are named precisely', () => {
  const corrupt: TestCert = { cert: '-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\n-----END CERTIFICATE-----\n', key: good.key };
  assertRejected(secretErrors(tlsSecretYaml('s', corrupt)), 'data.tls.crt', /the certificate is not a valid X\.509 certificate \(asn1 encoding routines::/);
  const encrypted = createPrivateKey(good.key).export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'pw' }) as string;
  assertRejected(secretErrors(tlsSecretYaml('s', { cert: good.cert, key: encrypted })), 'data.tls.key', /is an encrypted private key/);
  const notAKey = { cert: good.cert, key: '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n' };
  assertRejected(secretErrors(tlsSecretYaml('s', notAKey)), 'data.tls.key', /is not a readable PEM private key \(/);
  const expiredIntermediate = makeTestCert({ cn: 'ca.example.com', startDate: '20200101000000Z', endDate: '20200201000000Z' });
  assertRejected(secretErrors(tlsSecretYaml('s', { cert: good.cert + expiredIntermediate.cert, key: good.key })), 'data.tls.crt', /certificate 2 of 2 in the chain \("CN=ca\.example\.com"\) expired/);
});

test('an Ingress whose TLS Secret is rejected keeps its routes (HTTP) and says why in its status', () => {
  const expired = makeTestCert({ startDate: '20200101000000Z', endDate: '20200201000000Z' });
  const tls = '  tls:\n  - hosts: [a.example.com]\n    secretName: s\n';
  const rules = '  rules:\n  - host: a.example.com\n    http:\n      paths:\n      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}\n';
  const cfg = build({ 's.yaml': tlsSecretYaml('s', expired), 'web.yaml': WEB, 'i.yaml': ingressV1('i', tls + rules) });
  assert.deepEqual(cfg.tls, []);
  assert.deepEqual(cfg.rules.map((r) => `${r.host}${r.path}`), ['a.example.com/']);
  const st = cfg.ingresses[0]!;
  assert.equal(st.state, 'served');
  assert.match(st.reason ?? '', /Secret default\/s is invalid \(data\.tls\.crt: the certificate \("CN=test\.meshgate\.local"\) expired 2020-02-01T00:00:00Z: renew it and update the Secret\): HTTPS for these hosts uses the default certificate/);
  assert.ok(cfg.errors.some((e) => e.kind === 'Ingress' && e.field === 'spec.tls[0].secretName'));
});

test('no error about a Secret echoes its data (PEM body or base64)', () => {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const secrets = [
    tlsSecretYaml('s', { cert: good.cert, key: other.key }),
    tlsSecretYaml('s', { cert: other.key, key: good.key }), // key where the certificate goes
    tlsSecretYaml('s', { cert: good.cert, key: good.key.split('\n').map((l, i) => (i === 1 ? '!'.repeat(l.length) : l)).join('\n') }),
    `apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ntype: kubernetes.io/tls\ndata: {tls.crt: ${b64(good.cert)}, tls.key: "${b64(good.key)}!"}\n`,
    `apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ntype: kubernetes.io/tls\ndata: {tls.crt: ${b64(good.cert)}, tls.key: [${b64(good.key)}]}\n`,
    `apiVersion: v1\nkind: Secret\nmetadata: {name: s, annotations: {a: [${b64(good.key)}]}}\ntype: kubernetes.io/tls\ndata: {tls.crt: ${b64(good.cert)}, tls.key: ${b64(good.key)}}\n`,
    `apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ntype: kubernetes.io/tls\nstringData: {tls.crt: ${JSON.stringify(good.cert)}, tls.key: {k: ${JSON.stringify(good.key)}}}\n`,
    `apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ntype: kubernetes.io/tls\ndata:\n  tls.key: ${b64(good.key)}\n   tls.crt: broken indentation ${b64(good.key)}\n`,
  ];
  const needles = keyNeedles(good.key).concat(keyNeedles(other.key));
  for (const yaml of secrets) {
    const cfg = build({ 's.yaml': yaml });
    assert.ok(cfg.errors.length > 0, yaml);
    for (const line of cfg.errors.map(formatManifestError).concat(cfg.ingresses.map((s) => s.reason ?? ''))) {
      for (const n of needles) assert.ok(!line.includes(n), `error echoes key material: ${line}`);
    }
  }
});

/** 16-character pieces of a key's PEM body and of its base64 (markers and ASN.1 header included): any one in a message is a leak. */
function keyNeedles(pem: string): string[] {
  const body = pem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, '');
  const b64 = Buffer.from(pem).toString('base64');
  const out: string[] = [];
  for (const s of [body, b64]) for (let i = 0; i + 16 <= s.length; i += 16) out.push(s.slice(i, i + 16));
  return out;
}
