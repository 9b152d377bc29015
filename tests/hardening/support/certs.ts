// Certificates made by openssl at test time (no committed private keys).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface TestCert { cert: string; key: string }

/** A self-signed EC certificate; with `startDate`/`endDate` (YYYYMMDDHHMMSSZ) through `openssl ca`, so it can be expired. */
export function makeCert(cn: string, dates?: { startDate: string; endDate: string }): TestCert {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meshgate-hcert-'));
  const f = (n: string) => path.join(dir, n);
  const run = (args: string[]) => execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  try {
    if (!dates) {
      run(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', f('key.pem'), '-out', f('cert.pem'), '-days', '30', '-subj', `/CN=${cn}`, '-addext', `subjectAltName=DNS:${cn}`]);
    } else {
      fs.writeFileSync(f('index.txt'), '');
      fs.writeFileSync(f('serial'), '01\n');
      fs.writeFileSync(f('ca.cnf'), `[ca]\ndefault_ca = d\n[d]\ndatabase = ${f('index.txt')}\nnew_certs_dir = ${dir}\nserial = ${f('serial')}\ndefault_md = sha256\npolicy = any\n[any]\ncommonName = supplied\n`);
      run(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', f('key.pem'), '-subj', `/CN=${cn}`, '-out', f('req.csr')]);
      run(['ca', '-batch', '-config', f('ca.cnf'), '-selfsign', '-keyfile', f('key.pem'), '-in', f('req.csr'), '-startdate', dates.startDate, '-enddate', dates.endDate, '-notext', '-out', f('cert.pem')]);
    }
    return { cert: fs.readFileSync(f('cert.pem'), 'utf8'), key: fs.readFileSync(f('key.pem'), 'utf8') };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export function tlsSecret(name: string, c: TestCert): string {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  return `apiVersion: v1\nkind: Secret\nmetadata:\n  name: ${name}\ntype: kubernetes.io/tls\ndata:\n  tls.crt: ${b64(c.cert)}\n  tls.key: ${b64(c.key)}\n`;
}

/** 16-character pieces of a PEM key's body and of its base64 (as a Secret holds it): any one in output is a leak. */
export function keyNeedles(pem: string): string[] {
  const body = pem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, '');
  const b64 = Buffer.from(pem).toString('base64');
  const out: string[] = [];
  for (const s of [body, b64]) for (let i = 0; i + 16 <= s.length; i += 16) out.push(s.slice(i, i + 16));
  return out;
}
