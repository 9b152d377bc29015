// FIFO queue of envelopes. Array + head index: O(1) amortised shift without
// Array.prototype.shift's O(n) copy when a mailbox backs up.
import type { Message } from './actor-types.ts';

/** A queued message; asks carry the callbacks that settle the asker's promise. */
export interface Envelope<M extends Message> {
  readonly msg: M;
  /** Present for ask(); settles at most once (timeout, reply or error). */
  readonly reply?: {
    resolve(value: unknown): void;
    reject(err: unknown): void;
  };
}

export class Mailbox<M extends Message> {
  #items: (Envelope<M> | undefined)[] = [];
  #head = 0;

  get size(): number { return this.#items.length - this.#head; }

  push(env: Envelope<M>): void { this.#items.push(env); }

  shift(): Envelope<M> | undefined {
    if (this.#head >= this.#items.length) return undefined;
    const env = this.#items[this.#head];
    this.#items[this.#head++] = undefined;
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return env;
  }

  /** Removes and returns everything queued (used when the actor stops). */
  drainAll(): Envelope<M>[] {
    const rest = this.#items.slice(this.#head) as Envelope<M>[];
    this.#items = [];
    this.#head = 0;
    return rest;
  }
}
