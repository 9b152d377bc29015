import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { LocalTransport } from '@meshgate/actors';
import { HealthMessageType, MessageType, MetricsMessageType, nodeSubject, subjects as makeSubjects, type NodeView } from '@meshgate/protocol';
import { createLogger } from '@meshgate/telemetry';
import { request, eventually } from '@meshgate/testing';
import { emptyApplied } from '../applied-objects.ts';
import { startDashboard } from './dashboard.ts';
import { nodesSection, type DashboardSources } from './views.ts';
import type { ChangeRow } from './change-log.ts';

const subjects = makeSubjects();
const node = (nodeId: string, version: number, acked = version): NodeView => ({ nodeId, state: 'up', version, hash: 'h', ready: true, workers: 2, admin: 'http://127.0.0.1:1', lastSeen: 0, ackedVersion: acked });
const change = (version: number, at: number, applied: Record<string, number> = {}): ChangeRow => ({
  version, at, kind: 'routes', reason: 'changed: x.yaml', ingresses: ['default/web'], backends: [], rulesAdded: 1, rulesRemoved: 0, certificates: [], applied, more: 0,
});
const sources = (o: Partial<DashboardSources> = {}): DashboardSources => ({
  mesh: undefined, applied: emptyApplied(), latest: undefined, nodes: [], changes: [], store: 'memory only', manifests: '/m', ...o,
});

test('ACK lag: in sync with its ACK time, or behind since the first version it waits for', () => {
  const s = sources({
    latest: { type: MessageType.Snapshot, version: 12, hash: 'h', createdAt: 3_000, format: 1, body: new Uint8Array() },
    nodes: [node('a', 12), node('b', 10)],
    changes: [change(12, 3_000, { a: 15 }), change(11, 2_000, { a: 9 }), change(10, 1_000, { a: 5, b: 40 })],
  });
  const [a, b] = nodesSection(s);
  assert.deepEqual([a!.ackMs, a!.behindSince], [15, undefined]);
  assert.deepEqual([b!.ackMs, b!.behindSince], [40, 2_000]);
});

/** Server-sent events as they arrive: [event, data]. */
function events(url: string): { got: [string, unknown][]; close(): void } {
  const got: [string, unknown][] = [];
  let buf = '';
  const req = http.get(url, (res) => {
    res.setEncoding('utf8');
    res.on('data', (c: string) => {
      buf += c;
      let i;
      while ((i = buf.indexOf('\n\n')) >= 0) {
        const block = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const ev = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (ev && data) got.push([ev, JSON.parse(data)]);
      }
    });
  });
  req.on('error', () => {});
  return { got, close: () => req.destroy() };
}

test('the page, its state, and live updates: config on change, health from the agents, traffic from the nodes', async () => {
  const transport = new LocalTransport();
  let current = sources({ nodes: [node('proxy-1', 1)] });
  // An agent answering status, as `meshgate get backends` asks.
  transport.subscribe(subjects.healthStatus, (m) => m.reply?.({
    type: HealthMessageType.Status, agent: 'agent-1', at: 1, nodes: [], probes: {},
    endpoints: [{ endpoint: '10.0.0.1:80', healthy: true, reason: 'HTTP 200', since: 5, backends: [], check: 'tcp', lastProbe: 5 }],
  }));
  const d = await startDashboard({
    host: '127.0.0.1', port: 0, transport, subjects, log: createLogger('test', { level: 'silent' }),
    sources: async () => current, metrics: { bucketMs: 200 },
  });
  const es = events(`${d.url}api/events`);
  try {
    const page = await request(d.url);
    assert.equal(page.status, 200);
    assert.match(page.headers['content-security-policy'] as string, /default-src 'none'; script-src 'self'/);
    assert.match(page.body, /<script type="module" src="\/app.js">/);
    for (const asset of ['app.js', 'dom.js', 'charts.js', 'app.css']) assert.equal((await request(`${d.url}${asset}`)).status, 200, asset);
    assert.equal((await request(`${d.url}api/state`, { method: 'POST', body: '' })).status, 405);
    assert.equal((await request(`${d.url}nope`)).status, 404);

    await eventually('the first state', async () => es.got.some(([e]) => e === 'state'), 5_000);
    const state = es.got.find(([e]) => e === 'state')![1] as { nodes: { nodeId: string }[] };
    assert.deepEqual(state.nodes.map((n) => n.nodeId), ['proxy-1']);
    // Health from the agent's status: in the first state, or just after it.
    const healthy = (v: unknown) => (v as { endpoints: Record<string, { healthy: boolean }> } | null)?.endpoints['10.0.0.1:80']?.healthy === true;
    await eventually('health from the agent\'s status', async () => healthy((es.got[0]![1] as { health: unknown }).health) || es.got.some(([e, v]) => e === 'health-delta' && healthy(v)), 5_000);

    current = sources({ nodes: [node('proxy-1', 2)] });
    d.changed();
    await eventually('the nodes again, on change', async () => es.got.some(([e, v]) => e === 'nodes' && (v as { version: number }[])[0]!.version === 2), 5_000);
    assert.equal(es.got.filter(([e]) => e === 'objects').length, 0, 'an unchanged section is not sent again');

    transport.publish(subjects.liveness, { type: MessageType.Liveness, agent: 'agent-1', kind: 'delta', seq: 1, endpoints: [{ endpoint: '10.0.0.1:80', healthy: false, reason: 'connect ECONNREFUSED', since: 9 }] });
    await eventually('the endpoint down, with why', async () => es.got.some(([e, v]) => e === 'health-delta' && (v as { endpoints: Record<string, { healthy: boolean; reason: string }> }).endpoints['10.0.0.1:80']?.reason === 'connect ECONNREFUSED'), 5_000);

    const summary = { type: MetricsMessageType.NodeMetrics, nodeId: 'proxy-1', at: 0, intervalMs: 1000, le: [0.01, 0.1], routes: [{ ingress: 'default/web', service: 'web', requests: 5, errors: 1, buckets: [0, 5] }] };
    transport.publish(nodeSubject(subjects.metrics, 'proxy-2'), summary); // on another node's subject: dropped
    transport.publish(nodeSubject(subjects.metrics, 'proxy-1'), summary);
    await eventually('traffic per route', async () => es.got.some(([e, v]) => e === 'metrics' && (v as { table: unknown[][] }).table[0]?.[0] === 'default/web → web'), 5_000);
    const m = es.got.findLast(([e]) => e === 'metrics')![1] as { nodes: Record<string, number> };
    assert.deepEqual(Object.keys(m.nodes), ['proxy-1']);
  } finally {
    es.close();
    await d.close();
    await transport.close();
  }
});
