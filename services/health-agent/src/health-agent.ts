import type { KeyObject } from 'node:crypto';
import os from 'node:os';
import { ActorSystem, type Behavior, type Transport } from '@meshgate/actors';
import {
  MessageType, HealthMessageType, SnapshotClient, subjects as makeSubjects, allNodesSubject, fromOwnSubjectOnly, keyIdOf,
  type SnapshotMessage, type SnapshotRefMessage, type SnapshotContent, type KvLike, type EndpointLiveness, type HeartbeatMessage, type Subjects,
  type HealthStatusReply, type EndpointStatus, type NodeStatus, type NodeLivenessMessage,
} from '@meshgate/protocol';
import { endSpan, startChildSpan, startTracing, type Logger, type Tracing } from '@meshgate/telemetry';
import { probe } from './probe.ts';
import { observe } from './endpoint-health.ts';
import { LivenessPublisher } from './liveness-publisher.ts';
import { livenessOf, syncTargets, type Target } from './targets.ts';
import { ProbeScheduler } from './probe-scheduler.ts';
import { NodeMembership } from './node-membership.ts';

/**
 * Defaults tuned for "a dead backend is out within 1 s, back within 2 s":
 * with a probe every 300 ms (+-10%) and fall = rise = 2, a refused
 * connection marks an endpoint down at most ~660 ms after it died (~910 ms
 * when the probe has to time out), and up ~660 ms after it recovered.
 */
export const HEALTH_DEFAULTS = {
  intervalMs: 300, timeoutMs: 250, rise: 2, fall: 2, jitter: 0.1,
  fullViewMs: 5_000, nodeTimeoutMs: 1_500, maxInFlight: 2_048,
} as const;

export { FULL_VIEW_PART } from './liveness-publisher.ts';

export interface HealthAgentOptions {
  transport: Transport;
  log: Logger;
  agentId?: string;
  intervalMs?: number;
  timeoutMs?: number;
  rise?: number;
  fall?: number;
  /** Each probe interval is intervalMs * (1 +- jitter). */
  jitter?: number;
  /** How often the whole view is re-sent (nodes that joined, lost deltas). */
  fullViewMs?: number;
  /** A proxy node that sent no heartbeat for this long is marked down. */
  nodeTimeoutMs?: number;
  /** At most this many probes at once. */
  maxInFlight?: number;
  subjectPrefix?: string;
  /** Ed25519 public key of the config service (--trust-key): snapshots it did not sign are refused. */
  trustKey?: KeyObject;
  /** The durable latest snapshot (JetStream KV): read for snapshots announced by reference (over max_payload) and when the config service is down. */
  store?: KvLike;
  /** Ed25519 private key (--signing-key): liveness messages are signed with it; proxies with --agent-trust-key refuse unsigned ones. */
  signingKey?: KeyObject;
}

/** Kept for callers of the first version; same shape as NodeStatus. */
export type NodeView = NodeStatus;

export interface HealthAgent {
  readonly agentId: string;
  endpoints(): EndpointLiveness[];
  nodes(): NodeStatus[];
  status(): HealthStatusReply;
  stop(): Promise<void>;
}

type AgentMsg =
  | { type: 'agent.v1.snapshot'; snapshot: SnapshotMessage }
  | { type: 'agent.v1.result'; id: string; ok: boolean; reason: string; at: number }
  | { type: 'agent.v1.heartbeat'; hb: HeartbeatMessage }
  | { type: 'agent.v1.tick' };

interface Shared {
  agentId: string;
  subjects: Subjects;
  targets: Map<string, Target>;
  membership: NodeMembership;
  scheduler: ProbeScheduler;
  source: SnapshotClient;
  /** The version the agent probes for (read by the fetches outside the actor). */
  applied: { version: number };
}

type Settings = Required<Omit<HealthAgentOptions, 'subjectPrefix' | 'agentId' | 'transport' | 'log' | 'trustKey' | 'store' | 'signingKey'>>;

type AgentDeps = Settings & Shared & { transport: Transport; log: Logger; tracing?: Tracing; signingKey?: KeyObject };

/**
 * The health agent actor: keeps the set of endpoints from the latest
 * snapshot (the probe scheduler probes them), applies rise/fall to each
 * result and publishes changes (coalesced per turn of the event loop) plus a
 * periodic full view in parts. It also keeps proxy node membership from
 * heartbeats and publishes its changes.
 */
function agentActor(o: AgentDeps): Behavior<AgentMsg> {
  const { transport, subjects, targets, log, scheduler, membership, source, applied } = o;
  // The first full view waits a period: first probe results go out as
  // deltas, and an early full view listing nothing yet would make proxies
  // forget what this agent (under the same id, before a restart) said.
  let lastFull = Date.now();
  const warned = new Set<string>();
  const liveness = new LivenessPublisher(o.agentId, (m) => transport.publish(subjects.liveness, m), o.signingKey);
  const publishFull = () => liveness.full([...targets.values()].filter((t) => t.health.healthy !== undefined).map(livenessOf));

  const publishNodes = (nodes: NodeStatus[]) => announceNodes(o, nodes);

  const applySnapshot = (content: SnapshotContent) => syncTargets(targets, content, scheduler, (w) => {
    if (!warned.has(w)) { warned.add(w); log.warn(w); }
  });

  /**
   * Reads the newest snapshot off the mailbox (KV store, else the config
   * service). At start, and from the tick: every second until there is one
   * (an agent that starts beside the config service can find neither its KV
   * store attached nor the service answering yet, and pushes come only with
   * changes), then every 5 s, for an announcement missed while NATS was away.
   */
  const catchUp = (self: { tell(m: AgentMsg): void }) => {
    // Not reachable yet: the next tick tries again.
    if (source.due(Date.now(), applied.version)) source.catchUp(applied.version, (snap) => self.tell({ type: 'agent.v1.snapshot', snapshot: snap }));
  };

  return {
    start(ctx) {
      catchUp(ctx.self);
    },
    receive(msg, ctx) {
      switch (msg.type) {
        case 'agent.v1.snapshot': {
          if (msg.snapshot.version <= applied.version) return;
          let content: SnapshotContent;
          try {
            // Signature first (a forged snapshot must not steer the probes), then format and hash.
            content = source.openContent(msg.snapshot);
          } catch (err) {
            log.error('snapshot refused; keeping the current targets', { version: msg.snapshot.version, kept: applied.version, error: (err as Error).message });
            return;
          }
          applied.version = msg.snapshot.version;
          applySnapshot(content);
          log.info('probing endpoints', { version: applied.version, endpoints: targets.size });
          return;
        }
        case 'agent.v1.result': {
          const t = targets.get(msg.id);
          if (t && observeResult(t, msg, o)) liveness.changed(livenessOf(t));
          return;
        }
        case 'agent.v1.heartbeat': {
          const changed = membership.heartbeat(msg.hb);
          if (changed) publishNodes([changed]);
          return;
        }
        case 'agent.v1.tick': {
          const changed = membership.tick();
          if (changed.length) publishNodes(changed);
          const now = Date.now();
          catchUp(ctx.self);
          if (now - lastFull >= o.fullViewMs) {
            lastFull = now;
            if (targets.size) publishFull();
          }
          return;
        }
      }
    },
    stop() {
      scheduler.stop();
    },
  };
}

/** A probe result through rise/fall; true when the endpoint's verdict changed (logged, and a span for it). */
function observeResult(t: Target, r: Extract<AgentMsg, { type: 'agent.v1.result' }>, o: AgentDeps): boolean {
  t.lastProbe = r.at;
  if (!observe(t.health, r.ok, r.reason, o.rise, o.fall)) return false;
  o.log.info(t.health.healthy ? 'endpoint up' : 'endpoint down', { endpoint: t.id, reason: t.health.reason, check: t.checkText });
  // One span per verdict change: when and why an endpoint left or rejoined rotation.
  endSpan(startChildSpan(o.tracing, t.health.healthy ? 'endpoint up' : 'endpoint down', undefined, {
    'meshgate.endpoint': t.id, 'meshgate.reason': t.health.reason, 'meshgate.check': t.checkText, 'meshgate.agent': o.agentId,
  }));
  return true;
}

/** Proxy node membership changes: logged and published. */
function announceNodes(o: AgentDeps, nodes: NodeStatus[]): void {
  for (const n of nodes) {
    if (n.state === 'down') o.log.warn('node down', { node: n.nodeId, reason: n.reason });
    else o.log.info(n.state === 'up' ? 'node up' : 'node leaving', { node: n.nodeId, reason: n.reason });
  }
  const msg: NodeLivenessMessage = { type: HealthMessageType.Nodes, agent: o.agentId, nodes };
  o.transport.publish(o.subjects.healthNodes, msg);
}

/** What the agent hears on NATS, to its actor: snapshots (references read from the KV store), deltas (the snapshot they lead to), heartbeats, status requests. */
function subscribe(transport: Transport, o: { subjects: Subjects; source: SnapshotClient; applied: { version: number }; log: Logger; status(): HealthStatusReply }, ref: { tell(m: AgentMsg): void }): { unsubscribe(): void }[] {
  const { subjects, source, applied, log } = o;
  return [
    // A snapshot, or a reference to one too large for a message (read from the KV store, off the mailbox).
    transport.subscribe(subjects.snapshot, async (m) => {
      const data = m.data as SnapshotMessage | SnapshotRefMessage;
      if (data?.type === MessageType.Snapshot) { ref.tell({ type: 'agent.v1.snapshot', snapshot: data }); return; }
      if (data?.type !== MessageType.SnapshotRef || data.version <= applied.version) return;
      const snap = await source.resolve(data).catch((err) => { log.error('cannot read the announced snapshot from the KV store', { version: data.version, error: (err as Error).message }); return undefined; });
      if (snap) ref.tell({ type: 'agent.v1.snapshot', snapshot: snap });
    }),
    // Endpoint and route changes go out as deltas (config.v1.endpoints, config.v1.routes): fetch the full snapshot they lead to.
    ...[subjects.endpoints, subjects.routes].map((subject) => transport.subscribe(subject, async () => {
      const snap = await source.latest(applied.version).catch(() => undefined);
      if (snap) ref.tell({ type: 'agent.v1.snapshot', snapshot: snap });
    })),
    // Each node on its own subject; a heartbeat naming another node than its subject's is dropped.
    transport.subscribe(allNodesSubject(subjects.heartbeat), fromOwnSubjectOnly<HeartbeatMessage>(subjects.heartbeat, (hb) => {
      if (hb?.type === MessageType.Heartbeat) ref.tell({ type: 'agent.v1.heartbeat', hb });
    }, (subject, nodeId) => log.warn('dropped a heartbeat sent on another node\'s subject', { subject, nodeId: String(nodeId) }))),
    // Read-only, so it answers from the shared maps without queueing behind probe results.
    transport.subscribe(subjects.healthStatus, (m) => m.reply?.(o.status())),
  ];
}

export async function startHealthAgent(opts: HealthAgentOptions): Promise<HealthAgent> {
  const agentId = opts.agentId ?? `${os.hostname()}-${process.pid}`;
  const subjects = makeSubjects(opts.subjectPrefix);
  const settings: Settings = {
    intervalMs: opts.intervalMs ?? HEALTH_DEFAULTS.intervalMs, timeoutMs: opts.timeoutMs ?? HEALTH_DEFAULTS.timeoutMs,
    rise: opts.rise ?? HEALTH_DEFAULTS.rise, fall: opts.fall ?? HEALTH_DEFAULTS.fall, jitter: opts.jitter ?? HEALTH_DEFAULTS.jitter,
    fullViewMs: opts.fullViewMs ?? HEALTH_DEFAULTS.fullViewMs, nodeTimeoutMs: opts.nodeTimeoutMs ?? HEALTH_DEFAULTS.nodeTimeoutMs,
    maxInFlight: opts.maxInFlight ?? HEALTH_DEFAULTS.maxInFlight,
  };
  const targets = new Map<string, Target>();
  const membership = new NodeMembership({ timeoutMs: settings.nodeTimeoutMs });
  const log = opts.log.child({ agent: agentId });
  const source = new SnapshotClient({
    transport: opts.transport, latestSubject: subjects.snapshotGet, ...(opts.trustKey ? { trustKey: opts.trustKey } : {}), ...(opts.store ? { store: opts.store } : {}),
  });
  if (!source.verifying) log.warn('no trust key: snapshots are not verified (give --trust-key, the config service\'s public key)');
  if (!opts.signingKey) log.warn('no --signing-key: liveness goes out unsigned (proxies with --agent-trust-key will refuse it)');
  const applied = { version: 0 };
  const system = new ActorSystem({
    name: 'health-agent',
    onEvent: (e) => { if (e.type === 'actor.crashed') log.error('actor crashed', { actor: e.name, error: String(e.error) }); },
  });
  const self: { tell(m: AgentMsg): void } = { tell: () => {} };
  const scheduler = new ProbeScheduler({
    intervalMs: settings.intervalMs, jitter: settings.jitter, maxInFlight: settings.maxInFlight,
    run: async (id) => {
      const t = targets.get(id);
      if (!t) return;
      const r = await probe(t, settings.timeoutMs);
      self.tell({ type: 'agent.v1.result', id, ok: r.ok, reason: r.reason, at: Date.now() });
    },
  });
  const tracing = startTracing({ serviceName: 'meshgate-health-agent', instanceId: agentId });
  const ref = await system.spawnAndStart<AgentMsg>('agent', () => agentActor({
    ...settings, transport: opts.transport, log, agentId, subjects, targets, membership, scheduler, source, applied, ...(tracing ? { tracing } : {}),
    ...(opts.signingKey ? { signingKey: opts.signingKey } : {}),
  }));
  self.tell = (m) => ref.tell(m);

  const endpointStatus = (t: Target): EndpointStatus => ({
    ...livenessOf(t), backends: t.backends, ...(t.node ? { node: t.node } : {}), check: t.checkText, lastProbe: t.lastProbe,
  });
  const status = (): HealthStatusReply => ({
    type: HealthMessageType.Status, agent: agentId, at: Date.now(),
    endpoints: [...targets.values()].map(endpointStatus).sort((a, b) => a.endpoint.localeCompare(b.endpoint)),
    nodes: membership.list(),
    probes: scheduler.stats(),
  });

  const subs = subscribe(opts.transport, { subjects, source, applied, log, status }, ref);
  // 100 ms: node-down detection granularity (and the full-view clock).
  const tick = setInterval(() => ref.tell({ type: 'agent.v1.tick' }), 100);
  log.info('health agent started', { ...settings, ...(opts.signingKey ? { signingKey: keyIdOf(opts.signingKey) } : {}) });
  return {
    agentId,
    endpoints: () => [...targets.values()].map(livenessOf),
    nodes: () => membership.list(),
    status,
    async stop() {
      clearInterval(tick);
      scheduler.stop();
      for (const s of subs) s.unsubscribe();
      await system.shutdown();
      await tracing?.shutdown().catch(() => {});
    },
  };
}
