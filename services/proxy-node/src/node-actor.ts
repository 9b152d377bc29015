import { createHash, type KeyObject } from 'node:crypto';
import type { Behavior, ActorContext, Transport } from '@meshgate/actors';
import {
  MessageType, unpackSnapshotBody, verifyMessage, keyIdOf, decodeSnapshotContent, decodeEndpointChanges, applyEndpointChanges,
  msgpackCodec, readStoredSnapshot, snapshotValue, nodeSubject, applyRouteChanges, decodeRouteChanges,
  type RoutesDeltaMessage, type RouteChanges,
  type Subjects, type SnapshotMessage, type LivenessMessage, type EndpointLiveness, type HeartbeatMessage,
  type EndpointsDeltaMessage, type SnapshotRefMessage, type AckMessage, type KvLike, type SnapshotContent, type SnapshotHead,
} from '@meshgate/protocol';
import type { LastKnownGood } from './last-known-good.ts';
import { endSpan, startLinkedSpan, traceparentOf, type Logger, type MetricsSnapshot, type Tracing } from '@meshgate/telemetry';
import type { WorkerPool } from './worker-pool.ts';
import type { FromWorker } from './worker/messages.ts';
import type { HeapStats } from './heap-watch.ts';
import { LivenessView } from './liveness-view.ts';
import { spreadLimit } from './spread.ts';

/**
 * Housekeeping that grows with the table size is kept off the path of a
 * change: route deltas are folded into one snapshot for replacement workers,
 * and the last-known-good record re-based on the stored full snapshot, once
 * the node has had no change for IDLE_MS (checked on the heartbeat tick) and
 * holds at least the `idle` count; a node that never idles does it right
 * after an ACK past its `max` count. (On one machine with 50 nodes, every
 * node folding at the same change cost that change a second.) `max` is the
 * base below spread over [base, 2 * base) by node id (spread.ts): every node
 * gets the same deltas, so with one limit for all, a mesh that is never
 * idle still folded everywhere at the same change (at 50 nodes on 2 cores,
 * 105 to 238 ms for that change instead of about 30).
 */
const IDLE_MS = 1_000;
const FOLD_DELTAS = { idle: 32, max: 256 };
const LKG_DELTAS = { idle: 64, max: 256 };

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

/** push: announced on NATS (a stale one is NACKed); pull: asked for (KV or config service); disk: last-known-good. */
export type SnapshotSource = 'push' | 'pull' | 'disk';

export interface NodeState {
  nodeId: string;
  version: number;
  hash: string;
  /** The last snapshot or delta this node refused, and why (NACK). */
  lastNack?: { version: number; error: string; at: number };
  /** Key id of the trusted signing key; '' when unsigned snapshots are accepted. */
  trustedKey: string;
  /** Where the current version came from. */
  source?: SnapshotSource;
  /** Route deltas a replacement worker would apply on top of the node's last full snapshot (folded when the node is quiet). */
  routeDeltas: number;
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
  /** Each worker's V8 heap (latest stats message; heap-watch.ts). */
  workerHeaps: (HeapStats | undefined)[];
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
 * NATS, verifies and decompresses a snapshot once, hands it to every worker,
 * tracks what each worker applied, heartbeats. Requests never touch it.
 */
export function nodeActor(deps: NodeActorDeps): Behavior<NodeMsg> {
  const { state, pool, log, transport, subjects } = deps;

  const trustId = deps.trustKey ? keyIdOf(deps.trustKey) : '';
  /** This node's hard limits (see FOLD_DELTAS). */
  const foldAt = { idle: FOLD_DELTAS.idle, max: spreadLimit(FOLD_DELTAS.max, state.nodeId) };
  const rebaseAt = { idle: LKG_DELTAS.idle, max: spreadLimit(LKG_DELTAS.max, `${state.nodeId}/lkg`) };
  /** The packed content of the last full snapshot (replacement workers and endpoint deltas start from it). */
  let currentPacked: Uint8Array | undefined;
  /** Route deltas applied since `currentPacked`, in order. */
  let routeDeltas: RouteChanges[] = [];
  /**
   * `currentPacked` decoded, with the first `contentAt` of `routeDeltas`
   * applied: made and brought up to date only when needed (an endpoint
   * delta, a fold), never on a route delta's path.
   */
  let currentContent: SnapshotContent | undefined;
  let contentAt = 0;
  const contentNow = (): SnapshotContent => {
    if (!currentContent) { currentContent = decodeSnapshotContent<SnapshotContent>(currentPacked!); contentAt = 0; }
    if (contentAt < routeDeltas.length) currentContent = applyRouteChanges(currentContent, ...routeDeltas.slice(contentAt));
    contentAt = routeDeltas.length;
    return currentContent;
  };
  /** When the last version was handed to the workers (housekeeping waits for a quiet node). */
  let lastChangeAt = 0;
  /** The version handed to the workers and not yet applied by all of them: ACK and save it once they have. */
  let pending: { version: number; hash: string; since: number; previous: number; save?: () => void; span?: ReturnType<typeof startLinkedSpan>; servingAt?: number } | undefined;
  let ticks = 0;

  const publishAck = (a: Omit<AckMessage, 'type' | 'nodeId' | 'at'>) => {
    try { transport.publish(nodeSubject(subjects.ack, state.nodeId), { type: MessageType.Ack, nodeId: state.nodeId, at: Date.now(), ...a } satisfies AckMessage); } catch { /* not connected: heartbeats carry the version */ }
  };

  const nack = (refused: number, error: string, source: SnapshotSource) => {
    state.lastError = error;
    state.lastNack = { version: refused, error, at: Date.now() };
    log.error('snapshot refused; keeping the current one', { version: refused, kept: state.version, error, source });
    if (source !== 'disk') publishAck({ ok: false, version: state.version, hash: state.hash, refused, error });
  };

  const serve = (version: number, hash: string, packed: Uint8Array, source: SnapshotSource, save?: () => void, traceparent?: string) => {
    if (pending?.span) endSpan(pending.span, new Error(`superseded by v${version}`));
    // Joins the config service's publish span (one trace per change, every node in it).
    const span = startLinkedSpan(deps.tracing, 'snapshot apply', traceparent, { 'meshgate.node': state.nodeId, 'meshgate.snapshot.version': version, 'meshgate.snapshot.source': source, 'meshgate.workers': pool.count });
    pending = { version, hash, since: performance.now(), previous: state.version, ...(save ? { save } : {}), ...(span ? { span } : {}) };
    state.version = version;
    state.hash = hash;
    state.source = source;
    currentPacked = packed;
    currentContent = undefined;
    contentAt = 0;
    routeDeltas = [];
    state.routeDeltas = 0;
    lastChangeAt = performance.now();
    const tp = traceparentOf(span);
    pool.setSnapshot({ version, hash, packed, ...(tp ? { traceparent: tp } : {}) });
  };

  /** The node's version is now the delta's; it is kept for replacement workers and folds (see `routeDeltas`). */
  const holdRouteDelta = (d: RoutesDeltaMessage, changes: RouteChanges) => {
    state.version = d.version;
    state.hash = d.hash;
    state.source = 'push';
    routeDeltas.push(changes);
    state.routeDeltas = routeDeltas.length;
    lastChangeAt = performance.now();
  };

  /** Every worker patches its route table with a verified route delta; no snapshot is decoded or compiled. */
  const serveRoutes = (d: RoutesDeltaMessage, changes: RouteChanges) => {
    if (pending?.span) endSpan(pending.span, new Error(`superseded by v${d.version}`));
    const span = startLinkedSpan(deps.tracing, 'snapshot apply', d.traceparent, { 'meshgate.node': state.nodeId, 'meshgate.snapshot.version': d.version, 'meshgate.snapshot.source': 'push', 'meshgate.snapshot.delta': 'routes', 'meshgate.workers': pool.count });
    pending = { version: d.version, hash: d.hash, since: performance.now(), previous: state.version, save: () => deps.lastKnownGood?.saveDelta(d), ...(span ? { span } : {}) };
    holdRouteDelta(d, changes);
    const tp = traceparentOf(span);
    pool.applyDelta({ version: d.version, base: d.base, hash: d.hash, changes, ...(tp ? { traceparent: tp } : {}) });
  };

  /** Folds the route deltas into one snapshot for replacement workers (running workers already serve it). */
  const fold = () => {
    if (routeDeltas.length === 0) return;
    const content = contentNow();
    currentPacked = msgpackCodec.encode(content);
    routeDeltas = [];
    contentAt = 0;
    state.routeDeltas = 0;
    pool.rebase({ version: state.version, hash: state.hash, packed: currentPacked });
  };

  /** Folding and re-basing the last-known-good record: on a quiet node, or past the hard limits (see IDLE_MS). */
  const housekeeping = (ctx: ActorContext<NodeMsg>, idle: boolean) => {
    const limit = idle ? 'idle' : 'max';
    if (routeDeltas.length >= foldAt[limit]) fold();
    rebaseLastKnownGood(ctx, rebaseAt[limit]);
  };

  /**
   * Whether a delta sits on this node's version: an old one is NACKed as
   * stale (the same one twice is ignored); one over a gap (this node missed a
   * version, or has none) starts a full resync, as deltas never patch a gap.
   */
  const appliesNow = (ctx: ActorContext<NodeMsg>, d: { version: number; base: number }, kind: string): boolean => {
    if (d.version <= state.version) {
      if (d.version < state.version) nack(d.version, `stale ${kind} v${d.version}: v${state.version} is applied`, 'push');
      return false;
    }
    if (d.base !== state.version || !currentPacked) {
      log.info('version gap: full resync', { delta: d.version, base: d.base, have: state.version });
      resync(ctx, `gap: ${kind} v${d.version} is on v${d.base}, this node has v${state.version}`);
      return false;
    }
    return true;
  };

  let rebasing = false;
  /**
   * Route deltas make the last-known-good record grow by one message a
   * change. Past `atDeltas` (LKG_DELTAS), the signed full snapshot of this version is
   * read from the KV store (the config service stores every version) and
   * becomes the record's new base.
   */
  const rebaseLastKnownGood = (ctx: ActorContext<NodeMsg>, atDeltas: number) => {
    const lkg = deps.lastKnownGood;
    if (!lkg || !deps.store || rebasing || lkg.deltaCount < atDeltas) return;
    rebasing = true;
    const version = state.version;
    readStoredSnapshot(deps.store).then((r) => {
      if (r && r.snapshot.version === version) ctx.self.tell({ type: 'node.v1.lkg-snapshot', snapshot: r.snapshot });
    }, () => {}).finally(() => { rebasing = false; });
  };

  let warnedAt = 0;
  /** The newest snapshot there is, from the KV store (no config service needed) or else the config service. */
  const fetchLatest = async (): Promise<SnapshotMessage | undefined> => {
    if (deps.store) {
      try {
        const head = await snapshotValue(deps.store, 'reader').readHead<SnapshotHead>();
        if (head && head.head.version <= state.version) return undefined;
        if (head) return (await readStoredSnapshot(deps.store))?.snapshot;
      } catch {
        // No KV (yet): ask the config service.
      }
    }
    try {
      const r = await transport.request<SnapshotMessage | SnapshotRefMessage | { type: 'none' }>(subjects.snapshotGet, { type: MessageType.SnapshotGet, have: state.version }, 2_000);
      if (r?.type === MessageType.Snapshot) return r;
      if (r?.type === MessageType.SnapshotRef && deps.store) return (await readStoredSnapshot(deps.store))?.snapshot;
    } catch (err) {
      if (state.version === 0 && Date.now() - warnedAt > 5_000) {
        log.warn('no snapshot yet: is the config service running?', { error: (err as Error).message });
        warnedAt = Date.now();
      }
    }
    return undefined;
  };

  let fetching = false;
  /** Fetches off the mailbox (a request may wait seconds while NATS is away) and tells the actor what it found. */
  const resync = (ctx: ActorContext<NodeMsg>, reason: string) => {
    if (fetching) return;
    fetching = true;
    fetchLatest().then((snap) => {
      if (snap && snap.version > state.version) {
        log.info('resync', { reason, version: snap.version, had: state.version });
        ctx.self.tell({ type: 'node.v1.snapshot', snapshot: snap, source: 'pull' });
      }
    }, () => {}).finally(() => { fetching = false; });
  };

  const packedHash = (packed: Uint8Array) => createHash('sha256').update(packed).digest('hex');

  /** Verifies and unpacks a full snapshot; throws with the reason to NACK. */
  const openSnapshot = (snap: SnapshotMessage): Uint8Array => {
    verifyMessage(snap, deps.trustKey, trustId);
    return unpackSnapshotBody(snap);
  };

  /**
   * Verifies a delta and applies it to `content`; throws when it does not
   * produce the announced hash. Endpoint deltas on the live path; route
   * deltas only when restoring from disk (live ones are patched, not hashed).
   */
  const openDelta = (d: EndpointsDeltaMessage | RoutesDeltaMessage, content: SnapshotContent): { packed: Uint8Array; content: SnapshotContent } => {
    verifyMessage(d, deps.trustKey, trustId);
    const routes = d.type === MessageType.RoutesDelta;
    const next = routes ? applyRouteChanges(content, decodeRouteChanges(d)) : applyEndpointChanges(content, decodeEndpointChanges(d));
    const packed = msgpackCodec.encode(next);
    const hash = packedHash(packed);
    if (hash !== d.hash) throw new Error(`${routes ? 'route' : 'endpoint'} delta v${d.version} does not give the announced content (hash ${hash.slice(0, 12)} != ${d.hash.slice(0, 12)})`);
    return { packed, content: next };
  };

  /** Serves the last-known-good snapshot from --state-dir, before NATS is asked anything. */
  const restoreFromDisk = () => {
    const lkg = deps.lastKnownGood;
    if (!lkg) return;
    let record;
    try {
      record = lkg.load();
    } catch (err) {
      log.error('cannot read the last-known-good snapshot; starting without it', { file: lkg.file, error: (err as Error).message });
      return;
    }
    if (!record) return;
    try {
      let packed = openSnapshot(record.snapshot);
      let version = record.snapshot.version;
      let hash = record.snapshot.hash;
      let content: SnapshotContent | undefined;
      for (const d of record.deltas) {
        content ??= decodeSnapshotContent<SnapshotContent>(packed);
        const r = openDelta(d, content);
        packed = r.packed; content = r.content; version = d.version; hash = d.hash;
      }
      serve(version, hash, packed, 'disk');
      log.info('serving the last-known-good snapshot from disk', { version, hash: hash.slice(0, 12), file: lkg.file });
    } catch (err) {
      nack(record.snapshot.version, `last-known-good snapshot in ${lkg.file} refused: ${(err as Error).message}`, 'disk');
    }
  };

  /**
   * Direct mode: route deltas the workers applied from NATS (and ACKed), as
   * a worker reports them. The first report of a version records it (state,
   * the deltas a replacement worker gets, the last-known-good record); other
   * workers still behind it get it from here. One this thread cannot place
   * on its version (it resynced meanwhile, or missed one) is left to a
   * resync.
   */
  const recordRoutes = (ctx: ActorContext<NodeMsg>, index: number, routes: RoutesDeltaMessage[]) => {
    for (const d of routes) {
      state.workerVersions[index] = Math.max(state.workerVersions[index] ?? 0, d.version);
      if (d.version <= state.version) continue;
      if (d.base !== state.version || !currentPacked) {
        resync(ctx, `worker ${index} applied route delta v${d.version} on v${d.base}; this node has v${state.version}`);
        return;
      }
      let changes: RouteChanges;
      try {
        changes = decodeRouteChanges(d);
      } catch (err) {
        log.error('a worker reported a route delta that does not decode', { worker: index, version: d.version, error: (err as Error).message });
        return;
      }
      holdRouteDelta(d, changes);
      const behind = state.workerVersions.flatMap((v, i) => (v < d.version ? [i] : []));
      pool.applyDelta({ version: d.version, base: d.base, hash: d.hash, changes }, behind);
      const save = () => deps.lastKnownGood?.saveDelta(d);
      if (pending?.save) {
        // After the pending version's own record, which this delta sits on.
        const first = pending.save;
        pending.save = () => { first(); save(); };
      } else {
        try { save(); } catch (err) { log.error('cannot write the last-known-good snapshot', { error: (err as Error).message }); }
      }
      state.lastError = undefined;
      log.info('route delta applied by the workers', { version: d.version, base: d.base, worker: index });
    }
    if (routeDeltas.length >= foldAt.max || (deps.lastKnownGood?.deltaCount ?? 0) >= rebaseAt.max) ctx.self.tell({ type: 'node.v1.compact' });
  };

  /**
   * Direct mode's periodic check: a stored version newer than this thread's
   * may only be one the workers applied and have not reported yet (they do
   * within a second); it was missed if it still is 2 s later.
   */
  const checkStored = (ctx: ActorContext<NodeMsg>) => {
    if (!deps.store) return;
    snapshotValue(deps.store, 'reader').readHead<SnapshotHead>().then((head) => {
      const v = head?.head.version ?? 0;
      if (v > state.version) setTimeout(() => ctx.self.tell({ type: 'node.v1.missed', version: v }), 2_000).unref();
    }, () => {});
  };

  const heartbeat = (s: 'up' | 'leaving') => {
    const hb: HeartbeatMessage = {
      type: MessageType.Heartbeat, nodeId: state.nodeId, version: state.version, hash: state.hash,
      ready: isReady(state), workers: pool.count, admin: deps.adminUrl, state: s, at: Date.now(),
    };
    transport.publish(nodeSubject(subjects.heartbeat, state.nodeId), hb);
  };

  return {
    start(ctx) {
      restoreFromDisk();
      ctx.self.tell({ type: 'node.v1.resync', reason: 'start' });
    },
    async receive(msg, ctx) {
      switch (msg.type) {
        case 'node.v1.snapshot': {
          const snap = msg.snapshot;
          const source = msg.source ?? 'push';
          if (snap.version <= state.version) {
            if (snap.version === state.version && snap.hash === state.hash) return; // the same one twice (push and pull)
            // A replayed or conflicting old version: refused, so the config service sees it.
            if (source === 'push') nack(snap.version, snap.version === state.version ? `snapshot v${snap.version} conflicts with the applied one (hash ${snap.hash.slice(0, 12)} != ${state.hash.slice(0, 12)})` : `stale snapshot v${snap.version}: v${state.version} is applied`, source);
            return;
          }
          let packed: Uint8Array;
          try {
            packed = openSnapshot(snap);
          } catch (err) {
            nack(snap.version, (err as Error).message, source);
            return;
          }
          serve(snap.version, snap.hash, packed, source, () => deps.lastKnownGood?.saveSnapshot(snap), snap.traceparent);
          log.info('snapshot received', { version: snap.version, hash: snap.hash.slice(0, 12), bytes: snap.body.length, source, signed: snap.keyId ?? 'no' });
          return;
        }
        case 'node.v1.delta': {
          const d = msg.delta;
          if (deps.direct && !msg.retried && d.base > state.version) {
            // Likely on a route delta the workers applied and have not reported yet: hear them first.
            void pool.requestRoutes().then(() => ctx.self.tell({ ...msg, retried: true }));
            return;
          }
          if (!appliesNow(ctx, d, 'endpoint delta')) return;
          let r;
          try {
            r = openDelta(d, contentNow());
          } catch (err) {
            nack(d.version, (err as Error).message, 'push');
            return;
          }
          serve(d.version, d.hash, r.packed, 'push', () => deps.lastKnownGood?.saveDelta(d), d.traceparent);
          currentContent = r.content;
          log.info('endpoint delta applied', { version: d.version, base: d.base, bytes: d.body.length });
          return;
        }
        case 'node.v1.routes': {
          const d = msg.delta;
          if (!appliesNow(ctx, d, 'route delta')) return;
          let changes: RouteChanges;
          try {
            verifyMessage(d, deps.trustKey, trustId);
            changes = decodeRouteChanges(d);
          } catch (err) {
            nack(d.version, (err as Error).message, 'push');
            return;
          }
          serveRoutes(d, changes);
          log.info('route delta received', { version: d.version, base: d.base, bytes: d.body.length, rules: changes.addedRules.length + changes.removedRules.length });
          return;
        }
        case 'node.v1.lkg-snapshot': {
          const snap = msg.snapshot;
          if (snap.version !== state.version || snap.hash !== state.hash || pending) return; // moved on meanwhile
          try {
            openSnapshot(snap); // as verified as any snapshot this node serves
            deps.lastKnownGood?.saveSnapshot(snap);
          } catch (err) {
            log.warn('the stored snapshot does not verify; the last-known-good record keeps its deltas', { version: snap.version, error: (err as Error).message });
          }
          return;
        }
        case 'node.v1.ref':
          if (msg.ref.version > state.version) resync(ctx, `snapshot v${msg.ref.version} is ${msg.ref.bytes} bytes: read from the KV store`);
          return;
        case 'node.v1.resync':
          resync(ctx, msg.reason);
          return;
        case 'node.v1.liveness': {
          // Several agents: per endpoint the newest observation wins (liveness-view.ts);
          // state.liveness is the merged view, workers get only verdicts that flipped.
          const delta = LivenessView.for(state.liveness).apply(msg.liveness, msg.sender);
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
            // A worker may be past the pending version (direct mode: it took newer route deltas from NATS).
            if (pending && w.version >= pending.version) pending.servingAt = Math.max(pending.servingAt ?? 0, w.at);
            if (pending && state.workerVersions.every((v) => v >= pending!.version)) {
              const applyMs = performance.now() - pending.since;
              log.info('snapshot applied in every worker', { version: pending.version, applyMs: Math.round(applyMs * 10) / 10 });
              publishAck({ ok: true, version: pending.version, hash: pending.hash, applyMs, ...(pending.servingAt ? { servingAt: pending.servingAt } : {}) });
              try { pending.save?.(); } catch (err) { log.error('cannot write the last-known-good snapshot', { error: (err as Error).message }); }
              // Past the hard limits: right after this ACK is written (its flush is queued first).
              if (routeDeltas.length >= foldAt.max || (deps.lastKnownGood?.deltaCount ?? 0) >= rebaseAt.max) ctx.self.tell({ type: 'node.v1.compact' });
              state.lastError = undefined;
              pending.span?.setAttribute('meshgate.apply_ms', applyMs);
              endSpan(pending.span);
              pending = undefined;
            }
          } else if (w.type === 'worker.v1.rejected') {
            if (routeDeltas.length > 0 && pending?.version === w.version && w.version === state.version) {
              // A worker that cannot patch (it missed a version): every worker gets the whole content instead.
              log.warn('a worker refused a route delta; sending the whole snapshot', { worker: w.index, version: w.version, error: w.error });
              serve(state.version, state.hash, msgpackCodec.encode(contentNow()), state.source ?? 'push', pending.save);
              return;
            }
            state.lastError = w.error;
            log.error('worker rejected snapshot; it keeps its previous one', { worker: w.index, version: w.version, error: w.error });
            if (pending?.version === w.version) {
              state.lastNack = { version: w.version, error: w.error, at: Date.now() };
              publishAck({ ok: false, version: pending.previous, hash: state.hash, refused: w.version, error: `worker ${w.index}: ${w.error}` });
              endSpan(pending.span, new Error(`worker ${w.index}: ${w.error}`));
              pending = undefined;
            }
          } else if (w.type === 'worker.v1.routes') {
            recordRoutes(ctx, w.index, w.routes);
          } else if (w.type === 'worker.v1.gap') {
            log.info('a worker missed a route delta: sending it the node\'s snapshot', { worker: w.index, delta: w.version, base: w.base, have: w.have, ...(w.error ? { error: w.error } : {}) });
            if (state.version >= w.version) pool.resend(w.index);
            else void pool.requestRoutes().then(() => ctx.self.tell({ type: 'node.v1.worker-behind', index: w.index, version: w.version }));
          } else if (w.type === 'worker.v1.nack') {
            // The worker NACKed it on NATS itself.
            state.lastError = w.error;
            state.lastNack = { version: w.refused, error: w.error, at: Date.now() };
            log.error('route delta refused; keeping the current one', { worker: w.index, version: w.refused, kept: w.kept, error: w.error, source: 'push' });
          } else if (w.type === 'worker.v1.stats') {
            state.requests[w.index] = w.requests;
            state.metrics[w.index] = (w as { metrics?: MetricsSnapshot }).metrics;
            state.open[w.index] = w.open;
            if (w.heap) state.workerHeaps[w.index] = w.heap;
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
        case 'node.v1.worker-behind':
          if (state.version >= msg.version) pool.resend(msg.index);
          else resync(ctx, `worker ${msg.index} missed route delta v${msg.version}`);
          return;
        case 'node.v1.missed':
          if (msg.version > state.version) resync(ctx, `periodic check: v${msg.version} is stored, this node has v${state.version}`);
          return;
        case 'node.v1.tick':
          ticks++;
          // No snapshot yet, or (every 5 s) a version announced while this node was away: catch up.
          if (state.version === 0) resync(ctx, 'waiting for a first snapshot');
          else if (deps.store && ticks % 5 === 0) {
            if (deps.direct) checkStored(ctx);
            else resync(ctx, 'periodic check');
          }
          if (!state.draining) heartbeat('up');
          if (!pending && performance.now() - lastChangeAt >= IDLE_MS) housekeeping(ctx, true);
          return;
        case 'node.v1.compact':
          housekeeping(ctx, false);
          return;
        case 'node.v1.flush':
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
