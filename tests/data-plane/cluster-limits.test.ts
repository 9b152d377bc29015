/**
 * Cluster-wide rate limits: three nodes' LimitExchanges over a real
 * nats-server, fed arrivals through their LimitTables as the workers' rate
 * limit filter feeds them. The shares converge to each node's part of the
 * demand, a node that stops reporting leaves its share to the others, and
 * with NATS away every node falls back to its share of the nodes it knew.
 * (The throughput of the whole path, proxies included: `npm run bench cluster-limits`.)
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { NatsTransport } from '@meshgate/actors';
import { msgpackCodec, subjects } from '@meshgate/protocol';
import { LimitExchange, LimitTable } from '@meshgate/proxy-node';
import { createLogger } from '@meshgate/telemetry';
import { eventually, startNatsServer, type NatsServer } from '@meshgate/testing';

const KEY = 'default/api\u0000198.51.100.7';
const log = createLogger('test', { level: 'error' });
let nats: NatsServer;
const nodes: { table: LimitTable; exchange: LimitExchange; transport: NatsTransport; slot: number }[] = [];

before(async () => {
  nats = await startNatsServer({ jetstream: false });
  for (const id of ['n1', 'n2', 'n3']) {
    const transport = await NatsTransport.connect({ servers: nats.url, name: id, codec: msgpackCodec, reconnectTimeWaitMs: 100 });
    const table = LimitTable.create(1024);
    const exchange = new LimitExchange({ table, transport, subject: subjects('cl').limits, nodeId: id, log, intervalMs: 100 });
    transport.onStatus((s) => { if (s.type === 'disconnect') exchange.connected(false); if (s.type === 'reconnect') exchange.connected(true); });
    nodes.push({ table, exchange, transport, slot: table.slot(KEY, true) });
  }
});

after(async () => {
  for (const n of nodes) { n.exchange.stop(); await n.transport.close(); }
  await nats?.stop();
});

/** Requests arriving at each node, `perTick[i]` every 20 ms, while `fn` runs. */
async function load<T>(perTick: number[], fn: () => Promise<T>): Promise<T> {
  const timer = setInterval(() => perTick.forEach((n, i) => { for (let k = 0; k < n; k++) nodes[i]!.table.slot(KEY, true); }), 20);
  try { return await fn(); } finally { clearInterval(timer); }
}
const shares = () => nodes.map((n) => n.table.share(n.slot));
const near = (got: number[], want: number[], tol: number) => got.every((g, i) => Math.abs(g - want[i]!) <= tol);

test('each node\'s share converges to its part of the demand, and the shares add up to the whole limit', async () => {
  await load([6, 3, 1], () => eventually('shares 0.6 / 0.3 / 0.1', async () => near(shares(), [0.6, 0.3, 0.1], 0.04), 15_000, 50));
  assert.ok(Math.abs(shares().reduce((a, b) => a + b) - 1) < 0.06, `sum ${shares()}`);
  // The load moves: the shares follow.
  await load([1, 1, 8], () => eventually('shares 0.1 / 0.1 / 0.8', async () => near(shares(), [0.1, 0.1, 0.8], 0.04), 15_000, 50));
  // Two nodes see the client, the third none any more: its part goes to them.
  await load([5, 5, 0], () => eventually('shares 0.5 / 0.5', async () => near(shares().slice(0, 2), [0.5, 0.5], 0.04), 15_000, 50));
});

test('with NATS away each node takes 1 / (the nodes it knew) of every limit; back, the shares follow the demand again', async () => {
  await load([6, 3, 1], async () => {
    await eventually('converged', async () => near(shares(), [0.6, 0.3, 0.1], 0.05), 15_000, 50);
    const port = nats.port;
    await nats.stop();
    await eventually('every node on its own third', async () => near(shares(), [1 / 3, 1 / 3, 1 / 3], 0.001), 15_000, 50);
    assert.deepEqual(nodes.map((n) => n.exchange.nodes), [3, 3, 3]);
    nats = await startNatsServer({ jetstream: false, port });
    await eventually('converged again', async () => near(shares(), [0.6, 0.3, 0.1], 0.05), 20_000, 50);
  });
});
