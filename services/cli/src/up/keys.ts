import fs from 'node:fs';
import path from 'node:path';
import { createPublicKey } from 'node:crypto';
import { generateSigningKeyPair, loadSigningKey } from '@meshgate/protocol';

/**
 * An Ed25519 key pair in `meshgate up`'s state dir, made on first use:
 * `<name>-signing.pem` (private, 0600) and `<name>-trust.pem` (its public
 * half). The private key is created whole or not at all (a hard link of a
 * finished file: two `up`s starting at once keep the first one's), and the
 * public key is always derived from it, so the two never disagree.
 */
export function ensureKeyPair(stateDir: string, name: string): { signing: string; trust: string } {
  const signing = path.join(stateDir, `${name}-signing.pem`);
  const trust = path.join(stateDir, `${name}-trust.pem`);
  if (!fs.existsSync(signing)) {
    const tmp = `${signing}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, generateSigningKeyPair().privatePem, { mode: 0o600 });
    try {
      fs.linkSync(tmp, signing);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    } finally {
      fs.rmSync(tmp, { force: true });
    }
  }
  const publicPem = createPublicKey(loadSigningKey(fs.readFileSync(signing), signing)).export({ type: 'spki', format: 'pem' }).toString();
  const current = fs.existsSync(trust) ? fs.readFileSync(trust, 'utf8') : '';
  if (current !== publicPem) {
    const tmp = `${trust}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, publicPem);
    fs.renameSync(tmp, trust);
  }
  return { signing, trust };
}
