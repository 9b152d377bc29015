import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';

/**
 * Ed25519 signatures on snapshots and endpoint deltas. The signature covers
 * the message type, version, base (deltas), content hash, format and the
 * body bytes as sent, so neither a replayed header with another body nor a
 * body under another version verifies.
 */
export interface Signable {
  readonly type: string;
  readonly version: number;
  readonly base?: number;
  readonly hash: string;
  readonly format: number;
  readonly body: Uint8Array;
  readonly signature?: Uint8Array;
  readonly keyId?: string;
}

export class SnapshotSignatureError extends Error {
  readonly code = 'MESHGATE_SNAPSHOT_SIGNATURE';
}

export function signingPayload(m: Signable): Buffer {
  const head = Buffer.from(`meshgate-signed-v1\n${m.type}\n${m.version}\n${m.base ?? 0}\n${m.hash}\n${m.format}\n${m.body.length}\n`);
  return Buffer.concat([head, m.body]);
}

/** First 16 hex digits of sha256 over the public key (SPKI DER): names a key in logs and errors. */
export function keyIdOf(key: KeyObject): string {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  return createHash('sha256').update(pub.export({ type: 'spki', format: 'der' })).digest('hex').slice(0, 16);
}

/** An Ed25519 private key from PEM (what `meshgate up` and `openssl genpkey -algorithm ed25519` write). */
export function loadSigningKey(pem: string | Buffer, from = 'signing key'): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch (err) {
    throw new Error(`${from} is not a PEM private key (${(err as Error).message}): create one with "openssl genpkey -algorithm ed25519 -out signing.pem"`);
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`${from} is a ${key.asymmetricKeyType} key: snapshots are signed with Ed25519 ("openssl genpkey -algorithm ed25519")`);
  return key;
}

/** An Ed25519 public key from PEM; a private key PEM is accepted too (its public half is used). */
export function loadTrustKey(pem: string | Buffer, from = 'trust key'): KeyObject {
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch (err) {
    throw new Error(`${from} is not a PEM public key (${(err as Error).message}): export it with "openssl pkey -in signing.pem -pubout -out trust.pem"`);
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`${from} is a ${key.asymmetricKeyType} key: snapshots are signed with Ed25519`);
  return key;
}

export function generateSigningKeyPair(): { privatePem: string; publicPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

export function signMessage<T extends Signable>(m: T, key: KeyObject, keyId = keyIdOf(key)): T {
  const signature = new Uint8Array(sign(null, signingPayload(m), key));
  return { ...m, signature, keyId };
}

/**
 * Throws SnapshotSignatureError unless `m` carries a valid signature by
 * `trust`. Without a trust key every message passes (the node logged a
 * warning at start).
 */
export function verifyMessage(m: Signable, trust: KeyObject | undefined, trustId = trust ? keyIdOf(trust) : ''): void {
  if (!trust) return;
  const what = `${m.type === 'config.v1.endpoints' ? 'endpoint delta' : 'snapshot'} v${m.version}`;
  if (!(m.signature instanceof Uint8Array) || m.signature.length === 0) {
    throw new SnapshotSignatureError(`${what} is unsigned but this node trusts key ${trustId}: start the config service with --signing-key`);
  }
  let ok = false;
  try {
    ok = verify(null, signingPayload(m), trust, m.signature);
  } catch {
    ok = false;
  }
  if (!ok) {
    const by = m.keyId && m.keyId !== trustId ? `signed by key ${m.keyId}, not the trusted ${trustId}: check --trust-key matches the config service's --signing-key` : `signature does not verify with key ${trustId}: forged or altered in transit`;
    throw new SnapshotSignatureError(`${what} refused: ${by}`);
  }
}
