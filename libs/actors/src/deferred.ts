// A Transport and a KvStore that exist before their connection does. A proxy
// node restarted while NATS is down must serve its last-known-good snapshot
// at once, but nats.js's first connect() waits for a server: the node starts
// on these, and they forward to the real ones once connected.
import { NoRespondersError, TransportClosedError } from './errors.ts';
import { KvUnavailableError, type KvEntry, type KvStore } from './kv-store.ts';
import type { SubscribeOptions, Subscription, Transport, TransportMessage } from './transport.ts';

type Handler = (m: TransportMessage) => void | Promise<void>;
type StatusListener = (s: { type: string; data?: unknown }) => void;

interface StatusSource { onStatus(cb: StatusListener): void }

export class DeferredTransport implements Transport {
  readonly kind = 'nats' as const;
  #inner: Transport | undefined;
  #closed = false;
  readonly #subs = new Set<{ subject: string; handler: Handler; opts: SubscribeOptions | undefined; inner?: Subscription; active: boolean }>();
  readonly #status: StatusListener[] = [];

  get connected(): boolean { return this.#inner !== undefined; }

  /** Hands over the real transport: subscriptions move to it, listeners hear 'reconnect'. */
  attach(inner: Transport): void {
    if (this.#closed) { void inner.close(); return; }
    this.#inner = inner;
    for (const s of this.#subs) if (s.active) s.inner = inner.subscribe(s.subject, s.handler, s.opts);
    if ('onStatus' in inner) (inner as unknown as StatusSource).onStatus((st) => this.#emit(st));
    this.#emit({ type: 'reconnect', data: { deferred: true } });
  }

  onStatus(cb: StatusListener): void { this.#status.push(cb); }

  #emit(s: { type: string; data?: unknown }): void {
    for (const cb of this.#status) { try { cb(s); } catch { /* a listener must not stop the others */ } }
  }

  publish(subject: string, data: unknown): void {
    if (this.#closed) throw new TransportClosedError();
    // Not connected yet: nobody could hear it, and heartbeats are periodic anyway.
    this.#inner?.publish(subject, data);
  }

  request<R = unknown>(subject: string, data: unknown, timeoutMs?: number): Promise<R> {
    if (this.#closed) return Promise.reject(new TransportClosedError());
    if (!this.#inner) return Promise.reject(new NoRespondersError(subject, { cause: new Error('not connected to NATS yet') }));
    return this.#inner.request<R>(subject, data, timeoutMs);
  }

  subscribe(subject: string, handler: Handler, opts?: SubscribeOptions): Subscription {
    if (this.#closed) throw new TransportClosedError();
    const s: { subject: string; handler: Handler; opts: SubscribeOptions | undefined; inner?: Subscription; active: boolean } = { subject, handler, opts, active: true };
    if (this.#inner) s.inner = this.#inner.subscribe(subject, handler, opts);
    this.#subs.add(s);
    return { unsubscribe: () => { s.active = false; s.inner?.unsubscribe(); this.#subs.delete(s); } };
  }

  async flush(): Promise<void> { await this.#inner?.flush(); }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#inner?.close();
  }
}

export class DeferredKvStore implements KvStore {
  readonly kind = 'jetstream' as const;
  #inner: KvStore | undefined;

  attach(inner: KvStore): void { this.#inner = inner; }
  get attached(): boolean { return this.#inner !== undefined; }

  #store(): KvStore {
    if (!this.#inner) throw new KvUnavailableError('not connected to NATS yet');
    return this.#inner;
  }

  async get(key: string): Promise<KvEntry | undefined> { return this.#store().get(key); }
  async put(key: string, value: Uint8Array): Promise<number> { return this.#store().put(key, value); }
  async update(key: string, value: Uint8Array, revision: number): Promise<number> { return this.#store().update(key, value, revision); }
  async delete(key: string): Promise<void> { return this.#store().delete(key); }
}
