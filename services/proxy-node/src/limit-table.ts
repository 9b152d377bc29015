/**
 * The node's rate-limit counters, in one SharedArrayBuffer that every worker
 * thread of the node maps (as nginx keeps limit_req zones in shared memory
 * for its workers): a limit per client holds for the whole node however the
 * kernel spreads that client's connections over the workers.
 *
 * An open-addressing table of fixed slots, one per key (a route's id and a
 * client address), found by a hash and told apart by a second 32-bit hash
 * (the fingerprint). Each slot holds two rates as GCRA theoretical arrival
 * times (nginx limit_req's algorithm with nodelay: `burst` requests at once,
 * then one per 1/rate), a count of requests in progress, and, for a
 * cluster-wide key, its arrivals since the exchange last read them and this
 * node's share of the mesh's demand for it (limit-exchange.ts). All updates
 * are atomic (compare-and-swap loops), so no lock is held.
 *
 * A full neighbourhood (8 probed slots) takes over a slot whose rates have
 * run out and that has nothing in progress (its state equals a fresh one);
 * when there is none, `slot` answers -1 and the filter refuses, as nginx
 * does when a zone is out of memory.
 */
import { epochNow } from '@meshgate/telemetry';

/** Int32 fields of a slot. */
const FP = 0;
const HASH = 1;
const CONN = 2;
const ARRIVALS = 3;
const SHARE = 4;
const FLAGS = 5;
const SLOT_INTS = 8;
/** Header Int32s: ACTIVE (a cluster key was used since the exchange last looked), DEFAULT_SHARE (ppm, 0: whole). */
const ACTIVE = 0;
const DEFAULT_SHARE = 1;
const HEADER_INTS = 16;
const PROBES = 8;
const CLUSTER = 1;
const PPM = 1_000_000;

/** FNV-1a, 32 bits. */
function hashA(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** A second, unrelated 32-bit hash (multiply-xorshift), never 0: the fingerprint. */
function hashB(s: string): number {
  let h = 0x9e3779b9 ^ s.length;
  for (let i = 0; i < s.length; i++) {
    h = Math.imul(h ^ s.charCodeAt(i), 0x5bd1e995);
    h ^= h >>> 15;
  }
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return ((h ^ (h >>> 16)) | 1) >>> 0;
}

const nowUs = (): number => epochNow() * 1000;

export class LimitTable {
  readonly buffer: SharedArrayBuffer;
  readonly slots: number;
  readonly #i: Int32Array;
  /** Two GCRA theoretical arrival times per slot, epoch microseconds. */
  readonly #t: BigInt64Array;

  /** A new table of `slots` (a power of two; 65,536 take 3 MiB, touched only as used). */
  static create(slots = 65_536): LimitTable {
    if (slots < PROBES || (slots & (slots - 1)) !== 0) throw new Error(`limit table size ${slots}: a power of two of at least ${PROBES}`);
    return new LimitTable(new SharedArrayBuffer(HEADER_INTS * 4 + slots * (SLOT_INTS * 4 + 16)));
  }

  /** The table another thread created (the buffer came with the worker's task). */
  constructor(buffer: SharedArrayBuffer) {
    this.buffer = buffer;
    this.slots = (buffer.byteLength - HEADER_INTS * 4) / (SLOT_INTS * 4 + 16);
    this.#i = new Int32Array(buffer, 0, HEADER_INTS + this.slots * SLOT_INTS);
    this.#t = new BigInt64Array(buffer, (HEADER_INTS + this.slots * SLOT_INTS) * 4, this.slots * 2);
  }

  // ---- the data plane's side (LimitPort)

  slot(key: string, cluster: boolean): number {
    const i = this.#i;
    const fp = hashB(key) | 0;
    const h = hashA(key);
    const mask = this.slots - 1;
    for (let p = 0; p < PROBES; p++) {
      const s = (h + p) & mask;
      const o = HEADER_INTS + s * SLOT_INTS;
      let f = Atomics.load(i, o + FP);
      if (f === 0) {
        f = Atomics.compareExchange(i, o + FP, 0, fp);
        if (f === 0) return this.#claimed(s, h, cluster);
      }
      if (f === fp) return this.#found(s, cluster);
    }
    const now = nowUs();
    for (let p = 0; p < PROBES; p++) {
      const s = (h + p) & mask;
      const o = HEADER_INTS + s * SLOT_INTS;
      const f = Atomics.load(i, o + FP);
      if (this.#stale(s, now) && Atomics.compareExchange(i, o + FP, f, fp) === f) return this.#claimed(s, h, cluster);
    }
    return -1;
  }

  share(slot: number): number {
    const i = this.#i;
    const o = HEADER_INTS + slot * SLOT_INTS;
    if ((Atomics.load(i, o + FLAGS) & CLUSTER) === 0) return 1;
    const ppm = Atomics.load(i, o + SHARE) || Atomics.load(i, DEFAULT_SHARE);
    return ppm === 0 ? 1 : ppm / PPM;
  }

  take(slot: number, which: 0 | 1, perSecond: number, burst: number): boolean {
    const t = this.#t;
    const k = slot * 2 + which;
    const interval = 1e6 / perSecond;
    const tolerance = burst * interval;
    const now = nowUs();
    for (;;) {
      const old = Atomics.load(t, k);
      const tat = Math.max(Number(old), now);
      if (tat - now > tolerance) return false;
      if (Atomics.compareExchange(t, k, old, BigInt(Math.round(tat + interval))) === old) return true;
    }
  }

  acquire(slot: number, max: number): boolean {
    const i = this.#i;
    const o = HEADER_INTS + slot * SLOT_INTS + CONN;
    for (;;) {
      const c = Atomics.load(i, o);
      if (c >= max) return false;
      if (Atomics.compareExchange(i, o, c, c + 1) === c) return true;
    }
  }

  release(slot: number): void {
    Atomics.sub(this.#i, HEADER_INTS + slot * SLOT_INTS + CONN, 1);
  }

  #claimed(s: number, h: number, cluster: boolean): number {
    const i = this.#i;
    const o = HEADER_INTS + s * SLOT_INTS;
    Atomics.store(i, o + HASH, h | 0);
    Atomics.store(i, o + SHARE, 0);
    Atomics.store(i, o + ARRIVALS, 0);
    Atomics.store(i, o + FLAGS, cluster ? CLUSTER : 0);
    Atomics.store(this.#t, s * 2, 0n);
    Atomics.store(this.#t, s * 2 + 1, 0n);
    return this.#found(s, cluster);
  }

  #found(s: number, cluster: boolean): number {
    if (cluster) {
      const i = this.#i;
      Atomics.add(i, HEADER_INTS + s * SLOT_INTS + ARRIVALS, 1);
      if (Atomics.load(i, ACTIVE) === 0 && Atomics.compareExchange(i, ACTIVE, 0, 1) === 0) Atomics.notify(i, ACTIVE);
    }
    return s;
  }

  /** Nothing in progress, no arrival unread, both rates run out: the same as a fresh slot. */
  #stale(s: number, now: number): boolean {
    const o = HEADER_INTS + s * SLOT_INTS;
    return Atomics.load(this.#i, o + CONN) === 0 && Atomics.load(this.#i, o + ARRIVALS) === 0
      && Number(Atomics.load(this.#t, s * 2)) <= now && Number(Atomics.load(this.#t, s * 2 + 1)) <= now;
  }

  // ---- the exchange's side (main thread)

  /**
   * Each cluster-wide key in use, with the arrivals since the last call
   * (read and reset): `id` is the same on every node (both hashes of the key).
   */
  drainArrivals(fn: (slot: number, id: number, fp: number, arrivals: number) => void): void {
    const i = this.#i;
    for (let s = 0; s < this.slots; s++) {
      const o = HEADER_INTS + s * SLOT_INTS;
      if ((i[o + FLAGS]! & CLUSTER) === 0 || i[o + FP] === 0) continue;
      const fp = Atomics.load(i, o + FP);
      fn(s, keyId(Atomics.load(i, o + HASH), fp), fp, Atomics.exchange(i, o + ARRIVALS, 0));
    }
  }

  /** This node's share of a cluster-wide key (0: the default share), unless the slot went to another key meanwhile. */
  setShare(slot: number, fp: number, share: number): void {
    const o = HEADER_INTS + slot * SLOT_INTS;
    const ppm = share <= 0 ? 0 : Math.max(1, Math.min(PPM, Math.round(share * PPM)));
    if (Atomics.load(this.#i, o + FP) === fp) Atomics.store(this.#i, o + SHARE, ppm);
  }

  /** The share of a cluster-wide key no exchange has spoken of (1 / the nodes known). */
  setDefaultShare(share: number): void {
    Atomics.store(this.#i, DEFAULT_SHARE, share >= 1 ? 0 : Math.max(1, Math.round(share * PPM)));
  }

  /** Resolves when a cluster-wide key is used (at once if one was since the last `idle`). */
  whenActive(): Promise<void> {
    const r = Atomics.waitAsync(this.#i, ACTIVE, 0);
    return r.async ? r.value.then(() => {}) : Promise.resolve();
  }

  /** The exchange stops looking until a cluster-wide key is used again. */
  idle(): void {
    Atomics.store(this.#i, ACTIVE, 0);
  }
}

/** One number for a key on every node: 21 bits of the hash above the fingerprint's 32 (exact in a double). */
export function keyId(hash: number, fp: number): number {
  return ((hash >>> 0) & 0x1fffff) * 0x1_0000_0000 + (fp >>> 0);
}
