import {
  ChunkedValue, decodeSnapshotContent, msgpackCodec, snapshotValue, unpackSnapshotBody, writeStoredSnapshot,
  type KvLike, type SnapshotContent, type SnapshotHead, type SnapshotMessage,
} from '@meshgate/protocol';
import type { Logger } from '@meshgate/telemetry';
import { decodeApplied, emptyApplied, encodeApplied, type AppliedState } from './applied-objects.ts';

/** Another config service stored first: read the store and do it again on top. */
export const CONFLICT = 'conflict';
/** Retries of a change whose compare-and-set keeps losing. */
export const MAX_RETRIES = 5;

/**
 * The one retry of every KV write path: runs `attempt` (0, 1, ...) until it
 * returns anything but CONFLICT, at most MAX_RETRIES times again; then
 * `giveUp` answers (or throws). Each attempt reads the store first when its
 * number is above 0.
 */
export async function untilStored<T>(attempt: (n: number) => Promise<T | typeof CONFLICT>, giveUp: () => T): Promise<T> {
  for (let n = 0; ; n++) {
    const r = await attempt(n);
    if (r !== CONFLICT) return r;
    if (n >= MAX_RETRIES) return giveUp();
  }
}

const isConflict = (err: unknown) => (err as { code?: string })?.code === 'MESHGATE_KV_CONFLICT';

/**
 * The config service's copy of what is stored: the latest snapshot and the
 * applied objects it was built from, kept in one head of the KV store and
 * written by one compare-and-set on its revision (so two config services
 * never store two snapshots under one version, an apply is stored whole or
 * not at all, and a restart resumes from the stored version and objects).
 * Without a store everything stays in memory.
 */
export class StoreSync {
  /** The latest published (or stored) snapshot. */
  latest: SnapshotMessage | undefined;
  #latestContent: SnapshotContent | undefined;
  /** Objects sent with `meshgate apply`/`delete`, as stored. */
  applied: AppliedState = emptyApplied();
  /** `applied` as stored (encoded), while it is unchanged. */
  #appliedBytes: Uint8Array | undefined;
  /** A version that could not be stored (NATS or JetStream down): store it when back. */
  unpersisted = false;
  #warned = false;
  #revision = 0;
  /** When sync last read the head (performance.now()). */
  #syncedAt = -Infinity;
  readonly #snap: ChunkedValue | undefined;
  /** The applied objects' chunks when they are too large to ride inline in the snapshot head (and where older stores kept them). */
  readonly #objects: ChunkedValue | undefined;
  readonly #log: Logger;

  constructor(store: KvLike | undefined, writerId: string, log: Logger) {
    this.#snap = store ? snapshotValue(store, writerId) : undefined;
    this.#objects = store ? new ChunkedValue(store, 'applied', writerId) : undefined;
    this.#log = log;
  }

  get durable(): boolean { return this.#snap !== undefined; }
  get revision(): number { return this.#revision; }
  /** The latest content when it is at hand (nothing decoded). */
  get latestContent(): SnapshotContent | undefined { return this.#latestContent; }

  /** The latest content, decoded when needed; undefined without a latest snapshot (or one that does not decode). */
  content(): SnapshotContent | undefined {
    if (this.latest && !this.#latestContent) {
      try { this.#latestContent = decodeSnapshotContent<SnapshotContent>(unpackSnapshotBody(this.latest)); } catch { return undefined; }
    }
    return this.#latestContent;
  }

  /** `snap` with `content` is what this service published (stored or pending). */
  published(snap: SnapshotMessage, content: SnapshotContent): void {
    this.latest = snap;
    this.#latestContent = content;
  }

  #failed(what: string, err: unknown): void {
    if (!this.#warned) this.#log.warn(`cannot ${what} in the KV store: serving without durability until it is back`, { error: (err as Error).message });
    this.#warned = true;
  }

  /** Adopts a newer snapshot and applied objects written by another config service (or an earlier run). */
  async sync(): Promise<void> {
    if (!this.#snap || !this.#objects) return;
    try {
      const head = await this.#snap.readHead<SnapshotHead>();
      if (head && head.revision !== this.#revision) {
        const r = await this.#snap.read<SnapshotHead>(head);
        if (r) {
          // The objects the stored snapshot was built from: in its head, or in a store written before they were, under their own key.
          const objects = r.head.applied ? await this.#objects.bytesOf(r.head.applied) : (await this.#objects.read())?.bytes;
          if (r.head.applied && !objects) throw new Error('the applied objects changed while read');
          const snap = msgpackCodec.decode(r.bytes) as SnapshotMessage;
          if (!this.latest || snap.version >= this.latest.version) { this.latest = snap; this.#latestContent = undefined; }
          this.applied = objects ? decodeApplied(objects) : emptyApplied();
          this.#appliedBytes = objects;
          this.#revision = r.revision;
        }
      } else if (!head) {
        this.#revision = 0;
        if (this.latest) this.unpersisted = true; // a new, empty store (nats-server replaced): store ours again
      }
      this.#warned = false;
      this.#syncedAt = performance.now();
    } catch (err) {
      this.#failed('read', err);
    }
  }

  /** sync(), unless it ran within `ms` (a burst of applies skips the read: the compare-and-set catches what changed). */
  async syncUnlessWithin(ms: number): Promise<void> {
    if (performance.now() - this.#syncedAt > ms) await this.sync();
  }

  /** sync(); whether the store had changed. */
  async syncChanged(): Promise<boolean> {
    if (!this.#snap) return false;
    const seen = this.#revision;
    await this.sync();
    return this.#revision !== seen;
  }

  /** Stores `snap` with the applied objects `objects` (one compare-and-set); on 'stored' they are this service's. */
  async persist(snap: SnapshotMessage, objects: AppliedState): Promise<'stored' | typeof CONFLICT | { unavailable: Error }> {
    if (!this.#snap || !this.#objects) { this.applied = objects; return 'stored'; }
    try {
      const bytes = objects === this.applied && this.#appliedBytes ? this.#appliedBytes : encodeApplied(objects);
      this.#revision = await writeStoredSnapshot(this.#snap, snap, this.#revision, await this.#objects.stage(bytes));
      this.applied = objects;
      this.#appliedBytes = bytes;
      this.unpersisted = false;
      this.#warned = false;
      return 'stored';
    } catch (err) {
      if (isConflict(err)) return CONFLICT;
      return { unavailable: err as Error };
    }
  }

  /**
   * persist(), where the store being away fails an apply (its objects would
   * not be durable, so nothing of it is announced) and only defers a change
   * of the directory (it serves now and is stored when the store is back).
   */
  async store(snap: SnapshotMessage, objects: AppliedState): Promise<'stored' | typeof CONFLICT | 'pending'> {
    const r = await this.persist(snap, objects);
    if (r === 'stored' || r === CONFLICT) return r;
    if (objects !== this.applied) throw new Error(`cannot store the applied objects in the KV store (${r.unavailable.message}): is nats-server running with JetStream (-js)?`);
    this.#failed('store the snapshot', r.unavailable);
    this.unpersisted = true;
    return 'pending';
  }
}
