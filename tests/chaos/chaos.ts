/**
 * The chaos run: a three-server NATS cluster and the whole mesh under
 * steady load; one fault at a time (kill, hold, restart, settle), every
 * request accounted to the fault during which it started.
 *
 * A failed request is "expected" only when the killed component owned
 * client connections (a proxy node, a proxy worker) and the request went
 * out on a connection opened before the kill was seen and failed at the
 * kill or after: a request in flight on, or sent over a kept-alive
 * connection to, the killed node. Every other failure is unexpected and is
 * listed with what it was.
 */
import { startNatsCluster, type NatsCluster } from './nats-cluster.ts';
import { startChaosMesh, type ChaosMesh } from './mesh.ts';
import { startLoad, type RequestResult } from './load.ts';
import { FAULT_NAMES, makeFault, type Fault, type FaultName, type Killed } from './faults.ts';

export interface ChaosOptions {
  rps: number;
  proxies: number;
  workers: number;
  agents: number;
  backends: number;
  /** How long a killed component stays down before it is started again. */
  holdMs: number;
  /** Load after the component is back, still counted to its fault. */
  settleMs: number;
  /** Steady load before the first fault (the "no fault" row). */
  baselineMs: number;
  faults: readonly FaultName[];
  log(line: string): void;
}

export const DEFAULTS: ChaosOptions = {
  rps: 300, proxies: 3, workers: 2, agents: 2, backends: 3,
  holdMs: 5_000, settleMs: 3_000, baselineMs: 5_000, faults: FAULT_NAMES, log: () => {},
};

const CONNECTION_ERRORS = new Set(['ECONNRESET', 'socket hang up', 'EPIPE', 'response aborted']);

/** One fault as it happened (or the baseline), before its requests are accounted. */
interface Phase {
  fault: FaultName | 'none';
  target: string;
  start: number;
  end: number;
  killed?: Killed;
  downMs?: number;
  configDuring?: number | string;
  configAfter?: number | string;
  ownsClientConnections: boolean;
}

export interface PhaseReport {
  fault: FaultName | 'none';
  target: string;
  start: number;
  end: number;
  killed?: Killed;
  /** From the kill to the component doing its job again. */
  downMs?: number;
  requests: number;
  failed: number;
  /** In flight on the killed node's connections (allowed). */
  onKilledConnections: number;
  /** Of those, how many were sent after the kill was seen (over a kept-alive connection not yet known dead). */
  sentAfterKill: number;
  unexpected: number;
  /** Unexpected failures by kind: `HTTP 502`, `ECONNRESET`, ... */
  unexpectedKinds: Record<string, number>;
  /** The first few unexpected failures, in ms relative to the kill. */
  unexpectedSamples: string[];
  p99Ms: number;
  maxMs: number;
  /** A config change made while the component was down: ms until every running node applied it, or why not. */
  configDuring?: number | string;
  /** A config change once it was back. */
  configAfter?: number | string;
}

export interface ChaosReport {
  options: Omit<ChaosOptions, 'log'>;
  setupMs: number;
  phases: PhaseReport[];
  /** The JetStream KV stream holding the snapshots: where it lived at the start. */
  kvPlacement?: { leader: string; replicas: number };
  /** Components found dead at the end that nobody killed. */
  crashed: string[];
  ok: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runChaos(opts: Partial<ChaosOptions> = {}): Promise<ChaosReport> {
  const o: ChaosOptions = { ...DEFAULTS, ...opts };
  const t0 = Date.now();
  o.log(`starting a 3-server NATS cluster and the mesh: ${o.proxies} proxy node(s) x ${o.workers} worker(s), config service, ${o.agents} health agents, ${o.backends} backends`);
  const nats: NatsCluster = await startNatsCluster(3);
  let mesh: ChaosMesh | undefined;
  let load: ReturnType<typeof startLoad> | undefined;
  try {
    mesh = await startChaosMesh({ nats: nats.urls, proxies: o.proxies, workers: o.workers, agents: o.agents, backends: o.backends });
    const m = mesh;
    const setupMs = Date.now() - t0;
    const kvPlacement = await nats.streamPlacement('KV_meshgate-config');
    o.log(`mesh up in ${setupMs} ms; HTTP on ${m.url()}; snapshots KV ${kvPlacement ? `on ${kvPlacement.leader}, ${kvPlacement.replicas} replica(s)` : 'not found'}`);

    const results: RequestResult[] = [];
    load = startLoad({ url: m.url('/chaos'), rps: o.rps, onResult: (r) => results.push(r) });
    const phases: Phase[] = [];
    let change = 1;
    const tryChange = async (timeoutMs: number): Promise<number | string> => {
      try { return await m.configChangeApplied(change++, timeoutMs); } catch (err) { return `not applied: ${(err as Error).message.split('\n')[0]}`; }
    };

    let start = Date.now();
    await sleep(o.baselineMs);
    phases.push({ fault: 'none', target: 'steady load, no fault', start, end: Date.now(), ownsClientConnections: false });

    for (const name of o.faults) {
      const f: Fault = makeFault(name, m, nats);
      start = Date.now();
      const killed = await f.kill();
      o.log(`${name}: killed ${f.target}`);
      let configDuring: number | string | undefined;
      if (f.held) {
        configDuring = await tryChange(o.holdMs);
        await sleep(Math.max(0, killed.exitedAt + o.holdMs - Date.now()));
      }
      await f.restore();
      const downMs = Date.now() - killed.at;
      o.log(`${name}: back after ${downMs} ms`);
      await sleep(o.settleMs);
      const configAfter = await tryChange(15_000);
      phases.push({ fault: name, target: f.target, start, end: Date.now(), killed, downMs, ...(configDuring === undefined ? {} : { configDuring }), configAfter, ownsClientConnections: f.ownsClientConnections });
    }
    await load.stop();
    load = undefined;

    const crashed = [m.config, ...m.proxies, ...m.agents, ...m.backends].filter((c) => !c.running()).map((c) => `${c.name}: ${c.tail().slice(-1500)}`);
    const reports = phases.map((p, k) => account(p, results.filter((r) => r.start >= p.start && (k === phases.length - 1 ? true : r.start < phases[k + 1]!.start))));
    const ok = crashed.length === 0 && reports.every((r) => r.unexpected === 0);
    const { log: _log, ...options } = o;
    return { options, setupMs, phases: reports, ...(kvPlacement ? { kvPlacement } : {}), crashed, ok };
  } finally {
    await load?.stop();
    await mesh?.stop();
    await nats.stop();
  }
}

function account(p: Phase, rs: RequestResult[]): PhaseReport {
  const failed = rs.filter((r) => r.status !== 200);
  let onKilled = 0;
  let sentAfterKill = 0;
  const unexpected: RequestResult[] = [];
  for (const r of failed) {
    const connectionLost = r.status === 0 && r.error !== undefined && CONNECTION_ERRORS.has(r.error);
    if (p.ownsClientConnections && p.killed && connectionLost && r.connOpened <= p.killed.exitedAt && r.end >= p.killed.at) {
      onKilled++;
      if (r.start > p.killed.exitedAt) sentAfterKill++;
    } else {
      unexpected.push(r);
    }
  }
  const kinds: Record<string, number> = {};
  for (const r of unexpected) { const k = r.error ?? `HTTP ${r.status}`; kinds[k] = (kinds[k] ?? 0) + 1; }
  const ref = p.killed?.at ?? p.start;
  const lat = rs.filter((r) => r.status === 200).map((r) => r.end - r.start).sort((a, b) => a - b);
  return {
    fault: p.fault, target: p.target, start: p.start, end: p.end,
    ...(p.killed ? { killed: p.killed } : {}), ...(p.downMs === undefined ? {} : { downMs: p.downMs }),
    requests: rs.length, failed: failed.length, onKilledConnections: onKilled, sentAfterKill,
    unexpected: unexpected.length, unexpectedKinds: kinds,
    unexpectedSamples: unexpected.slice(0, 8).map((r) => `${r.error ?? `HTTP ${r.status}`} started ${r.start - ref} ms, ended ${r.end - ref} ms after the kill (connection opened ${r.connOpened - ref} ms)`),
    p99Ms: lat[Math.floor(lat.length * 0.99)] ?? 0,
    maxMs: lat.at(-1) ?? 0,
    ...(p.configDuring === undefined ? {} : { configDuring: p.configDuring }),
    ...(p.configAfter === undefined ? {} : { configAfter: p.configAfter }),
  };
}

export function formatReport(r: ChaosReport): string {
  const ms = (v: number | string | undefined) => (v === undefined ? '-' : typeof v === 'number' ? `${v} ms` : 'NO');
  const rows = [['fault', 'requests', 'failed', 'on killed conns', 'unexpected', 'down', 'p99', 'max', 'config change during / after']];
  for (const p of r.phases) {
    rows.push([p.fault, String(p.requests), String(p.failed), p.fault === 'none' ? '-' : String(p.onKilledConnections), String(p.unexpected),
      p.downMs === undefined ? '-' : `${p.downMs} ms`, `${p.p99Ms} ms`, `${p.maxMs} ms`, `${ms(p.configDuring)} / ${ms(p.configAfter)}`]);
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)));
  const lines = rows.map((row) => row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  '));
  lines.splice(1, 0, widths.map((w) => '-'.repeat(w)).join('  '));
  const out = [
    `chaos: ${r.options.rps} req/s, ${r.options.proxies} proxy node(s) x ${r.options.workers} worker(s), ${r.options.agents} agents, ${r.options.backends} backends, 3 NATS servers; down ${r.options.holdMs} ms, settle ${r.options.settleMs} ms`,
    `snapshots KV: ${r.kvPlacement ? `leader ${r.kvPlacement.leader}, ${r.kvPlacement.replicas} replica(s)` : 'not found'}`,
    '',
    ...lines,
    '',
  ];
  for (const p of r.phases) {
    out.push(`${p.fault}: ${p.target}`);
    if (p.onKilledConnections) out.push(`  ${p.onKilledConnections} on connections to the killed component (${p.sentAfterKill} of them sent after the kill was seen, over a kept-alive connection not yet known dead)`);
    if (p.unexpected) {
      out.push(`  UNEXPECTED: ${Object.entries(p.unexpectedKinds).map(([k, v]) => `${k} x${v}`).join(', ')}`);
      for (const s of p.unexpectedSamples) out.push(`    ${s}`);
    }
    if (typeof p.configDuring === 'string') out.push(`  config change while down: ${p.configDuring}`);
    if (typeof p.configAfter === 'string') out.push(`  config change once back: ${p.configAfter}`);
  }
  for (const c of r.crashed) out.push(`CRASHED (not killed by the run): ${c}`);
  out.push('', r.ok ? 'PASS: no unexpected failed request' : 'FAIL: unexpected failed requests or crashed components (above)');
  return out.join('\n');
}
