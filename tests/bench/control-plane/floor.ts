/**
 * The machine's floor for the propagation bench: `node tests/bench/control-plane/floor.ts --nodes 50 --changes 200`.
 *
 * N bare Node processes (floor-node.ts: a nats.js connection, no meshgate
 * code, about a third of a proxy node's memory) each answer a 366-byte message
 * (a route delta's size) with an ACK. One message at a time, as the bench
 * makes changes: published, then every ACK awaited. Per message: publish to
 * every ACK seen, the kernel's memory threads' CPU meanwhile, and the
 * subscribers' CPU. What a change can cost on this machine when nothing but
 * the fan-out and the ACKs is done: run.ts runs it beside its rows, so the
 * two are compared in one run.
 */
import path from 'node:path';
import { connect } from '@nats-io/transport-node';
import { spawnProcess, startNatsServer, type Proc } from '@meshgate/testing';
import { KERNEL_BUSY_MS, cpuMs, kernelThreads, pct, runMs } from './machine.ts';

export interface FloorRow {
  nodes: number;
  changes: number;
  ackP50: number;
  ackP99: number;
  /** All the subscribers' CPU per message (ms). */
  cpuPerChange: number;
  kernel: { msPerChange: number; busy: number; quietP50: number; quietP99: number };
}

const START_BATCH = 10;

export async function floorRow(nodes: number, changes: number, warmup = 30): Promise<FloorRow> {
  const nats = await startNatsServer();
  const procs: Proc[] = [];
  const nc = await connect({ servers: nats.url, name: 'floor-bench' });
  try {
    for (let first = 0; first < nodes; first += START_BATCH) {
      const batch: Proc[] = [];
      for (let i = first; i < Math.min(nodes, first + START_BATCH); i++) batch.push(spawnProcess(process.execPath, [path.resolve(import.meta.dirname, 'floor-node.ts'), nats.url, String(i)]));
      procs.push(...batch);
      for (const p of batch) await p.waitFor('ready', 60_000);
    }
    let acks = 0;
    let allAcked = () => {};
    nc.subscribe('floor.ack', { callback: () => { if (++acks === nodes) allAcked(); } });
    await nc.flush();
    const body = new Uint8Array(366);
    const kernel = kernelThreads();
    const one = async () => {
      acks = 0;
      const k0 = runMs(kernel);
      const t0 = performance.now();
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`floor: ${acks} of ${nodes} ACKs after 30 s`)), 30_000);
        allAcked = () => { clearTimeout(timer); resolve(); };
        nc.publish('floor.change', body);
      });
      return { ack: performance.now() - t0, kernelMs: runMs(kernel) - k0 };
    };
    for (let i = 0; i < warmup; i++) await one();
    const pids = procs.map((p) => p.pid);
    const cpu0 = cpuMs(pids);
    const ack: number[] = [];
    const kernelMs: number[] = [];
    for (let i = 0; i < changes; i++) {
      const r = await one();
      ack.push(r.ack);
      kernelMs.push(r.kernelMs);
    }
    const cpuPerChange = (cpuMs(pids) - cpu0) / changes;
    const quiet = ack.filter((_, n) => kernelMs[n]! < KERNEL_BUSY_MS);
    return {
      nodes, changes, ackP50: pct(ack, 50), ackP99: pct(ack, 99), cpuPerChange,
      kernel: { msPerChange: kernelMs.reduce((a, b) => a + b, 0) / changes, busy: changes - quiet.length, quietP50: pct(quiet, 50), quietP99: pct(quiet, 99) },
    };
  } finally {
    await Promise.all(procs.map((p) => p.stop()));
    await nc.close();
    await nats.stop();
  }
}

const f = (x: number) => x.toFixed(1);

export const floorHeader = [
  `| nodes | publish → every ACK seen p50 / p99 (ms) | the processes' CPU per message: all (each) | the kernel's memory threads: CPU per message (ms); messages they ran ${KERNEL_BUSY_MS} ms or more in; every ACK seen p50 / p99 over the other messages (ms) |`,
  '| ---: | ---: | ---: | ---: |',
].join('\n');

export const floorLine = (r: FloorRow) => `| ${r.nodes} | ${f(r.ackP50)} / ${f(r.ackP99)} | ${f(r.cpuPerChange)} (${(r.cpuPerChange / r.nodes).toFixed(2)}) | ${f(r.kernel.msPerChange)}; ${r.kernel.busy} of ${r.changes}; ${f(r.kernel.quietP50)} / ${f(r.kernel.quietP99)} |`;

if (import.meta.main) {
  const arg = (name: string, def: string) => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? process.argv[i + 1]! : def; };
  const rows: FloorRow[] = [];
  for (const n of arg('nodes', '50').split(',').map(Number)) rows.push(await floorRow(n, Number(arg('changes', '200')), Number(arg('warmup', '30'))));
  console.log(`${floorHeader}\n${rows.map(floorLine).join('\n')}`);
}
