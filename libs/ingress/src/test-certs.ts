// Test fixture: real certificates made by openssl at test time, so no private
// key is committed. Test-only (imported by *.test.ts files).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface TestCert {
  cert: string;
  key: string;
}

export interface TestCertOptions {
  cn?: string;
  /** openssl -newkey argument: 'ec' (P-256, the default: fast), 'rsa:2048', 'rsa:1024', 'ed25519'. */
  key?: string;
  /** Validity as openssl ca dates (YYYYMMDDHHMMSSZ); default: from a day ago for `days` days. */
  startDate?: string;
  endDate?: string;
  days?: number;
}

/**
 * A self-signed certificate through `openssl ca -selfsign`, the one openssl
 * 3.0 command that sets both notBefore and notAfter (for expired and
 * not-yet-valid certificates).
 */
export function makeTestCert(opts: TestCertOptions = {}): TestCert {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meshgate-cert-'));
  try {
    const f = (n: string) => path.join(dir, n);
    fs.writeFileSync(f('index.txt'), '');
    fs.writeFileSync(f('serial'), '01\n');
    fs.writeFileSync(f('ca.cnf'), [
      '[ca]', 'default_ca = d',
      '[d]', `database = ${f('index.txt')}`, `new_certs_dir = ${dir}`, `serial = ${f('serial')}`,
      'default_md = sha256', 'policy = any', 'unique_subject = no', 'email_in_dn = no',
      '[any]', 'commonName = supplied',
    ].join('\n'));
    const keyArg = opts.key ?? 'ec';
    const newkey = keyArg === 'ec' ? ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'] : ['-newkey', keyArg];
    run(['req', '-new', ...newkey, '-nodes', '-keyout', f('key.pem'), '-subj', `/CN=${opts.cn ?? 'test.meshgate.local'}`, '-out', f('req.csr')]);
    const start = opts.startDate ?? opensslDate(Date.now() - 86_400_000);
    const end = opts.endDate ?? opensslDate(Date.now() + (opts.days ?? 30) * 86_400_000);
    run(['ca', '-batch', '-config', f('ca.cnf'), '-selfsign', '-keyfile', f('key.pem'), '-in', f('req.csr'), '-startdate', start, '-enddate', end, '-notext', '-out', f('cert.pem')]);
    return { cert: fs.readFileSync(f('cert.pem'), 'utf8'), key: fs.readFileSync(f('key.pem'), 'utf8') };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export function opensslDate(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:T]/g, '').replace(/\.\d+Z$/, 'Z');
}

function run(args: string[]): void {
  execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** A kubernetes.io/tls Secret as `kubectl create secret tls NAME -o yaml` writes it. */
export function tlsSecretYaml(name: string, c: TestCert, namespace?: string): string {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  return `apiVersion: v1
kind: Secret
metadata:
  name: ${name}
${namespace ? `  namespace: ${namespace}\n` : ''}type: kubernetes.io/tls
data:
  tls.crt: ${b64(c.cert)}
  tls.key: ${b64(c.key)}
`;
}
