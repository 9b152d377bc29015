/**
 * `npm run bench health`: the health agent at scale, and failure detection
 * and recovery times with real processes.
 *
 *  1. schedule: one agent probes N loopback listeners (default 10,000, one
 *     port each) at several intervals; the listeners time every probe's
 *     arrival. Reports achieved probe rate against the target, the spread of
 *     each endpoint's probe-to-probe gap around the interval, the agent's own
 *     lateness numbers (health.v1.status) and its CPU.
 *  2. failover: the chaos tests' mesh (3 backends, 2 proxy nodes, 2 agents,
 *     200 GETs/s), repeated: kill -9 a backend (time to the agents' "down",
 *     time of the last request that tried it, failed GETs), restart it (time
 *     to "up" and to its first response), kill -9 and restart a proxy node,
 *     kill one agent.
 *
 * Writes docs/benchmarks/health.md unless --no-write.
 * Flags: --endpoints N  --intervals 5000,2000,1000  --seconds S  --rounds R  --only schedule|failover  --no-write
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { NatsTransport } from '@meshgate/actors';
import { encodeSnapshot, msgpackCodec, subjects as makeSubjects, type HealthStatusReply, type LivenessMessage } from '@meshgate/protocol';
import { startNatsServer, spawnMeshgate } from '@meshgate/testing';
import { startMesh, startLoad, sleep, failures, eventually } from '../../health/mesh.ts';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const { values: args } = parseArgs({
  options: {
    endpoints: { type: 'string', default: '10000' },
    intervals: { type: 'string', default: '5000,2000,1000' },
    seconds: { type: 'string', default: '12' },
    rounds: { type: 'string', default: '3' },
    only: { type: 'string' },
    'no-write': { type: 'boolean', default: false },
  },
});
const N = Number(args.endpoints);
const INTERVALS = args.intervals!.split(',').map(Number);
const SECONDS = Number(args.seconds);
const ROUNDS = Number(args.rounds);
const command = `node tests/bench/health/run.ts ${process.argv.slice(2).join(' ')}`.trim();

const q = (xs: number[], p: number) => { const s = [...xs].sort((a, b) => a - b); return s.length ? s[Math.min(s.length - 1, Math.floor(p * s.length))]! : NaN; };
const r0 = (x: number) => (Number.isFinite(x) ? Math.round(x) : NaN);
const cpuTicks = (pid: number) => { try { const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' '); return Number(f[11]) + Number(f[12]); } catch { return NaN; } };

interface ScheduleRow { intervalMs: number; target: number; achieved: number; gapP50: number; gapP99dev: number; gapMaxDev: number; probedShare: number; lateP50: number; lateP99: number; lateMax: number; skipped: number; cpu: number; usPerProbe: number; listenersCpu: number }

async function scheduleBench(): Promise<ScheduleRow[]> {
  console.log(`schedule: ${N} loopback listeners (one port each), intervals ${INTERVALS.join(', ')} ms, ${SECONDS} s each`);
  const RESPONSE = 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n';
  const last = new Float64Array(N);
  let measuring = false;
  let arrivals = 0;
  const gaps: number[] = [];
  const probed = new Uint8Array(N);
  const servers: net.Server[] = [];
  const ports: number[] = [];
  for (let b = 0; b < N; b += 500) {
    await Promise.all(Array.from({ length: Math.min(500, N - b) }, (_, k) => new Promise<void>((resolve, reject) => {
      const i = b + k;
      const s = net.createServer((sock) => {
        const now = performance.now();
        if (measuring) {
          arrivals++;
          probed[i] = 1;
          if (last[i]! > 0) gaps.push(now - last[i]!);
        }
        last[i] = now;
        sock.on('error', () => {});
        sock.once('data', () => sock.end(RESPONSE));
      });
      s.once('error', reject);
      s.listen(0, '127.0.0.1', 4096, () => { ports[i] = (s.address() as net.AddressInfo).port; resolve(); });
      servers.push(s);
    })));
  }
  const content = { rules: [], tls: [], backends: [{ id: 'default/many:80', namespace: 'default', service: 'many', servicePort: 80, healthPath: '/', annotations: {}, endpoints: ports.map((p) => ({ id: `127.0.0.1:${p}`, address: '127.0.0.1', port: p })) }] };
  const snap = encodeSnapshot(content, 1);
  const rows: ScheduleRow[] = [];
  const nats = await startNatsServer({ jetstream: false });
  const t = await NatsTransport.connect({ servers: nats.url, name: 'health-bench', codec: msgpackCodec, reconnect: false });
  const subjects = makeSubjects();
  t.subscribe(subjects.snapshotGet, (m) => m.reply?.(snap));
  try {
    for (const intervalMs of INTERVALS) {
      const agent = spawnMeshgate(['health-agent', '--nats', nats.url, '--agent-id', 'bench', '--interval', String(intervalMs), '--timeout', '1000', '--log-level', 'warn']);
      try {
        await agent.waitFor('health agent started').catch(async () => { await sleep(3_000); });
        t.publish(subjects.snapshot, snap);
        // Warm up: every endpoint probed at least once, and one more interval.
        last.fill(0);
        const warm = Date.now();
        while (last.some((x) => x === 0) && Date.now() - warm < Math.max(10_000, 3 * intervalMs)) await sleep(100);
        await sleep(intervalMs);
        gaps.length = 0; arrivals = 0; probed.fill(0);
        const cpu0 = cpuTicks(agent.pid);
        const own0 = process.cpuUsage();
        measuring = true;
        const t0 = performance.now();
        await sleep(SECONDS * 1000);
        measuring = false;
        const elapsed = (performance.now() - t0) / 1000;
        // /proc ticks are 1/100 s (CLK_TCK); 100% = one core.
        const cpu = (cpuTicks(agent.pid) - cpu0) / 100 / elapsed;
        const own = process.cpuUsage(own0);
        const listenersCpu = (own.user + own.system) / 1e6 / elapsed;
        const st = await t.request<HealthStatusReply>(subjects.healthStatus, { type: 'health.v1.status.get' }, 10_000).catch(() => undefined);
        const dev = gaps.map((g) => Math.abs(g - intervalMs));
        const row: ScheduleRow = {
          intervalMs, target: r0((N * 1000) / intervalMs), achieved: r0(arrivals / elapsed),
          gapP50: r0(q(gaps, 0.5)), gapP99dev: r0(q(dev, 0.99)), gapMaxDev: r0(Math.max(...dev)),
          probedShare: Math.round((probed.reduce((a, b) => a + b, 0) / N) * 1000) / 10,
          lateP50: st?.probes.lateP50Ms ?? NaN, lateP99: st?.probes.lateP99Ms ?? NaN, lateMax: st?.probes.lateMaxMs ?? NaN,
          skipped: st?.probes.skippedBusy ?? NaN, cpu: Math.round(cpu * 100),
          usPerProbe: r0((cpu * 1e6) / (arrivals / elapsed)), listenersCpu: Math.round(listenersCpu * 100),
        };
        rows.push(row);
        console.log(`  interval ${intervalMs} ms: ${row.achieved}/s of ${row.target}/s target; gap p50 ${row.gapP50} ms, |gap-interval| p99 ${row.gapP99dev} ms, max ${row.gapMaxDev} ms; agent lateness p50/p99/max ${row.lateP50}/${row.lateP99}/${row.lateMax} ms; ${row.probedShare}% of endpoints probed in the window; agent CPU ${row.cpu}% (${row.usPerProbe} us per probe), listeners' process CPU ${row.listenersCpu}%`);
      } finally {
        await agent.stop(3_000);
      }
    }
  } finally {
    await t.close().catch(() => {});
    await nats.stop();
    for (const s of servers) s.close();
  }
  return rows;
}

interface FailoverRow { what: string; values: number[]; unit: string }

async function failoverBench(): Promise<{ rows: FailoverRow[]; gets: number; failed: number; agentKillFailed: number; proxyKillLost: number }> {
  console.log(`failover: 3 backends, 2 proxy nodes (1 worker each), 2 agents (shipped defaults), 200 GETs/s, ${ROUNDS} rounds`);
  const mesh = await startMesh({ backends: 3, proxies: 2, workers: 1, agents: 2 });
  const subjects = makeSubjects();
  const liveness: { at: number; msg: LivenessMessage }[] = [];
  mesh.transport.subscribe(subjects.liveness, (m) => { liveness.push({ at: Date.now(), msg: m.data as LivenessMessage }); });
  const seen = (endpoint: string, healthy: boolean, after: number) => liveness.find((l) => l.at >= after && l.msg.kind === 'delta' && l.msg.endpoints.some((e) => e.endpoint === endpoint && e.healthy === healthy))?.at;
  const down: number[] = []; const lastTry: number[] = []; const up: number[] = []; const firstResponse: number[] = [];
  const nodeDown: number[] = []; const nodeUp: number[] = [];
  let gets = 0; let failed = 0; let agentKillFailed = 0; let proxyKillLost = 0;
  try {
    for (let round = 0; round < ROUNDS; round++) {
      const i = round % 3;
      const dead = `127.0.0.1:${mesh.backendPorts[i]}`;
      const load = startLoad(mesh.url('/'), 200);
      await sleep(1_000);
      const killedAt = await mesh.killBackend(i);
      await eventually('down', async () => seen(dead, false, killedAt) !== undefined, 5_000, 5);
      await sleep(2_500);
      const tried = mesh.accessLog().filter((l) => l.time >= killedAt && (l.upstream === dead || l.attempts > 1));
      await mesh.startBackend(i);
      const listeningAt = Date.now();
      await eventually('up', async () => seen(dead, true, listeningAt) !== undefined, 5_000, 5);
      await eventually('traffic', async () => load.results.some((r) => r.who === `b${i}` && r.start >= listeningAt), 5_000, 5);
      await sleep(500);
      const rs = await load.stop();
      down.push(seen(dead, false, killedAt)! - killedAt);
      lastTry.push(tried.length ? Math.max(...tried.map((l) => l.time)) - killedAt : 0);
      up.push(seen(dead, true, listeningAt)! - listeningAt);
      firstResponse.push(Math.min(...rs.filter((r) => r.who === `b${i}` && r.start >= listeningAt).map((r) => r.end)) - listeningAt);
      gets += rs.length; failed += failures(rs).length;
      console.log(`  round ${round + 1}: backend down after ${down.at(-1)} ms, last request to it at +${lastTry.at(-1)} ms, up ${up.at(-1)} ms after it listened, first response +${firstResponse.at(-1)} ms; ${failures(rs).length}/${rs.length} GETs failed`);

      // A proxy node: kill -9, restart.
      const nload = startLoad(mesh.url('/'), 100);
      const pKilled = await mesh.killProxy(1);
      await eventually('node down', async () => mesh.nodeEvents.some((e) => e.at >= pKilled && e.msg.nodes.some((n) => n.nodeId === 'proxy-1' && n.state === 'down')), 5_000, 5);
      nodeDown.push(mesh.nodeEvents.find((e) => e.at >= pKilled && e.msg.nodes.some((n) => n.nodeId === 'proxy-1' && n.state === 'down'))!.at - pKilled);
      await mesh.startProxy(1);
      const readyAt = Date.now();
      await eventually('node up', async () => mesh.nodeEvents.some((e) => e.at >= pKilled && e.msg.nodes.some((n) => n.nodeId === 'proxy-1' && n.state === 'up')), 5_000, 5);
      nodeUp.push(Math.max(0, mesh.nodeEvents.find((e) => e.at >= pKilled && e.msg.nodes.some((n) => n.nodeId === 'proxy-1' && n.state === 'up'))!.at - readyAt));
      proxyKillLost += failures(await nload.stop()).length;
      console.log(`  round ${round + 1}: proxy node down after ${nodeDown.at(-1)} ms, up ${nodeUp.at(-1)} ms after it was ready`);
    }
    // One of two agents: kill -9 under load, then a backend failure with one agent left.
    const load = startLoad(mesh.url('/'), 200);
    await sleep(500);
    await mesh.killAgent(0);
    await sleep(3_000);
    await mesh.startAgent(0);
    await sleep(500);
    agentKillFailed = failures(await load.stop()).length;
    console.log(`  agent kill: ${agentKillFailed} failed GETs`);
  } finally {
    await mesh.stop();
  }
  return {
    rows: [
      { what: 'backend kill -9 -> agents publish "down"', values: down, unit: 'ms' },
      { what: 'backend kill -9 -> last request that tried it', values: lastTry, unit: 'ms' },
      { what: 'backend restarted (listening) -> agents publish "up"', values: up, unit: 'ms' },
      { what: 'backend restarted (listening) -> first response from it', values: firstResponse, unit: 'ms' },
      { what: 'proxy node kill -9 -> "down" on health.v1.nodes', values: nodeDown, unit: 'ms' },
      { what: 'proxy node restarted (ready) -> "up" on health.v1.nodes', values: nodeUp, unit: 'ms' },
    ],
    gets, failed, agentKillFailed, proxyKillLost,
  };
}

const sched = args.only === 'failover' ? [] : await scheduleBench();
const fo = args.only === 'schedule' ? undefined : await failoverBench();

if (!args['no-write']) {
  const when = new Date().toISOString().slice(0, 16).replace('T', ' ');
  const load = os.loadavg().map((x) => x.toFixed(1)).join(' ');
  const doc = fs.readFileSync(path.join(import.meta.dirname, 'health.md.template'), 'utf8')
    .replace('{{command}}', command)
    .replace('{{when}}', `${when} UTC, ${os.cpus().length} CPUs, load average at the end ${load}`)
    .replace('{{schedule}}', sched.length
      ? ['| interval | target probes/s | achieved/s | endpoints probed in window | gap p50 | \\|gap - interval\\| p99 / max | agent lateness p50 / p99 / max | skipped (busy) | agent CPU (per probe) | listeners\' CPU |', '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
        ...sched.map((r) => `| ${r.intervalMs} ms | ${r.target} | ${r.achieved} | ${r.probedShare}% | ${r.gapP50} ms | ${r.gapP99dev} / ${r.gapMaxDev} ms | ${r.lateP50} / ${r.lateP99} / ${r.lateMax} ms | ${r.skipped} | ${r.cpu}% (${r.usPerProbe} us) | ${r.listenersCpu}% |`)].join('\n')
      : '(not run: --only failover)')
    .replace('{{failover}}', fo
      ? ['| measured | min | median | max | runs |', '| --- | --- | --- | --- | --- |',
        ...fo.rows.map((r) => `| ${r.what} | ${Math.min(...r.values)} ${r.unit} | ${q(r.values, 0.5)} ${r.unit} | ${Math.max(...r.values)} ${r.unit} | ${r.values.length} |`),
        '', `Failed GETs during backend kills and restarts: **${fo.failed} of ${fo.gets}**. Failed GETs while one of two agents was killed and restarted: **${fo.agentKillFailed}**. Requests lost with a killed proxy node's keep-alive connections (not a health matter: clients must retry those): ${fo.proxyKillLost}.`].join('\n')
      : '(not run: --only schedule)');
  fs.writeFileSync(path.join(ROOT, 'docs/benchmarks/health.md'), doc);
  console.log('wrote docs/benchmarks/health.md');
}
process.exit(0);
