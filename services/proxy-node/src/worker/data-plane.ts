/**
 * Piscina worker entry: one long-running `serve` task per worker thread. Each
 * worker is a complete data plane (listeners with reusePort, TLS, routing,
 * upstream pools), like an Envoy worker; the kernel spreads connections over
 * the workers. The task ends when the node asks it to drain.
 *
 * This file: the config side of a worker (snapshots and deltas compiled and
 * swapped in, statistics to the node). Requests: listeners.ts accepts and
 * parses them, pipeline/ serves them.
 */
import module from 'node:module';
import { threadId } from 'node:worker_threads';
import { Liveness, UpstreamPools } from '@meshgate/upstream';
import { createLogger, endSpan, epochNow, startLinkedSpan, startWorkerTelemetry } from '@meshgate/telemetry';
import { compileSnapshot, endpointIds, patchConfig, type CompiledConfig } from './compiled-config.ts';
import { TlsStore } from './tls-store.ts';
import { startListeners } from './listeners.ts';
import type { PipelineEnv } from './pipeline/pipeline-env.ts';
import { tlsProfileOptions } from './tls-profile.ts';
import { trustedList } from './forwarded.ts';
import { AccessLog } from './access-log.ts';
import type { AppliedDelta, AppliedSnapshot, DataPlaneLimits, FromWorker, ServeTask, ToWorker } from './messages.ts';
import { startRouteFeed } from './route-feed.ts';
import { decodeRouteChanges, encodeRoutesDelta, type RoutesDeltaMessage } from '@meshgate/protocol';
import { watchHeap } from '../heap-watch.ts';
import { acceptRouteDelta } from '../accept-rules.ts';
import { LimitTable } from '../limit-table.ts';
import type { FilterEnv } from './filters/filter.ts';

/** An idle worker still sends its statistics (heap, say) this often. */
const STATS_IDLE_MS = 10_000;
/** Epoch ms with the fraction (Date.now() ticks in whole ms): comparable across the threads and processes of a machine. */
const wallClockNow = epochNow;

export const defaultLimits: DataPlaneLimits = {
  headersTimeoutMs: 30_000,
  maxHeaderSize: 16 * 1024,
  keepAliveTimeoutMs: 65_000,
  accessLog: true,
  pathStrictness: 'strict',
  tlsProfile: 'intermediate',
  // ingress-nginx's proxy-read-timeout, which its users know WebSocket tunnels by.
  tunnelIdleTimeoutMs: 60_000,
};

export default async function serve(task: ServeTask): Promise<string> {
  // This thread's modules are loaded: their compile cache entries go to disk now, for the next worker (bin/meshgate.js).
  module.flushCompileCache?.();
  const { port, index } = task;
  const limits: DataPlaneLimits = { ...defaultLimits, ...task.limits };
  const post = (m: FromWorker) => port.postMessage(m);
  const log = createLogger('meshgate-proxy', { fields: { node: task.nodeId, worker: index } });
  const telemetry = await startWorkerTelemetry({ serviceName: 'meshgate-proxy', nodeId: task.nodeId, worker: index });
  const liveness = new Liveness();
  if (task.liveness) liveness.replace(task.liveness);
  const pools = new UpstreamPools();
  const accessLog = new AccessLog(limits.accessLog);
  const counters: Record<string, number> = {};
  let current: CompiledConfig | undefined;
  const ticketKeys = task.ticketKeys ? Buffer.from(task.ticketKeys) : undefined;
  const tlsProfile = tlsProfileOptions(limits.tlsProfile);
  let tlsStore = new TlsStore([], ticketKeys, tlsProfile);
  const filterEnv: FilterEnv = { httpsPort: task.https?.port, ...(task.limitTable ? { limits: new LimitTable(task.limitTable) } : {}) };

  const env: PipelineEnv = {
    config: () => current,
    pools,
    accessLog,
    nodeId: task.nodeId,
    worker: index,
    ...(task.https ? { httpsPort: task.https.port } : {}),
    // HTTP/2 bodies (H1Server times HTTP/1 bodies itself): the same limit.
    bodyTimeoutMs: limits.bodyTimeoutMs ?? limits.headersTimeoutMs,
    maxHeaderSize: limits.maxHeaderSize,
    strictPaths: limits.pathStrictness !== 'relaxed',
    ...(limits.trustedProxies?.length ? { trustedProxies: trustedList(limits.trustedProxies) } : {}),
    tunnelIdleTimeoutMs: limits.tunnelIdleTimeoutMs ?? 0,
    counters,
    onEjected: (endpoint: string, backend: string, reason: string, ms: number) => log.info('endpoint ejected by this worker', { endpoint, backend, reason, ms }),
  };
  const listeners = startListeners({
    env, limits, log, https: task.https !== undefined, ticketKeys, tlsProfile, secureContext: (name, socket) => tlsStore.sni(name, socket),
  });
  const httpsServer = listeners.httpsServer;

  let draining = false;
  let listening = false;
  const listenAll = async () => {
    await listeners.listen(task.http, task.https);
    listening = true;
    post({ type: 'worker.v1.listening', index, threadId });
  };

  /** The node handed over a version this worker is already past (it took newer deltas from NATS): say which it serves. */
  const keepCurrent = (cfg: CompiledConfig) => post({ type: 'worker.v1.applied', index, version: cfg.version, hash: cfg.hash, durationMs: 0, at: wallClockNow() });

  /** The PEMs of the https server's own (no-SNI) context. */
  let defaultPem: { cert: string; key: string } | undefined;
  const apply = async (snap: AppliedSnapshot) => {
    const t0 = performance.now();
    // This worker took newer route deltas from NATS than the node had heard of when it sent this: keep them.
    if (current && (snap.deltas?.at(-1)?.version ?? snap.version) < current.version) return keepCurrent(current);
    const span = startLinkedSpan(telemetry.tracing, 'snapshot compile', snap.traceparent, { 'meshgate.snapshot.version': snap.version, 'meshgate.worker': index });
    try {
      const next = compileSnapshot(snap, liveness, pools.defaults, filterEnv);
      const nextTls = new TlsStore(next.tls, ticketKeys, tlsProfile, next.filterEnv.access?.clientAuth);
      // The swap: one reference each. In-flight requests keep the config they read;
      // open TLS connections keep the certificate they were handshaken with.
      current = next;
      tlsStore = nextTls;
      // Clients without SNI (an IP address in the URL) get the default certificate.
      // Only when it changed: most changes keep the certificates, and a context costs a key parse.
      if (httpsServer && nextTls.defaultPem && (nextTls.defaultPem.cert !== defaultPem?.cert || nextTls.defaultPem.key !== defaultPem?.key)) {
        httpsServer.setSecureContext({ ...nextTls.defaultPem, ...tlsProfile, ...(ticketKeys ? { ticketKeys } : {}) });
        defaultPem = nextTls.defaultPem;
      }
      pools.retain(endpointIds(next));
      if (!listening) await listenAll();
      setImmediate(warmDeltaPath);
      post({ type: 'worker.v1.applied', index, version: next.version, hash: next.hash, durationMs: performance.now() - t0, at: wallClockNow() });
      span?.setAttribute('meshgate.routes', next.routes.size);
      endSpan(span);
    } catch (err) {
      endSpan(span, err);
      post({ type: 'worker.v1.rejected', index, version: snap.deltas?.at(-1)?.version ?? snap.version, error: (err as Error).message });
      if (!listening) throw err;
    }
  };

  /**
   * A route delta: the table patched, not compiled (compiled-config.ts).
   * `fromNats`: the signed message this worker took from NATS itself; it
   * ACKs it and reports it to the node later. Otherwise the node handed it
   * over (the node's own route path, or catching up a worker that missed it).
   */
  const applyDelta = (d: AppliedDelta, fromNats?: RoutesDeltaMessage) => {
    if (!fromNats && current && d.version <= current.version) return keepCurrent(current);
    const t0 = performance.now();
    const span = startLinkedSpan(telemetry.tracing, 'snapshot compile', d.traceparent, { 'meshgate.snapshot.version': d.version, 'meshgate.worker': index, 'meshgate.snapshot.delta': 'routes' });
    try {
      if (!current) throw new Error(`route delta v${d.version} before any snapshot`);
      const next = patchConfig(current, d, liveness);
      const backendsChanged = next.backends !== current.backends;
      current = next;
      const servingAt = wallClockNow();
      const durationMs = performance.now() - t0;
      if (fromNats) {
        feed?.answer({ ok: true, version: d.version, hash: d.hash, applyMs: durationMs, servingAt });
        unreported.push(fromNats);
      } else {
        post({ type: 'worker.v1.applied', index, version: d.version, hash: d.hash, durationMs, at: servingAt });
      }
      if (backendsChanged) pools.retain(endpointIds(next));
      span?.setAttribute('meshgate.routes', next.routes.size);
      endSpan(span);
    } catch (err) {
      endSpan(span, err);
      if (fromNats) post({ type: 'worker.v1.gap', index, version: d.version, base: d.base, have: current?.version ?? 0, error: (err as Error).message });
      else post({ type: 'worker.v1.rejected', index, version: d.version, error: (err as Error).message });
    }
  };

  /** Route deltas applied from NATS that the node's main thread has not heard of yet. */
  let unreported: RoutesDeltaMessage[] = [];
  const report = (reply: boolean) => {
    if (!reply && unreported.length === 0) return;
    post({ type: 'worker.v1.routes', index, routes: unreported, reply });
    unreported = [];
  };
  /** A route delta straight from NATS (task.control): the node's accept rules (accept-rules.ts), as its main thread applies them. */
  const fromNats = (d: RoutesDeltaMessage) => {
    const cur = current;
    // None yet: the node hands this worker its snapshot and what came since.
    if (!cur) return;
    const v = acceptRouteDelta({ version: cur.version, hash: cur.hash, hasBase: true }, d, feed!.verify);
    if (v.kind === 'gap') post({ type: 'worker.v1.gap', index, version: d.version, base: d.base, have: cur.version });
    else if (v.kind === 'stale' || v.kind === 'conflict' || v.kind === 'refused') {
      feed?.answer({ ok: false, version: cur.version, hash: cur.hash, refused: d.version, error: v.error });
      post({ type: 'worker.v1.nack', index, refused: d.version, kept: cur.version, error: v.error });
    } else if (v.kind === 'apply') applyDelta({ version: d.version, base: d.base, hash: d.hash, changes: v.changes, ...(d.traceparent ? { traceparent: d.traceparent } : {}) }, d);
  };

  /**
   * The route-delta path run once on nothing, after the first snapshot: an
   * empty delta encoded, checked, decoded and patched into a table that is
   * thrown away, an ACK encoded and not sent, so the first real change
   * compiles less of it (with 50 nodes on 2 cores every node compiles at the
   * same change; the NATS client's receive path, which only a real message
   * runs, is still left to it: docs/benchmarks/control-plane.md).
   */
  let warmed = false;
  const warmDeltaPath = () => {
    if (warmed || !feed || !current) return;
    warmed = true;
    const cur = current;
    const empty = { removedRules: [], addedRules: [], removedBackends: [], upsertedBackends: [] };
    const d = encodeRoutesDelta(empty, cur.version + 1, cur.version, cur.hash);
    try { feed.verify(d); } catch { /* unsigned: refused when a trust key is set, as it should be */ }
    patchConfig(cur, { version: d.version, base: d.base, hash: d.hash, changes: decodeRouteChanges(d) }, liveness);
    feed.encodeAck({ ok: true, version: d.version, hash: d.hash });
  };

  // Snapshots, deltas from the node and deltas from NATS apply one at a time, in arrival order.
  let chain: Promise<unknown> = Promise.resolve();
  let failServe: (err: unknown) => void = () => {};
  const enqueue = (f: () => unknown) => { chain = chain.then(f).catch((err: unknown) => failServe(err)); };
  const feed = task.control ? startRouteFeed(task.control, { nodeId: task.nodeId, index, log }, (d) => enqueue(() => fromNats(d))) : undefined;

  const heap = watchHeap();
  /** What the last statistics said (requests, open connections, collections) and when. */
  let lastStats = '';
  let lastStatsAt = 0;
  /** Statistics each second while they change; an idle worker's every STATS_IDLE_MS, or when the node asks (/metrics). */
  const postStats = (force: boolean) => {
    const open = listeners.open();
    const h = heap.stats();
    const key = `${JSON.stringify(counters)} ${open} ${h.majorGcs}`;
    const now = performance.now();
    if (!force && key === lastStats && now - lastStatsAt < STATS_IDLE_MS) return;
    lastStats = key;
    lastStatsAt = now;
    post({ type: 'worker.v1.stats', index, requests: { ...counters }, open, metrics: telemetry.metricsSnapshot(), heap: h });
  };
  const stats = setInterval(() => { report(false); postStats(false); }, 1000);
  stats.unref();

  return await new Promise<string>((resolve, reject) => {
    failServe = reject;
    port.on('message', (msg: ToWorker) => {
      switch (msg.type) {
        case 'worker.v1.snapshot':
          enqueue(() => apply(msg.snapshot));
          break;
        case 'worker.v1.delta':
          // In order after any snapshot still being applied.
          enqueue(() => applyDelta(msg.delta));
          break;
        case 'worker.v1.report':
          // After what is being applied now; with fresh statistics (the node asks for /status and /metrics).
          enqueue(() => { postStats(true); report(true); });
          break;
        case 'worker.v1.liveness':
          if (msg.kind === 'full') liveness.replace(msg.endpoints);
          else for (const e of msg.endpoints) liveness.setHealthy(e.endpoint, e.healthy, e.reason);
          break;
        case 'worker.v1.drain':
          if (draining) break;
          draining = true;
          clearInterval(stats);
          void feed?.close();
          listeners.drain(msg.graceMs).then(async () => {
            accessLog.close();
            await pools.close();
            await telemetry.shutdown();
            port.close();
            resolve(`worker ${index} drained`);
          }, reject);
          break;
      }
    });
    if (task.snapshot) enqueue(() => apply(task.snapshot!));
  });
}
