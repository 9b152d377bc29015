// KvStore on JetStream KV through the official client (@nats-io/kv 3.4).
// Checked against nats-server 2.9.10: the calls used here (stream info and
// create, publish with Nats-Expected-Last-Subject-Sequence, direct and
// stream message get) are all 2.9 features; the client only asks for 2.10
// ones (S2 compression, several filter subjects on one consumer) for
// bucket compression and multi-key watch/history, which meshgate never uses.
//
// Two ways to open a bucket, because the mesh's NATS users differ in what
// they may publish (infra/compose/nats/auth.conf, docs/security.md):
//   writer: the config service creates the bucket when missing (stream create);
//   reader: proxies and agents only bind to it: no API call at open, reads
//           through the read-only get APIs, so a user without stream-create
//           permission can open the bucket even before it exists.
import { jetstream, jetstreamManager, JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { KvConflictError, KvUnavailableError, type KvEntry, type KvStore } from './kv-store.ts';

const BUCKET_NAME = /^[-\w]+$/;

export interface NatsKvStoreOptions {
  /** Request timeout for each KV call; default 2000 ms. */
  timeoutMs?: number;
  /**
   * 'writer' (default) creates the bucket (file storage, history 1) when
   * missing; 'reader' binds without any API call and never creates it.
   */
  mode?: 'writer' | 'reader';
  /**
   * Copies of the bucket in a JetStream cluster when the writer creates it
   * (default 1). Set it to the cluster size (3): with one copy, a change
   * waits out a timeout whenever the server holding it is down.
   */
  replicas?: number;
}

export class NatsKvStore implements KvStore {
  readonly kind = 'jetstream' as const;
  readonly bucket: string;
  readonly #kv: KV;

  private constructor(kv: KV, bucket: string) {
    this.#kv = kv;
    this.bucket = bucket;
  }

  static async open(nc: NatsConnection, bucket: string, opts: NatsKvStoreOptions = {}): Promise<NatsKvStore> {
    if (!BUCKET_NAME.test(bucket)) throw new Error(`invalid KV bucket name ${JSON.stringify(bucket)}: use letters, digits, '-' and '_'`);
    const kvm = new Kvm(jetstream(nc, { timeout: opts.timeoutMs ?? 2_000 }));
    try {
      if (opts.mode === 'reader') {
        // Direct get (any replica answers) when the stream allows it; the
        // stream info call is read-only. Without it (no bucket yet, or no
        // permission), the leader's message get works on every stream.
        const allowDirect = await streamAllowsDirect(nc, bucket, opts.timeoutMs ?? 2_000);
        return new NatsKvStore(await kvm.open(bucket, { allow_direct: allowDirect }), bucket);
      }
      return new NatsKvStore(await kvm.create(bucket, { history: 1, replicas: opts.replicas ?? 1 }), bucket);
    } catch (err) {
      throw new KvUnavailableError(`cannot open KV bucket ${bucket}: ${(err as Error).message} (is nats-server running with -js, and may this NATS user use the JetStream API?)`, { cause: err });
    }
  }

  async get(key: string): Promise<KvEntry | undefined> {
    let e;
    try {
      e = await this.#kv.get(key);
    } catch (err) {
      throw new KvUnavailableError(`KV get ${key} from ${this.bucket}: ${(err as Error).message}`, { cause: err });
    }
    if (!e || e.operation !== 'PUT') return undefined;
    return { key, value: e.value, revision: e.revision };
  }

  async put(key: string, value: Uint8Array): Promise<number> {
    return this.#write(key, 0, () => this.#kv.put(key, value));
  }

  async update(key: string, value: Uint8Array, revision: number): Promise<number> {
    // create(): "must not exist", and a deleted key counts as not existing.
    return this.#write(key, revision, () => (revision === 0 ? this.#kv.create(key, value) : this.#kv.update(key, value, revision)));
  }

  async delete(key: string): Promise<void> {
    await this.#write(key, 0, async () => { await this.#kv.delete(key); return 0; });
  }

  async #write(key: string, expected: number, op: () => Promise<number>): Promise<number> {
    try {
      return await op();
    } catch (err) {
      if (err instanceof JetStreamApiError && (err.code === JetStreamApiCodes.StreamWrongLastSequence || err.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown)) {
        throw new KvConflictError(key, expected, { cause: err });
      }
      throw new KvUnavailableError(`KV write ${key} to ${this.bucket}: ${(err as Error).message}`, { cause: err });
    }
  }
}

async function streamAllowsDirect(nc: NatsConnection, bucket: string, timeoutMs: number): Promise<boolean> {
  try {
    const jsm = await jetstreamManager(nc, { timeout: timeoutMs, checkAPI: false });
    return (await jsm.streams.info(`KV_${bucket}`)).config.allow_direct === true;
  } catch {
    return false;
  }
}
