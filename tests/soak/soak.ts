/**
 * The soak run: the whole mesh (nats-server with JetStream, config service,
 * proxy nodes sharing a port, a health agent, backends) for a long time
 * under moderate load, a config change every second (the watched manifests
 * directory is edited), and WebSocket connections held open through the
 * proxy from start to end. Reports the resident memory growth of every
 * process after warm-up, every error, and whether each WebSocket opened at
 * the start still carries messages at the end.
 */
import { startNatsServer, type NatsServer } from '@meshgate/testing';
import { startChaosMesh, type ChaosMesh } from '../chaos/mesh.ts';
import { startLoad } from '../chaos/load.ts';
import { growth, startRssSampler, type Growth, type Watched } from './rss.ts';
import { heapGrowth, startHeapSampler, type HeapGrowth } from './heap.ts';
import { openHeldSockets } from './websockets.ts';

export interface SoakOptions {
  durationS: number;
  rps: number;
  websockets: number;
  proxies: number;
  workers: number;
  /** One config change every this many ms. */
  changeEveryMs: number;
  /** Each WebSocket sends a message and expects its echo this often. */
  wsPingMs: number;
  sampleMs: number;
  /** Target: RSS growth after warm-up below this, per process. */
  maxGrowthPct: number;
  log(line: string): void;
}

export const DEFAULTS: SoakOptions = {
  durationS: 600, rps: 100, websockets: 50, proxies: 2, workers: 2,
  changeEveryMs: 1_000, wsPingMs: 5_000, sampleMs: 2_000, maxGrowthPct: 5, log: () => {},
};

export interface SoakReport {
  options: Omit<SoakOptions, 'log'>;
  durationMs: number;
  warmupMs: number;
  windowMs: number;
  requests: { sent: number; ok: number; failed: number; kinds: Record<string, number>; p99Ms: number };
  config: { written: number; versionsSeen: Record<string, number>; finalChangeMs: number | string; nodeErrors: string[] };
  websockets: { opened: number; openAtEnd: number; closed: string[]; sent: number; echoed: number; missed: number; late: number; garbled: number };
  memory: Growth[];
  /** Live V8 heap (after full collections) per proxy thread: a leak climbs, heap sizing levels off. Information, not a target. */
  heap: HeapGrowth[];
  /** Processes that died or were replaced during the run. */
  crashed: string[];
  ok: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runSoak(opts: Partial<SoakOptions> = {}): Promise<SoakReport> {
  const o: SoakOptions = { ...DEFAULTS, ...opts };
  const nats: NatsServer = await startNatsServer();
  let mesh: ChaosMesh | undefined;
  let stopLoad: (() => Promise<void>) | undefined;
  let closeSockets: (() => Promise<void>) | undefined;
  try {
    mesh = await startChaosMesh({ nats: nats.url, proxies: o.proxies, workers: o.workers, agents: 1, backends: 2 });
    const m = mesh;
    o.log(`mesh up: ${o.proxies} proxy node(s) x ${o.workers} worker(s) on ${m.url()}, config service, health agent, 2 backends, nats-server pid ${nats.pid}`);

    const held = await openHeldSockets(`ws://127.0.0.1:${m.httpPort}/ws`, o.websockets, o.wsPingMs);
    closeSockets = () => held.close();
    o.log(`${held.sockets.length} WebSockets open through the proxy`);

    const latencies: number[] = [];
    const kinds: Record<string, number> = {};
    let ok = 0;
    let failed = 0;
    const load = startLoad({
      url: m.url('/soak'), rps: o.rps,
      onResult: (r) => {
        if (r.status === 200) { ok++; latencies.push(r.end - r.start); return; }
        failed++;
        const k = r.error ?? `HTTP ${r.status}`;
        kinds[k] = (kinds[k] ?? 0) + 1;
      },
    });
    stopLoad = () => load.stop();

    const watched: Watched[] = [
      { name: 'nats-server', pid: () => nats.pid, judged: false },
      ...[m.config, ...m.proxies, ...m.agents].map((c) => ({ name: c.name, pid: () => c.pid(), judged: true })),
      ...m.backends.map((c) => ({ name: c.name, pid: () => c.pid(), judged: false })),
    ];
    const rss = startRssSampler(watched, o.sampleMs);
    const heap = startHeapSampler(m.proxies.map((p, i) => ({ name: p.name, adminPort: m.adminPorts[i]! })), o.sampleMs);

    // Config changes on their own clock; node versions sampled alongside.
    let written = 0;
    const versionsSeen = m.proxies.map(() => new Set<number>());
    const changes = setInterval(() => { m.writeProbe(1_000 + written++); }, o.changeEveryMs);
    const versionClock = setInterval(() => {
      m.proxies.forEach((_, i) => { void m.nodeStatus(i).then((s) => { if (s) versionsSeen[i]!.add(s.version); }, () => {}); });
    }, 500);

    const t0 = Date.now();
    const end = t0 + o.durationS * 1_000;
    let lastLog = t0;
    while (Date.now() < end) {
      await sleep(Math.min(1_000, end - Date.now()));
      if (Date.now() - lastLog >= 30_000 || Date.now() >= end) {
        lastLog = Date.now();
        const open = held.sockets.filter((s) => s.closedAt === undefined).length;
        o.log(`${Math.round((Date.now() - t0) / 1000)} s: ${ok} ok, ${failed} failed, ${written} config changes, ${open}/${held.sockets.length} WebSockets open`);
      }
    }
    clearInterval(changes);
    clearInterval(versionClock);
    const durationMs = Date.now() - t0;
    rss.stop();
    heap.stop();
    await held.finalRound(5_000);
    const openAtEnd = held.sockets.filter((s) => s.closedAt === undefined).length;
    await load.stop();
    stopLoad = undefined;

    // One more change, timed: the control plane still applies changes after all of them.
    let finalChangeMs: number | string;
    try { finalChangeMs = await m.configChangeApplied(999_999, 15_000); } catch (err) { finalChangeMs = (err as Error).message; }
    const nodeErrors: string[] = [];
    for (let i = 0; i < m.proxies.length; i++) {
      const s = await m.nodeStatus(i) as (Awaited<ReturnType<ChaosMesh['nodeStatus']>> & { lastError?: string }) | undefined;
      if (s?.lastError) nodeErrors.push(`proxy-${i}: ${s.lastError}`);
    }

    const warmupMs = Math.max(10_000, durationMs * 0.2);
    const windowMs = Math.max(5_000, durationMs * 0.2);
    const memory = rss.series.map((s) => growth(s, t0 + warmupMs, windowMs, t0 + durationMs));
    const heapReport = heap.series().map((s) => heapGrowth(s, t0 + warmupMs, windowMs, t0 + durationMs));
    const crashed = [
      ...[m.config, ...m.proxies, ...m.agents, ...m.backends].filter((c) => !c.running()).map((c) => `${c.name} exited: ${c.tail().slice(-1500)}`),
      ...memory.filter((g) => g.restarted).map((g) => `${g.name} was replaced during the run (several pids)`),
    ];
    latencies.sort((a, b) => a - b);
    const ws = held.sockets;
    const report: SoakReport = {
      options: { durationS: o.durationS, rps: o.rps, websockets: o.websockets, proxies: o.proxies, workers: o.workers, changeEveryMs: o.changeEveryMs, wsPingMs: o.wsPingMs, sampleMs: o.sampleMs, maxGrowthPct: o.maxGrowthPct },
      durationMs, warmupMs, windowMs,
      requests: { sent: ok + failed, ok, failed, kinds, p99Ms: latencies[Math.floor(latencies.length * 0.99)] ?? 0 },
      config: { written, versionsSeen: Object.fromEntries(versionsSeen.map((v, i) => [`proxy-${i}`, v.size])), finalChangeMs, nodeErrors },
      websockets: {
        opened: ws.filter((s) => s.opened).length, openAtEnd,
        closed: ws.filter((s) => s.closedAt !== undefined).map((s) => `#${s.id} after ${Math.round((s.closedAt! - t0) / 1000)} s: ${s.closeReason}`),
        sent: ws.reduce((a, s) => a + s.sent, 0), echoed: ws.reduce((a, s) => a + s.echoed, 0),
        missed: ws.reduce((a, s) => a + s.missed, 0), late: ws.reduce((a, s) => a + s.late, 0), garbled: ws.reduce((a, s) => a + s.garbled, 0),
      },
      memory, heap: heapReport, crashed, ok: false,
    };
    report.ok = failed === 0 && crashed.length === 0 && nodeErrors.length === 0 && typeof finalChangeMs === 'number'
      && openAtEnd === o.websockets && report.websockets.missed === 0 && report.websockets.garbled === 0
      && memory.every((g) => !g.judged || g.growthPct < o.maxGrowthPct);
    return report;
  } finally {
    await closeSockets?.();
    await stopLoad?.();
    await mesh?.stop();
    await nats.stop();
  }
}

export function formatSoak(r: SoakReport): string {
  const o = r.options;
  const mb = (v: number) => v.toFixed(1).padStart(7);
  const lines = [
    `soak: ${Math.round(r.durationMs / 1000)} s, ${o.rps} req/s, ${o.websockets} WebSockets (a message each ${o.wsPingMs / 1000} s), a config change every ${o.changeEveryMs} ms; ${o.proxies} proxy node(s) x ${o.workers} worker(s)`,
    `requests:   ${r.requests.sent} sent, ${r.requests.ok} ok, ${r.requests.failed} failed${r.requests.failed ? ` (${Object.entries(r.requests.kinds).map(([k, v]) => `${k} x${v}`).join(', ')})` : ''}; p99 ${r.requests.p99Ms} ms`,
    `config:     ${r.config.written} changes written; versions seen applied per node: ${Object.entries(r.config.versionsSeen).map(([k, v]) => `${k} ${v}`).join(', ')} (sampled every 500 ms); one more change at the end applied in ${typeof r.config.finalChangeMs === 'number' ? `${r.config.finalChangeMs} ms` : `NO (${r.config.finalChangeMs})`}`,
    ...r.config.nodeErrors.map((e) => `  node error: ${e}`),
    `websockets: ${r.websockets.opened} opened at the start, ${r.websockets.openAtEnd} still open at the end; ${r.websockets.echoed}/${r.websockets.sent} messages echoed, ${r.websockets.missed} missed (${r.websockets.late} of them late), ${r.websockets.garbled} garbled`,
    ...r.websockets.closed.map((c) => `  closed: ${c}`),
    `memory (RSS, MB): warm-up ${Math.round(r.warmupMs / 1000)} s; median of the next ${Math.round(r.windowMs / 1000)} s vs median of the last ${Math.round(r.windowMs / 1000)} s`,
    `  ${'process'.padEnd(16)} ${'after'.padStart(7)} ${'end'.padStart(7)} ${'peak'.padStart(7)}  growth`,
    ...r.memory.map((g) => `  ${g.name.padEnd(16)} ${mb(g.baselineMb)} ${mb(g.endMb)} ${mb(g.peakMb)}  ${(g.growthPct >= 0 ? '+' : '') + g.growthPct.toFixed(1)}%${!g.judged ? '  (not meshgate: shown only)' : g.growthPct >= o.maxGrowthPct ? '  OVER TARGET' : ''}`),
    `V8 heap per proxy thread (MB), same windows: "live" after full collections (a leak climbs), "committed" held from the system (part of RSS)`,
    ...r.heap.map((h) => `  ${h.name.padEnd(26)} ${mb(h.baselineMb)} ${mb(h.endMb)}  ${(h.growthPct >= 0 ? '+' : '') + h.growthPct.toFixed(1)}%`),
    ...r.crashed.map((c) => `CRASHED: ${c}`),
    '',
    r.ok ? `PASS: no errors, every WebSocket alive, RSS growth under ${o.maxGrowthPct}% for every meshgate process` : 'FAIL: see above',
  ];
  return lines.join('\n');
}
