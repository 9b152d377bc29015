import os from 'node:os';
import type { KeyObject } from 'node:crypto';
import type http from 'node:http';
import { ActorSystem, type NatsSecurity, type Transport } from '@meshgate/actors';
import { MessageType, keyIdOf, nodeSubject, subjects as makeSubjects, nodeIdProblem, toNodeId, type Subjects, type EndpointsDeltaMessage, type RoutesDeltaMessage, type KvLike, type LivenessMessage, type SnapshotMessage, type SnapshotRefMessage } from '@meshgate/protocol';
import { startTracing, type Logger } from '@meshgate/telemetry';
import { WorkerPool } from './worker-pool.ts';
import { nodeActor, type NodeMsg } from './node-actor.ts';
import type { ApplySpan } from './node-apply.ts';
import { createNodeParts, isReady, statusJson, statusView, type NodeStatus } from './node-status.ts';
import { startAdminServer } from './admin-server.ts';
import { renderMetrics } from './metrics.ts';
import { watchHeap } from './heap-watch.ts';
import { LastKnownGood } from './last-known-good.ts';
import { LivenessGuard } from './liveness-guard.ts';
import type { DataPlaneLimits, ListenAddress } from './worker/messages.ts';
import { LimitTable } from './limit-table.ts';
import { LimitExchange } from './limit-exchange.ts';

export interface ProxyNodeOptions {
  transport: Transport;
  log: Logger;
  nodeId?: string;
  http: ListenAddress;
  https?: ListenAddress;
  admin: ListenAddress;
  workers?: number;
  subjectPrefix?: string;
  heartbeatMs?: number;
  drainMs?: number;
  /** Ed25519 public key (--trust-key): only snapshots signed with its private half are applied. */
  trustKey?: KeyObject;
  /** Ed25519 public keys of the health agents (--agent-trust-key): only liveness signed by one of them is applied. */
  agentTrustKeys?: readonly KeyObject[];
  /** The durable latest snapshot (JetStream KV), read on join and resync. */
  store?: KvLike;
  /** --state-dir: the last-known-good snapshot is kept there and served at start. */
  stateDir?: string;
  /**
   * The NATS servers and credentials `transport` uses: given, each worker
   * connects too and takes route deltas straight from NATS (WorkerControl in
   * worker/messages.ts). Without it the main thread hands every change over.
   */
  workerNats?: { servers: string[]; security?: NatsSecurity; name: string };
  /** Data-plane limits and policies (the proxy's flags: path strictness, trusted proxies, TLS profile, timeouts, sizes, access log); unset ones: defaults. */
  limits?: Partial<DataPlaneLimits>;
}

export interface ProxyNode {
  readonly nodeId: string;
  readonly adminUrl: string;
  /** Read-only: what /status shows. */
  readonly state: NodeStatus;
  ready(): boolean;
  /** Resolves once every worker serves a snapshot (or rejects after timeoutMs). */
  whenReady(timeoutMs?: number): Promise<void>;
  /** Drain: /readyz turns 503, a 'leaving' heartbeat, listeners close, in-flight requests finish (bounded). */
  stop(): Promise<void>;
}

export async function startProxyNode(opts: ProxyNodeOptions): Promise<ProxyNode> {
  const nodeId = nodeIdOf(opts.nodeId);
  const workers = opts.workers ?? os.availableParallelism();
  const log = opts.log.child({ node: nodeId });
  const subjects = makeSubjects(opts.subjectPrefix);
  const parts = createNodeParts<ApplySpan>(workers);
  const state = statusView(nodeId, opts.trustKey ? keyIdOf(opts.trustKey) : '', parts);
  if (!opts.trustKey) log.warn('no --trust-key: unsigned snapshots are accepted; pass the config service\'s public key to refuse forged ones');
  const livenessGuard = new LivenessGuard(opts.agentTrustKeys, log);
  const lastKnownGood = opts.stateDir ? new LastKnownGood(opts.stateDir) : undefined;
  const system = new ActorSystem({
    name: 'proxy-node',
    onEvent: (e) => { if (e.type === 'actor.crashed') log.error('actor crashed', { actor: e.name, error: String(e.error) }); },
  });

  const nats = { up: true };
  const node = { ref: undefined as undefined | { tell(m: NodeMsg): void; ask<R>(m: NodeMsg, t?: number): Promise<R> } };
  const direct = opts.workerNats !== undefined;
  // Rate-limit counters shared by the workers; cluster-wide limits are balanced with the other nodes by the exchange.
  const limitTable = LimitTable.create();
  const limitExchange = new LimitExchange({ table: limitTable, transport: opts.transport, subject: subjects.limits, nodeId, log });
  const pool = new WorkerPool({
    count: workers, nodeId, http: opts.http, https: opts.https, log, ...(opts.limits ? { limits: opts.limits } : {}), limitTable: limitTable.buffer,
    ...(opts.workerNats ? {
      control: {
        ...opts.workerNats, routesSubject: subjects.routes, ackSubject: nodeSubject(subjects.ack, nodeId), workers,
        ...(opts.trustKey ? { trustKey: new Uint8Array(opts.trustKey.export({ format: 'der', type: 'spki' })) } : {}),
      },
    } : {}),
    current: () => parts.ledger.applied(),
    onMessage: (msg) => node.ref?.tell({ type: 'node.v1.worker', msg }),
    onWorkerExit: (index, error) => node.ref?.tell({ type: 'node.v1.worker-exit', index, error: String((error as Error)?.message ?? error) }),
  });

  /**
   * The workers' statistics reach this thread each second while they
   * change (every 10 s when idle) and, in direct mode, the route deltas they
   * applied come with them. /status, /metrics and a stop ask for both
   * first, so what they show (and the last-known-good record) is current.
   */
  const sync = async () => {
    await pool.requestRoutes();
    await node.ref?.ask({ type: 'node.v1.flush' }, 2_000);
  };
  const mainHeap = watchHeap();
  const { admin, adminUrl } = await startAdmin(opts.admin, state, { sync, mainHeap, nats, killWorker: (index) => pool.terminateWorker(index) });

  // The main thread's own SDK (control-plane spans); each worker has its own for requests.
  const tracing = startTracing({ serviceName: 'meshgate-proxy', instanceId: nodeId, attributes: { 'meshgate.thread': 'main' } });
  const ref = await system.spawnAndStart<NodeMsg>('node', () => nodeActor({
    nodeId, transport: opts.transport, subjects, pool, log, adminUrl, parts, status: state, ...(tracing ? { tracing } : {}),
    ...(opts.trustKey ? { trustKey: opts.trustKey } : {}), ...(opts.store ? { store: opts.store } : {}), ...(lastKnownGood ? { lastKnownGood } : {}), direct,
  }));
  node.ref = ref;
  pool.start();

  const subs = subscribe(opts.transport, subjects, ref, { direct, livenessGuard, nats, onNats: (up) => limitExchange.connected(up) });
  const tick = setInterval(() => ref.tell({ type: 'node.v1.tick' }), opts.heartbeatMs ?? 1_000);
  log.info('proxy node started', { workers, http: `${opts.http.host}:${opts.http.port}`, https: opts.https ? `${opts.https.host}:${opts.https.port}` : undefined, admin: adminUrl });

  let stopped: Promise<void> | undefined;
  return {
    nodeId, adminUrl, state,
    ready: () => isReady(state),
    whenReady: (timeoutMs = 15_000) => whenReady(state, timeoutMs),
    stop() {
      stopped ??= (async () => {
        clearInterval(tick);
        await sync().catch(() => {});
        await ref.ask({ type: 'node.v1.drain' }).catch(() => {});
        for (const s of subs) s.unsubscribe();
        limitExchange.stop();
        await pool.drain(opts.drainMs ?? 5_000);
        await system.shutdown();
        await tracing?.shutdown().catch(() => {});
        await new Promise<void>((r) => { admin.close(() => r()); admin.closeAllConnections(); });
        mainHeap.stop();
        log.info('proxy node stopped');
      })();
      return stopped;
    },
  };
}

function nodeIdOf(given: string | undefined): string {
  const nodeId = given ?? toNodeId(`${os.hostname()}-${process.pid}`);
  const badId = nodeIdProblem(nodeId);
  if (badId) throw new Error(`node id ${JSON.stringify(nodeId)} ${badId}`);
  return nodeId;
}

async function whenReady(state: NodeStatus, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!isReady(state)) {
    if (Date.now() > deadline) throw new Error(`proxy node ${state.nodeId} not ready after ${timeoutMs} ms (snapshot v${state.version}, workers ${state.workerVersions.join(',')}${state.lastError ? `, last error: ${state.lastError}` : ''})`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** The admin listener (admin-server.ts) over the node's status view. */
async function startAdmin(addr: ListenAddress, state: NodeStatus, o: { sync(): Promise<void>; mainHeap: ReturnType<typeof watchHeap>; nats: { up: boolean }; killWorker(index: number): Promise<boolean> }): Promise<{ admin: http.Server; adminUrl: string }> {
  const admin = await startAdminServer(addr, {
    sync: o.sync,
    get ready() { return isReady(state); },
    get draining() { return state.draining; },
    metrics: () => renderMetrics(state, () => o.nats.up, o.mainHeap.stats()),
    status: () => ({ ...statusJson(state), memory: { rssBytes: process.memoryUsage.rss(), mainHeap: o.mainHeap.stats() } }),
    killWorker: o.killWorker,
  });
  const a = admin.address();
  return { admin, adminUrl: typeof a === 'object' && a ? `http://${addr.host}:${a.port}` : '' };
}

/** What the node hears on NATS, to its actor; `nats.up` follows the connection, as does `onNats` (the limit exchange). */
function subscribe(transport: Transport, subjects: Subjects, ref: { tell(m: NodeMsg): void }, o: { direct: boolean; livenessGuard: LivenessGuard; nats: { up: boolean }; onNats(up: boolean): void }): { unsubscribe(): void }[] {
  const subs = [
    transport.subscribe(subjects.snapshot, (m) => {
      const d = m.data as SnapshotMessage | SnapshotRefMessage;
      if (d?.type === MessageType.Snapshot) ref.tell({ type: 'node.v1.snapshot', snapshot: d });
      else if (d?.type === MessageType.SnapshotRef) ref.tell({ type: 'node.v1.ref', ref: d });
    }),
    transport.subscribe(subjects.endpoints, (m) => {
      const d = m.data as EndpointsDeltaMessage;
      if (d?.type === MessageType.EndpointsDelta) ref.tell({ type: 'node.v1.delta', delta: d });
    }),
    // Direct mode: the workers subscribe to route deltas themselves.
    ...(o.direct ? [] : [transport.subscribe(subjects.routes, (m) => {
      const d = m.data as RoutesDeltaMessage;
      if (d?.type === MessageType.RoutesDelta) ref.tell({ type: 'node.v1.routes', delta: d });
    })]),
    transport.subscribe(subjects.liveness, (m) => {
      const l = m.data as LivenessMessage;
      if (l?.type !== MessageType.Liveness) return;
      // Signature and replay checks here, before the actor: a refused message never reaches the merged view.
      const sender = o.livenessGuard.admit(l);
      if (sender !== undefined) ref.tell({ type: 'node.v1.liveness', liveness: l, sender });
    }),
  ];
  if ('onStatus' in transport) {
    (transport as { onStatus(cb: (s: { type: string }) => void): void }).onStatus((s) => {
      if (s.type === 'disconnect') { o.nats.up = false; o.onNats(false); }
      // Back (or connected for the first time after starting from disk): catch up on what was missed.
      if (s.type === 'reconnect') { o.nats.up = true; o.onNats(true); ref.tell({ type: 'node.v1.resync', reason: 'nats reconnected' }); }
    });
  }
  return subs;
}
