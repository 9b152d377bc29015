import type { Behavior, ActorContext, Transport } from '@meshgate/actors';
import {
  MessageType, unpackSnapshotBody,
  type Subjects, type SnapshotMessage, type LivenessMessage, type EndpointLiveness, type HeartbeatMessage,
} from '@meshgate/protocol';
import type { Logger, MetricsSnapshot } from '@meshgate/telemetry';
import type { WorkerPool } from './worker-pool.ts';
import type { FromWorker } from './worker/messages.ts';
import { LivenessView } from './liveness-view.ts';

/** What the node actor handles, one at a time. */
export type NodeMsg =
  | { type: 'node.v1.snapshot'; snapshot: SnapshotMessage }
  | { type: 'node.v1.liveness'; liveness: LivenessMessage }
  | { type: 'node.v1.worker'; msg: FromWorker }
  | { type: 'node.v1.worker-exit'; index: number; error: string }
  | { type: 'node.v1.tick' }
  | { type: 'node.v1.drain' };

export interface NodeState {
  nodeId: string;
  version: number;
  hash: string;
  /** Version applied by each worker (0 = none yet). */
  workerVersions: number[];
  lastError?: string;
  draining: boolean;
  liveness: Map<string, EndpointLiveness>;
  requests: Record<string, number>[];
  open: number[];
  applyMs: number;
  workerRestarts: number;
  /** Each worker's cumulative metrics (latest stats message). */
  metrics: (MetricsSnapshot | undefined)[];
  /** Metrics of workers that died, so totals never go backwards when one is replaced. */
  retiredMetrics: MetricsSnapshot[];
}

export interface NodeActorDeps {
  nodeId: string;
  transport: Transport;
  subjects: Subjects;
  pool: WorkerPool;
  log: Logger;
  adminUrl: string;
  /** Shared, read by the admin listener. */
  state: NodeState;
}

/**
 * The node actor, on the main thread: receives snapshots and liveness over
 * NATS, verifies and decompresses a snapshot once, hands it to every worker,
 * tracks what each worker applied, heartbeats. Requests never touch it.
 */
export function nodeActor(deps: NodeActorDeps): Behavior<NodeMsg> {
  const { state, pool, log, transport, subjects } = deps;
  let pendingSince = 0;

  const requestLatest = async (ctx: ActorContext<NodeMsg>) => {
    try {
      const snap = await transport.request<SnapshotMessage | { type: 'none' }>(subjects.snapshotGet, { type: MessageType.SnapshotGet, have: state.version }, 2_000);
      if (snap && snap.type === MessageType.Snapshot) ctx.self.tell({ type: 'node.v1.snapshot', snapshot: snap });
    } catch (err) {
      if (Date.now() - pendingSince > 5_000) {
        log.warn('no snapshot yet: is the config service running?', { error: (err as Error).message });
        pendingSince = Date.now();
      }
    }
  };

  const heartbeat = (s: 'up' | 'leaving') => {
    const hb: HeartbeatMessage = {
      type: MessageType.Heartbeat, nodeId: state.nodeId, version: state.version, hash: state.hash,
      ready: isReady(state), workers: pool.count, admin: deps.adminUrl, state: s, at: Date.now(),
    };
    transport.publish(subjects.heartbeat, hb);
  };

  return {
    start(ctx) {
      pendingSince = Date.now();
      void requestLatest(ctx);
    },
    async receive(msg, ctx) {
      switch (msg.type) {
        case 'node.v1.snapshot': {
          const snap = msg.snapshot;
          if (snap.version <= state.version) return;
          let packed: Uint8Array;
          try {
            packed = unpackSnapshotBody(snap);
          } catch (err) {
            state.lastError = (err as Error).message;
            log.error('snapshot refused; keeping the current one', { version: snap.version, kept: state.version, error: state.lastError });
            return;
          }
          state.version = snap.version;
          state.hash = snap.hash;
          pool.setSnapshot({ version: snap.version, hash: snap.hash, packed });
          log.info('snapshot received', { version: snap.version, hash: snap.hash.slice(0, 12), bytes: snap.body.length });
          return;
        }
        case 'node.v1.liveness': {
          // Several agents: per endpoint the newest observation wins (liveness-view.ts);
          // state.liveness is the merged view, workers get only verdicts that flipped.
          const delta = LivenessView.for(state.liveness).apply(msg.liveness);
          if (delta.length) {
            pool.setLiveness([...state.liveness.values()], delta);
            for (const d of delta) log.info(d.healthy ? 'endpoint up' : 'endpoint down', { endpoint: d.endpoint, reason: d.reason, agent: d.agent });
          }
          return;
        }
        case 'node.v1.worker': {
          const w = msg.msg;
          if (w.type === 'worker.v1.applied') {
            state.workerVersions[w.index] = w.version;
            state.applyMs = w.durationMs;
            if (w.version === state.version && isReady(state)) log.info('snapshot applied in every worker', { version: w.version });
          } else if (w.type === 'worker.v1.rejected') {
            state.lastError = w.error;
            log.error('worker rejected snapshot; it keeps its previous one', { worker: w.index, version: w.version, error: w.error });
          } else if (w.type === 'worker.v1.stats') {
            state.requests[w.index] = w.requests;
            state.metrics[w.index] = (w as { metrics?: MetricsSnapshot }).metrics;
            state.open[w.index] = w.open;
          }
          return;
        }
        case 'node.v1.worker-exit':
          state.workerVersions[msg.index] = 0;
          state.workerRestarts++;
          if (state.metrics[msg.index]) state.retiredMetrics.push(state.metrics[msg.index]!);
          state.metrics[msg.index] = undefined;
          log.error('worker exited; starting a replacement with the current snapshot', { worker: msg.index, error: msg.error });
          return;
        case 'node.v1.tick':
          if (state.version === 0) await requestLatest(ctx);
          if (!state.draining) heartbeat('up');
          return;
        case 'node.v1.drain':
          state.draining = true;
          heartbeat('leaving');
          await transport.flush().catch(() => {});
          return;
      }
    },
  };
}

export function isReady(state: NodeState): boolean {
  return !state.draining && state.version > 0 && state.workerVersions.every((v) => v > 0);
}
