import { sign, verify, type KeyObject } from 'node:crypto';
import type { LivenessMessage } from './messages.ts';
import type { LivenessViewPart } from './health-messages.ts';
import { keyIdOf } from './snapshot-signing.ts';

/**
 * Ed25519 signatures on health agents' liveness messages
 * (`health.v1.liveness`), so that a NATS user who may publish on the health
 * subjects cannot mark endpoints down or up: only a holder of an agent's
 * `--signing-key` can, and only for the agent id it signs.
 *
 * The signature covers every field a node acts on: agent id, kind, the
 * run (`boot`) and `seq`, when it was sent (`at`), the parts of a full view,
 * and each endpoint's verdict, reason and `since`. A node refuses what it
 * saw before from that agent (same run, `seq` not higher; an earlier run)
 * and anything sent more than `maxSkewMs` from its own clock, so a captured
 * message cannot be played back later.
 */
export class LivenessSignatureError extends Error {
  readonly code = 'MESHGATE_LIVENESS_SIGNATURE';
  /** 'unsigned' | 'key' | 'signature' | 'stale' | 'replay': what is wrong, for rate-limited logs. */
  readonly reason: string;
  constructor(reason: string, message: string) {
    super(message);
    this.reason = reason;
  }
}

type Liveness = LivenessMessage | LivenessViewPart;

/** The bytes signed: a fixed-order JSON array, which both sides rebuild from the decoded message. */
export function livenessPayload(m: Liveness): Buffer {
  const p = m as LivenessViewPart;
  const fields = [
    m.type, m.agent, m.kind, m.boot ?? 0, m.seq, m.at ?? 0, p.epoch ?? null, p.part ?? null, p.parts ?? null,
    m.endpoints.map((e) => [e.endpoint, e.healthy, e.reason, e.since]),
  ];
  return Buffer.from(`meshgate-liveness-v1\n${JSON.stringify(fields)}`);
}

export function signLiveness<T extends Liveness>(m: T, key: KeyObject, keyId = keyIdOf(key)): T {
  return { ...m, keyId, signature: new Uint8Array(sign(null, livenessPayload(m), key)) };
}

export interface LivenessVerifierOptions {
  /** The agents' public keys (--agent-trust-key). */
  readonly keys: readonly KeyObject[];
  /** Refuse a message sent further than this from the node's clock (ms). Default 60,000. */
  readonly maxSkewMs?: number;
  readonly now?: () => number;
}

interface Seen { boot: number; seq: number; at: number; heard: number }

/**
 * Checks liveness messages against the trusted agent keys and the replay
 * rules above. `check` returns the sender: agent id and key id together,
 * so agents under different keys never share (or overwrite) a view.
 */
export class LivenessVerifier {
  readonly #keys = new Map<string, KeyObject>();
  readonly #seen = new Map<string, Seen>();
  readonly #maxSkewMs: number;
  readonly #now: () => number;

  constructor(opts: LivenessVerifierOptions) {
    for (const k of opts.keys) this.#keys.set(keyIdOf(k), k);
    this.#maxSkewMs = opts.maxSkewMs ?? 60_000;
    this.#now = opts.now ?? Date.now;
  }

  get keyIds(): string[] { return [...this.#keys.keys()]; }

  /** Throws LivenessSignatureError, or returns the sender id (`agent@keyId`). */
  check(m: Liveness): string {
    const trusted = this.keyIds.join(', ');
    const what = `liveness from agent ${JSON.stringify(m.agent)}`;
    if (!(m.signature instanceof Uint8Array) || m.signature.length === 0) {
      throw new LivenessSignatureError('unsigned', `${what} refused: unsigned, but this node trusts agent key(s) ${trusted}: start the health agent with --signing-key`);
    }
    const key = m.keyId ? this.#keys.get(m.keyId) : undefined;
    if (!key) {
      throw new LivenessSignatureError('key', `${what} refused: signed by key ${m.keyId ?? '(none named)'}, not one of the trusted ${trusted}: check --agent-trust-key lists the agent's public key`);
    }
    let ok = false;
    try { ok = verify(null, livenessPayload(m), key, m.signature); } catch { ok = false; }
    if (!ok) throw new LivenessSignatureError('signature', `${what} refused: signature does not verify with key ${m.keyId}: forged or altered in transit`);

    const now = this.#now();
    const at = m.at ?? 0;
    if (Math.abs(now - at) > this.#maxSkewMs) {
      throw new LivenessSignatureError('stale', `${what} refused: sent at ${new Date(at).toISOString()}, more than ${this.#maxSkewMs / 1000} s from this node's clock: replayed, or the clocks disagree (run NTP)`);
    }
    const sender = `${m.agent}@${m.keyId}`;
    const boot = m.boot ?? 0;
    const last = this.#seen.get(sender);
    // Same run: seq only goes up (NATS keeps one publisher's order). Another run: it must be newer than what we heard.
    if (last && (boot === last.boot ? m.seq <= last.seq : at <= last.at)) {
      throw new LivenessSignatureError('replay', `${what} refused: already seen (run ${boot}, seq ${m.seq}; last accepted run ${last.boot}, seq ${last.seq}): replayed`);
    }
    this.#seen.set(sender, { boot, seq: m.seq, at, heard: now });
    if (this.#seen.size > 1_024) this.#forget(now);
    return sender;
  }

  /** Senders silent for ten skew windows cannot be replayed anyway (the clock check refuses them). */
  #forget(now: number): void {
    for (const [s, v] of this.#seen) if (now - v.heard > 10 * this.#maxSkewMs) this.#seen.delete(s);
  }
}
