import os from 'node:os';
import { ActorSystem, type Behavior, type Transport } from '@meshgate/actors';
import {
  MessageType, subjects as makeSubjects, unpackSnapshotBody, decodeSnapshotContent,
  type SnapshotMessage, type SnapshotContent, type LivenessMessage, type EndpointLiveness, type HeartbeatMessage, type Subjects,
} from '@meshgate/protocol';
import type { Logger } from '@meshgate/telemetry';
import { probeHttp, type ProbeTarget } from './probe.ts';
import { initialHealth, observe, type HealthState } from './endpoint-health.ts';

export interface HealthAgentOptions {
  transport: Transport;
  log: Logger;
  agentId?: string;
  intervalMs?: number;
  timeoutMs?: number;
  rise?: number;
  fall?: number;
  /** How often the whole view is re-sent (nodes that joined, lost deltas). */
  fullViewMs?: number;
  /** A node that sent no heartbeat for this long is marked down. */
  nodeTimeoutMs?: number;
  subjectPrefix?: string;
}

export interface NodeView { nodeId: string; up: boolean; since: number; reason: string; version: number; lastSeen: number; admin: string }

export interface HealthAgent {
  readonly agentId: string;
  endpoints(): EndpointLiveness[];
  nodes(): NodeView[];
  stop(): Promise<void>;
}

type AgentMsg =
  | { type: 'agent.v1.snapshot'; snapshot: SnapshotMessage }
  | { type: 'agent.v1.result'; id: string; ok: boolean; reason: string }
  | { type: 'agent.v1.heartbeat'; hb: HeartbeatMessage }
  | { type: 'agent.v1.tick' };

interface Target extends ProbeTarget { timer?: NodeJS.Timeout; health: HealthState }

/**
 * The health agent actor: keeps the set of endpoints from the latest
 * snapshot, probes each on its own jittered timer, applies rise/fall and
 * publishes only changes (plus a periodic full view). It also watches proxy
 * node heartbeats for membership.
 */
function agentActor(o: Required<Omit<HealthAgentOptions, 'subjectPrefix' | 'agentId'>> & { agentId: string; subjects: Subjects; targets: Map<string, Target>; nodes: Map<string, NodeView> }): Behavior<AgentMsg> {
  const { transport, subjects, targets, log } = o;
  let version = 0;
  let seq = 0;
  let lastFull = 0;

  const view = (t: Target): EndpointLiveness => ({ endpoint: t.id, healthy: t.health.healthy ?? true, reason: t.health.reason, since: t.health.since });
  const publish = (kind: 'delta' | 'full', endpoints: EndpointLiveness[]) => {
    const msg: LivenessMessage = { type: MessageType.Liveness, agent: o.agentId, kind, seq: ++seq, endpoints };
    transport.publish(subjects.liveness, msg);
  };

  return {
    async start(ctx) {
      try {
        const snap = await transport.request<SnapshotMessage | { type: 'none' }>(subjects.snapshotGet, { type: MessageType.SnapshotGet, have: 0 }, 2_000);
        if (snap.type === MessageType.Snapshot) ctx.self.tell({ type: 'agent.v1.snapshot', snapshot: snap });
      } catch { /* the config service will push one */ }
    },
    receive(msg, ctx) {
      switch (msg.type) {
        case 'agent.v1.snapshot': {
          if (msg.snapshot.version <= version) return;
          let content: SnapshotContent;
          try {
            content = decodeSnapshotContent<SnapshotContent>(unpackSnapshotBody(msg.snapshot));
          } catch (err) {
            log.error('snapshot refused', { version: msg.snapshot.version, error: (err as Error).message });
            return;
          }
          version = msg.snapshot.version;
          const wanted = new Map<string, ProbeTarget>();
          for (const b of content.backends) for (const e of b.endpoints) wanted.set(e.id, { id: e.id, address: e.address, port: e.port, path: b.healthPath || '/' });
          for (const [id, t] of targets) if (!wanted.has(id)) { clearTimeout(t.timer); targets.delete(id); }
          for (const [id, w] of wanted) {
            if (targets.has(id)) continue;
            const t: Target = { ...w, health: initialHealth() };
            targets.set(id, t);
            const loop = () => {
              if (!targets.has(id)) return;
              void probeHttp(t, o.timeoutMs).then((r) => ctx.self.tell({ type: 'agent.v1.result', id, ok: r.ok, reason: r.reason }));
              // Jitter spreads probes of many endpoints over the interval.
              t.timer = setTimeout(loop, o.intervalMs * (0.9 + Math.random() * 0.2));
              t.timer.unref();
            };
            t.timer = setTimeout(loop, Math.random() * Math.min(o.intervalMs, 100));
            t.timer.unref();
          }
          log.info('probing endpoints', { version, endpoints: targets.size });
          return;
        }
        case 'agent.v1.result': {
          const t = targets.get(msg.id);
          if (!t) return;
          if (observe(t.health, msg.ok, msg.reason, o.rise, o.fall)) {
            log.info(t.health.healthy ? 'endpoint up' : 'endpoint down', { endpoint: t.id, reason: t.health.reason });
            publish('delta', [view(t)]);
          }
          return;
        }
        case 'agent.v1.heartbeat': {
          const hb = msg.hb;
          const prev = o.nodes.get(hb.nodeId);
          const up = hb.state === 'up';
          if (!prev || prev.up !== up) log.info(up ? 'node up' : 'node leaving', { node: hb.nodeId });
          o.nodes.set(hb.nodeId, {
            nodeId: hb.nodeId, up, version: hb.version, lastSeen: Date.now(), admin: hb.admin,
            since: prev && prev.up === up ? prev.since : Date.now(), reason: up ? 'heartbeat' : 'left (draining)',
          });
          return;
        }
        case 'agent.v1.tick': {
          const now = Date.now();
          for (const n of o.nodes.values()) {
            if (n.up && now - n.lastSeen > o.nodeTimeoutMs) {
              n.up = false; n.since = now; n.reason = `no heartbeat for ${now - n.lastSeen} ms`;
              log.warn('node down', { node: n.nodeId, reason: n.reason });
            }
          }
          if (now - lastFull >= o.fullViewMs) {
            lastFull = now;
            const known = [...targets.values()].filter((t) => t.health.healthy !== undefined).map(view);
            if (known.length) publish('full', known);
          }
          return;
        }
      }
    },
    stop() {
      for (const t of targets.values()) clearTimeout(t.timer);
    },
  };
}

export async function startHealthAgent(opts: HealthAgentOptions): Promise<HealthAgent> {
  const agentId = opts.agentId ?? `${os.hostname()}-${process.pid}`;
  const subjects = makeSubjects(opts.subjectPrefix);
  const targets = new Map<string, Target>();
  const nodes = new Map<string, NodeView>();
  const log = opts.log.child({ agent: agentId });
  const system = new ActorSystem({
    name: 'health-agent',
    onEvent: (e) => { if (e.type === 'actor.crashed') log.error('actor crashed', { actor: e.name, error: String(e.error) }); },
  });
  const ref = await system.spawnAndStart<AgentMsg>('agent', () => agentActor({
    transport: opts.transport, log, agentId, subjects, targets, nodes,
    intervalMs: opts.intervalMs ?? 500, timeoutMs: opts.timeoutMs ?? 400, rise: opts.rise ?? 2, fall: opts.fall ?? 2,
    fullViewMs: opts.fullViewMs ?? 5_000, nodeTimeoutMs: opts.nodeTimeoutMs ?? 3_000,
  }));
  const subs = [
    opts.transport.subscribe(subjects.snapshot, (m) => ref.tell({ type: 'agent.v1.snapshot', snapshot: m.data as SnapshotMessage })),
    opts.transport.subscribe(subjects.heartbeat, (m) => ref.tell({ type: 'agent.v1.heartbeat', hb: m.data as HeartbeatMessage })),
  ];
  const tick = setInterval(() => ref.tell({ type: 'agent.v1.tick' }), 500);
  log.info('health agent started', { interval: opts.intervalMs ?? 500, timeout: opts.timeoutMs ?? 400, rise: opts.rise ?? 2, fall: opts.fall ?? 2 });
  return {
    agentId,
    endpoints: () => [...targets.values()].map((t) => ({ endpoint: t.id, healthy: t.health.healthy ?? true, reason: t.health.reason, since: t.health.since })),
    nodes: () => [...nodes.values()],
    async stop() {
      clearInterval(tick);
      for (const s of subs) s.unsubscribe();
      await system.shutdown();
    },
  };
}
