/**
 * Lightweight stand-ins for N proxy nodes and one health agent over a real
 * nats-server, for the dashboard's scale benchmark: each node heartbeats
 * every second, ACKs every snapshot and delta, and sends a traffic summary
 * (node.v1.metrics) every second over `routesPerNode` of the routes; the
 * agent answers health.v1.status and broadcasts a full liveness view every
 * 5 s, as the real ones do. One NATS connection carries them all.
 */
import { NatsTransport } from '@meshgate/actors';
import {
  HealthMessageType, MessageType, MetricsMessageType, msgpackCodec, nodeSubject, subjects as makeSubjects,
  type RouteTraffic,
} from '@meshgate/protocol';

const LE = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export interface FakeMesh { close(): Promise<void> }

export async function startFakeNodes(o: { nats: string; nodes: number; routes: { ingress: string; service: string }[]; routesPerNode: number; endpoints: string[] }): Promise<FakeMesh> {
  const t = await NatsTransport.connect({ servers: o.nats, name: 'dashboard-bench-fakes', codec: msgpackCodec });
  const s = makeSubjects();
  const ids = Array.from({ length: o.nodes }, (_, i) => `node-${String(i + 1).padStart(2, '0')}`);
  let version = 0;
  let hash = '';
  const ack = (v: number, h: string) => {
    version = Math.max(version, v);
    hash = h;
    for (const nodeId of ids) t.publish(nodeSubject(s.ack, nodeId), { type: MessageType.Ack, nodeId, ok: true, version: v, hash: h, applyMs: 1, at: Date.now() });
  };
  for (const subject of [s.snapshot, s.routes, s.endpoints]) {
    t.subscribe(subject, (m) => {
      const d = m.data as { version?: number; hash?: string };
      if (typeof d?.version === 'number') ack(d.version, d.hash ?? '');
    });
  }
  const health = o.endpoints.map((endpoint) => ({ endpoint, healthy: true, reason: 'HTTP 200', since: Date.now() }));
  t.subscribe(s.healthStatus, (m) => m.reply?.({
    type: HealthMessageType.Status, agent: 'fake-agent', at: Date.now(), nodes: [],
    probes: { endpoints: health.length, intervalMs: 300, probesPerSecond: 0, lateP50Ms: 0, lateP99Ms: 0, lateMaxMs: 0, skippedBusy: 0, inFlight: 0, started: 0 },
    endpoints: health.map((h) => ({ ...h, backends: [], check: 'http GET / 200-399', lastProbe: Date.now() })),
  }));
  let tick = 0;
  const beat = setInterval(() => {
    tick++;
    for (const [i, nodeId] of ids.entries()) {
      t.publish(nodeSubject(s.heartbeat, nodeId), { type: MessageType.Heartbeat, nodeId, version, hash, ready: true, workers: 2, admin: `http://10.0.0.${i + 1}:9901`, state: 'up', at: Date.now() });
      const routes: RouteTraffic[] = [];
      for (let k = 0; k < o.routesPerNode; k++) {
        const r = o.routes[(i * 7 + k + tick) % o.routes.length]!;
        const n = 5 + ((k * 13 + tick) % 20);
        routes.push({ ...r, requests: n, errors: k % 50 === 0 ? 1 : 0, buckets: [3, n - 2, 5, 1, 7, 1] });
      }
      t.publish(nodeSubject(s.metrics, nodeId), { type: MetricsMessageType.NodeMetrics, nodeId, at: Date.now(), intervalMs: 1000, le: LE, routes });
    }
    if (tick % 5 === 0) t.publish(s.liveness, { type: MessageType.Liveness, agent: 'fake-agent', kind: 'full', seq: tick, endpoints: health, at: Date.now(), boot: 1 });
  }, 1_000);
  return { async close() { clearInterval(beat); await t.close(); } };
}
