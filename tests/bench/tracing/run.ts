/**
 * `npm run bench tracing`: the cost of tracing, per core. One proxy node per
 * setting (tests/bench/tracing/proxy.ts, 1 worker each), all pinned to the
 * same core: tracing off (no OTLP endpoint: no SDK), 1% and 100% sampling
 * (parent-based ratio, the default sampler; wrk sends no traceparent, so
 * every trace is a new root). The upstream is nginx `return 200` (the
 * data-plane benchmark's), pinned with wrk and the OTLP sink to the other
 * core. The measure is requests per second of the proxy's own CPU (utime +
 * stime of the whole process from /proc), not req/s: req/s is set by the
 * load core, which wrk shares with nginx and the sink.
 *
 * MODE=parallel (default): in each round every proxy takes load from its own
 * wrk at the same time, for SLICE seconds; they share the proxy core, so
 * whatever else runs on the machine then hits every setting alike (on this
 * shared 2-core machine, back-to-back slices differed by up to 30% between
 * two identical proxies; side by side, a few %). MODE=slices: one proxy at a
 * time, SLICE seconds each, the order rotating per round (each then runs
 * busier, so more of its CPU goes to requests rather than to waking up).
 *
 * Cost of a setting = 1 - (its requests per CPU-second) / (off's), per round;
 * the report gives the median over rounds, the range, and the cost between the
 * medians of each setting's per-core rate.
 *
 * ROUNDS=10 SLICE=4 WARMUP=3 CONNS=50 PROXY_CPUS=1 LOAD_CPUS=0 PORT_BASE=19400 MODE=parallel
 * SETTINGS="off off2 1% 100%"; also 0% (sampler always_off, SDK present), off2 (a second
 *   off: the noise of the measure), before-<setting> with BEFORE=<dir>: the proxy of
 *   another checkout (e.g. `git archive <commit> | tar -x -C /tmp/mg-before`, node_modules
 *   linked as in docs/benchmarks/data-plane.md, this proxy.ts copied in), in the same run.
 * PROFILE=1: every proxy runs with --cpu-prof (a .cpuprofile per thread under
 *   tests/bench/tracing/results/<time>/prof-<setting>/); the numbers of a
 *   profiled run are not written to docs.
 * WRITE=0: do not write docs/benchmarks/tracing.md.
 * Results: docs/benchmarks/tracing.md (with tests/bench/tracing/notes.md
 * appended) and tests/bench/tracing/results/<time>/ (logs, results.json).
 *
 * Targets (issue 7): 1% sampling costs under 3% throughput, 100% under 15%.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const SHARED = path.resolve(ROOT, '../shared/bench');
const env = (k: string, d: string) => process.env[k] ?? d;
const ROUNDS = Number(env('ROUNDS', '10'));
const SLICE = Number(env('SLICE', '4'));
const WARMUP = Number(env('WARMUP', '3'));
const CONNS = Number(env('CONNS', '50'));
const PROXY_CPUS = env('PROXY_CPUS', '1');
const LOAD_CPUS = env('LOAD_CPUS', '0');
const BASE = Number(env('PORT_BASE', '19400'));
const PROFILE = env('PROFILE', '0') === '1';
const PARALLEL = env('MODE', 'parallel') === 'parallel';
const WRITE = env('WRITE', '1') === '1' && !PROFILE;
const HZ = Number(execFileSync('getconf', ['CLK_TCK']).toString());
const NODE = process.execPath;
const OUT = path.join(import.meta.dirname, 'results', new Date().toISOString().replace(/[:.]/g, '-'));
const UP_USERS = BASE + 1;
const SINK = BASE + 3;

/** `dir`: the checkout whose tests/bench/tracing/proxy.ts runs (BEFORE settings). */
interface Setting { name: string; env: Record<string, string>; dir: string }
const BEFORE = env('BEFORE', '');
const ALL: Record<string, Record<string, string>> = {
  'off': {},
  'off2': {}, // a second 'off': the noise of the measure (A/A)
  '0%': { OTEL_TRACES_SAMPLER: 'always_off' },
  '1%': { OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.01' },
  '100%': { OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '1' },
};
const settings: Setting[] = env('SETTINGS', 'off off2 1% 100%').split(/\s+/).filter(Boolean).map((name) => {
  const before = name.startsWith('before-');
  const base = before ? name.slice('before-'.length) : name;
  if (!ALL[base]) throw new Error(`SETTINGS: unknown setting '${name}' (have: ${Object.keys(ALL).join(', ')}, and before-<setting> with BEFORE=<dir>)`);
  if (before && !BEFORE) throw new Error(`SETTINGS: '${name}' needs BEFORE=<checkout of an earlier commit, with tests/bench/tracing/proxy.ts>`);
  return { name, env: ALL[base]!, dir: before ? path.resolve(BEFORE) : ROOT };
});
if (settings[0]?.name !== 'off') throw new Error('SETTINGS must start with off (the baseline)');

for (const tool of ['nginx', 'wrk', 'taskset']) {
  if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) { console.error(`bench tracing: missing ${tool} (apt-get install nginx wrk util-linux)`); process.exit(2); }
}
fs.mkdirSync(path.join(OUT, 'logs'), { recursive: true });
fs.mkdirSync(path.join(OUT, 'run'), { recursive: true });
const log = (m: string) => console.error(`[${new Date().toISOString().slice(11, 19)}] ${m}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------- processes
const started = new Set<ChildProcess>();
function spawnPinned(name: string, cpus: string, cmd: string[], extraEnv: Record<string, string> = {}): ChildProcess {
  const out = fs.openSync(path.join(OUT, 'logs', `${name}.log`), 'a');
  // taskset execs the command: the pid is the command's own (its /proc/<pid>/stat counts all its threads).
  const p = spawn('taskset', ['-c', cpus, ...cmd], { detached: true, stdio: ['ignore', out, out], env: { ...process.env, ...extraEnv } });
  started.add(p);
  p.once('exit', () => started.delete(p));
  return p;
}
async function stop(p: ChildProcess): Promise<void> {
  if (!p.pid || p.exitCode !== null || p.signalCode !== null) return;
  const gone = new Promise<void>((r) => p.once('exit', () => r()));
  try { process.kill(-p.pid, 'SIGTERM'); } catch { return; }
  const t = setTimeout(() => { try { process.kill(-p.pid!, 'SIGKILL'); } catch { /* gone */ } }, 10_000);
  await gone;
  clearTimeout(t);
}
process.on('exit', () => { for (const p of started) try { process.kill(-p.pid!, 'SIGKILL'); } catch { /* gone */ } });
process.on('SIGINT', () => process.exit(130));

async function waitPort(port: number, p: ChildProcess, name: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (p.exitCode !== null) throw new Error(`${name} exited (see ${OUT}/logs/${name}.log)`);
    const ok = await new Promise<boolean>((r) => { const s = net.connect(port, '127.0.0.1', () => { s.destroy(); r(true); }); s.on('error', () => r(false)); });
    if (ok) return;
    await sleep(100);
  }
  throw new Error(`${name}: port ${port} not listening after 30 s`);
}
/** utime + stime of the process (all its threads), in ticks. */
function cpuTicks(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]);
}
function machineBusyTicks(): number {
  const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!.split(/\s+/).slice(1).map(Number);
  return f[0]! + f[1]! + f[2]! + f[5]! + f[6]!;
}

const wrkArgs = (port: number, seconds: number) => ['-c', LOAD_CPUS, 'wrk', '-t', '1', '-c', String(CONNS), '--timeout', '5s', '-s', path.join(SHARED, 'wrk-report.lua'), '-d', `${seconds}s`, `http://127.0.0.1:${port}/`];
const wrkEnv = { ...process.env, WRK_PATHS: '/users/1' };
function parseWrk(out: string): Record<string, number> | undefined {
  const m = /RESULT (.*)/.exec(out);
  if (!m) return undefined;
  return Object.fromEntries(m[1]!.split(' ').map((x) => x.split('=')).map(([k, v]) => [k!, Number(v)]));
}
function wrk(port: number, seconds: number): Record<string, number> | undefined {
  return parseWrk(spawnSync('taskset', wrkArgs(port, seconds), { env: wrkEnv, timeout: (seconds + 30) * 1000 }).stdout?.toString() ?? '');
}
/** One wrk per port, all at once. */
async function wrkAll(ports: number[], seconds: number): Promise<(Record<string, number> | undefined)[]> {
  return Promise.all(ports.map((port) => new Promise<Record<string, number> | undefined>((resolve) => {
    const p = spawn('taskset', wrkArgs(port, seconds), { env: wrkEnv, stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    p.stdout!.on('data', (d) => { out += d; });
    p.on('close', () => resolve(parseWrk(out)));
  })));
}

// ---------------------------------------------------------------- run
const loadStart = os.loadavg();
const conf = path.join(OUT, 'run', 'upstream.conf');
fs.writeFileSync(conf, fs.readFileSync(path.join(SHARED, 'conf', 'upstream-nginx.conf.tmpl'), 'utf8')
  .replaceAll('@WORKERS@', '1').replaceAll('@RUN@', path.join(OUT, 'run')).replaceAll('@UP_USERS@', String(UP_USERS))
  .replaceAll('@UP_PRODUCTS@', String(BASE + 2)).replaceAll('@UP_STATUS@', String(BASE + 4)));
const upstream = spawnPinned('upstream', LOAD_CPUS, ['nginx', '-p', path.join(OUT, 'run'), '-e', path.join(OUT, 'run/upstream.err'), '-c', conf]);
await waitPort(UP_USERS, upstream, 'upstream');
const sink = spawnPinned('otlp-sink', LOAD_CPUS, [NODE, path.join(import.meta.dirname, 'otlp-sink.ts')], { SINK_PORT: String(SINK) });
await waitPort(SINK, sink, 'otlp-sink');

interface Running { s: Setting; proc: ChildProcess; port: number }
const running: Running[] = [];
interface Slice { round: number; setting: string; requests: number; seconds: number; cpuSeconds: number; errors: number; machineBusy: number; load: number }
const slices: Slice[] = [];
let sinkCounts: Record<string, { exports: number; bytes: number; spans: number }> = {};
try {
  for (const [i, s] of settings.entries()) {
    const port = BASE + 10 + i;
    const tag = s.name.replace('%', 'pct');
    const traced = s.name.startsWith('off') || s.name === 'before-off' ? {} : { ...s.env, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `http://127.0.0.1:${SINK}/${tag}/v1/traces` };
    const prof = PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${path.join(OUT, `prof-${tag}`)}`] : [];
    const proc = spawnPinned(`proxy-${tag}`, PROXY_CPUS, [NODE, ...prof, path.join(s.dir, 'tests/bench/tracing/proxy.ts')],
      { ...traced, HTTP_PORT: String(port), UP_USERS: String(UP_USERS), MESHGATE_ACCESS_LOG: 'off' });
    await waitPort(port, proc, `proxy-${tag}`);
    running.push({ s, proc, port });
  }
  for (const r of running) {
    const check = spawnSync('curl', ['-s', '--max-time', '3', `http://127.0.0.1:${r.port}/users/1`]).stdout?.toString() ?? '';
    if (!check.includes('User server')) throw new Error(`proxy ${r.s.name}: /users/1 answered '${check.slice(0, 80)}', not the upstream`);
    if (!PARALLEL) wrk(r.port, WARMUP); // JIT, pools
  }
  if (PARALLEL) await wrkAll(running.map((r) => r.port), WARMUP);
  for (let round = 1; round <= ROUNDS && PARALLEL; round++) {
    // Every proxy under load at once, sharing the core: whatever else runs on the machine hits them alike.
    const c0 = running.map((r) => cpuTicks(r.proc.pid!)); const m0 = machineBusyTicks(); const w0 = performance.now();
    const kvs = await wrkAll(running.map((r) => r.port), SLICE);
    const wall = (performance.now() - w0) / 1000;
    const machineBusy = (machineBusyTicks() - m0) / HZ / wall * 100;
    running.forEach((r, i) => {
      const kv = kvs[i];
      const cpuSeconds = (cpuTicks(r.proc.pid!) - c0[i]!) / HZ;
      if (!kv) { log(`round ${round} ${r.s.name}: no wrk result`); return; }
      const sl: Slice = {
        round, setting: r.s.name, requests: kv.requests!, seconds: kv.duration_us! / 1e6, cpuSeconds,
        errors: kv.connect! + kv.read! + kv.write! + kv.status! + kv.timeout!, machineBusy, load: os.loadavg()[0]!,
      };
      slices.push(sl);
      log(`round ${round} ${r.s.name.padEnd(4)} ${Math.round(sl.requests / sl.seconds).toString().padStart(6)} req/s  proxy cpu ${(sl.cpuSeconds / sl.seconds * 100).toFixed(0).padStart(3)}%  ${Math.round(sl.requests / sl.cpuSeconds).toString().padStart(6)} req per cpu-s  errors ${sl.errors}  machine ${machineBusy.toFixed(0)}%  load ${sl.load.toFixed(2)}`);
    });
  }
  for (let round = 1; round <= ROUNDS && !PARALLEL; round++) {
    for (let j = 0; j < running.length; j++) {
      const r = running[(j + round - 1) % running.length]!;
      const c0 = cpuTicks(r.proc.pid!); const m0 = machineBusyTicks(); const w0 = performance.now();
      const kv = wrk(r.port, SLICE);
      const wall = (performance.now() - w0) / 1000;
      const cpuSeconds = (cpuTicks(r.proc.pid!) - c0) / HZ;
      const machineBusy = (machineBusyTicks() - m0) / HZ / wall * 100;
      if (!kv) { log(`round ${round} ${r.s.name}: no wrk result`); continue; }
      const sl: Slice = {
        round, setting: r.s.name, requests: kv.requests!, seconds: kv.duration_us! / 1e6, cpuSeconds,
        errors: kv.connect! + kv.read! + kv.write! + kv.status! + kv.timeout!, machineBusy, load: os.loadavg()[0]!,
      };
      slices.push(sl);
      log(`round ${round} ${r.s.name.padEnd(4)} ${Math.round(sl.requests / sl.seconds).toString().padStart(6)} req/s  proxy cpu ${(sl.cpuSeconds / sl.seconds * 100).toFixed(0).padStart(3)}%  ${Math.round(sl.requests / sl.cpuSeconds).toString().padStart(6)} req per cpu-s  errors ${sl.errors}  machine ${machineBusy.toFixed(0)}%  load ${sl.load.toFixed(2)}`);
    }
  }
  await sleep(1_500); // the batch processors' last scheduled export (1 s)
  sinkCounts = await (await fetch(`http://127.0.0.1:${SINK}/counts`)).json() as typeof sinkCounts;
} finally {
  for (const r of running) await stop(r.proc);
  await stop(sink);
  await stop(upstream);
}
const loadEnd = os.loadavg();

// ---------------------------------------------------------------- report
const median = (xs: number[]) => { const v = [...xs].sort((a, b) => a - b); const n = v.length; return n === 0 ? NaN : n % 2 ? v[(n - 1) / 2]! : (v[n / 2 - 1]! + v[n / 2]!) / 2; };
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const perCore = (x: Slice) => x.requests / x.cpuSeconds;
const of = (name: string) => slices.filter((x) => x.setting === name);
const offMedian = median(of('off').map(perCore));
const rows: string[] = [];
const summary: Record<string, { perCore: number; cost: number; costRange: [number, number]; rps: number; cpu: number; spansPerRequest?: number }> = {};
for (const s of settings) {
  const xs = of(s.name);
  const pc = median(xs.map(perCore));
  // Cost per round against off in the same round.
  const costs = xs.map((x) => {
    const off = slices.find((o) => o.round === x.round && o.setting === 'off');
    return off ? 1 - perCore(x) / perCore(off) : NaN;
  }).filter((c) => !Number.isNaN(c));
  const requests = xs.reduce((a, x) => a + x.requests, 0);
  const sc = sinkCounts[`/${s.name.replace('%', 'pct')}/v1/traces`];
  const spr = sc ? sc.spans / requests : undefined; // warm-up requests are exported too: slightly over 2 at 100%
  summary[s.name] = { perCore: pc, cost: 1 - pc / offMedian, costRange: [Math.min(...costs), Math.max(...costs)], rps: median(xs.map((x) => x.requests / x.seconds)), cpu: median(xs.map((x) => x.cpuSeconds / x.seconds)), ...(spr !== undefined ? { spansPerRequest: spr } : {}) };
  const m = summary[s.name]!;
  rows.push(`| ${s.name} | ${Math.round(m.rps)} | ${(m.cpu * 100).toFixed(0)}% | ${Math.round(pc)} | ${s.name === 'off' ? '-' : `**${pct(m.cost)}**`} | ${s.name === 'off' ? '-' : `${pct(median(costs))} (${pct(m.costRange[0])} to ${pct(m.costRange[1])})`} | ${xs.reduce((a, x) => a + x.errors, 0)} | ${spr === undefined ? '-' : spr.toFixed(3)} |`);
}
const table = [
  '| tracing | req/s (median) | proxy CPU (median) | requests per CPU-second (median) | cost per core (medians) | cost per round: median (min to max) | errors | spans exported per request |',
  '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ...rows,
].join('\n');
const raw = [
  '| round | tracing | req/s | proxy CPU | requests per CPU-second | machine busy | load (1 min) |',
  '| ---: | --- | ---: | ---: | ---: | ---: | ---: |',
  ...slices.map((x) => `| ${x.round} | ${x.setting} | ${Math.round(x.requests / x.seconds)} | ${(x.cpuSeconds / x.seconds * 100).toFixed(0)}% | ${Math.round(perCore(x))} | ${x.machineBusy.toFixed(0)}% | ${x.load.toFixed(2)} |`),
].join('\n');
const target = (name: string, limit: number) => {
  const m = summary[name];
  if (!m) return `${name}: not measured`;
  return `${name}: ${pct(m.cost)} (target < ${limit}%): **${m.cost < limit / 100 ? 'met' : 'missed'}**`;
};
const cmdEnv = ['ROUNDS', 'SLICE', 'WARMUP', 'CONNS', 'MODE', 'SETTINGS', 'BEFORE', 'PROXY_CPUS', 'LOAD_CPUS'].filter((k) => process.env[k] !== undefined).map((k) => `${k}=${JSON.stringify(process.env[k])}`).join(' ');
const cmd = `${cmdEnv ? cmdEnv + ' ' : ''}npm run bench tracing`;
const when = new Date().toISOString().slice(0, 16).replace('T', ' ');
// The code measured: this checkout's commit (BENCH_COMMIT for a copy that is not a git checkout).
const commit = process.env.BENCH_COMMIT ?? (spawnSync('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD']).stdout?.toString().trim() || '?');
const dirty = process.env.BENCH_COMMIT ? '' : spawnSync('git', ['-C', ROOT, 'status', '--porcelain', '--', 'libs', 'services']).stdout?.toString().trim() ? ' + uncommitted changes in libs/ or services/' : '';
const la = (l: number[]) => l.map((x) => x.toFixed(2)).join(' ');
const doc = `# Tracing cost

\`${cmd}\` (tests/bench/tracing/run.ts) on ${when} UTC, commit ${commit}${dirty}, ${os.cpus()[0]?.model ?? '?'} x${os.cpus().length}, Node ${process.version}.
Load average (1/5/15 min) ${la(loadStart)} at the start, ${la(loadEnd)} at the end: the machine is shared.

One proxy node per setting (1 worker each), all pinned to CPU ${PROXY_CPUS}: tracing off (no OTLP endpoint, no SDK),
1% and 100% sampling (parent-based trace-id ratio; wrk sends no traceparent, so each request is a new trace)${BEFORE ? `; before-*: the proxy of ${BEFORE}` : ''}.
Upstream nginx \`return 200\`, wrk (-t1 -c${CONNS} per proxy, keep-alive, GET /users/1) and an OTLP/HTTP sink that
counts spans, all on CPU ${LOAD_CPUS}. ${PARALLEL
  ? `${ROUNDS} rounds of ${SLICE} s in which every proxy takes load at the same time (each from its own wrk), after a ${WARMUP} s warm-up the same way: whatever else runs on the machine hits every setting alike.`
  : `${ROUNDS} rounds; in each, every setting takes the load alone for ${SLICE} s, the order rotating; ${WARMUP} s warm-up each first.`}
The measure is requests per CPU-second of the proxy process (utime + stime, all threads, from /proc): req/s is
set by the load core, which wrk shares with nginx and the sink, not by the proxy.
Cost = 1 - requests per CPU-second / the same for off. Metrics (the /metrics registry) are on in every setting.

${table}

${target('1%', 3)}; ${target('100%', 15)}.

Spans exported per request: the sink's span count / the requests of the measured slices (warm-up requests
are exported too, so 100% shows a little over 2: one server and one client span per request).

<details><summary>Every round and setting</summary>

${raw}

</details>
`;
const notesFile = path.join(import.meta.dirname, 'notes.md');
const notes = fs.existsSync(notesFile) ? '\n' + fs.readFileSync(notesFile, 'utf8') : '';
fs.writeFileSync(path.join(OUT, 'results.json'), JSON.stringify({ slices, summary, sinkCounts, loadStart, loadEnd }, null, 2));
fs.writeFileSync(path.join(OUT, 'report.md'), doc);
console.log('\n' + doc);
if (WRITE) {
  fs.writeFileSync(path.join(ROOT, 'docs/benchmarks/tracing.md'), doc + notes);
  console.log('written docs/benchmarks/tracing.md');
}
console.log(`results: ${OUT}`);
