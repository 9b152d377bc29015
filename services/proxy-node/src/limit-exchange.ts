/**
 * Cluster-wide rate limits (`meshgate.dev/limit-scope: cluster`): the node's
 * main thread shares its demand with the other nodes over NATS, and sets
 * this node's share of each limit in the node's LimitTable, where the
 * workers read it on every request.
 *
 * Every `intervalMs` (while any cluster-wide key is in use) it reads and
 * resets each cluster key's arrivals (the requests the node's workers saw,
 * refused ones included), smooths them into a rate per key, publishes the
 * rates on `<limits>.<node id>`, and sets each key's share to its rate over
 * the sum of every node's rate for that key: in a steady state the nodes
 * together let through the limit, each in proportion to what it receives, so
 * a client spreading its requests over the nodes gets what it would get from
 * one node with the whole limit. A key no report has spoken of yet starts
 * at 1 / (nodes heard from in the last 30 s).
 *
 * Failure: a node not heard from for 1 s has no demand any more (its share
 * goes to the others). When this node loses NATS it cannot see the others' demand: every
 * key falls back to 1 / (the nodes it knew when the connection went), so the
 * mesh stays within the limit when the load is spread evenly, and a client on
 * this node alone gets less, never more. Back on NATS it reports again at
 * once, and follows the others' reports again 1 s later, once they are fresh.
 */
import type { Transport } from '@meshgate/actors';
import { MessageType, fromOwnSubjectOnly, nodeSubject, allNodesSubject, type LimitDemandMessage } from '@meshgate/protocol';
import type { Logger } from '@meshgate/telemetry';
import type { LimitTable } from './limit-table.ts';

export interface LimitExchangeOptions {
  table: LimitTable;
  transport: Transport;
  /** The base subject (subjects().limits). */
  subject: string;
  nodeId: string;
  log: Logger;
  /** How often demand is read, shared and turned into shares; default 200 ms. */
  intervalMs?: number;
}

/** Smoothing of each interval's rate (exponential moving average weight of the newest). */
const ALPHA = 0.5;
/** A node silent this long has no demand any more. */
const GONE_MS = 1_000;
/** A node silent this long is no longer counted among the nodes (the default share); idle nodes stop reporting. */
const MEMBER_MS = 30_000;
/** Rates below this (requests per second) are not reported. */
const MIN_RATE = 0.05;
/** At most this many keys per report (the busiest). */
const MAX_KEYS = 4096;
/** Idle this many intervals (no cluster key in use here) and the exchange sleeps until one is. */
const IDLE_TICKS = 50;

interface Local { slot: number; fp: number; rate: number; seen: number }
interface Remote { at: number; rates: Map<number, number> }

export class LimitExchange {
  readonly #o: LimitExchangeOptions;
  readonly #interval: number;
  readonly #local = new Map<number, Local>();
  readonly #remote = new Map<string, Remote>();
  readonly #sub: { unsubscribe(): void };
  #timer: NodeJS.Timeout | undefined;
  #tick = 0;
  #idleTicks = 0;
  #stopped = false;
  /** Set while NATS is away, and for a moment after it is back: the node count when it went. */
  #cutWith: number | undefined;
  /** NATS is back: reports are sent again; the shares wait until the others' are fresh. */
  #rejoin: NodeJS.Timeout | undefined;

  constructor(o: LimitExchangeOptions) {
    this.#o = o;
    this.#interval = o.intervalMs ?? 200;
    this.#sub = o.transport.subscribe(allNodesSubject(o.subject), fromOwnSubjectOnly<LimitDemandMessage>(o.subject, (m) => this.#received(m),
      (subject, claimed) => o.log.warn('limit demand on another node\'s subject dropped', { subject, claimed: String(claimed) })));
    void this.#sleep();
  }

  /** The nodes that share the limits, this one included: those heard from lately. */
  get nodes(): number {
    if (this.#cutWith !== undefined) return this.#cutWith;
    const since = Date.now() - MEMBER_MS;
    let n = 1;
    for (const r of this.#remote.values()) if (r.at >= since) n++;
    return n;
  }

  /** NATS went (false) or came back (true). */
  connected(up: boolean): void {
    if (!up) {
      clearTimeout(this.#rejoin);
      this.#rejoin = undefined;
      if (this.#cutWith !== undefined) return;
      this.#cutWith = this.nodes;
      this.#o.log.warn('NATS is away: cluster-wide rate limits fall back to this node\'s share', { nodes: this.#cutWith });
      this.#apply();
    } else if (this.#cutWith !== undefined && this.#rejoin === undefined) {
      // The others' reports are stale until they come in again: the fallback holds that long.
      this.#rejoin = setTimeout(() => {
        this.#rejoin = undefined;
        this.#cutWith = undefined;
        this.#o.log.info('NATS is back: cluster-wide rate limits follow the mesh\'s demand again');
      }, GONE_MS);
      this.#rejoin.unref();
    }
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
    clearTimeout(this.#rejoin);
    this.#sub.unsubscribe();
  }

  /** Waits (without a timer) until a worker uses a cluster-wide key, then ticks. */
  async #sleep(): Promise<void> {
    await this.#o.table.whenActive();
    if (this.#stopped || this.#timer) return;
    this.#idleTicks = 0;
    this.#timer = setInterval(() => this.#step(), this.#interval);
    this.#timer.unref();
  }

  #step(): void {
    const tick = ++this.#tick;
    const perSecond = 1000 / this.#interval;
    let busy = false;
    this.#o.table.drainArrivals((slot, id, fp, arrivals) => {
      let l = this.#local.get(id);
      if (l === undefined) {
        if (arrivals === 0) return;
        this.#local.set(id, l = { slot, fp, rate: arrivals * perSecond, seen: tick });
      } else {
        l.rate += ALPHA * (arrivals * perSecond - l.rate);
      }
      l.slot = slot;
      l.fp = fp;
      l.seen = tick;
      if (arrivals > 0) busy = true;
    });
    for (const [id, l] of this.#local) {
      if (l.seen === tick && l.rate >= MIN_RATE / 10) continue;
      // Quiet here (or its slot went to another key): back to the default share when it returns.
      if (l.seen === tick) this.#o.table.setShare(l.slot, l.fp, 0);
      this.#local.delete(id);
    }
    this.#publish();
    this.#apply();
    this.#idleTicks = busy ? 0 : this.#idleTicks + 1;
    if (this.#idleTicks >= IDLE_TICKS && this.#local.size === 0) {
      clearInterval(this.#timer);
      this.#timer = undefined;
      this.#o.table.idle();
      void this.#sleep();
    }
  }

  #publish(): void {
    if (this.#cutWith !== undefined && this.#rejoin === undefined) return;
    let entries = [...this.#local].filter(([, l]) => l.rate >= MIN_RATE);
    if (entries.length > MAX_KEYS) entries = entries.sort((a, b) => b[1].rate - a[1].rate).slice(0, MAX_KEYS);
    const m: LimitDemandMessage = {
      type: MessageType.LimitDemand, nodeId: this.#o.nodeId, at: Date.now(),
      keys: entries.map(([id]) => id), rates: entries.map(([, l]) => Math.round(l.rate * 100) / 100),
    };
    try {
      this.#o.transport.publish(nodeSubject(this.#o.subject, this.#o.nodeId), m);
    } catch { /* reconnecting: the next interval tries again */ }
  }

  #received(m: LimitDemandMessage): void {
    if (m.nodeId === this.#o.nodeId || m.type !== MessageType.LimitDemand || !Array.isArray(m.keys) || !Array.isArray(m.rates)) return;
    const rates = new Map<number, number>();
    for (let i = 0; i < m.keys.length; i++) {
      const r = m.rates[i];
      if (typeof m.keys[i] === 'number' && typeof r === 'number' && r > 0 && Number.isFinite(r)) rates.set(m.keys[i]!, r);
    }
    this.#remote.set(m.nodeId, { at: Date.now(), rates });
  }

  /** Each key's share: its rate here over every node's; the default for keys nobody reported. */
  #apply(): void {
    const table = this.#o.table;
    const nodes = this.nodes;
    table.setDefaultShare(1 / nodes);
    const since = Date.now() - GONE_MS;
    const live = this.#cutWith !== undefined ? [] : [...this.#remote.values()].filter((r) => r.at >= since);
    for (const [id, l] of this.#local) {
      if (this.#cutWith !== undefined || l.rate < MIN_RATE) { table.setShare(l.slot, l.fp, 0); continue; }
      let total = l.rate;
      for (const r of live) total += r.rates.get(id) ?? 0;
      table.setShare(l.slot, l.fp, l.rate / total);
    }
  }
}
