import { randomBytes, sign, verify, type KeyObject } from 'node:crypto';
import type { AdminAuth, ApplyRequest } from './admin-messages.ts';
import { keyIdOf } from './snapshot-signing.ts';

/**
 * Operator signatures on `meshgate apply|delete` requests
 * (`config.v1.admin`). The signature covers the action, every file's path
 * and text, the mesh (subject prefix), when it was signed and a random
 * nonce: a config service with operator keys (`--operator-key`) accepts a
 * request once, within a few minutes of its `at`, and only if it verifies.
 */
/** The bytes signed: a fixed-order JSON array both sides rebuild. */
export function adminPayload(req: ApplyRequest, mesh: string, at: number, nonce: string): Buffer {
  const fields = [req.type, req.action, mesh, at, nonce, req.files.map((f) => [f.path, f.text])];
  return Buffer.from(`meshgate-admin-v1\n${JSON.stringify(fields)}`);
}

/** `req` with an `auth` signed by `key` for the mesh whose subject prefix is `mesh`. */
export function signAdminRequest(req: ApplyRequest, key: KeyObject, mesh: string, at = Date.now()): ApplyRequest & { auth: AdminAuth } {
  const nonce = randomBytes(16).toString('hex');
  const signature = new Uint8Array(sign(null, adminPayload(req, mesh, at, nonce), key));
  return { ...req, auth: { keyId: keyIdOf(key), at, nonce, signature } };
}

export class AdminAuthError extends Error {
  readonly code = 'MESHGATE_ADMIN_AUTH';
}

export interface AdminVerifierOptions {
  /** Operator public keys (--operator-key). */
  readonly keys: readonly KeyObject[];
  /** The mesh's subject prefix: a request signed for another mesh is refused. */
  readonly mesh: string;
  /** Accept a request signed at most this far from this clock (ms). Default 5 minutes. */
  readonly windowMs?: number;
  readonly now?: () => number;
}

/**
 * Checks signed apply/delete requests. Nonces are remembered for twice the
 * window (a request outside it is refused by its time anyway), so a
 * captured request cannot be sent again.
 */
export class AdminVerifier {
  readonly #keys = new Map<string, KeyObject>();
  readonly #nonces = new Map<string, number>();
  readonly #mesh: string;
  readonly #windowMs: number;
  readonly #now: () => number;

  constructor(opts: AdminVerifierOptions) {
    for (const k of opts.keys) this.#keys.set(keyIdOf(k), k);
    this.#mesh = opts.mesh;
    this.#windowMs = opts.windowMs ?? 5 * 60_000;
    this.#now = opts.now ?? Date.now;
  }

  get keyIds(): string[] { return [...this.#keys.keys()]; }

  /** Throws AdminAuthError naming what to fix; returns the key id that signed. */
  check(req: ApplyRequest): string {
    const a = req.auth;
    const trusted = this.keyIds.join(', ');
    if (!a || !(a.signature instanceof Uint8Array)) {
      throw new AdminAuthError(`${req.action} refused: the request is not signed, and this config service accepts only operator keys ${trusted}: sign it with --operator-signing-key FILE (or MESHGATE_OPERATOR_SIGNING_KEY)`);
    }
    const key = this.#keys.get(a.keyId);
    if (!key) throw new AdminAuthError(`${req.action} refused: signed by key ${a.keyId}, which this config service does not trust (it trusts ${trusted}): check --operator-signing-key, or add its public key to the config service's --operator-key`);
    let ok = false;
    try { ok = verify(null, adminPayload(req, this.#mesh, a.at, a.nonce), key, a.signature); } catch { ok = false; }
    if (!ok) throw new AdminAuthError(`${req.action} refused: the signature of key ${a.keyId} does not verify: altered in transit, or signed for another mesh (--subject-prefix ${this.#mesh})`);
    const now = this.#now();
    if (Math.abs(now - a.at) > this.#windowMs) {
      throw new AdminAuthError(`${req.action} refused: signed at ${new Date(a.at).toISOString()}, more than ${this.#windowMs / 60_000} min from the config service's clock: replayed, or the clocks disagree (run NTP)`);
    }
    for (const [n, t] of this.#nonces) if (now - t > 2 * this.#windowMs) this.#nonces.delete(n); else break;
    if (this.#nonces.has(a.nonce)) throw new AdminAuthError(`${req.action} refused: this signed request was already received (nonce ${a.nonce}): replayed`);
    this.#nonces.set(a.nonce, now);
    return a.keyId;
  }
}
