import type { KvLike } from './snapshot-store.ts';

/**
 * For this lib's tests: a KV store in a Map with the same compare-and-set as
 * JetStream KV's update(), counting writes (libs/actors' MemoryKvStore is
 * out of this lib's reach).
 */
export function memoryKv(): KvLike & { writes: string[] } {
  const data = new Map<string, { value: Uint8Array; revision: number }>();
  let seq = 0;
  const kv: KvLike & { writes: string[] } = {
    writes: [],
    async get(key) { return data.get(key); },
    async put(key, value) { kv.writes.push(key); data.set(key, { value, revision: ++seq }); return seq; },
    async update(key, value, revision) {
      if ((data.get(key)?.revision ?? 0) !== revision) throw Object.assign(new Error(`${key} changed`), { code: 'MESHGATE_KV_CONFLICT' });
      return kv.put(key, value);
    },
  };
  return kv;
}
