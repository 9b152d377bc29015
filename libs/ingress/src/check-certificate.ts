// What a TLS handshake would find wrong with a Secret's certificate and key,
// found at apply time instead: a Secret that cannot serve TLS is rejected
// with a message naming the field, and never reaches a proxy worker (where
// one bad certificate would make the worker refuse the whole snapshot).
//
// Messages name the certificate by subject and dates only: never a byte of
// the key (OpenSSL's reason strings carry no key material either).
import { createPrivateKey, X509Certificate } from 'node:crypto';
import type { KeyObject } from 'node:crypto';

export interface CertificateProblem {
  /** The Secret key the problem is about. */
  key: 'tls.crt' | 'tls.key';
  message: string;
}

const CERT_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

/**
 * Node's OpenSSL runs at security level 2 (as Debian and RHEL configure it):
 * RSA and DSA keys under 2048 bits and elliptic curves under 224 bits make
 * `tls.createSecureContext` throw "ee key too small".
 */
const MIN_RSA_BITS = 2048;
const MIN_EC_BITS = 224;

/**
 * Checks a PEM certificate chain and its private key the way a TLS server
 * would load them: every certificate parses, the leaf (first) certificate is
 * valid at `now` and every other one too, the keys are strong enough for
 * OpenSSL's default security level, and the private key is the leaf's.
 */
export function checkCertificate(certPem: string | undefined, keyPem: string | undefined, now: number): CertificateProblem[] {
  const problems: CertificateProblem[] = [];
  let leaf: X509Certificate | undefined;
  if (certPem !== undefined) {
    const blocks = certPem.match(CERT_BLOCK) ?? [];
    blocks.forEach((pem, i) => {
      const which = blocks.length > 1 ? `certificate ${i + 1} of ${blocks.length} in the chain` : 'the certificate';
      let x: X509Certificate;
      try {
        x = new X509Certificate(pem);
      } catch (err) {
        problems.push({ key: 'tls.crt', message: `${which} is not a valid X.509 certificate (${opensslReason(err)}): put the PEM file "kubectl create secret tls --cert" reads, unchanged` });
        return;
      }
      if (i === 0) leaf = x;
      const name = `${which} ("${subjectOf(x)}")`;
      const from = x.validFromDate.getTime();
      const to = x.validToDate.getTime();
      if (now < from) {
        problems.push({ key: 'tls.crt', message: `${name} is not valid yet: its validity starts ${iso(from)}; check its notBefore date and this machine's clock` });
      } else if (now > to) {
        problems.push({ key: 'tls.crt', message: `${name} expired ${iso(to)}: renew it and update the Secret` });
      }
      const weak = weakKey(x.publicKey);
      if (weak) problems.push({ key: 'tls.crt', message: `${name} has ${weak}: TLS at OpenSSL's default security level refuses it; issue a new certificate with an RSA 2048+ or an ECDSA P-256 key` });
    });
  }
  if (keyPem === undefined) return problems;
  let key: KeyObject;
  try {
    key = createPrivateKey(keyPem);
  } catch (err) {
    const encrypted = /ENCRYPTED/.test(keyPem) || /passphrase/i.test((err as Error).message);
    problems.push({
      key: 'tls.key',
      message: encrypted
        ? 'is an encrypted private key: TLS Secrets hold the key unencrypted (decrypt it with "openssl pkey -in key.pem -out key.plain.pem")'
        : `is not a readable PEM private key (${opensslReason(err)}): put the PEM file "kubectl create secret tls --key" reads, unchanged`,
    });
    return problems;
  }
  if (leaf !== undefined && !safeCheckPrivateKey(leaf, key)) {
    problems.push({ key: 'tls.key', message: `does not match the certificate in tls.crt ("${subjectOf(leaf)}"): tls.key must be the private key the certificate was issued for` });
  }
  return problems;
}

function safeCheckPrivateKey(x: X509Certificate, key: KeyObject): boolean {
  try {
    return x.checkPrivateKey(key);
  } catch {
    return false; // e.g. an EC key against an RSA certificate
  }
}

/** A human description of a key TLS would refuse, or undefined when it is fine. */
function weakKey(pub: KeyObject): string | undefined {
  const type = pub.asymmetricKeyType;
  const d = pub.asymmetricKeyDetails ?? {};
  if ((type === 'rsa' || type === 'rsa-pss' || type === 'dsa') && d.modulusLength !== undefined && d.modulusLength < MIN_RSA_BITS) {
    return `a ${d.modulusLength}-bit ${type.toUpperCase()} key (at least ${MIN_RSA_BITS} needed)`;
  }
  if (type === 'ec' && d.namedCurve !== undefined) {
    const bits = Number(/(\d{3})/.exec(d.namedCurve)?.[1] ?? NaN);
    if (bits < MIN_EC_BITS) return `a ${bits}-bit elliptic curve key (${d.namedCurve}; at least ${MIN_EC_BITS} bits needed)`;
  }
  return undefined;
}

function subjectOf(x: X509Certificate): string {
  return x.subject.split('\n').filter(Boolean).join(', ') || 'no subject';
}

function iso(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}

/** OpenSSL's reason ("asn1 encoding routines::too long"), without the error code prefix. */
function opensslReason(err: unknown): string {
  const m = (err as Error).message ?? String(err);
  return m.replace(/^error:[0-9A-F]+:/, '').slice(0, 120);
}
