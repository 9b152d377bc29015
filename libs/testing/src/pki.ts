/**
 * A small PKI for client-certificate (mutual TLS) tests, made with openssl
 * at test time so no key is committed: a CA, an intermediate CA under it, a
 * server certificate, and client certificates signed by the CA, by the
 * intermediate (its chain included), by another CA, and self-signed.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface KeyPair { cert: string; key: string }

export interface TestPki {
  /** The CA clients are checked against (ca.crt). */
  ca: KeyPair;
  /** A CA clients are not checked against. */
  otherCa: KeyPair;
  /** The server certificate for `serverNames`, signed by `ca`. */
  server: KeyPair;
  /** Client certificate (subject O=meshgate, CN=authtls) signed by `ca`. */
  client: KeyPair;
  /** Client certificate signed by an intermediate CA of `ca`; `cert` holds the leaf then the intermediate. */
  viaIntermediate: KeyPair;
  /** Client certificate signed by `otherCa`. */
  foreign: KeyPair;
  /** Self-signed client certificate. */
  selfSigned: KeyPair;
}

export function makePki(serverNames: string[]): TestPki {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meshgate-pki-'));
  const f = (n: string) => path.join(dir, n);
  const ssl = (args: string[]) => execFileSync('openssl', args, { stdio: 'ignore' });
  const read = (n: string): KeyPair => ({ cert: fs.readFileSync(f(`${n}.crt`), 'utf8'), key: fs.readFileSync(f(`${n}.key`), 'utf8') });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  try {
    fs.writeFileSync(f('ca.ext'), 'basicConstraints=critical,CA:true\nkeyUsage=critical,keyCertSign,cRLSign\n');
    fs.writeFileSync(f('client.ext'), 'basicConstraints=CA:false\nextendedKeyUsage=clientAuth\n');
    fs.writeFileSync(f('server.ext'), `basicConstraints=CA:false\nsubjectAltName=${serverNames.map((n) => `DNS:${n}`).join(',')}\n`);
    const root = (n: string, cn: string) => ssl(['req', '-x509', ...ec, '-keyout', f(`${n}.key`), '-out', f(`${n}.crt`), '-days', '2', '-subj', `/CN=${cn}`,
      '-addext', 'basicConstraints=critical,CA:true', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
    const signed = (n: string, subj: string, by: string, ext: string) => {
      ssl(['req', '-new', ...ec, '-keyout', f(`${n}.key`), '-out', f(`${n}.csr`), '-subj', subj]);
      ssl(['x509', '-req', '-in', f(`${n}.csr`), '-CA', f(`${by}.crt`), '-CAkey', f(`${by}.key`), '-CAcreateserial', '-out', f(`${n}.crt`), '-days', '2', '-extfile', f(ext)]);
    };
    root('ca', 'meshgate test CA');
    root('other', 'another CA');
    signed('inter', '/CN=meshgate test intermediate', 'ca', 'ca.ext');
    signed('server', `/CN=${serverNames[0]}`, 'ca', 'server.ext');
    signed('client', '/O=meshgate/CN=authtls', 'ca', 'client.ext');
    signed('leaf', '/CN=via-intermediate', 'inter', 'client.ext');
    signed('foreign', '/CN=foreign', 'other', 'client.ext');
    ssl(['req', '-x509', ...ec, '-keyout', f('self.key'), '-out', f('self.crt'), '-days', '2', '-subj', '/CN=self-signed']);
    const leaf = read('leaf');
    return {
      ca: read('ca'), otherCa: read('other'), server: read('server'), client: read('client'),
      viaIntermediate: { cert: leaf.cert + read('inter').cert, key: leaf.key }, foreign: read('foreign'), selfSigned: read('self'),
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
