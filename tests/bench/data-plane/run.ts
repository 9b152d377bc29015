/**
 * `npm run bench data-plane`: meshgate against nginx, HAProxy and the plain
 * undici proxy of ../shared/bench, in the same run, on the seed's routes
 * (/users/, /products/), the way ../shared/bench/peers.sh measures them:
 *   - upstream: nginx `return 200` (users, products), pinned with the load generator;
 *   - group "1core": every proxy with 1 worker pinned to PROXY_CPUS, wrk/h2load
 *     and the upstream on LOAD_CPUS; group "whole": nginx, haproxy and meshgate
 *     with nproc workers, nothing pinned;
 *   - scenarios: http (keep-alive), tls (keep-alive), tls-close (a full
 *     handshake per request), h2 (h2load);
 *   - ROUNDS rounds, interleaved; ratios against nginx of the same round;
 *   - before each run wait for the machine to go quiet; CPU of proxy, load,
 *     upstream and everything else sampled from /proc.
 *
 * DURATION=10 WARMUP=2 ROUNDS=2 CONNS=50 SCENARIOS="http tls tls-close h2"
 * PROXIES="nginx haproxy undici meshgate" WHOLE="nginx haproxy meshgate" (empty: skip)
 * LOAD_CPUS=0 PROXY_CPUS=1 PORT_BASE=19000 QUIET_WAIT=30 QUIET_MAX=10
 * INTERLEAVE=1 SLICE=2: the 1-core proxies all run at once and take the load in turns of
 * SLICE seconds (http and tls only): ratios that hold on a busy machine (see interleaved()).
 * MEMORY=1 (default): RSS per meshgate worker with MEM_ROUTES=10000 routes
 * (one process with 1 worker, then with 3: the difference / 2), idle and after load.
 * QUICK=1: the development run: DURATION=3 WARMUP=1 ROUNDS=1 WHOLE= SCENARIOS="http tls"
 * PROXIES="nginx undici meshgate" QUIET_WAIT=10 (each still overridable), about 1.5 min.
 * MESHGATE_BEFORE=<dir> + PROXIES="... meshgate-before": an earlier commit in the same run, e.g.
 *   git archive <commit> | tar -x -C /tmp/mg-old, node_modules linked to this repo's with
 *   @meshgate/* pointing into /tmp/mg-old (see docs/benchmarks/data-plane.md).
 * Results: tests/bench/data-plane/results/<time>/{report.md,results.json,logs/}.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const SHARED = path.resolve(ROOT, '../shared/bench');
const QUICK = process.env.QUICK === '1';
const quick: Record<string, string> = { DURATION: '3', WARMUP: '1', ROUNDS: '1', WHOLE: '', SCENARIOS: 'http tls', PROXIES: 'nginx undici meshgate', QUIET_WAIT: '10' };
const e = (k: string, d: string) => process.env[k] ?? (QUICK && k in quick ? quick[k]! : d);
const DURATION = Number(e('DURATION', '10'));
const WARMUP = Number(e('WARMUP', '2'));
const ROUNDS = Number(e('ROUNDS', '2'));
const CONNS = Number(e('CONNS', '50'));
const SCENARIOS = e('SCENARIOS', 'http tls tls-close h2').split(/\s+/).filter(Boolean);
const PROXIES = e('PROXIES', 'nginx haproxy undici meshgate').split(/\s+/).filter(Boolean);
const WHOLE = e('WHOLE', 'nginx haproxy meshgate').split(/\s+/).filter(Boolean);
const LOAD_CPUS = e('LOAD_CPUS', '0');
const PROXY_CPUS = e('PROXY_CPUS', '1');
const NCPU = os.availableParallelism();
const ALL_CPUS = `0-${NCPU - 1}`;
const BASE = Number(e('PORT_BASE', '19000'));
const QUIET_WAIT = Number(e('QUIET_WAIT', '30'));
const QUIET_MAX = Number(e('QUIET_MAX', '10'));
const HZ = Number(execFileSync('getconf', ['CLK_TCK']).toString());
const OUT = path.join(import.meta.dirname, 'results', new Date().toISOString().replace(/[:.]/g, '-'));
const NODE = process.execPath;
const UP = { users: BASE + 81, products: BASE + 82 };
const PORTS: Record<string, number> = { nginx: BASE + 100, haproxy: BASE + 110, undici: BASE + 140, meshgate: BASE + 150, 'meshgate-log': BASE + 160, 'meshgate-before': BASE + 170 };
/** A checkout of an earlier commit (with node_modules linked) to measure as `meshgate-before` in the same run: before/after ratios. */
const BEFORE = e('MESHGATE_BEFORE', '');
const MEMORY = e('MEMORY', '1') === '1';
const INTERLEAVE = e('INTERLEAVE', '0') === '1';
const SLICE = Number(e('SLICE', '2'));
const MEM_ROUTES = Number(e('MEM_ROUTES', '10000'));

for (const tool of ['nginx', 'haproxy', 'wrk', 'h2load', 'taskset', 'openssl', 'curl']) {
  if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) { console.error(`data-plane bench: missing ${tool} (apt-get install nginx haproxy wrk nghttp2-client)`); process.exit(2); }
}
fs.mkdirSync(path.join(OUT, 'logs'), { recursive: true });
fs.mkdirSync(path.join(OUT, 'run'), { recursive: true });
const log = (m: string) => console.error(`[${new Date().toISOString().slice(11, 19)}] ${m}`);

// ---------------------------------------------------------------- certificates, configs
const CERT = path.join(OUT, 'run/cert.pem');
const KEY = path.join(OUT, 'run/key.pem');
const PEM = path.join(OUT, 'run/combined.pem');
execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', KEY, '-out', CERT, '-days', '30', '-subj', '/CN=localhost',
  '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'], { stdio: 'ignore' });
fs.writeFileSync(PEM, fs.readFileSync(CERT, 'utf8') + fs.readFileSync(KEY, 'utf8'));

function render(tmpl: string, out: string, vars: Record<string, string | number>): string {
  let s = fs.readFileSync(path.join(SHARED, 'conf', tmpl), 'utf8');
  for (const [k, v] of Object.entries(vars)) s = s.replaceAll(`@${k}@`, String(v));
  fs.writeFileSync(path.join(OUT, 'run', out), s);
  return path.join(OUT, 'run', out);
}

// ---------------------------------------------------------------- processes
const started = new Set<ChildProcess>();
function spawnPinned(name: string, cpus: string, cmd: string[], env: Record<string, string> = {}): ChildProcess {
  const out = fs.openSync(path.join(OUT, 'logs', `${name}.log`), 'a');
  const p = spawn('taskset', ['-c', cpus, ...cmd], { detached: true, stdio: ['ignore', out, out], env: { ...process.env, ...env } });
  started.add(p);
  p.once('exit', () => started.delete(p));
  return p;
}
async function stopGroup(p: ChildProcess | undefined): Promise<void> {
  if (!p?.pid || p.exitCode !== null) return;
  const gone = new Promise<void>((r) => p.once('exit', () => r()));
  try { process.kill(-p.pid, 'SIGTERM'); } catch { return; }
  const t = setTimeout(() => { try { process.kill(-p.pid!, 'SIGKILL'); } catch { /* gone */ } }, 5_000);
  await gone;
  clearTimeout(t);
}
const cleanup = () => { for (const p of started) try { process.kill(-p.pid!, 'SIGKILL'); } catch { /* gone */ } };
process.on('exit', cleanup);
process.on('SIGINT', () => { cleanup(); process.exit(130); });

async function waitPort(port: number, p: ChildProcess, name: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (p.exitCode !== null) throw new Error(`${name} exited (see ${OUT}/logs/${name}.log)`);
    const ok = await new Promise<boolean>((r) => { const s = net.connect(port, '127.0.0.1', () => { s.destroy(); r(true); }); s.on('error', () => r(false)); });
    if (ok) return;
    await sleep(100);
  }
  throw new Error(`${name}: port ${port} not listening after 30 s`);
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** utime+stime of every process in the group, in ticks. */
function groupTicks(p: ChildProcess | undefined): number {
  if (!p?.pid) return 0;
  let t = 0;
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(f[2]) === p.pid) t += Number(f[11]) + Number(f[12]);
    } catch { /* exited */ }
  }
  return t;
}
function machineTicks(): { busy: number; steal: number; total: number } {
  const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!.split(/\s+/).slice(1).map(Number);
  return { busy: f[0]! + f[1]! + f[2]! + f[5]! + f[6]!, steal: f[7]!, total: f.reduce((a, b) => a + b, 0) };
}
async function quietWait(): Promise<void> {
  for (let waited = 0; waited < QUIET_WAIT; waited++) {
    const a = machineTicks();
    await sleep(1_000);
    const busy = (machineTicks().busy - a.busy) / HZ * 100;
    if (busy <= QUIET_MAX) return;
    if (waited === 0) log(`  waiting for the machine to go quiet (${busy.toFixed(0)}% of a core busy)`);
  }
  log(`  still busy after ${QUIET_WAIT}s; measuring anyway`);
}

// ---------------------------------------------------------------- proxies
interface Running { name: string; proc: ChildProcess; http: number; tls?: number; h2?: number }
async function startProxy(name: string, workers: number, cpus: string): Promise<Running> {
  const port = PORTS[name]!;
  const env = { HTTP_PORT: String(port), TLS_PORT: String(port + 1), H2_PORT: String(port + 2), UP_USERS: String(UP.users), UP_PRODUCTS: String(UP.products), CERT, KEY, PEM, WORKERS: String(workers) };
  let proc: ChildProcess;
  let r: Running;
  switch (name) {
    case 'nginx': {
      const conf = render('nginx-proxy.conf.tmpl', `nginx-w${workers}.conf`, { WORKERS: workers, RUN: path.join(OUT, 'run'), HTTP: port, TLS: port + 1, H2: port + 2, UP_USERS: UP.users, UP_PRODUCTS: UP.products, CERT, KEY });
      proc = spawnPinned(name, cpus, ['nginx', '-p', path.join(OUT, 'run'), '-e', path.join(OUT, 'run/nginx.err'), '-c', conf]);
      r = { name, proc, http: port, tls: port + 1, h2: port + 2 };
      break;
    }
    case 'haproxy': {
      const conf = render('haproxy.cfg.tmpl', `haproxy-w${workers}.cfg`, { WORKERS: workers, HTTP: port, TLS: port + 1, H2: port + 2, UP_USERS: UP.users, UP_PRODUCTS: UP.products, PEM });
      proc = spawnPinned(name, cpus, ['haproxy', '-db', '-f', conf]);
      r = { name, proc, http: port, tls: port + 1, h2: port + 2 };
      break;
    }
    case 'undici':
      proc = spawnPinned(name, cpus, [NODE, path.join(SHARED, 'node/proxy-undici.js')], { ...env, NODE_PATH: path.join(ROOT, 'node_modules') });
      r = { name, proc, http: port, tls: port + 1, h2: port + 2 };
      break;
    case 'meshgate-before':
      if (!BEFORE) throw new Error('meshgate-before needs MESHGATE_BEFORE=<checkout of the earlier commit>');
      proc = spawnPinned(name, cpus, [NODE, path.join(BEFORE, 'tests/bench/data-plane/meshgate-proxy.ts')], { ...env, H2_PORT: '', MESHGATE_ACCESS_LOG: 'off' });
      r = { name, proc, http: port, tls: port + 1, h2: port + 1 };
      break;
    case 'meshgate':
    case 'meshgate-log':
      // One TLS port for h1 and h2 (ALPN). meshgate-log: the same with its access log on (to a file, as in production to a pipe).
      proc = spawnPinned(name, cpus, [NODE, path.join(import.meta.dirname, 'meshgate-proxy.ts')], { ...env, H2_PORT: '', MESHGATE_ACCESS_LOG: name === 'meshgate-log' ? 'on' : 'off' });
      r = { name, proc, http: port, tls: port + 1, h2: port + 1 };
      break;
    default: throw new Error(`unknown proxy ${name}: use nginx, haproxy, undici, meshgate`);
  }
  for (const p of [r.http, r.tls, r.h2]) if (p) await waitPort(p, proc, name);
  return r;
}

function checkRoutes(base: string, extra: string[] = []): boolean {
  const get = (p: string, fmt?: string) => spawnSync('curl', ['-sk', '--max-time', '3', ...extra, ...(fmt ? ['-o', '/dev/null', '-w', fmt] : []), `${base}${p}`]).stdout.toString();
  return get('/users/1').includes('User server') && get('/products/1').includes('Product server') && get('/nope', '%{http_code}') === '404';
}

// ---------------------------------------------------------------- load
interface Result { round: number; group: string; proxy: string; workers: number; scenario: string; rps: number; p50: number; p99: number; errors: number; proxyCpu: number; otherCpu: number; steal: number; load: number }
const results: Result[] = [];

async function measure(round: number, group: string, r: Running, workers: number, scenario: string, upstream: ChildProcess, loadCpus: string, threads: number): Promise<void> {
  const port = scenario === 'http' ? r.http : scenario === 'h2' ? r.h2 : r.tls;
  if (!port) return;
  const base = `${scenario === 'http' ? 'http' : 'https'}://127.0.0.1:${port}`;
  if (!checkRoutes(base, scenario === 'h2' ? ['--http2'] : scenario === 'http' ? [] : ['--http1.1'])) {
    log(`  ${r.name} ${scenario}: route check failed, skipped`);
    return;
  }
  const cmd = scenario === 'h2'
    ? (d: number) => ['h2load', '-t', String(threads), '-c', String(CONNS), '-m', '1', '-D', String(d), `${base}/users/1`, `${base}/products/1`]
    : (d: number) => ['wrk', '-t', String(threads), '-c', String(CONNS), '--timeout', '5s', '-s', path.join(SHARED, 'wrk-report.lua'), ...(scenario === 'tls-close' ? ['-H', 'Connection: close'] : []), '-d', `${d}s`, `${base}/`];
  if (WARMUP > 0) spawnSync('taskset', ['-c', loadCpus, ...cmd(WARMUP)], { timeout: (WARMUP + 30) * 1000 });
  await quietWait();
  const px0 = groupTicks(r.proc); const up0 = groupTicks(upstream); const m0 = machineTicks(); const t0 = performance.now();
  const run = spawn('taskset', ['-c', loadCpus, ...cmd(DURATION)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  run.stdout!.on('data', (d) => { out += d; });
  await new Promise<void>((resolve) => run.on('exit', () => resolve()));
  const wall = (performance.now() - t0) / 1000;
  const px = (groupTicks(r.proc) - px0) / HZ / wall * 100;
  const up = (groupTicks(upstream) - up0) / HZ / wall * 100;
  const m1 = machineTicks();
  const all = (m1.busy - m0.busy) / HZ / wall * 100;
  const steal = (m1.steal - m0.steal) / Math.max(1, m1.total - m0.total) * 100;
  fs.writeFileSync(path.join(OUT, 'logs', `r${round}-${group}-${r.name}-${scenario}.txt`), `${cmd(DURATION).join(' ')}\n${out}`);
  let rps = 0; let p50 = 0; let p99 = 0; let errors = 0;
  if (scenario === 'h2') {
    rps = Number(/finished in [^,]+, ([\d.]+) req\/s/.exec(out)?.[1] ?? 0);
    const req = /requests: \d+ total, \d+ started, \d+ done, (\d+) succeeded, (\d+) failed/.exec(out);
    errors = Number(req?.[2] ?? 0);
    const lat = /time for request:\s+([\d.]+)(us|ms)\s+([\d.]+)(us|ms)\s+([\d.]+)(us|ms)/.exec(out);
    if (lat) p50 = Number(lat[5]) / (lat[6] === 'us' ? 1000 : 1); // h2load prints min/max/mean, no percentiles: the p50 column holds the mean for h2
    p99 = Number.NaN;
  } else {
    const m = /RESULT (.*)/.exec(out);
    if (m) {
      const kv = Object.fromEntries(m[1]!.split(' ').map((x) => x.split('=')).map(([k, v]) => [k, Number(v)]));
      rps = kv.requests! / kv.duration_us! * 1e6; p50 = kv.p50_us! / 1000; p99 = kv.p99_us! / 1000;
      errors = kv.connect! + kv.read! + kv.write! + kv.status! + kv.timeout!;
    }
  }
  // The load generator's own CPU is not sampled here; "other" = busy minus proxy and upstream.
  const res: Result = { round, group, proxy: r.name, workers, scenario, rps: Math.round(rps), p50, p99, errors, proxyCpu: Math.round(px), otherCpu: Math.round(all - px - up), steal, load: os.loadavg()[0]! };
  results.push(res);
  log(`  ${r.name.padEnd(9)} ${scenario.padEnd(9)} ${String(res.rps).padStart(7)} req/s  p50 ${p50.toFixed(2)} ms  p99 ${Number.isNaN(p99) ? '-' : p99.toFixed(2)} ms  err ${errors}  proxy cpu ${res.proxyCpu}%  other ${res.otherCpu}%  steal ${steal.toFixed(1)}%  load ${res.load.toFixed(1)}`);
}

async function group(round: number, name: string, proxies: string[], workers: number, proxyCpus: string, loadCpus: string): Promise<void> {
  log(`===== round ${round}/${ROUNDS}, group ${name}: proxies on cpus ${proxyCpus}, load + upstream on ${loadCpus}`);
  const conf = render('upstream-nginx.conf.tmpl', `upstream-w${workers}.conf`, { WORKERS: workers, RUN: path.join(OUT, 'run'), UP_USERS: UP.users, UP_PRODUCTS: UP.products, UP_STATUS: BASE + 89 });
  const upstream = spawnPinned('upstream', loadCpus, ['nginx', '-p', path.join(OUT, 'run'), '-e', path.join(OUT, 'run/upstream.err'), '-c', conf]);
  await waitPort(UP.users, upstream, 'upstream');
  try {
    for (const p of proxies) {
      let r: Running | undefined;
      try {
        r = await startProxy(p, workers, proxyCpus);
        // JIT warm-up for the Node proxies, as peers.sh does.
        spawnSync('taskset', ['-c', loadCpus, 'wrk', '-t', '1', '-c', String(CONNS), '-d', `${Math.max(WARMUP, 1)}s`, '-s', path.join(SHARED, 'wrk-report.lua'), `http://127.0.0.1:${r.http}/`]);
        for (const s of SCENARIOS) await measure(round, name, r, workers, s, upstream, loadCpus, name === 'whole' ? NCPU : 1);
      } catch (err) {
        log(`  ${p}: ${(err as Error).message}; skipped`);
      } finally {
        await stopGroup(r?.proc);
        await sleep(500);
      }
    }
  } finally {
    await stopGroup(upstream);
  }
}

// ---------------------------------------------------------------- interleaved
/**
 * INTERLEAVE=1: every 1-core proxy runs at once (idle ones cost nothing) and
 * the load moves from one to the next in SLICE-second slices, the order
 * rotating each time, for DURATION/SLICE rounds per scenario. Whatever other
 * tenants do then hits every proxy alike, so the ratios hold on a busy
 * machine, where back-to-back runs of several seconds each differ by 2x.
 * Rows: total requests / total time; p50/p99 are medians over the slices.
 * wrk reconnects at each slice: for tls that adds CONNS handshakes per slice
 * to every proxy's CPU (about 1-3% at SLICE=2).
 */
async function interleaved(round: number, proxies: string[]): Promise<void> {
  log(`===== round ${round}/${ROUNDS}, 1core interleaved: proxies on cpus ${PROXY_CPUS}, load + upstream on ${LOAD_CPUS}, ${SLICE} s slices`);
  const conf = render('upstream-nginx.conf.tmpl', 'upstream-w1.conf', { WORKERS: 1, RUN: path.join(OUT, 'run'), UP_USERS: UP.users, UP_PRODUCTS: UP.products, UP_STATUS: BASE + 89 });
  const upstream = spawnPinned('upstream', LOAD_CPUS, ['nginx', '-p', path.join(OUT, 'run'), '-e', path.join(OUT, 'run/upstream.err'), '-c', conf]);
  await waitPort(UP.users, upstream, 'upstream');
  const running: Running[] = [];
  try {
    for (const p of proxies) {
      try {
        const r = await startProxy(p, 1, PROXY_CPUS);
        running.push(r);
        spawnSync('taskset', ['-c', LOAD_CPUS, 'wrk', '-t', '1', '-c', String(CONNS), '-d', `${Math.max(WARMUP, 1)}s`, '-s', path.join(SHARED, 'wrk-report.lua'), `http://127.0.0.1:${r.http}/`]);
      } catch (err) {
        log(`  ${p}: ${(err as Error).message}; skipped`);
      }
    }
    for (const scenario of SCENARIOS.filter((x) => x === 'http' || x === 'tls')) {
      const acc = new Map<string, { req: number; us: number; ticks: number; other: number; p50: number[]; p99: number[]; errors: number }>();
      const ok = running.filter((r) => checkRoutes(`${scenario === 'http' ? 'http' : 'https'}://127.0.0.1:${scenario === 'http' ? r.http : r.tls}`, scenario === 'http' ? [] : ['--http1.1']));
      for (const r of ok) spawnSync('taskset', ['-c', LOAD_CPUS, 'wrk', '-t', '1', '-c', String(CONNS), '-d', `${Math.max(WARMUP, 1)}s`, `${scenario === 'http' ? 'http' : 'https'}://127.0.0.1:${scenario === 'http' ? r.http : r.tls}/users/1`]);
      const slices = Math.max(1, Math.round(DURATION / SLICE));
      for (let k = 0; k < slices; k++) {
        for (let j = 0; j < ok.length; j++) {
          const r = ok[(j + k) % ok.length]!;
          const base = `${scenario === 'http' ? 'http' : 'https'}://127.0.0.1:${scenario === 'http' ? r.http : r.tls}`;
          const t0 = groupTicks(r.proc); const m0 = machineTicks(); const w0 = performance.now();
          const out = spawnSync('taskset', ['-c', LOAD_CPUS, 'wrk', '-t', '1', '-c', String(CONNS), '--timeout', '5s', '-s', path.join(SHARED, 'wrk-report.lua'), '-d', `${SLICE}s`, `${base}/`], { timeout: (SLICE + 30) * 1000 }).stdout.toString();
          const wall = (performance.now() - w0) / 1000;
          const ticks = groupTicks(r.proc) - t0;
          const busy = (machineTicks().busy - m0.busy) / HZ / wall * 100;
          const m = /RESULT (.*)/.exec(out);
          if (!m) continue;
          const kv = Object.fromEntries(m[1]!.split(' ').map((x) => x.split('=')).map(([a, b]) => [a, Number(b)]));
          const a = acc.get(r.name) ?? { req: 0, us: 0, ticks: 0, other: 0, p50: [], p99: [], errors: 0 };
          a.req += kv.requests!; a.us += kv.duration_us!; a.ticks += ticks; a.other += busy * kv.duration_us! / 1e6;
          a.p50.push(kv.p50_us! / 1000); a.p99.push(kv.p99_us! / 1000);
          a.errors += kv.connect! + kv.read! + kv.write! + kv.status! + kv.timeout!;
          acc.set(r.name, a);
        }
      }
      const median = (xs: number[]) => { const v = [...xs].sort((x, y) => x - y); return v[Math.floor(v.length / 2)] ?? 0; };
      for (const [name, a] of acc) {
        const secs = a.us / 1e6;
        const proxyCpu = a.ticks / HZ / secs * 100;
        const res: Result = { round, group: '1core-interleaved', proxy: name, workers: 1, scenario, rps: Math.round(a.req / secs), p50: median(a.p50), p99: median(a.p99), errors: a.errors,
          proxyCpu: Math.round(proxyCpu), otherCpu: Math.round(a.other / secs - proxyCpu), steal: 0, load: os.loadavg()[0]! };
        results.push(res);
        log(`  ${name.padEnd(15)} ${scenario.padEnd(5)} ${String(res.rps).padStart(7)} req/s  ${Math.round(res.rps / Math.max(1, res.proxyCpu) * 100)} per core  p50 ${res.p50.toFixed(2)} p99 ${res.p99.toFixed(2)} ms  proxy cpu ${res.proxyCpu}%  load ${res.load.toFixed(1)}`);
      }
    }
  } finally {
    for (const r of running) await stopGroup(r.proc);
    await stopGroup(upstream);
  }
}

// ---------------------------------------------------------------- memory
/** RSS of one process (all its threads), kB. */
function rssKb(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
}
interface Mem { workers: number; idleKb: number; loadedKb: number }
async function memory(): Promise<Mem[]> {
  log(`===== memory: ${MEM_ROUTES} routes, 1 worker then 3 workers`);
  const conf = render('upstream-nginx.conf.tmpl', 'upstream-mem.conf', { WORKERS: 1, RUN: path.join(OUT, 'run'), UP_USERS: UP.users, UP_PRODUCTS: UP.products, UP_STATUS: BASE + 89 });
  const upstream = spawnPinned('upstream-mem', LOAD_CPUS, ['nginx', '-p', path.join(OUT, 'run'), '-e', path.join(OUT, 'run/upstream.err'), '-c', conf]);
  await waitPort(UP.users, upstream, 'upstream');
  const out: Mem[] = [];
  try {
    for (const workers of [1, 3]) {
      const port = PORTS.meshgate!;
      const proc = spawnPinned(`meshgate-mem-w${workers}`, ALL_CPUS, [NODE, path.join(import.meta.dirname, 'meshgate-proxy.ts')],
        { HTTP_PORT: String(port), UP_USERS: String(UP.users), UP_PRODUCTS: String(UP.products), CERT, KEY, WORKERS: String(workers), ROUTES: String(MEM_ROUTES) });
      try {
        await waitPort(port, proc, 'meshgate');
        await sleep(3_000);
        const idleKb = rssKb(proc.pid!);
        // Traffic over the generated routes (host r<i%100>.example, path /r<i>/), to count what the request path adds.
        spawnSync('wrk', ['-t', '1', '-c', String(CONNS), '-d', `${Math.max(DURATION, 3)}s`, '-H', 'Host: r7.example', `http://127.0.0.1:${port}/r7/x`], { timeout: 60_000 });
        const loadedKb = rssKb(proc.pid!);
        out.push({ workers, idleKb, loadedKb });
        log(`  ${workers} worker(s): RSS ${(idleKb / 1024).toFixed(1)} MB idle, ${(loadedKb / 1024).toFixed(1)} MB after load`);
      } finally {
        await stopGroup(proc);
        await sleep(500);
      }
    }
  } finally {
    await stopGroup(upstream);
  }
  return out;
}

// ---------------------------------------------------------------- main
const t0 = Date.now();
for (let round = 1; round <= ROUNDS; round++) {
  if (INTERLEAVE) await interleaved(round, PROXIES);
  else await group(round, '1core', PROXIES, 1, PROXY_CPUS, LOAD_CPUS);
  if (WHOLE.length) await group(round, 'whole', WHOLE, NCPU, ALL_CPUS, ALL_CPUS);
}
const mem = MEMORY ? await memory() : [];
log(`done in ${Math.round((Date.now() - t0) / 1000)} s`);

const lines = [
  `data-plane benchmark, ${new Date().toISOString()} on ${os.cpus()[0]?.model ?? '?'} x${NCPU}, node ${process.version}`,
  `DURATION=${DURATION} WARMUP=${WARMUP} ROUNDS=${ROUNDS} CONNS=${CONNS} PROXY_CPUS=${PROXY_CPUS} LOAD_CPUS=${LOAD_CPUS}`,
  'meshgate access log: off (meshgate-log: on, written to a file); load = 1-minute load average at the end of each case',
  '',
  '| round | group | proxy | scenario | req/s | vs nginx | p50 ms | p99 ms | p99 vs nginx | errors | proxy cpu % | req/s/core | per core vs nginx | other cpu % | steal % | load |',
  '| --- | --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
];
const perCore = (r: Result) => (r.proxyCpu ? r.rps / r.proxyCpu * 100 : 0);
for (const r of results) {
  const ng = results.find((x) => x.round === r.round && x.group === r.group && x.scenario === r.scenario && x.proxy === 'nginx');
  const ratio = ng && ng.rps ? (r.rps / ng.rps).toFixed(2) : '-';
  const p99r = ng && ng.p99 && !Number.isNaN(r.p99) ? (r.p99 / ng.p99).toFixed(2) : '-';
  const coreRatio = ng && perCore(ng) ? (perCore(r) / perCore(ng)).toFixed(2) : '-';
  lines.push(`| ${r.round} | ${r.group} | ${r.proxy} | ${r.scenario} | ${r.rps} | ${ratio} | ${r.p50.toFixed(2)} | ${Number.isNaN(r.p99) ? '-' : r.p99.toFixed(2)} | ${p99r} | ${r.errors} | ${r.proxyCpu} | ${r.proxyCpu ? Math.round(perCore(r)) : '-'} | ${coreRatio} | ${r.otherCpu} | ${r.steal.toFixed(1)} | ${r.load.toFixed(1)} |`);
}
const und = (s: string) => results.filter((r) => r.group.startsWith('1core') && r.scenario === s);
for (const s of SCENARIOS) {
  const m = und(s).find((r) => r.proxy === 'meshgate');
  const u = und(s).find((r) => r.proxy === 'undici');
  if (m && u && u.rps) lines.push(`\n${s}: meshgate / undici proxy = ${(m.rps / u.rps).toFixed(2)} req/s, ${(perCore(m) / Math.max(1, perCore(u))).toFixed(2)} per core (1 core, last round)`);
}
if (mem.length === 2) {
  const [one, three] = mem as [Mem, Mem];
  lines.push('', `memory, ${MEM_ROUTES} routes: 1 worker ${(one.idleKb / 1024).toFixed(1)} MB idle / ${(one.loadedKb / 1024).toFixed(1)} MB loaded (process RSS: main thread + 1 worker); 3 workers ${(three.idleKb / 1024).toFixed(1)} / ${(three.loadedKb / 1024).toFixed(1)} MB;`,
    `per worker (3 workers - 1 worker) / 2: ${((three.idleKb - one.idleKb) / 2048).toFixed(1)} MB idle, ${((three.loadedKb - one.loadedKb) / 2048).toFixed(1)} MB loaded (target < 80 MB)`);
}
const report = lines.join('\n') + '\n';
fs.writeFileSync(path.join(OUT, 'report.md'), report);
fs.writeFileSync(path.join(OUT, 'results.json'), JSON.stringify(results, null, 2));
console.log(report);
console.log(`results: ${OUT}`);
