import type { KvStore } from './kv-store.ts';

/**
 * Values larger than one NATS message (the server's max_payload, 1 MiB by
 * default) are stored in chunks under `${key}.${slot}.${i}`. Writers alternate
 * between two slots so a reader of the current head never sees its chunks
 * overwritten by the next write; readers check the result (a hash) and retry
 * when a chunk went missing under them.
 */
export const BLOB_CHUNK_BYTES = 256 * 1024;

export interface BlobRef {
  slot: number;
  chunks: number;
  size: number;
}

export async function putBlob(kv: KvStore, key: string, slot: number, bytes: Uint8Array, chunkBytes = BLOB_CHUNK_BYTES): Promise<BlobRef> {
  const chunks = Math.max(1, Math.ceil(bytes.length / chunkBytes));
  const writes: Promise<number>[] = [];
  for (let i = 0; i < chunks; i++) writes.push(kv.put(`${key}.${slot}.${i}`, bytes.subarray(i * chunkBytes, (i + 1) * chunkBytes)));
  await Promise.all(writes);
  return { slot, chunks, size: bytes.length };
}

/** The blob's bytes, or undefined when a chunk is missing (overwritten meanwhile: read the head again). */
export async function getBlob(kv: KvStore, key: string, ref: BlobRef): Promise<Uint8Array | undefined> {
  const parts = await Promise.all(Array.from({ length: ref.chunks }, (_, i) => kv.get(`${key}.${ref.slot}.${i}`)));
  const out = new Uint8Array(ref.size);
  let at = 0;
  for (const p of parts) {
    if (!p || at + p.value.length > ref.size) return undefined;
    out.set(p.value, at);
    at += p.value.length;
  }
  return at === ref.size ? out : undefined;
}
