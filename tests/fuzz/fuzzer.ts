/**
 * Starts everything a fuzz run needs (recording and hostile backends,
 * meshgate with one worker, nginx) and runs the differential and hostile
 * modes side by side, watching the meshgate worker. Used by run.ts
 * (`npm run fuzz`) and the CI slice.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '@meshgate/testing';
import type { Finding } from './compare.ts';
import { runDifferential, type DiffStats } from './differential.ts';
import { FindingStore } from './findings.ts';
import { startFuzzMesh, type FuzzMesh } from './fuzz-mesh.ts';
import type { FuzzCase } from './grammar.ts';
import { HostileBackend } from './hostile-backend.ts';
import { runHostile } from './hostile.ts';
import { startNginx, type Nginx } from './nginx.ts';
import { RecordingBackend } from './recording-backend.ts';

export interface Harness {
  lanes: number;
  hostileLanes: number;
  backend: RecordingBackend;
  hostile: HostileBackend;
  mesh: FuzzMesh;
  nginx: Nginx;
  dir: string;
  stop(): Promise<void>;
}

export async function startHarness(lanes: number, hostileLanes: number, opts: { nginxLogLevel?: string } = {}): Promise<Harness> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meshgate-fuzz-'));
  const backend = new RecordingBackend();
  await backend.start(lanes);
  const hostile = new HostileBackend();
  await hostile.start(hostileLanes);
  const stops: (() => Promise<void>)[] = [() => backend.stop(), () => hostile.stop()];
  const stopAll = async () => {
    for (const s of stops.reverse()) {
      const t0 = Date.now();
      await s().catch(() => {});
      if (process.env.MESHGATE_FUZZ_DEBUG) console.error(`stopped in ${Date.now() - t0} ms`);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    const laneBackends = Array.from({ length: lanes }, (_, k) => backend.port('meshgate', k));
    const mesh = await startFuzzMesh(laneBackends, backend.port('meshgate', -1), hostile.ports);
    stops.push(() => mesh.stop());
    const nginx = await startNginx(path.join(dir, 'nginx'), await freePort(), (lane) => backend.port('nginx', lane), lanes, opts.nginxLogLevel ?? 'error');
    stops.push(() => nginx.stop());
    for (let lane = -1; lane < lanes; lane++) { backend.take('meshgate', lane); backend.take('nginx', lane); } // meshgate's readiness probe
    return { lanes, hostileLanes, backend, hostile, mesh, nginx, dir, stop: stopAll };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

export interface FuzzOptions {
  seed: number;
  /** Seconds; the run ends at whichever of duration and counts comes first. */
  durationS?: number;
  /** Differential cases (and hostile exchanges) to run. */
  cases?: number;
  hostileExchanges?: number;
  modes: readonly ('diff' | 'hostile')[];
  quietMs: number;
  stallMs: number;
  maxMs: number;
  mutateShare: number;
  clientsPerLane: number;
  findingsDir?: string;
  skipFeatures?: readonly string[];
  skipBehaviours?: readonly string[];
  /** Progress lines (every ~10 s), e.g. console.error. */
  log?: (line: string) => void;
}

/** CPU seconds a process has used so far (Linux /proc; 0 elsewhere). */
function cpuSeconds(pid: number): number {
  try {
    const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(f[11]) + Number(f[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return 0;
  }
}

export interface FuzzResult {
  diff: DiffStats;
  hostile: { exchanges: number };
  restarts: number;
  exitLines: string[];
  seconds: number;
  store: FindingStore;
  nginxAlive: boolean;
  report: string[];
}

export async function runFuzz(h: Harness, o: FuzzOptions): Promise<FuzzResult> {
  const store = new FindingStore(o.findingsDir);
  const t0 = Date.now();
  const deadline = o.durationS !== undefined ? t0 + o.durationS * 1000 : Infinity;
  const inflight = new Map<string, FuzzCase>();
  const diff: DiffStats = { cases: 0, requests: 0, floodRequests: 0, skipped: 0, disturbed: 0, late: 0 };
  const hostile = { exchanges: 0 };
  let restarts = await h.mesh.poll();
  const base = restarts;
  const cpu0 = { fuzzer: process.cpuUsage(), meshgate: cpuSeconds(h.mesh.mesh.proxy.pid), nginx: cpuSeconds(h.nginx.pid) };
  const going = () => Date.now() < deadline;
  const report = (f: Finding[], c: FuzzCase, notes?: unknown) => { if (f.length) store.add(f, c, o.seed, notes); };
  const onRestart = () => {
    for (const c of inflight.values()) report([{ cls: 'restart', proxy: 'meshgate', signature: `restart:${c.kind === 'hostile' ? c.features[0] : c.features.join('+') || 'plain'}`, detail: `in flight when the worker was replaced: ${h.mesh.exitLines().at(-1)?.slice(0, 300) ?? ''}` }], c);
  };
  let stopMonitor = false;
  const monitor = (async () => {
    let lastLog = Date.now();
    while (!stopMonitor) {
      await new Promise((r) => setTimeout(r, 250));
      const now = await h.mesh.poll();
      if (now > restarts) { restarts = now; onRestart(); }
      if (o.log && Date.now() - lastLog >= 10_000) {
        lastLog = Date.now();
        const s = (Date.now() - t0) / 1000;
        o.log(`[fuzz ${s.toFixed(0)}s] ${diff.cases} cases, ${diff.requests} requests (${(diff.requests / s).toFixed(0)}/s), ${hostile.exchanges} hostile (${(hostile.exchanges / s).toFixed(0)}/s), restarts ${restarts - base}; ${[...store.byClass].map(([k, v]) => `${k} ${v}`).join(', ')}`);
      }
    }
  })();
  const runs: Promise<void>[] = [];
  if (o.modes.includes('diff') && (o.cases ?? 1) > 0) {
    runs.push(runDifferential({ meshgate: h.mesh.port, nginx: h.nginx.port }, h.backend, {
      seed: o.seed, lanes: h.lanes, quietMs: o.quietMs, stallMs: o.stallMs, maxMs: o.maxMs, mutateShare: o.mutateShare,
      ...(o.cases !== undefined ? { count: o.cases } : {}), ...(o.skipFeatures ? { skipFeatures: o.skipFeatures } : {}),
    }, { going, restarts: () => restarts, report, inflight }, diff));
  }
  if (o.modes.includes('hostile') && (o.hostileExchanges ?? 1) > 0) {
    runs.push(runHostile(h.mesh.port, h.hostile, {
      seed: o.seed, lanes: h.hostileLanes, clientsPerLane: o.clientsPerLane, timeoutMs: 8_000,
      ...(o.hostileExchanges !== undefined ? { count: o.hostileExchanges } : {}), ...(o.skipBehaviours ? { skip: o.skipBehaviours } : {}),
    }, { going, report, inflight }, hostile));
  }
  await Promise.all(runs);
  await new Promise((r) => setTimeout(r, 300));
  const final = await h.mesh.poll();
  if (final > restarts) { restarts = final; onRestart(); }
  stopMonitor = true;
  await monitor;
  const seconds = (Date.now() - t0) / 1000;
  const fu = process.cpuUsage(cpu0.fuzzer);
  const cpu = { fuzzer: (fu.user + fu.system) / 1e6, meshgate: cpuSeconds(h.mesh.mesh.proxy.pid) - cpu0.meshgate, nginx: cpuSeconds(h.nginx.pid) - cpu0.nginx };
  // What two idle cores would allow: all three share them, and the fuzzer and meshgate's one worker are single threads.
  const perSecond = (diff.requests - diff.floodRequests) / seconds;
  const total = cpu.fuzzer + cpu.meshgate + cpu.nginx;
  const projected = total > 0 ? perSecond * Math.min(2 * seconds / total, seconds / Math.max(cpu.fuzzer, cpu.meshgate)) : 0;
  const res: FuzzResult = { diff, hostile, restarts: restarts - base, exitLines: h.mesh.exitLines(), seconds, store, nginxAlive: h.nginx.alive(), report: [] };
  res.report = [
    `fuzz run: seed ${o.seed}, ${seconds.toFixed(1)} s, modes ${o.modes.join('+')}, ${h.lanes} differential lanes, ${h.hostileLanes}x${o.clientsPerLane} hostile clients`,
    `differential: ${diff.cases} cases, ${diff.requests} requests through each proxy (${(diff.requests / seconds).toFixed(0)} requests/s; without the ${diff.floodRequests} of floods ${((diff.requests - diff.floodRequests) / seconds).toFixed(0)}/s; ${(diff.cases / seconds).toFixed(0)} cases/s); ${diff.disturbed} disturbed by a restart, ${diff.skipped} skipped (known), ${diff.late} late backend arrivals`,
    `hostile backends: ${hostile.exchanges} exchanges (${(hostile.exchanges / seconds).toFixed(0)}/s)`,
    `CPU used: fuzzer ${cpu.fuzzer.toFixed(1)} s, meshgate proxy ${cpu.meshgate.toFixed(1)} s, nginx ${cpu.nginx.toFixed(1)} s (machine load ${os.loadavg()[0].toFixed(1)}); on two idle cores this mix would run about ${projected.toFixed(0)} non-flood requests/s`,
    `meshgate worker restarts: ${res.restarts}${res.exitLines.length ? `\n  ${res.exitLines.slice(0, 5).join('\n  ')}` : ''}; nginx ${res.nginxAlive ? 'alive' : 'DEAD'}`,
    ...store.report(),
  ];
  return res;
}
