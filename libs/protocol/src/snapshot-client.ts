/**
 * How a proxy node and a health agent get snapshots and check them: one
 * implementation for both. The newest snapshot comes from the KV store
 * (no config service needed) or else from the config service's "latest"
 * request; a snapshot announced by reference (over max_payload) is read from
 * the KV store. Every snapshot is checked the same way: the signature (with
 * a trust key), then the format and the hash. Looks for a newer one run off
 * the caller's mailbox, one at a time, on join, on reconnect and on a
 * schedule (`due`): every `emptyEvery` while there is none, then every
 * `every`. No sockets here: requests go through the caller's transport.
 */
import type { KeyObject } from 'node:crypto';
import { MessageType, type SnapshotMessage, type SnapshotRefMessage } from './messages.ts';
import { decodeSnapshotContent, unpackSnapshotBody } from './snapshot.ts';
import { keyIdOf, verifyMessage, type Signable } from './snapshot-signing.ts';
import { readStoredSnapshot, snapshotValue, type KvLike, type SnapshotHead } from './snapshot-store.ts';
import type { SnapshotContent } from './content.ts';

/** The request half of a transport (libs/actors' Transport fits). */
export interface SnapshotRequester {
  request<R = unknown>(subject: string, data: unknown, timeoutMs?: number): Promise<R>;
}

export interface SnapshotClientOptions {
  transport: SnapshotRequester;
  /** The config service's "latest snapshot?" subject (Subjects.snapshotGet). */
  latestSubject: string;
  /** Ed25519 public key of the config service: only snapshots and deltas it signed pass. */
  trustKey?: KeyObject;
  /** The durable latest snapshot (JetStream KV). */
  store?: KvLike;
  /** Schedule of `due`, in the caller's clock: while there is no snapshot, and after. Default 1,000 and 5,000 (ms). */
  emptyEvery?: number;
  every?: number;
}

export class SnapshotClient {
  readonly #o: SnapshotClientOptions;
  /** Key id of the trusted key; '' when unsigned snapshots pass. */
  readonly trustId: string;
  #fetching = false;
  #lastLook = -Infinity;

  constructor(o: SnapshotClientOptions) {
    this.#o = o;
    this.trustId = o.trustKey ? keyIdOf(o.trustKey) : '';
  }

  get verifying(): boolean { return this.#o.trustKey !== undefined; }
  get hasStore(): boolean { return this.#o.store !== undefined; }

  /** Throws with the reason to refuse `m` when it is not signed by the trusted key (nothing without one). */
  verify(m: Signable): void {
    verifyMessage(m, this.#o.trustKey, this.trustId);
  }

  /** Verified, decompressed and hash-checked: the packed content; throws with the reason to refuse it. */
  open(snap: SnapshotMessage): Uint8Array {
    this.verify(snap);
    return unpackSnapshotBody(snap);
  }

  /** open(), decoded. */
  openContent(snap: SnapshotMessage): SnapshotContent {
    return decodeSnapshotContent<SnapshotContent>(this.open(snap));
  }

  /** A snapshot message as published: itself, or for a reference the stored snapshot it points at. */
  async resolve(m: SnapshotMessage | SnapshotRefMessage): Promise<SnapshotMessage | undefined> {
    if (m?.type === MessageType.Snapshot) return m;
    if (m?.type !== MessageType.SnapshotRef) return undefined;
    if (!this.#o.store) throw new Error(`snapshot v${m.version} (${m.bytes} bytes) is only in the KV store, and there is none here (no JetStream?)`);
    return this.stored();
  }

  /** The stored snapshot (KV), if there is a store and a snapshot in it. */
  async stored(): Promise<SnapshotMessage | undefined> {
    return this.#o.store ? (await readStoredSnapshot(this.#o.store))?.snapshot : undefined;
  }

  /** The stored version, reading only the KV head. */
  async storedVersion(): Promise<number | undefined> {
    if (!this.#o.store) return undefined;
    return (await snapshotValue(this.#o.store, 'reader').readHead<SnapshotHead>())?.head.version;
  }

  /**
   * The newest snapshot newer than `have`: from the KV store (no config
   * service needed), else from the config service. Rejects when neither
   * answers.
   */
  async latest(have: number): Promise<SnapshotMessage | undefined> {
    if (this.#o.store) {
      try {
        const v = await this.storedVersion();
        if (v !== undefined && v <= have) return undefined;
        if (v !== undefined) return await this.stored();
      } catch {
        // No KV (yet): ask the config service.
      }
    }
    const r = await this.#o.transport.request<SnapshotMessage | SnapshotRefMessage | { type: 'none' }>(
      this.#o.latestSubject, { type: MessageType.SnapshotGet, have }, 2_000);
    if (r?.type === MessageType.Snapshot) return r;
    return r?.type === MessageType.SnapshotRef && this.#o.store ? this.stored() : undefined;
  }

  /**
   * latest(), off the caller's mailbox and one at a time (a request may wait
   * seconds while NATS is away): `found` gets what it found, `failed` why
   * nothing answered. A call while one runs does nothing.
   */
  catchUp(have: number, found: (snap: SnapshotMessage) => void, failed: (err: Error) => void = () => {}): void {
    if (this.#fetching) return;
    this.#fetching = true;
    this.latest(have).then((snap) => { if (snap) found(snap); }, failed).finally(() => { this.#fetching = false; });
  }

  /** Whether it is time to look for a newer snapshot (see the schedule above); true once per period. */
  due(now: number, have: number): boolean {
    if (now - this.#lastLook < (have === 0 ? this.#o.emptyEvery ?? 1_000 : this.#o.every ?? 5_000)) return false;
    this.#lastLook = now;
    return true;
  }
}
