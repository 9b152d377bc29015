import type { Transport } from '@meshgate/actors';
import {
  MessageType, decodeRouteChanges, nodeSubject,
  type AckMessage, type EndpointsDeltaMessage, type RoutesDeltaMessage, type SnapshotClient, type SnapshotContent, type SnapshotMessage, type Subjects,
} from '@meshgate/protocol';
import { endSpan, startLinkedSpan, traceparentOf, type Logger, type Tracing } from '@meshgate/telemetry';
import { acceptRouteDelta, judgeDelta, judgeSnapshot, openDelta, type Verdict } from './accept-rules.ts';
import { replayRecord, type LastKnownGood } from './last-known-good.ts';
import type { NodeParts } from './node-status.ts';
import type { NodeUpkeep } from './node-upkeep.ts';
import type { SnapshotSource } from './snapshot-ledger.ts';
import type { WorkerPool } from './worker-pool.ts';
import type { AppliedDelta, FromWorker } from './worker/messages.ts';

export type ApplySpan = NonNullable<ReturnType<typeof startLinkedSpan>>;
type From<T extends FromWorker['type']> = Extract<FromWorker, { type: T }>;

export interface ApplyDeps {
  nodeId: string;
  transport: Transport;
  subjects: Subjects;
  pool: WorkerPool;
  log: Logger;
  client: SnapshotClient;
  parts: NodeParts<ApplySpan>;
  upkeep: NodeUpkeep;
  tracing?: Tracing | undefined;
  lastKnownGood?: LastKnownGood | undefined;
  /** A full resync from the KV store or the config service. */
  resync(reason: string): void;
  /** NodeUpkeep.run(false) after the messages already queued (past a hard limit). */
  compact(): void;
}

/**
 * The node's side of a change: a snapshot or delta accepted (accept-rules.ts)
 * goes to the ledger and to every worker; once every worker applied it, it is
 * ACKed and written to the last-known-good record; anything refused, by this
 * thread or a worker, is NACKed with the error and the version kept.
 */
export class NodeApplier {
  readonly #d: ApplyDeps;

  constructor(d: ApplyDeps) {
    this.#d = d;
  }

  #publishAck(a: Omit<AckMessage, 'type' | 'nodeId' | 'at'>): void {
    const { nodeId, transport, subjects } = this.#d;
    try { transport.publish(nodeSubject(subjects.ack, nodeId), { type: MessageType.Ack, nodeId, at: Date.now(), ...a } satisfies AckMessage); } catch { /* not connected: heartbeats carry the version */ }
  }

  nack(refused: number, error: string, source: SnapshotSource): void {
    const { ledger, outcome } = this.#d.parts;
    outcome.lastError = error;
    outcome.lastNack = { version: refused, error, at: Date.now() };
    this.#d.log.error('snapshot refused; keeping the current one', { version: refused, kept: ledger.version, error, source });
    if (source !== 'disk') this.#publishAck({ ok: false, version: ledger.version, hash: ledger.hash, refused, error });
  }

  #save(save: () => void): void {
    try { save(); } catch (err) { this.#d.log.error('cannot write the last-known-good snapshot', { error: (err as Error).message }); }
  }

  /** Waits for every worker to apply `version`, in an apply span joined to the config service's publish span; its traceparent. */
  #begin(version: number, hash: string, traceparent: string | undefined, attributes: Record<string, string>, save?: () => void): string | undefined {
    const { acks, ledger } = this.#d.parts;
    if (acks.pending?.span) endSpan(acks.pending.span, new Error(`superseded by v${version}`));
    const span = startLinkedSpan(this.#d.tracing, 'snapshot apply', traceparent, { 'meshgate.node': this.#d.nodeId, 'meshgate.snapshot.version': version, ...attributes, 'meshgate.workers': this.#d.pool.count });
    acks.begin({ version, hash, since: performance.now(), previous: ledger.version, save, span });
    this.#d.upkeep.changed(performance.now());
    return traceparentOf(span);
  }

  /** A full snapshot to every worker. */
  serve(s: { version: number; hash: string; packed: Uint8Array }, source: SnapshotSource, o: { save?: (() => void) | undefined; traceparent?: string | undefined; content?: SnapshotContent | undefined } = {}): void {
    const tp = this.#begin(s.version, s.hash, o.traceparent, { 'meshgate.snapshot.source': source }, o.save);
    const snapshot = { version: s.version, hash: s.hash, packed: s.packed, ...(tp ? { traceparent: tp } : {}) };
    this.#d.parts.ledger.serve(snapshot, source, o.content);
    this.#d.pool.setSnapshot(snapshot);
  }

  /** A verdict other than 'apply': NACKed, ignored or resynced; true for 'apply'. */
  #proceed(v: Verdict | { kind: 'refused'; error: string }, d: { version: number; base: number }): boolean {
    if (v.kind === 'apply') return true;
    if (v.kind === 'stale' || v.kind === 'conflict' || v.kind === 'refused') this.nack(d.version, v.error, 'push');
    else if (v.kind === 'gap') {
      this.#d.log.info('version gap: full resync', { delta: d.version, base: d.base, have: this.#d.parts.ledger.version });
      this.#d.resync(v.reason);
    }
    return false;
  }

  snapshot(snap: SnapshotMessage, source: SnapshotSource): void {
    const v = judgeSnapshot(this.#d.parts.ledger, snap);
    if (v.kind === 'same') return;
    if (v.kind !== 'apply') {
      // A replayed or conflicting old version: refused, so the config service sees it.
      if (source === 'push' && v.kind !== 'gap') this.nack(snap.version, v.error, source);
      return;
    }
    let packed: Uint8Array;
    try {
      packed = this.#d.client.open(snap);
    } catch (err) {
      this.nack(snap.version, (err as Error).message, source);
      return;
    }
    this.serve({ version: snap.version, hash: snap.hash, packed }, source, { save: () => this.#d.lastKnownGood?.saveSnapshot(snap), traceparent: snap.traceparent });
    this.#d.log.info('snapshot received', { version: snap.version, hash: snap.hash.slice(0, 12), bytes: snap.body.length, source, signed: snap.keyId ?? 'no' });
  }

  endpointDelta(d: EndpointsDeltaMessage): void {
    const ledger = this.#d.parts.ledger;
    if (!this.#proceed(judgeDelta(ledger, d, 'endpoint delta'), d)) return;
    let r;
    try {
      r = openDelta(d, ledger.content(), (m) => this.#d.client.verify(m));
    } catch (err) {
      this.nack(d.version, (err as Error).message, 'push');
      return;
    }
    this.serve({ version: d.version, hash: d.hash, packed: r.packed }, 'push', { save: () => this.#d.lastKnownGood?.saveDelta(d), traceparent: d.traceparent, content: r.content });
    this.#d.log.info('endpoint delta applied', { version: d.version, base: d.base, bytes: d.body.length });
  }

  /** Every worker patches its route table with a verified route delta; no snapshot is decoded or compiled. */
  routeDelta(d: RoutesDeltaMessage): void {
    const v = acceptRouteDelta(this.#d.parts.ledger, d, (m) => this.#d.client.verify(m));
    if (v.kind !== 'apply') { this.#proceed(v, d); return; }
    const tp = this.#begin(d.version, d.hash, d.traceparent, { 'meshgate.snapshot.source': 'push', 'meshgate.snapshot.delta': 'routes' }, () => this.#d.lastKnownGood?.saveDelta(d));
    const delta: AppliedDelta = { version: d.version, base: d.base, hash: d.hash, changes: v.changes, ...(tp ? { traceparent: tp } : {}) };
    this.#d.parts.ledger.hold(delta);
    this.#d.pool.applyDelta(delta);
    this.#d.log.info('route delta received', { version: d.version, base: d.base, bytes: d.body.length, rules: v.changes.addedRules.length + v.changes.removedRules.length });
  }

  /** The stored full snapshot of this version: the last-known-good record's new base (NodeUpkeep). */
  storedSnapshot(snap: SnapshotMessage): void {
    const { ledger, acks } = this.#d.parts;
    if (snap.version !== ledger.version || snap.hash !== ledger.hash || acks.pending) return; // moved on meanwhile
    try {
      this.#d.client.open(snap); // as verified as any snapshot this node serves
      this.#d.lastKnownGood?.saveSnapshot(snap);
    } catch (err) {
      this.#d.log.warn('the stored snapshot does not verify; the last-known-good record keeps its deltas', { version: snap.version, error: (err as Error).message });
    }
  }

  /** Serves the last-known-good snapshot from --state-dir, before NATS is asked anything. */
  restore(): void {
    const lkg = this.#d.lastKnownGood;
    if (!lkg) return;
    let record;
    try {
      record = lkg.load();
    } catch (err) {
      this.#d.log.error('cannot read the last-known-good snapshot; starting without it', { file: lkg.file, error: (err as Error).message });
      return;
    }
    if (!record) return;
    try {
      const r = replayRecord(record, (s) => this.#d.client.open(s), (m) => this.#d.client.verify(m));
      this.serve(r, 'disk', { content: r.content });
      this.#d.log.info('serving the last-known-good snapshot from disk', { version: r.version, hash: r.hash.slice(0, 12), file: lkg.file });
    } catch (err) {
      this.nack(record.snapshot.version, `last-known-good snapshot in ${lkg.file} refused: ${(err as Error).message}`, 'disk');
    }
  }

  /** A worker swapped a version in: ACK and save once every worker has the pending one. */
  applied(w: From<'worker.v1.applied'>): void {
    const { acks, stats, outcome } = this.#d.parts;
    stats.applyMs = w.durationMs;
    const done = acks.applied(w.index, w.version, w.at);
    if (!done) return;
    const applyMs = performance.now() - done.since;
    this.#d.log.info('snapshot applied in every worker', { version: done.version, applyMs: Math.round(applyMs * 10) / 10 });
    this.#publishAck({ ok: true, version: done.version, hash: done.hash, applyMs, ...(done.servingAt ? { servingAt: done.servingAt } : {}) });
    if (done.save) this.#save(done.save);
    // Past the hard limits: right after this ACK is written (its flush is queued first).
    if (this.#d.upkeep.pastMax()) this.#d.compact();
    outcome.lastError = undefined;
    done.span?.setAttribute('meshgate.apply_ms', applyMs);
    endSpan(done.span);
  }

  rejected(w: From<'worker.v1.rejected'>): void {
    const { ledger, acks, outcome } = this.#d.parts;
    if (ledger.deltaCount > 0 && acks.pending?.version === w.version && w.version === ledger.version) {
      // A worker that cannot patch (it missed a version): every worker gets the whole content instead.
      this.#d.log.warn('a worker refused a route delta; sending the whole snapshot', { worker: w.index, version: w.version, error: w.error });
      this.serve({ version: ledger.version, hash: ledger.hash, packed: ledger.packedNow() }, ledger.source ?? 'push', { save: acks.pending.save, content: ledger.content() });
      return;
    }
    outcome.lastError = w.error;
    this.#d.log.error('worker rejected snapshot; it keeps its previous one', { worker: w.index, version: w.version, error: w.error });
    const refused = acks.refused(w.version);
    if (!refused) return;
    outcome.lastNack = { version: w.version, error: w.error, at: Date.now() };
    this.#publishAck({ ok: false, version: refused.previous, hash: ledger.hash, refused: w.version, error: `worker ${w.index}: ${w.error}` });
    endSpan(refused.span, new Error(`worker ${w.index}: ${w.error}`));
  }

  /**
   * Direct mode: route deltas the workers applied from NATS (and ACKed), as
   * a worker reports them. The first report of a version records it (the
   * ledger, the last-known-good record); other workers still behind it get
   * it from here. One this thread cannot place on its version (it resynced
   * meanwhile, or missed one) is left to a resync.
   */
  recordRoutes(index: number, routes: readonly RoutesDeltaMessage[]): void {
    const { ledger, acks, outcome } = this.#d.parts;
    for (const d of routes) {
      acks.reported(index, d.version);
      const v = judgeDelta(ledger, d, 'route delta');
      if (v.kind === 'gap') {
        this.#d.resync(`worker ${index} applied route delta v${d.version} on v${d.base}; this node has v${ledger.version}`);
        return;
      }
      if (v.kind !== 'apply') continue;
      let changes;
      try {
        changes = decodeRouteChanges(d);
      } catch (err) {
        this.#d.log.error('a worker reported a route delta that does not decode', { worker: index, version: d.version, error: (err as Error).message });
        return;
      }
      const delta: AppliedDelta = { version: d.version, base: d.base, hash: d.hash, changes };
      ledger.hold(delta);
      this.#d.upkeep.changed(performance.now());
      this.#d.pool.applyDelta(delta, acks.behind(d.version));
      // After the pending version's own record, which this delta sits on.
      const save = () => this.#d.lastKnownGood?.saveDelta(d);
      if (!acks.saveAfter(save)) this.#save(save);
      outcome.lastError = undefined;
      this.#d.log.info('route delta applied by the workers', { version: d.version, base: d.base, worker: index });
    }
    if (this.#d.upkeep.pastMax()) this.#d.compact();
  }

  /** A route delta a worker refused and NACKed on NATS itself. */
  workerNack(w: From<'worker.v1.nack'>): void {
    const { outcome } = this.#d.parts;
    outcome.lastError = w.error;
    outcome.lastNack = { version: w.refused, error: w.error, at: Date.now() };
    this.#d.log.error('route delta refused; keeping the current one', { worker: w.index, version: w.refused, kept: w.kept, error: w.error, source: 'push' });
  }
}
