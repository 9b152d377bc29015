import type { KeyObject } from 'node:crypto';
import { MessageType, keyIdOf, signLiveness, type EndpointLiveness, type LivenessViewPart } from '@meshgate/protocol';

/** A full view is sent in parts of at most this many endpoints (NATS messages stay well under 1 MB). */
export const FULL_VIEW_PART = 1_000;

/**
 * An agent's liveness messages: changes, coalesced per turn of the event
 * loop, and full views in parts. Each message says when it was sent and in
 * which run of the agent (signed with `signingKey`), so a node refuses one
 * played back later.
 */
export class LivenessPublisher {
  readonly #publish: (m: LivenessViewPart) => void;
  readonly #agent: string;
  readonly #signingKey: KeyObject | undefined;
  readonly #keyId: string;
  readonly #boot = Date.now();
  #seq = 0;
  #epoch = 0;
  #pending: EndpointLiveness[] = [];

  constructor(agent: string, publish: (m: LivenessViewPart) => void, signingKey?: KeyObject) {
    this.#agent = agent;
    this.#publish = publish;
    this.#signingKey = signingKey;
    this.#keyId = signingKey ? keyIdOf(signingKey) : '';
  }

  #send(msg: LivenessViewPart): void {
    const m: LivenessViewPart = { ...msg, boot: this.#boot, at: Date.now() };
    this.#publish(this.#signingKey ? signLiveness(m, this.#signingKey, this.#keyId) : m);
  }

  /** A verdict changed: sent with the others of this turn of the event loop. */
  changed(e: EndpointLiveness): void {
    if (this.#pending.length === 0) setImmediate(() => this.#flush());
    this.#pending.push(e);
  }

  #flush(): void {
    const endpoints = this.#pending;
    this.#pending = [];
    for (let i = 0; i < endpoints.length; i += FULL_VIEW_PART) {
      this.#send({ type: MessageType.Liveness, agent: this.#agent, kind: 'delta', seq: ++this.#seq, endpoints: endpoints.slice(i, i + FULL_VIEW_PART) });
    }
  }

  /** Everything the agent knows, in parts of one epoch. */
  full(known: readonly EndpointLiveness[]): void {
    const parts = Math.max(1, Math.ceil(known.length / FULL_VIEW_PART));
    this.#epoch++;
    for (let p = 0; p < parts; p++) {
      this.#send({
        type: MessageType.Liveness, agent: this.#agent, kind: 'full', seq: ++this.#seq,
        endpoints: known.slice(p * FULL_VIEW_PART, (p + 1) * FULL_VIEW_PART), epoch: this.#epoch, part: p, parts,
      });
    }
  }
}
