import type { KeyObject } from 'node:crypto';
import { LivenessVerifier, LivenessSignatureError, type LivenessMessage } from '@meshgate/protocol';
import type { Logger } from '@meshgate/telemetry';

/**
 * What a proxy node lets through of `health.v1.liveness`. With agent keys
 * (--agent-trust-key) only messages signed by one of them, not seen before
 * and sent recently (LivenessVerifier); each accepted message comes with
 * its sender (agent id @ key id), which the node's LivenessView merges per
 * sender, so an agent under one key cannot overwrite another's view.
 * Without keys everything passes under its agent id (warned once at start).
 */
export class LivenessGuard {
  readonly #verifier: LivenessVerifier | undefined;
  readonly #log: Logger;
  /** Refusals are logged once a minute per reason and claimed agent: a flood must not flood the log. */
  readonly #loggedAt = new Map<string, number>();
  refused = 0;

  constructor(keys: readonly KeyObject[] | undefined, log: Logger) {
    this.#verifier = keys?.length ? new LivenessVerifier({ keys }) : undefined;
    this.#log = log;
    if (!this.#verifier) log.warn('no --agent-trust-key: unsigned liveness is accepted; pass the health agents\' public keys to refuse forged ones');
    else log.info('liveness verified', { agentKeys: this.#verifier.keyIds });
  }

  /** The sender to merge under, or undefined when the message is refused. */
  admit(m: LivenessMessage): string | undefined {
    if (!this.#verifier) return m.agent;
    try {
      return this.#verifier.check(m);
    } catch (err) {
      if (!(err instanceof LivenessSignatureError)) throw err;
      this.refused++;
      const key = `${err.reason}\n${m.agent}`;
      const now = Date.now();
      if (now - (this.#loggedAt.get(key) ?? 0) >= 60_000) {
        if (this.#loggedAt.size > 1_000) this.#loggedAt.clear();
        this.#loggedAt.set(key, now);
        this.#log.warn('liveness refused', { error: err.message, refused: this.refused });
      }
      return undefined;
    }
  }
}
