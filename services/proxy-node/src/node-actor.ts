import type { KeyObject } from 'node:crypto';
import type { ActorContext, ActorRef, Behavior, Transport } from '@meshgate/actors';
import {
  MessageType, SnapshotClient, nodeSubject,
  type EndpointsDeltaMessage, type HeartbeatMessage, type KvLike, type LivenessMessage, type RoutesDeltaMessage,
  type SnapshotMessage, type SnapshotRefMessage, type Subjects,
} from '@meshgate/protocol';
import type { Logger, Tracing } from '@meshgate/telemetry';
import type { LastKnownGood } from './last-known-good.ts';
import { LivenessView } from './liveness-view.ts';
import { MetricsFeed } from './metrics-feed.ts';
import { NodeApplier, type ApplySpan } from './node-apply.ts';
import { isReady, type NodeParts, type NodeStatus } from './node-status.ts';
import { NodeUpkeep } from './node-upkeep.ts';
import type { SnapshotSource } from './snapshot-ledger.ts';
import type { WorkerPool } from './worker-pool.ts';
import type { FromWorker } from './worker/messages.ts';

export type { SnapshotSource } from './snapshot-ledger.ts';

/** What the node actor handles, one at a time. */
export type NodeMsg =
  | { type: 'node.v1.snapshot'; snapshot: SnapshotMessage; source?: SnapshotSource }
  | { type: 'node.v1.delta'; delta: EndpointsDeltaMessage; retried?: boolean }
  | { type: 'node.v1.routes'; delta: RoutesDeltaMessage }
  | { type: 'node.v1.lkg-snapshot'; snapshot: SnapshotMessage }
  | { type: 'node.v1.ref'; ref: SnapshotRefMessage }
  | { type: 'node.v1.resync'; reason: string }
  /** `sender`: whose view it updates (liveness-guard.ts); the agent id when absent. */
  | { type: 'node.v1.liveness'; liveness: LivenessMessage; sender?: string }
  | { type: 'node.v1.worker'; msg: FromWorker }
  | { type: 'node.v1.worker-exit'; index: number; error: string }
  | { type: 'node.v1.worker-behind'; index: number; version: number }
  | { type: 'node.v1.missed'; version: number }
  | { type: 'node.v1.tick' }
  | { type: 'node.v1.compact' }
  /** Answered once everything already in the mailbox is handled (ProxyNode's sync: after the workers' reports). */
  | { type: 'node.v1.flush' }
  | { type: 'node.v1.drain' };

export interface NodeActorDeps {
  nodeId: string;
  transport: Transport;
  subjects: Subjects;
  pool: WorkerPool;
  log: Logger;
  adminUrl: string;
  /** The actor's parts (node-status.ts): kept across restarts, read through `status`. */
  parts: NodeParts<ApplySpan>;
  /** The read-only view of `parts`. */
  status: NodeStatus;
  /** Ed25519 public key: only snapshots it signed are applied. */
  trustKey?: KeyObject;
  /** The durable latest snapshot (JetStream KV): joins and resyncs read it, with or without a config service. */
  store?: KvLike;
  /** --state-dir: the last-known-good snapshot on disk. */
  lastKnownGood?: LastKnownGood;
  /** Main-thread tracing: an apply span per snapshot, joined to the config service's publish span. */
  tracing?: Tracing;
  /**
   * The workers take route deltas from NATS themselves and ACK them (the
   * pool's `control`); this thread hears of them with the workers' stats
   * (`worker.v1.routes`), up to a second later, and keeps the record
   * (replacement workers, last-known-good) from those.
   */
  direct?: boolean;
}

/**
 * The node actor, on the main thread: receives snapshots and liveness over
 * NATS and dispatches them to its parts: the SnapshotClient (fetch, verify,
 * resync), the NodeApplier (accept rules, ledger, workers, ACK/NACK), the
 * NodeUpkeep (folds, last-known-good re-base) and the liveness view; it
 * heartbeats. Requests never touch it.
 */
export function nodeActor(deps: NodeActorDeps): Behavior<NodeMsg> {
  return new NodeActor(deps);
}

class NodeActor implements Behavior<NodeMsg> {
  readonly #d: NodeActorDeps;
  readonly #client: SnapshotClient;
  readonly #upkeep: NodeUpkeep;
  readonly #applier: NodeApplier;
  #self: ActorRef<NodeMsg> | undefined;
  #warnedAt = 0;
  #ticks = 0;
  readonly #metrics = new MetricsFeed();

  constructor(deps: NodeActorDeps) {
    this.#d = deps;
    const { parts, pool, log, transport, subjects, nodeId } = deps;
    // Looks for a newer snapshot each tick until there is one, then every 5th (the KV store's head).
    this.#client = new SnapshotClient({
      transport, latestSubject: subjects.snapshotGet, emptyEvery: 1, every: 5,
      ...(deps.trustKey ? { trustKey: deps.trustKey } : {}), ...(deps.store ? { store: deps.store } : {}),
    });
    this.#upkeep = new NodeUpkeep({
      nodeId, ledger: parts.ledger, client: this.#client, lastKnownGood: deps.lastKnownGood,
      onStored: (snapshot) => this.#tell({ type: 'node.v1.lkg-snapshot', snapshot }),
    });
    this.#applier = new NodeApplier({
      nodeId, transport, subjects, pool, log, client: this.#client, parts, upkeep: this.#upkeep, tracing: deps.tracing, lastKnownGood: deps.lastKnownGood,
      resync: (reason) => this.#resync(reason), compact: () => this.#tell({ type: 'node.v1.compact' }),
    });
  }

  get #ledger() { return this.#d.parts.ledger; }

  #tell(m: NodeMsg): void {
    this.#self?.tell(m);
  }

  start(ctx: ActorContext<NodeMsg>): void {
    this.#self = ctx.self;
    this.#applier.restore();
    ctx.self.tell({ type: 'node.v1.resync', reason: 'start' });
  }

  async receive(msg: NodeMsg): Promise<void> {
    const ledger = this.#ledger;
    switch (msg.type) {
      case 'node.v1.snapshot': return this.#applier.snapshot(msg.snapshot, msg.source ?? 'push');
      case 'node.v1.delta': return this.#endpointDelta(msg);
      case 'node.v1.routes': return this.#applier.routeDelta(msg.delta);
      case 'node.v1.lkg-snapshot': return this.#applier.storedSnapshot(msg.snapshot);
      case 'node.v1.ref':
        if (msg.ref.version > ledger.version) this.#resync(`snapshot v${msg.ref.version} is ${msg.ref.bytes} bytes: read from the KV store`);
        return;
      case 'node.v1.resync': return this.#resync(msg.reason);
      case 'node.v1.liveness': return this.#liveness(msg);
      case 'node.v1.worker': return this.#fromWorker(msg.msg);
      case 'node.v1.worker-exit':
        this.#d.parts.acks.exited(msg.index);
        this.#d.parts.stats.exited(msg.index);
        this.#d.log.error('worker exited; starting a replacement with the current snapshot', { worker: msg.index, error: msg.error });
        return;
      case 'node.v1.worker-behind': return this.#behind(msg.index, msg.version, false);
      case 'node.v1.missed':
        if (msg.version > ledger.version) this.#resync(`periodic check: v${msg.version} is stored, this node has v${ledger.version}`);
        return;
      case 'node.v1.tick': return this.#tick();
      case 'node.v1.compact': return this.#upkeep.run(false);
      case 'node.v1.flush': return;
      case 'node.v1.drain':
        this.#d.parts.outcome.draining = true;
        this.#heartbeat('leaving');
        await this.#d.transport.flush().catch(() => {});
        return;
    }
  }

  /** Fetches off the mailbox (a request may wait seconds while NATS is away) and tells the actor what it found. */
  #resync(reason: string): void {
    this.#client.catchUp(this.#ledger.version, (snap) => {
      if (snap.version <= this.#ledger.version) return;
      this.#d.log.info('resync', { reason, version: snap.version, had: this.#ledger.version });
      this.#tell({ type: 'node.v1.snapshot', snapshot: snap, source: 'pull' });
    }, (err) => {
      if (this.#ledger.version === 0 && Date.now() - this.#warnedAt > 5_000) {
        this.#d.log.warn('no snapshot yet: is the config service running?', { error: err.message });
        this.#warnedAt = Date.now();
      }
    });
  }

  /**
   * Direct mode's periodic check: a stored version newer than this thread's
   * may only be one the workers applied and have not reported yet (they do
   * within a second); it was missed if it still is 2 s later.
   */
  #checkStored(): void {
    this.#client.storedVersion().then((v = 0) => {
      if (v > this.#ledger.version) setTimeout(() => this.#tell({ type: 'node.v1.missed', version: v }), 2_000).unref();
    }, () => {});
  }

  #heartbeat(s: 'up' | 'leaving'): void {
    const { nodeId, subjects, transport, pool } = this.#d;
    const hb: HeartbeatMessage = {
      type: MessageType.Heartbeat, nodeId, version: this.#ledger.version, hash: this.#ledger.hash,
      ready: isReady(this.#d.status), workers: pool.count, admin: this.#d.adminUrl, state: s, at: Date.now(),
    };
    transport.publish(nodeSubject(subjects.heartbeat, nodeId), hb);
  }

  #tick(): void {
    const version = this.#ledger.version;
    // No snapshot yet, or (every 5 s) a version announced while this node was away: catch up.
    if (this.#client.due(++this.#ticks, version)) {
      if (version === 0) this.#resync('waiting for a first snapshot');
      else if (this.#d.store) {
        if (this.#d.direct) this.#checkStored();
        else this.#resync('periodic check');
      }
    }
    if (!this.#d.parts.outcome.draining) this.#heartbeat('up');
    this.#publishMetrics();
    if (!this.#d.parts.acks.pending && this.#upkeep.idle(performance.now())) this.#upkeep.run(true);
  }

  /** The traffic summary for the config service's dashboard (metrics-feed.ts): only while requests flow. */
  #publishMetrics(): void {
    const { nodeId, subjects, transport, parts } = this.#d;
    const m = this.#metrics.summary(nodeId, [...parts.stats.retiredMetrics, ...parts.stats.metrics]);
    if (!m) return;
    try {
      transport.publish(nodeSubject(subjects.metrics, nodeId), m);
    } catch { /* NATS away: the next summary counts from here anyway */ }
  }

  #endpointDelta(msg: Extract<NodeMsg, { type: 'node.v1.delta' }>): void {
    if (this.#d.direct && !msg.retried && msg.delta.base > this.#ledger.version) {
      // Likely on a route delta the workers applied and have not reported yet: hear them first.
      void this.#d.pool.requestRoutes().then(() => this.#tell({ ...msg, retried: true }));
      return;
    }
    this.#applier.endpointDelta(msg.delta);
  }

  #liveness(msg: Extract<NodeMsg, { type: 'node.v1.liveness' }>): void {
    const { parts, pool, log } = this.#d;
    // Several agents: per endpoint the newest observation wins (liveness-view.ts);
    // parts.liveness is the merged view, workers get only verdicts that flipped.
    const delta = LivenessView.for(parts.liveness).apply(msg.liveness, msg.sender);
    if (delta.length === 0) return;
    pool.setLiveness([...parts.liveness.values()], delta);
    for (const d of delta) log.info(d.healthy ? 'endpoint up' : 'endpoint down', { endpoint: d.endpoint, reason: d.reason, agent: d.agent });
  }

  /** A worker that missed a route delta gets the node's snapshot and deltas, once this thread has that version. */
  #behind(index: number, version: number, ask: boolean): void {
    if (this.#ledger.version >= version) this.#d.pool.resend(index);
    else if (ask) void this.#d.pool.requestRoutes().then(() => this.#tell({ type: 'node.v1.worker-behind', index, version }));
    else this.#resync(`worker ${index} missed route delta v${version}`);
  }

  #fromWorker(w: FromWorker): void {
    switch (w.type) {
      case 'worker.v1.applied': return this.#applier.applied(w);
      case 'worker.v1.rejected': return this.#applier.rejected(w);
      case 'worker.v1.routes': return this.#applier.recordRoutes(w.index, w.routes);
      case 'worker.v1.nack': return this.#applier.workerNack(w);
      case 'worker.v1.stats': return this.#d.parts.stats.report(w.index, w);
      case 'worker.v1.gap':
        this.#d.log.info('a worker missed a route delta: sending it the node\'s snapshot', { worker: w.index, delta: w.version, base: w.base, have: w.have, ...(w.error ? { error: w.error } : {}) });
        return this.#behind(w.index, w.version, true);
    }
  }
}
