import type { KeyObject } from 'node:crypto';
import type { ActorRef, Behavior, Transport } from '@meshgate/actors';
import {
  MessageType, SnapshotClient, nodeSubject,
  type EndpointsDeltaMessage, type HeartbeatMessage, type KvLike, type LivenessMessage, type RoutesDeltaMessage,
  type SnapshotMessage, type SnapshotRefMessage, type Subjects,
} from '@meshgate/protocol';
import type { Logger, Tracing } from '@meshgate/telemetry';
import type { LastKnownGood } from './last-known-good.ts';
import { LivenessView } from './liveness-view.ts';
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
  const { parts, pool, log, transport, subjects, nodeId } = deps;
  const { ledger, outcome } = parts;
  // Looks for a newer snapshot each tick until there is one, then every 5th (the KV store's head).
  const client = new SnapshotClient({
    transport, latestSubject: subjects.snapshotGet, emptyEvery: 1, every: 5,
    ...(deps.trustKey ? { trustKey: deps.trustKey } : {}), ...(deps.store ? { store: deps.store } : {}),
  });
  let self: ActorRef<NodeMsg> | undefined;
  const tell = (m: NodeMsg) => self?.tell(m);

  let warnedAt = 0;
  /** Fetches off the mailbox (a request may wait seconds while NATS is away) and tells the actor what it found. */
  const resync = (reason: string) => client.catchUp(ledger.version, (snap) => {
    if (snap.version <= ledger.version) return;
    log.info('resync', { reason, version: snap.version, had: ledger.version });
    tell({ type: 'node.v1.snapshot', snapshot: snap, source: 'pull' });
  }, (err) => {
    if (ledger.version === 0 && Date.now() - warnedAt > 5_000) {
      log.warn('no snapshot yet: is the config service running?', { error: err.message });
      warnedAt = Date.now();
    }
  });

  const upkeep = new NodeUpkeep({ nodeId, ledger, client, lastKnownGood: deps.lastKnownGood, onStored: (snapshot) => tell({ type: 'node.v1.lkg-snapshot', snapshot }) });
  const applier = new NodeApplier({
    nodeId, transport, subjects, pool, log, client, parts, upkeep, tracing: deps.tracing, lastKnownGood: deps.lastKnownGood,
    resync, compact: () => tell({ type: 'node.v1.compact' }),
  });

  /**
   * Direct mode's periodic check: a stored version newer than this thread's
   * may only be one the workers applied and have not reported yet (they do
   * within a second); it was missed if it still is 2 s later.
   */
  const checkStored = () => client.storedVersion().then((v = 0) => {
    if (v > ledger.version) setTimeout(() => tell({ type: 'node.v1.missed', version: v }), 2_000).unref();
  }, () => {});

  const heartbeat = (s: 'up' | 'leaving') => {
    const hb: HeartbeatMessage = {
      type: MessageType.Heartbeat, nodeId, version: ledger.version, hash: ledger.hash,
      ready: isReady(deps.status), workers: pool.count, admin: deps.adminUrl, state: s, at: Date.now(),
    };
    transport.publish(nodeSubject(subjects.heartbeat, nodeId), hb);
  };

  let ticks = 0;
  const tick = () => {
    ticks++;
    // No snapshot yet, or (every 5 s) a version announced while this node was away: catch up.
    if (client.due(ticks, ledger.version)) {
      if (ledger.version === 0) resync('waiting for a first snapshot');
      else if (deps.store) {
        if (deps.direct) checkStored();
        else resync('periodic check');
      }
    }
    if (!outcome.draining) heartbeat('up');
    if (!parts.acks.pending && upkeep.idle(performance.now())) upkeep.run(true);
  };

  const endpointDelta = (msg: Extract<NodeMsg, { type: 'node.v1.delta' }>) => {
    if (deps.direct && !msg.retried && msg.delta.base > ledger.version) {
      // Likely on a route delta the workers applied and have not reported yet: hear them first.
      void pool.requestRoutes().then(() => tell({ ...msg, retried: true }));
      return;
    }
    applier.endpointDelta(msg.delta);
  };

  const liveness = (msg: Extract<NodeMsg, { type: 'node.v1.liveness' }>) => {
    // Several agents: per endpoint the newest observation wins (liveness-view.ts);
    // parts.liveness is the merged view, workers get only verdicts that flipped.
    const delta = LivenessView.for(parts.liveness).apply(msg.liveness, msg.sender);
    if (delta.length === 0) return;
    pool.setLiveness([...parts.liveness.values()], delta);
    for (const d of delta) log.info(d.healthy ? 'endpoint up' : 'endpoint down', { endpoint: d.endpoint, reason: d.reason, agent: d.agent });
  };

  /** A worker that missed a route delta gets the node's snapshot and deltas, once this thread has that version. */
  const behind = (index: number, version: number, ask: boolean) => {
    if (ledger.version >= version) pool.resend(index);
    else if (ask) void pool.requestRoutes().then(() => tell({ type: 'node.v1.worker-behind', index, version }));
    else resync(`worker ${index} missed route delta v${version}`);
  };

  const fromWorker = (w: FromWorker) => {
    switch (w.type) {
      case 'worker.v1.applied': return applier.applied(w);
      case 'worker.v1.rejected': return applier.rejected(w);
      case 'worker.v1.routes': return applier.recordRoutes(w.index, w.routes);
      case 'worker.v1.nack': return applier.workerNack(w);
      case 'worker.v1.stats': return parts.stats.report(w.index, w);
      case 'worker.v1.gap':
        log.info('a worker missed a route delta: sending it the node\'s snapshot', { worker: w.index, delta: w.version, base: w.base, have: w.have, ...(w.error ? { error: w.error } : {}) });
        return behind(w.index, w.version, true);
    }
  };

  return {
    start(ctx) {
      self = ctx.self;
      applier.restore();
      ctx.self.tell({ type: 'node.v1.resync', reason: 'start' });
    },
    async receive(msg) {
      switch (msg.type) {
        case 'node.v1.snapshot': return applier.snapshot(msg.snapshot, msg.source ?? 'push');
        case 'node.v1.delta': return endpointDelta(msg);
        case 'node.v1.routes': return applier.routeDelta(msg.delta);
        case 'node.v1.lkg-snapshot': return applier.storedSnapshot(msg.snapshot);
        case 'node.v1.ref':
          if (msg.ref.version > ledger.version) resync(`snapshot v${msg.ref.version} is ${msg.ref.bytes} bytes: read from the KV store`);
          return;
        case 'node.v1.resync': return resync(msg.reason);
        case 'node.v1.liveness': return liveness(msg);
        case 'node.v1.worker': return fromWorker(msg.msg);
        case 'node.v1.worker-exit':
          parts.acks.exited(msg.index);
          parts.stats.exited(msg.index);
          log.error('worker exited; starting a replacement with the current snapshot', { worker: msg.index, error: msg.error });
          return;
        case 'node.v1.worker-behind': return behind(msg.index, msg.version, false);
        case 'node.v1.missed':
          if (msg.version > ledger.version) resync(`periodic check: v${msg.version} is stored, this node has v${ledger.version}`);
          return;
        case 'node.v1.tick': return tick();
        case 'node.v1.compact': return upkeep.run(false);
        case 'node.v1.flush': return;
        case 'node.v1.drain':
          outcome.draining = true;
          heartbeat('leaving');
          await transport.flush().catch(() => {});
          return;
      }
    },
  };
}
