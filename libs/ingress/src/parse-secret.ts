import { checkCertificate } from './check-certificate.ts';
import { asObject } from './fields.ts';
import type { ObjectHeader } from './object-meta.ts';

export interface ParsedSecret {
  h: ObjectHeader;
  type: string;
  /** Present only for a valid kubernetes.io/tls Secret. */
  tls?: { cert: string; key: string };
  /** Every key's value (decoded), for the access policies (htpasswd users, a CA bundle): never put in a message. */
  values: Readonly<Record<string, string>>;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
/** What Kubernetes Secret types look like (kubernetes.io/tls, Opaque, bootstrap.kubernetes.io/token). */
const SECRET_TYPE = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,62}$/;

/**
 * Reads `kubectl create secret tls` output: `data` (base64) and/or
 * `stringData` (plain, wins per key as in the API server). Other Secret
 * types are kept only so an Ingress naming one gets a precise error.
 * A TLS Secret's certificate and key are loaded as a TLS server would load
 * them (valid at `now`, strong enough, the key matching the certificate);
 * errors name the field, never its content.
 */
export function parseSecret(h: ObjectHeader, now: number = Date.now()): ParsedSecret {
  const r = h.report;
  const d = h.raw.data;
  let type = typeof d.type === 'string' ? d.type : 'Opaque';
  if (!SECRET_TYPE.test(type)) {
    // Not echoed: whatever sits in a Secret may be key material.
    r.error(['type'], 'must be a Secret type such as kubernetes.io/tls or Opaque (a short name; quoted values of a Secret are never repeated in messages)');
    type = 'invalid';
  }
  const values: Record<string, string> = Object.create(null) as Record<string, string>;
  const data = asObject(d.data, ['data'], r);
  for (const [k, v] of Object.entries(data ?? {})) {
    if (typeof v !== 'string') {
      r.error(['data', k], 'must be a base64 string');
      continue;
    }
    const compact = v.replace(/\s+/g, '');
    if (!BASE64.test(compact) || compact.length % 4 !== 0) {
      r.error(['data', k], 'is not valid base64: put base64 text in "data" or plain PEM text in "stringData"');
      continue;
    }
    values[k] = Buffer.from(compact, 'base64').toString('utf8');
  }
  const stringData = asObject(d.stringData, ['stringData'], r);
  for (const [k, v] of Object.entries(stringData ?? {})) {
    if (typeof v !== 'string') r.error(['stringData', k], 'must be a string');
    else values[k] = v;
  }
  if (type !== 'kubernetes.io/tls') return { h, type, values };
  const cert = values['tls.crt'];
  const key = values['tls.key'];
  const where = (k: string) => (stringData && k in stringData ? ['stringData', k] : ['data', k]);
  let ok = true;
  let certPem = false;
  let keyPem = false;
  if (cert === undefined) {
    r.error(['data'], 'a kubernetes.io/tls Secret needs "tls.crt" (the PEM certificate) in data or stringData');
    ok = false;
  } else if (!/-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----/.test(cert)) {
    r.error(where('tls.crt'), 'does not look like a PEM certificate (expected "-----BEGIN CERTIFICATE-----")');
    ok = false;
  } else certPem = true;
  if (key === undefined) {
    r.error(['data'], 'a kubernetes.io/tls Secret needs "tls.key" (the PEM private key) in data or stringData');
    ok = false;
  } else if (!/-----BEGIN ([A-Z]+ )?PRIVATE KEY-----[\s\S]+-----END ([A-Z]+ )?PRIVATE KEY-----/.test(key)) {
    r.error(where('tls.key'), 'does not look like a PEM private key (expected "-----BEGIN PRIVATE KEY-----" or "-----BEGIN RSA PRIVATE KEY-----")');
    ok = false;
  } else keyPem = true;
  if (certPem || keyPem) {
    for (const p of checkCertificate(certPem ? cert : undefined, keyPem ? key : undefined, now)) {
      r.error(where(p.key), p.message);
      ok = false;
    }
  }
  return ok ? { h, type, tls: { cert: cert as string, key: key as string }, values } : { h, type, values };
}
