/**
 * How the durable latest snapshot (and other large values) sit in a
 * JetStream KV bucket. The bucket itself is reached through the structural
 * `KvLike` (libs/actors' KvStore fits), so this file stays free of NATS.
 *
 *   snapshot.head                  { version, hash, blob, chunks, size, inline?, applied? }   compare-and-set by revision
 *   snapshot.blob.<writer>.<slot>.<i>   the msgpack-encoded SnapshotMessage, in chunks
 *   applied.blob.<writer>.<slot>.<i>    the config service's applied objects, in chunks (when `applied` is not inline)
 *
 * Inline: a value of up to INLINE_BYTES (a compressed snapshot of 10,000
 * routes is well under that) rides in the head itself, so storing it is one
 * JetStream round trip, not two (chunks, then the head).
 *
 * The config service's applied objects (`meshgate apply`) ride in the same
 * head as the snapshot built from them: one compare-and-set stores both, so
 * they never disagree and an apply is one round trip. Proxy nodes ignore
 * them. (Stores written before that keep them under their own `applied.head`.)
 *
 * Chunks: a snapshot may exceed the server's max_payload (1 MiB by default).
 * Each writer alternates between its own two slots, so the chunks the head
 * points at are never overwritten by the next write of anyone; a reader that
 * still finds a chunk missing or the content wrong reads the head again.
 */
import { msgpackCodec } from './codec.ts';
import { MessageType, type SnapshotMessage } from './messages.ts';

export interface KvLike {
  get(key: string): Promise<{ value: Uint8Array; revision: number } | undefined>;
  put(key: string, value: Uint8Array): Promise<number>;
  update(key: string, value: Uint8Array, revision: number): Promise<number>;
}

export const CHUNK_BYTES = 256 * 1024;
/** Values up to this size are stored in the head (every reader's periodic check reads the head whole). */
export const INLINE_BYTES = 64 * 1024;

export interface ChunkedHead {
  readonly blob: string;
  readonly chunks: number;
  readonly size: number;
  /** The value itself, when it is small (then chunks is 0). */
  readonly inline?: Uint8Array;
}

export interface SnapshotHead extends ChunkedHead {
  readonly version: number;
  readonly hash: string;
  /** The config service's applied objects the snapshot was built with (see above). */
  readonly applied?: ChunkedHead;
}

export async function putChunks(kv: KvLike, blob: string, bytes: Uint8Array): Promise<ChunkedHead> {
  const chunks = Math.max(1, Math.ceil(bytes.length / CHUNK_BYTES));
  await Promise.all(Array.from({ length: chunks }, (_, i) => kv.put(`${blob}.${i}`, bytes.subarray(i * CHUNK_BYTES, (i + 1) * CHUNK_BYTES))));
  return { blob, chunks, size: bytes.length };
}

/** The bytes, or undefined when a chunk is gone or short (rewritten meanwhile: read the head again). */
export async function getChunks(kv: KvLike, head: ChunkedHead): Promise<Uint8Array | undefined> {
  const parts = await Promise.all(Array.from({ length: head.chunks }, (_, i) => kv.get(`${head.blob}.${i}`)));
  const out = new Uint8Array(head.size);
  let at = 0;
  for (const p of parts) {
    if (!p || at + p.value.length > head.size) return undefined;
    out.set(p.value, at);
    at += p.value.length;
  }
  return at === head.size ? out : undefined;
}

/** A value of any size under `key`, compare-and-set on its head. Returns the head's new revision. */
export class ChunkedValue {
  readonly #kv: KvLike;
  readonly #key: string;
  readonly #writer: string;
  #slot = 0;

  constructor(kv: KvLike, key: string, writer: string) {
    this.#kv = kv;
    this.#key = key;
    this.#writer = writer.replace(/[^-\w]/g, '_');
  }

  /**
   * The head and the whole value. `first`: a head just read (readHead), used
   * for the first attempt instead of reading it again.
   */
  async read<H extends ChunkedHead>(first?: { head: H; revision: number }): Promise<{ head: H; bytes: Uint8Array; revision: number } | undefined> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const h = attempt === 0 && first ? first : await this.readHead<H>();
      if (!h) return undefined;
      const bytes = await this.bytesOf(h.head);
      if (bytes) return { head: h.head, bytes, revision: h.revision };
    }
    throw new Error(`${this.#key} in the KV store keeps changing while read: try again`);
  }

  async readHead<H extends ChunkedHead>(): Promise<{ head: H; revision: number } | undefined> {
    const h = await this.#kv.get(`${this.#key}.head`);
    return h ? { head: msgpackCodec.decode(h.value) as H, revision: h.revision } : undefined;
  }

  /** The value a head points at, or undefined when its chunks were rewritten meanwhile (read the head again). */
  async bytesOf(head: ChunkedHead): Promise<Uint8Array | undefined> {
    return head.inline ?? getChunks(this.#kv, head);
  }

  /**
   * Makes `bytes` ready to be pointed at: nothing to write for a small value
   * (it rides inline), else its chunks in this writer's next slot.
   */
  async stage(bytes: Uint8Array): Promise<ChunkedHead> {
    if (bytes.length <= INLINE_BYTES) return { blob: '', chunks: 0, size: bytes.length, inline: bytes };
    this.#slot ^= 1;
    return putChunks(this.#kv, `${this.#key}.blob.${this.#writer}.${this.#slot}`, bytes);
  }

  /**
   * Stages the value, then writes the head if its revision is still
   * `revision` (0: no head yet). Rejects the store's conflict error otherwise.
   */
  async write(bytes: Uint8Array, revision: number, extra: Record<string, unknown> = {}): Promise<number> {
    const head = await this.stage(bytes);
    return this.#kv.update(`${this.#key}.head`, msgpackCodec.encode({ ...extra, ...head }), revision);
  }
}

export function snapshotValue(kv: KvLike, writer: string): ChunkedValue {
  return new ChunkedValue(kv, 'snapshot', writer);
}

/** The durable latest snapshot, or undefined when none was stored yet. */
export async function readStoredSnapshot(kv: KvLike): Promise<{ snapshot: SnapshotMessage; revision: number } | undefined> {
  const r = await snapshotValue(kv, 'reader').read<SnapshotHead>();
  if (!r) return undefined;
  const snapshot = msgpackCodec.decode(r.bytes) as SnapshotMessage;
  if (snapshot?.type !== MessageType.Snapshot) throw new Error('the KV store holds something that is not a snapshot under "snapshot"');
  return { snapshot, revision: r.revision };
}

/** Stores `snap` (with the applied objects it was built from, staged: ChunkedValue.stage) if the head is still at `revision`. */
export async function writeStoredSnapshot(value: ChunkedValue, snap: SnapshotMessage, revision: number, applied?: ChunkedHead): Promise<number> {
  return value.write(msgpackCodec.encode(snap), revision, { version: snap.version, hash: snap.hash, ...(applied ? { applied } : {}) });
}
