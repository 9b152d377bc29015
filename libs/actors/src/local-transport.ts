// In-memory bus for one process. It mimics what matters of NATS so code is
// not surprised when it moves to a cluster: delivery is asynchronous, every
// subscriber gets its own structuredClone of the data (no shared objects, and
// non-serialisable data fails here as it would on the wire), queue groups
// deliver each message to one member, requests with no subscriber fail fast.
import { AskTimeoutError, NoRespondersError, TransportClosedError } from './errors.ts';
import { parsePublishSubject, parseSubscribeSubject, subjectMatches } from './subject.ts';
import { DEFAULT_REQUEST_TIMEOUT_MS, type SubscribeOptions, type Subscription, type Transport, type TransportMessage } from './transport.ts';

type Handler = (m: TransportMessage) => void | Promise<void>;

interface LocalSubscription {
  readonly pattern: string[];
  readonly handler: Handler;
  readonly queue: string | undefined;
  active: boolean;
}

export interface LocalTransportOptions {
  /** A subscription handler threw or rejected (NATS would log it too). Default: ignored. */
  onHandlerError?: (err: unknown, subject: string) => void;
}

export class LocalTransport implements Transport {
  readonly kind = 'local' as const;
  readonly #subs = new Set<LocalSubscription>();
  readonly #pendingRequests = new Set<(err: unknown) => void>();
  readonly #onHandlerError: ((err: unknown, subject: string) => void) | undefined;
  #closed = false;

  constructor(opts: LocalTransportOptions = {}) {
    this.#onHandlerError = opts.onHandlerError;
  }

  publish(subject: string, data: unknown): void {
    if (this.#closed) throw new TransportClosedError();
    this.#dispatch(subject, data, undefined);
  }

  request<R = unknown>(subject: string, data: unknown, timeoutMs = DEFAULT_REQUEST_TIMEOUT_MS): Promise<R> {
    if (this.#closed) return Promise.reject(new TransportClosedError());
    return new Promise<R>((resolve, reject) => {
      let settled = false;
      const finish = (fn: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.#pendingRequests.delete(abort);
        fn();
      };
      const abort = (err: unknown) => finish(() => reject(err));
      const timer = setTimeout(() => abort(new AskTimeoutError(subject, timeoutMs)), timeoutMs);
      this.#pendingRequests.add(abort);
      // First reply wins, as with NATS; the clone keeps the replier's object private.
      const reply = (value: unknown) => {
        const copy = structuredClone(value);
        finish(() => resolve(copy as R));
      };
      try {
        const delivered = this.#dispatch(subject, data, reply);
        if (delivered === 0) queueMicrotask(() => abort(new NoRespondersError(subject)));
      } catch (err) {
        abort(err);
      }
    });
  }

  subscribe(subject: string, handler: Handler, opts: SubscribeOptions = {}): Subscription {
    if (this.#closed) throw new TransportClosedError();
    const sub: LocalSubscription = { pattern: parseSubscribeSubject(subject), handler, queue: opts.queue, active: true };
    this.#subs.add(sub);
    return {
      unsubscribe: () => {
        sub.active = false;
        this.#subs.delete(sub);
      },
    };
  }

  /** Resolves after everything published so far has been handed to its handlers. */
  async flush(): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const sub of this.#subs) sub.active = false;
    this.#subs.clear();
    for (const abort of [...this.#pendingRequests]) abort(new TransportClosedError());
  }

  /** Returns how many subscriptions the message was handed to. */
  #dispatch(subject: string, data: unknown, reply: ((value: unknown) => void) | undefined): number {
    const tokens = parsePublishSubject(subject);
    const targets: LocalSubscription[] = [];
    const groups = new Map<string, LocalSubscription[]>();
    for (const sub of this.#subs) {
      if (!subjectMatches(sub.pattern, tokens)) continue;
      if (sub.queue === undefined) {
        targets.push(sub);
      } else {
        const members = groups.get(sub.queue) ?? [];
        members.push(sub);
        groups.set(sub.queue, members);
      }
    }
    // Like NATS: one random member per queue group.
    for (const members of groups.values()) targets.push(members[Math.floor(Math.random() * members.length)]);
    for (const sub of targets) {
      const message: TransportMessage = { subject, data: structuredClone(data) };
      if (reply) message.reply = reply;
      queueMicrotask(() => this.#deliver(sub, message));
    }
    return targets.length;
  }

  #deliver(sub: LocalSubscription, message: TransportMessage): void {
    if (!sub.active) return;
    try {
      const r = sub.handler(message);
      if (r && typeof (r as Promise<void>).then === 'function') {
        (r as Promise<void>).then(undefined, (err: unknown) => this.#handlerFailed(err, message.subject));
      }
    } catch (err) {
      this.#handlerFailed(err, message.subject);
    }
  }

  #handlerFailed(err: unknown, subject: string): void {
    try {
      this.#onHandlerError?.(err, subject);
    } catch {
      // The error sink failing must not break delivery to other subscribers.
    }
  }
}
