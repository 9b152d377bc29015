import path from 'node:path';
import { randomBytes, type KeyObject } from 'node:crypto';
import { ActorSystem, type Transport } from '@meshgate/actors';
import {
  AdminMessageType, MessageType, subjects as makeSubjects, allNodesSubject, fromOwnSubjectOnly,
  type AckMessage, type AdminRequest, type HeartbeatMessage, type KvLike,
} from '@meshgate/protocol';
import { startTracing, type Logger } from '@meshgate/telemetry';
import { configActor, type ConfigMsg, type ConfigStatus } from './config-actor.ts';
import { watchManifests } from './manifest-watcher.ts';
import { AdminAuthorizer } from './admin-auth.ts';
import { reloadTrigger } from './reload-trigger.ts';
import { startDashboard, type Dashboard } from './dashboard/dashboard.ts';
import type { DashboardSources } from './dashboard/views.ts';

export interface ConfigServiceOptions {
  transport: Transport;
  log: Logger;
  manifestsDir: string;
  ingressClass?: string;
  subjectPrefix?: string;
  watch?: boolean;
  /** Durable store (JetStream KV): latest snapshot, version, applied objects. */
  store?: KvLike;
  /** Ed25519 private key: snapshots and deltas are signed with it. */
  signingKey?: KeyObject;
  /** Largest message NATS accepts (server max_payload); default 1 MiB. */
  maxMessageBytes?: number;
  /** Ed25519 public keys of the operators (--operator-key): apply/delete must be signed by one of them. */
  operatorKeys?: readonly KeyObject[];
  /** Serve the web dashboard here (--dashboard); off unless given. */
  dashboard?: { host: string; port: number };
}

export interface ConfigService {
  /** The dashboard's URL, when one runs. */
  readonly dashboardUrl?: string;
  status(): Promise<ConfigStatus>;
  reload(): void;
  stop(): Promise<void>;
}

export async function startConfigService(opts: ConfigServiceOptions): Promise<ConfigService> {
  const log = opts.log;
  const subjects = makeSubjects(opts.subjectPrefix);
  const manifestsDir = path.resolve(opts.manifestsDir);
  const system = new ActorSystem({
    name: 'config-service',
    onEvent: (e) => { if (e.type === 'actor.crashed') log.error('actor crashed', { actor: e.name, error: String(e.error) }); },
  });
  if (!opts.signingKey) log.warn('no --signing-key: snapshots go out unsigned (proxies with --trust-key will refuse them)');
  const adminAuth = new AdminAuthorizer(opts.operatorKeys, opts.subjectPrefix ?? 'meshgate', log);
  const writerId = `cs-${process.pid}-${randomBytes(3).toString('hex')}`;
  // Traces of each change (build, publish) when OTEL_EXPORTER_OTLP_ENDPOINT is set.
  const tracing = startTracing({ serviceName: 'meshgate-config-service', instanceId: writerId });
  // The watcher takes its first look before the config actor first reads the directory: a write
  // made while the actor starts differs from that look, and reloads once the actor is there.
  const reloads = reloadTrigger();
  let dashboard: Dashboard | undefined;
  const watcher = opts.watch === false ? undefined : watchManifests(manifestsDir, (file) => reloads.request(`changed: ${file}`));
  const ref = await system.spawnAndStart<ConfigMsg>('config', () => configActor({
    ...(tracing ? { tracing } : {}),
    manifestsDir, ingressClass: opts.ingressClass ?? 'meshgate', transport: opts.transport, subjects, log,
    ...(opts.store ? { store: opts.store } : {}), ...(opts.signingKey ? { signingKey: opts.signingKey } : {}),
    writerId, maxMessageBytes: opts.maxMessageBytes ?? 1024 * 1024,
    ...(opts.dashboard ? { onChange: () => dashboard?.changed() } : {}),
  })).catch((err: unknown) => { watcher?.close(); throw err; });
  reloads.connect((reason) => ref.ask({ type: 'config.v1.reload', reason }, 120_000));
  const t = opts.transport;
  const spoofed = (subject: string, nodeId: unknown) => log.warn('dropped a node message sent on another node\'s subject', { subject, nodeId: String(nodeId) });
  const subs = [
    t.subscribe(subjects.snapshotGet, async (m) => { m.reply?.(await ref.ask({ type: 'config.v1.latest' })); }),
    // Each node on its own subject; a message naming another node than its subject's is dropped.
    t.subscribe(allNodesSubject(subjects.heartbeat), fromOwnSubjectOnly<HeartbeatMessage>(subjects.heartbeat, (hb) => {
      if (hb?.type === MessageType.Heartbeat) ref.tell({ type: 'config.v1.heartbeat', heartbeat: hb });
    }, spoofed)),
    t.subscribe(allNodesSubject(subjects.ack), fromOwnSubjectOnly<AckMessage>(subjects.ack, (a) => {
      if (a?.type === MessageType.Ack) ref.tell({ type: 'config.v1.ack', ack: a });
    }, spoofed)),
    // One config service answers each admin request (queue group); they share state through the KV store.
    t.subscribe(subjects.admin, async (m) => {
      const req = m.data as AdminRequest;
      try {
        if (req?.type === AdminMessageType.Apply) m.reply?.(adminAuth.refuse(req) ?? await ref.ask({ type: 'config.v1.admin-apply', request: req }, 60_000));
        else if (req?.type === AdminMessageType.Get) m.reply?.(await ref.ask({ type: 'config.v1.admin-get', what: req.what }));
        else if (req?.type === AdminMessageType.Describe) m.reply?.(await ref.ask({ type: 'config.v1.admin-describe', request: req }));
        else m.reply?.({ type: AdminMessageType.Error, message: `unknown admin request ${JSON.stringify((req as { type?: unknown })?.type)}: upgrade the config service or the CLI` });
      } catch (err) {
        m.reply?.({ type: AdminMessageType.Error, message: (err as Error).message });
      }
    }, { queue: 'meshgate-config-service' }),
  ];
  if ('onStatus' in t) {
    (t as unknown as { onStatus(cb: (s: { type: string }) => void): void }).onStatus((s) => {
      if (s.type === 'reconnect') ref.tell({ type: 'config.v1.reconnected' });
    });
  }
  if (opts.dashboard) {
    dashboard = await startDashboard({
      ...opts.dashboard, transport: t, subjects, log, sources: () => ref.ask<DashboardSources>({ type: 'config.v1.dashboard' }, 30_000),
    }).catch(async (err: unknown) => {
      watcher?.close();
      for (const s of subs) s.unsubscribe();
      await system.shutdown();
      throw new Error(`the dashboard cannot listen on ${opts.dashboard!.host}:${opts.dashboard!.port}: ${(err as Error).message}`);
    });
  }
  log.info('config service started', { manifests: manifestsDir, ingressClass: opts.ingressClass ?? 'meshgate', subject: subjects.snapshot, store: opts.store ? subjects.kvBucket : 'none' });
  return {
    ...(dashboard ? { dashboardUrl: dashboard.url } : {}),
    status: () => ref.ask<ConfigStatus>({ type: 'config.v1.status' }),
    reload: () => ref.tell({ type: 'config.v1.reload', reason: 'requested' }),
    async stop() {
      await dashboard?.close();
      watcher?.close();
      for (const s of subs) s.unsubscribe();
      await system.shutdown();
      await tracing?.shutdown().catch(() => {});
    },
  };
}
