import type { KeyObject } from 'node:crypto';
import type { Transport } from '@meshgate/actors';
import {
  MessageType, decodeSnapshotContent, keyIdOf, readStoredSnapshot, snapshotValue, unpackSnapshotBody, verifyMessage,
  type KvLike, type SnapshotContent, type SnapshotHead, type SnapshotMessage, type SnapshotRefMessage, type Subjects,
} from '@meshgate/protocol';

export interface SnapshotSourceOptions {
  transport: Transport;
  subjects: Subjects;
  /** Ed25519 public key of the config service: only snapshots it signed are used. */
  trustKey?: KeyObject;
  /** The durable latest snapshot (JetStream KV): large snapshots are announced as a reference into it. */
  store?: KvLike;
}

/**
 * Where the health agent gets its snapshots, and the one place it checks
 * them, like the proxy node does: the signature (with a trust key), then the
 * format and hash. A snapshot too large for one NATS message arrives as a
 * reference (config.v1.snapshot.ref) and is read from the KV store; the KV
 * store also answers when the config service is down.
 */
export class SnapshotSource {
  readonly #o: SnapshotSourceOptions;
  readonly #trustId: string;

  constructor(o: SnapshotSourceOptions) {
    this.#o = o;
    this.#trustId = o.trustKey ? keyIdOf(o.trustKey) : '';
  }

  get verifying(): boolean { return this.#o.trustKey !== undefined; }

  /** Verified and decoded content; throws with the reason to refuse it. */
  open(snap: SnapshotMessage): SnapshotContent {
    verifyMessage(snap, this.#o.trustKey, this.#trustId);
    return decodeSnapshotContent<SnapshotContent>(unpackSnapshotBody(snap));
  }

  /** A snapshot message as published: itself, or for a reference the stored snapshot it points at. */
  async resolve(m: SnapshotMessage | SnapshotRefMessage): Promise<SnapshotMessage | undefined> {
    if (m?.type === MessageType.Snapshot) return m;
    if (m?.type !== MessageType.SnapshotRef) return undefined;
    if (!this.#o.store) throw new Error(`snapshot v${m.version} (${m.bytes} bytes) is only in the KV store, and this agent has none (no JetStream?)`);
    return (await readStoredSnapshot(this.#o.store))?.snapshot;
  }

  /** The newest snapshot newer than `have`: from the KV store (no config service needed), else from the config service. */
  async latest(have: number): Promise<SnapshotMessage | undefined> {
    if (this.#o.store) {
      try {
        const head = await snapshotValue(this.#o.store, 'reader').readHead<SnapshotHead>();
        if (head && head.head.version <= have) return undefined;
        if (head) return (await readStoredSnapshot(this.#o.store))?.snapshot;
      } catch {
        // No KV (yet): ask the config service.
      }
    }
    const r = await this.#o.transport.request<SnapshotMessage | SnapshotRefMessage | { type: 'none' }>(
      this.#o.subjects.snapshotGet, { type: MessageType.SnapshotGet, have }, 2_000);
    return r?.type === MessageType.Snapshot || r?.type === MessageType.SnapshotRef ? this.resolve(r) : undefined;
  }
}
