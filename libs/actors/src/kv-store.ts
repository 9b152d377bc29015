// A small key-value store with revisions and compare-and-set: the subset of
// JetStream KV that the control plane needs (durable latest snapshot, applied
// objects). NatsKvStore keeps it in JetStream; MemoryKvStore is the same API
// for one process (the in-memory `meshgate up` fallback and unit tests).

export interface KvEntry {
  readonly key: string;
  readonly value: Uint8Array;
  /** Stream sequence of this value: pass it to update() for compare-and-set. */
  readonly revision: number;
}

export interface KvStore {
  readonly kind: 'memory' | 'jetstream';
  /** The current value, or undefined when the key was never written or is deleted. */
  get(key: string): Promise<KvEntry | undefined>;
  /** Unconditional write; returns the new revision. */
  put(key: string, value: Uint8Array): Promise<number>;
  /**
   * Compare-and-set: writes only if the key's last revision is `revision`
   * (0: the key must not exist). Rejects KvConflictError otherwise.
   */
  update(key: string, value: Uint8Array, revision: number): Promise<number>;
  delete(key: string): Promise<void>;
}

/** update() lost a race: someone else wrote the key since `expected`. */
export class KvConflictError extends Error {
  readonly code = 'MESHGATE_KV_CONFLICT';
  readonly key: string;
  constructor(key: string, expected: number, options?: ErrorOptions) {
    super(`key ${key} changed since revision ${expected}: read it again and retry`, options);
    this.name = 'KvConflictError';
    this.key = key;
  }
}

/** The store could not be reached (no JetStream on the server, or no connection). */
export class KvUnavailableError extends Error {
  readonly code = 'MESHGATE_KV_UNAVAILABLE';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'KvUnavailableError';
  }
}

export class MemoryKvStore implements KvStore {
  readonly kind = 'memory' as const;
  readonly #data = new Map<string, { value: Uint8Array; revision: number }>();
  /** Last revision per key, including deleted keys (like a stream's last subject sequence). */
  readonly #last = new Map<string, number>();
  #seq = 0;

  async get(key: string): Promise<KvEntry | undefined> {
    const e = this.#data.get(key);
    return e ? { key, value: e.value, revision: e.revision } : undefined;
  }

  async put(key: string, value: Uint8Array): Promise<number> {
    const revision = ++this.#seq;
    this.#data.set(key, { value: value.slice(), revision });
    this.#last.set(key, revision);
    return revision;
  }

  async update(key: string, value: Uint8Array, revision: number): Promise<number> {
    const current = revision === 0 ? (this.#data.has(key) ? -1 : 0) : (this.#last.get(key) ?? 0);
    if (current !== revision) throw new KvConflictError(key, revision);
    return this.put(key, value);
  }

  async delete(key: string): Promise<void> {
    this.#data.delete(key);
    this.#last.set(key, ++this.#seq);
  }
}
