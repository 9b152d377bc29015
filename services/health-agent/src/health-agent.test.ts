import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type net from 'node:net';
import { LocalTransport } from '@meshgate/actors';
import {
  encodeSnapshot, nodeSubject, subjects as makeSubjects,
  type LivenessViewPart, type HealthStatusReply, type NodeLivenessMessage, type HeartbeatMessage,
} from '@meshgate/protocol';
import { createLogger } from '@meshgate/telemetry';
import { startHealthAgent } from './health-agent.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(what: string, fn: () => boolean, ms = 3_000): Promise<void> {
  const end = Date.now() + ms;
  while (!fn()) { if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms`); await sleep(10); }
}

const servers: http.Server[] = [];
after(() => { for (const s of servers) { s.closeAllConnections(); s.close(); } });
async function backend(status = 200): Promise<{ port: number; setStatus(n: number): void; server: http.Server }> {
  let code = status;
  const server = http.createServer((_req, res) => { res.statusCode = code; res.end(); });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { port: (server.address() as net.AddressInfo).port, setStatus: (n) => { code = n; }, server };
}

const content = (eps: { port: number; node?: string }[], annotations: Record<string, string> = {}) => ({
  rules: [], tls: [],
  backends: [
    { id: 'default/a:80', namespace: 'default', service: 'a', servicePort: 80, healthPath: '/healthz', annotations, endpoints: eps.map((e) => ({ id: `127.0.0.1:${e.port}`, address: '127.0.0.1', port: e.port, ...(e.node ? { node: e.node } : {}) })) },
    { id: 'default/b:80', namespace: 'default', service: 'b', servicePort: 80, healthPath: '/', annotations: {}, endpoints: eps.slice(0, 1).map((e) => ({ id: `127.0.0.1:${e.port}`, address: '127.0.0.1', port: e.port })) },
  ],
});

test('agent: probes from a snapshot, publishes deltas on change and full views in parts, answers status', async () => {
  const transport = new LocalTransport();
  const subjects = makeSubjects('t1');
  const b1 = await backend(200);
  const b2 = await backend(200);
  const liveness: LivenessViewPart[] = [];
  transport.subscribe(subjects.liveness, (m) => { liveness.push(m.data as LivenessViewPart); });
  const agent = await startHealthAgent({
    transport, log: createLogger('test', { level: 'error' }), agentId: 'a1', subjectPrefix: 't1',
    intervalMs: 50, timeoutMs: 1_000, fullViewMs: 300,
  });
  try {
    transport.publish(subjects.snapshot, encodeSnapshot(content([{ port: b1.port, node: 'n1' }, { port: b2.port }], { 'meshgate.dev/health-status': '200-204' }), 1));
    await until('both endpoints healthy', () => agent.endpoints().filter((e) => e.healthy && e.reason === 'HTTP 200').length === 2);
    await until('both first verdicts published', () => liveness.filter((l) => l.kind === 'delta').flatMap((l) => l.endpoints).length >= 2);
    const firstDeltas = liveness.filter((l) => l.kind === 'delta').flatMap((l) => l.endpoints);
    assert.deepEqual(firstDeltas.map((e) => e.healthy), [true, true], 'the first probe decides, and is published');

    b2.setStatus(503);
    await until('b2 down', () => liveness.some((l) => l.kind === 'delta' && l.endpoints.some((e) => e.endpoint === `127.0.0.1:${b2.port}` && !e.healthy)));
    const down = agent.endpoints().find((e) => e.endpoint === `127.0.0.1:${b2.port}`)!;
    assert.equal(down.reason, 'HTTP 503 (healthy: 200-204)');

    await until('a full view', () => liveness.some((l) => l.kind === 'full'));
    const full = liveness.find((l) => l.kind === 'full')!;
    assert.equal(full.parts, 1);
    assert.equal(full.part, 0);
    assert.equal(full.endpoints.length, 2);

    const st = await transport.request<HealthStatusReply>(subjects.healthStatus, { type: 'health.v1.status.get' }, 1_000);
    assert.equal(st.type, 'health.v1.status');
    assert.equal(st.agent, 'a1');
    const e1 = st.endpoints.find((e) => e.endpoint === `127.0.0.1:${b1.port}`)!;
    assert.deepEqual(e1.backends, ['default/a:80', 'default/b:80']);
    assert.equal(e1.node, 'n1');
    assert.equal(e1.check, 'http GET /healthz 200-204');
    assert.ok(e1.lastProbe > 0);
    assert.ok(st.probes.started > 4);
    assert.equal(st.probes.endpoints, 2);

    // Endpoints removed from the config stop being probed.
    transport.publish(subjects.snapshot, encodeSnapshot(content([{ port: b1.port }]), 2));
    await until('one endpoint left', () => agent.endpoints().length === 1);
  } finally {
    await agent.stop();
    await transport.close();
  }
});

test('agent: node membership from heartbeats, published on health.v1.nodes', async () => {
  const transport = new LocalTransport();
  const subjects = makeSubjects('t2');
  const events: NodeLivenessMessage[] = [];
  transport.subscribe(subjects.healthNodes, (m) => { events.push(m.data as NodeLivenessMessage); });
  const agent = await startHealthAgent({ transport, log: createLogger('test', { level: 'error' }), agentId: 'a2', subjectPrefix: 't2', nodeTimeoutMs: 300 });
  const hb = (state: 'up' | 'leaving'): HeartbeatMessage => ({ type: 'node.v1.heartbeat', nodeId: 'p1', version: 3, hash: 'h', ready: true, workers: 1, admin: 'http://127.0.0.1:1', state, at: Date.now() });
  try {
    transport.publish(nodeSubject(subjects.heartbeat, 'p1'), hb('up'));
    await until('up', () => events.length === 1);
    assert.equal(events[0]!.nodes[0]!.state, 'up');
    await until('down', () => events.length === 2, 2_000);
    assert.match(events[1]!.nodes[0]!.reason, /^no heartbeat for \d+ ms$/);
    transport.publish(nodeSubject(subjects.heartbeat, 'p1'), hb('up'));
    await until('up again', () => events.length === 3);
    transport.publish(nodeSubject(subjects.heartbeat, 'p1'), hb('leaving'));
    await until('leaving', () => events.length === 4);
    assert.equal(events[3]!.nodes[0]!.reason, 'left (draining)');
    const st = await transport.request<HealthStatusReply>(subjects.healthStatus, { type: 'health.v1.status.get' }, 1_000);
    assert.deepEqual(st.nodes.map((n) => [n.nodeId, n.up, n.state, n.version]), [['p1', false, 'leaving', 3]]);
  } finally {
    await agent.stop();
    await transport.close();
  }
});

test('agent: a large full view goes out in parts of at most 1,000 endpoints', async () => {
  const transport = new LocalTransport();
  const subjects = makeSubjects('t3');
  const parts: LivenessViewPart[] = [];
  transport.subscribe(subjects.liveness, (m) => { const l = m.data as LivenessViewPart; if (l.kind === 'full') parts.push(l); });
  const b = await backend(200);
  // 2,500 endpoints that all point at one listener (ids differ by address within 127/8: refused = down is fine too).
  const eps = Array.from({ length: 2_500 }, (_, i) => ({ id: `127.1.${i >> 8}.${i & 255}:${b.port}`, address: `127.1.${i >> 8}.${i & 255}`, port: b.port }));
  const agent = await startHealthAgent({ transport, log: createLogger('test', { level: 'error' }), agentId: 'a3', subjectPrefix: 't3', intervalMs: 1_000, timeoutMs: 200, fullViewMs: 1_200 });
  try {
    transport.publish(subjects.snapshot, encodeSnapshot({ rules: [], tls: [], backends: [{ id: 'default/x:80', namespace: 'default', service: 'x', servicePort: 80, healthPath: '/', annotations: {}, endpoints: eps }] }, 1));
    // Wait for a view of every endpoint (on a loaded machine the first may list fewer).
    const complete = () => parts.filter((p) => p.parts === 3 && p.endpoints.length === (p.part === 2 ? 500 : 1_000));
    await until('a view in three parts', () => complete().length >= 3, 10_000);
    const epochParts = complete().filter((p) => p.epoch === complete()[0]!.epoch);
    assert.deepEqual(epochParts.map((p) => [p.part, p.parts, p.endpoints.length]), [[0, 3, 1_000], [1, 3, 1_000], [2, 3, 500]]);
    assert.ok(parts.every((p) => p.endpoints.length <= 1_000));
  } finally {
    await agent.stop();
    await transport.close();
  }
});

test('agent: started before anything could give it a snapshot, it asks again until it gets one (no change needed)', async () => {
  const transport = new LocalTransport();
  const subjects = makeSubjects('t4');
  const b1 = await backend(200);
  // No KV store and no config service yet: the first fetch finds no one to answer.
  const agent = await startHealthAgent({ transport, log: createLogger('test', { level: 'error' }), agentId: 'a4', subjectPrefix: 't4', intervalMs: 50, timeoutMs: 1_000 });
  try {
    await sleep(300);
    assert.equal(agent.endpoints().length, 0);
    // The config service comes up having published already (the agent missed that push): it only answers requests.
    const snap = encodeSnapshot(content([{ port: b1.port }]), 7);
    transport.subscribe(subjects.snapshotGet, (m) => m.reply?.(snap));
    await until('the agent fetched the snapshot and probes', () => agent.endpoints().some((e) => e.healthy && e.reason === 'HTTP 200'), 5_000);
  } finally {
    await agent.stop();
    await transport.close();
  }
});
