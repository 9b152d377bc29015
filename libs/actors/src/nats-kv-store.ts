// JetStream KV over the JetStream JSON API ($JS.API.*), on the core NATS
// connection. A KV bucket is a stream `KV_<bucket>` on subjects
// `$KV.<bucket>.>`, one message per key (history 1); compare-and-set is the
// `Nats-Expected-Last-Subject-Sequence` header. This is the same wire protocol
// @nats-io/kv speaks; it is written here because that package is not yet
// installed in the workspace, and kept behind KvStore so swapping is one file.
// Works with nats-server 2.9 (no 2.10-only features).
import { headers, type NatsConnection } from '@nats-io/transport-node';
import { KvConflictError, KvUnavailableError, type KvEntry, type KvStore } from './kv-store.ts';

const enc = new TextEncoder();
const dec = new TextDecoder();
const BUCKET_NAME = /^[-\w]+$/;
/** JetStream API error codes (nats-server errors.json). */
const STREAM_NOT_FOUND = 10059;
const NO_MESSAGE_FOUND = 10037;
const WRONG_LAST_SEQUENCE = 10071;

interface ApiError { code: number; err_code?: number; description?: string }

export interface NatsKvStoreOptions {
  /** Request timeout for each API call; default 2000 ms. */
  timeoutMs?: number;
}

export class NatsKvStore implements KvStore {
  readonly kind = 'jetstream' as const;
  readonly bucket: string;
  readonly #nc: NatsConnection;
  readonly #timeout: number;

  private constructor(nc: NatsConnection, bucket: string, timeoutMs: number) {
    this.#nc = nc;
    this.bucket = bucket;
    this.#timeout = timeoutMs;
  }

  /** Opens the bucket, creating it (file storage, history 1) when missing. */
  static async open(nc: NatsConnection, bucket: string, opts: NatsKvStoreOptions = {}): Promise<NatsKvStore> {
    if (!BUCKET_NAME.test(bucket)) throw new Error(`invalid KV bucket name ${JSON.stringify(bucket)}: use letters, digits, '-' and '_'`);
    const kv = new NatsKvStore(nc, bucket, opts.timeoutMs ?? 2_000);
    await kv.#ensureStream();
    return kv;
  }

  get #stream(): string { return `KV_${this.bucket}`; }
  #subject(key: string): string { return `$KV.${this.bucket}.${key}`; }

  async #api<T>(subject: string, body: unknown): Promise<T & { error?: ApiError }> {
    let msg;
    try {
      msg = await this.#nc.request(subject, body === undefined ? undefined : enc.encode(JSON.stringify(body)), { timeout: this.#timeout });
    } catch (err) {
      throw new KvUnavailableError(`JetStream API ${subject} failed: ${(err as Error).message} (is nats-server running with -js?)`, { cause: err });
    }
    return JSON.parse(dec.decode(msg.data)) as T & { error?: ApiError };
  }

  async #ensureStream(): Promise<void> {
    const info = await this.#api(`$JS.API.STREAM.INFO.${this.#stream}`, undefined);
    if (!info.error) return;
    if (info.error.err_code !== STREAM_NOT_FOUND) throw new KvUnavailableError(`KV bucket ${this.bucket}: ${info.error.description}`);
    const created = await this.#api(`$JS.API.STREAM.CREATE.${this.#stream}`, {
      name: this.#stream, subjects: [`$KV.${this.bucket}.>`], retention: 'limits', storage: 'file',
      max_msgs_per_subject: 1, max_msgs: -1, max_bytes: -1, max_age: 0, max_msg_size: -1, max_consumers: -1,
      discard: 'new', num_replicas: 1, duplicate_window: 120_000_000_000,
      allow_rollup_hdrs: true, deny_delete: true, deny_purge: false, allow_direct: true, mirror_direct: false,
    });
    // A concurrent creator with the same config is fine; only a real failure is not.
    if (created.error && created.error.err_code !== 10058) throw new KvUnavailableError(`cannot create KV bucket ${this.bucket}: ${created.error.description}`);
  }

  async get(key: string): Promise<KvEntry | undefined> {
    const r = await this.#api<{ message?: { seq: number; data?: string; hdrs?: string } }>(
      `$JS.API.STREAM.MSG.GET.${this.#stream}`, { last_by_subj: this.#subject(key) });
    if (r.error) {
      if (r.error.err_code === NO_MESSAGE_FOUND || r.error.code === 404) return undefined;
      throw new KvUnavailableError(`KV get ${key}: ${r.error.description}`);
    }
    const m = r.message!;
    if (m.hdrs && /KV-Operation:\s*(DEL|PURGE)/i.test(Buffer.from(m.hdrs, 'base64').toString('latin1'))) return undefined;
    const value = m.data ? new Uint8Array(Buffer.from(m.data, 'base64')) : new Uint8Array(0);
    return { key, value, revision: m.seq };
  }

  /** The last revision of a key, deleted or not (0: never written). */
  async #lastRevision(key: string): Promise<number> {
    const r = await this.#api<{ message?: { seq: number } }>(`$JS.API.STREAM.MSG.GET.${this.#stream}`, { last_by_subj: this.#subject(key) });
    return r.error ? 0 : r.message!.seq;
  }

  async #publish(key: string, value: Uint8Array, hdrs?: Record<string, string>): Promise<number> {
    const h = hdrs ? headers() : undefined;
    if (h && hdrs) for (const [k, v] of Object.entries(hdrs)) h.set(k, v);
    let msg;
    try {
      msg = await this.#nc.request(this.#subject(key), value, { timeout: this.#timeout, headers: h });
    } catch (err) {
      throw new KvUnavailableError(`KV write ${key} failed: ${(err as Error).message}`, { cause: err });
    }
    const ack = JSON.parse(dec.decode(msg.data)) as { seq?: number; error?: ApiError };
    if (ack.error) {
      if (ack.error.err_code === WRONG_LAST_SEQUENCE) throw new KvConflictError(key, Number(hdrs?.['Nats-Expected-Last-Subject-Sequence'] ?? -1));
      throw new KvUnavailableError(`KV write ${key}: ${ack.error.description}`);
    }
    return ack.seq!;
  }

  put(key: string, value: Uint8Array): Promise<number> {
    return this.#publish(key, value);
  }

  async update(key: string, value: Uint8Array, revision: number): Promise<number> {
    if (revision === 0) {
      // "Must not exist": a deleted key still has a last sequence (its delete marker).
      const last = await this.#lastRevision(key);
      const current = last === 0 ? undefined : await this.get(key);
      if (current) throw new KvConflictError(key, 0);
      return this.#publish(key, value, { 'Nats-Expected-Last-Subject-Sequence': String(last) });
    }
    return this.#publish(key, value, { 'Nats-Expected-Last-Subject-Sequence': String(revision) });
  }

  async delete(key: string): Promise<void> {
    await this.#publish(key, new Uint8Array(0), { 'KV-Operation': 'DEL' });
  }
}
