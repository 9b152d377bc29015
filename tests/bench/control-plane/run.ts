/**
 * Control-plane propagation benchmark: `npm run bench control-plane`.
 *
 * A real nats-server (JetStream), a config service process, and N proxy
 * node processes with one worker each. For each (nodes, routes) pair it
 * applies a change with `meshgate apply` semantics (an admin request over
 * NATS, as the CLI sends it) and times, per change:
 *   - apply -> every node serving it: the last worker of the last node swapped
 *     the new routes in (each worker stamps the moment, each node's ACK carries
 *     its last worker's stamp: `servingAt`; one machine, one clock),
 *   - apply -> ACK from every node (a node ACKs once each of its workers told
 *     its main thread it applied: serving, plus that news reaching NATS),
 *   - apply -> the new route answers 200 over HTTP on a node (the kernel picks
 *     one; polled every 10 ms on one kept-alive connection): the cross-check
 *     from outside; it never comes before the first node's stamp,
 * then reports p50/p99 over the changes, plus the size of an endpoint-only
 * change on the wire (a delta) at that route count. It also counts the CPU
 * the kernel's memory-management threads (kdamond, kswapd, kcompactd) took
 * during each change, from /proc/PID/schedstat: on a VM that runs DAMON
 * proactive reclaim, kdamond takes one of the cores for tens of ms at a
 * time, and the row gives the percentiles of the changes it left alone
 * apart (see kernelThreads).
 *
 * Flags: --nodes 1,10,50  --routes 100,1000,10000  --changes N  --warmup N (default 30: made
 * first, left out of the percentiles, which are also given counting them)  --out FILE  --cpu-prof DIR  --gap-ms N
 * --poll-ms N (the HTTP cross-check's interval, default 10)  --no-floor (leave out the machine's floor:
 * bare processes that only ACK a message, floor.ts, run at each node count after the rows)
 * --kind httproute (the routes and each change as Gateway API HTTPRoutes on a Gateway's port-80 listener, gateway-manifests.ts)
 * --signed (the config service signs with a new Ed25519 key, --signing-key, and every node verifies,
 * --trust-key: each worker then checks each route delta's signature, about 0.35 ms of its CPU per change here)
 * Env: BENCH_VERBOSE=1 prints each change's stages; BENCH_CONFIG_LOG=info shows the
 * config service's log (each published version with the ms of each step);
 * BENCH_THREADS=1 prints CPU by thread (main, worker, V8's helpers), nats-server's
 * and the bench's own, and the idle use; BENCH_NODE_OPTIONS and
 * BENCH_CONFIG_NODE_OPTIONS add flags to the nodes' and the config service's
 * node command line (V8 flags, say); BENCH_NO_POLL=1 leaves out the HTTP
 * cross-check (to see what it costs the nodes); BENCH_ECHO_NODE0=1 echoes node 0's output (with
 * BENCH_NODE_OPTIONS=--trace-opt, say: what V8 compiles during which change).
 * Defaults are the small development run (1,10 nodes; 100,1000 routes; 15
 * changes): the full matrix wants a quiet machine.
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { NatsTransport } from '@meshgate/actors';
import { AdminMessageType, MessageType, allNodesSubject, generateSigningKeyPair, msgpackCodec, subjects, type AckMessage, type ApplyReply } from '@meshgate/protocol';
import { freePort, request, spawnMeshgate, spawnProcess, startNatsServer, eventually, type Proc } from '@meshgate/testing';
import { epochOriginMs } from '@meshgate/telemetry';
import { floorHeader, floorLine, floorRow, type FloorRow } from './floor.ts';
import { gatewayChange, gatewayRoutes } from './gateway-manifests.ts';
import { KERNEL_BUSY_MS, TICK_MS, cpuMs, kernelThreads, pct, runMs } from './machine.ts';

const arg = (name: string, def: string) => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? process.argv[i + 1]! : def; };
const NODES = arg('nodes', '1,10').split(',').map(Number);
const ROUTES = arg('routes', '100,1000').split(',').map(Number);
/** `--kind httproute`: the routes are Gateway API HTTPRoutes instead of an Ingress. */
const KIND = arg('kind', 'ingress');
const CHANGES = Number(arg('changes', '15'));
/** Changes made first and not counted (their slowest is reported apart): see oneChange's caller. */
const WARMUP = Number(arg('warmup', '30'));
/**
 * `--gap-ms N`: a pause before each change. 0 (the default) makes each change as soon as the previous
 * one is served everywhere: the nodes' and the config service's after-work (ACKs, collections, V8's
 * optimizing) then overlaps the next change. A gap measures each change on a settled mesh, as changes
 * an operator or a pipeline applies one at a time, seconds apart, are.
 */
const GAP_MS = Number(arg('gap-ms', '0'));
/**
 * `--poll-ms N`: how often the HTTP cross-check asks. Each poll is a request a node's worker serves
 * during the change: every 5 ms, the polls cost the nodes 7 to 15 ms of CPU per change at 50 nodes
 * (36 ms without them, BENCH_NO_POLL=1, against 42 to 51 ms), so the default is 10.
 */
const POLL_MS = Number(arg('poll-ms', '10'));
/** `--no-floor`: leave out the machine's floor (floor.ts), run by default at each node count after the rows. */
const FLOOR = !process.argv.includes('--no-floor');
/** `--signed`: snapshots and deltas signed and verified, as with `meshgate up` or `--signing-key`/`--trust-key`. */
const SIGNED = process.argv.includes('--signed');
const OUT = arg('out', path.resolve(import.meta.dirname, '../../../docs/benchmarks/control-plane.md'));
/** `--cpu-prof DIR`: CPU profiles of the config service and of the first node (main thread and worker) under DIR. */
const PROF = arg('cpu-prof', '');
/** Nodes started at once (then waited for): see run(). */
const START_BATCH = 5;
/** BENCH_NODE_OPTIONS and BENCH_CONFIG_NODE_OPTIONS go on node's command line: NODE_OPTIONS refuses most V8 flags. */
const flags = (s: string | undefined) => (s ?? '').split(' ').filter(Boolean);
const profEnv = (name: string): NodeJS.ProcessEnv => (PROF ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${path.resolve(PROF, name)}` } : {});

function manifests(dir: string, routes: number, backendPort: number): void {
  const services = 20;
  const svc = Array.from({ length: services }, (_, i) => `apiVersion: v1
kind: Service
metadata: { name: s${i} }
spec: { ports: [{ name: http, port: 80, targetPort: 8080 }] }
---
apiVersion: v1
kind: Endpoints
metadata: { name: s${i} }
subsets: [{ addresses: [{ ip: 127.0.0.1 }], ports: [{ name: http, port: ${backendPort} }] }]
`).join('---\n');
  const paths = Array.from({ length: routes }, (_, i) => `      - { path: /r${i}, pathType: Prefix, backend: { service: { name: s${i % services}, port: { number: 80 } } } }`).join('\n');
  fs.writeFileSync(path.join(dir, 'services.yaml'), svc);
  if (KIND === 'httproute') return fs.writeFileSync(path.join(dir, 'routes.yaml'), gatewayRoutes(routes, services));
  fs.writeFileSync(path.join(dir, 'routes.yaml'), `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: { name: bench }
spec:
  rules:
  - http:
      paths:
${paths}
`);
}

const change = (i: number) => KIND === 'httproute' ? gatewayChange(i) : `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: { name: bench-change }
spec:
  rules: [{ http: { paths: [{ path: /change-${i}, pathType: Prefix, backend: { service: { name: s0, port: { number: 80 } } } }] } }]
`;

const endpointChange = (i: number, backendPort: number) => `apiVersion: v1
kind: Endpoints
metadata: { name: s1 }
subsets: [{ addresses: [{ ip: 127.0.0.1 }, { ip: 127.0.0.${2 + (i % 200)} }], ports: [{ name: http, port: ${backendPort} }] }]
`;

/** Where one change's time went (ms from the apply request; wall clock, all processes on this machine). */
interface Stages {
  /** The config service built, stored (KV) and announced it: the announcement reached the bench's own subscriber. */
  announced: number;
  /** The slowest node had verified and unpacked it and handed it to its worker (ACK time minus its applyMs). */
  received: number;
  /** The slowest node's hand-off to its workers until every worker swapped (applyMs in its ACK). */
  apply: number;
  /** Last ACK seen by the bench. */
  acked: number;
}

interface Row {
  nodes: number; routes: number;
  /** apply -> every node's workers swapped the change in (servingAt in the ACKs): the target's "all serving". */
  servingP50: number; servingP99: number;
  ackP50: number; ackP99: number;
  /** apply -> the new path answered 200 over HTTP (the cross-check from outside). */
  httpP50: number; httpP99: number;
  deltaBytes: number; snapshotBytes: number; routeDeltaBytes: number;
  stagesP50: Stages; stagesP99: Stages; load: number[];
  /** "Every node serving" counting every change from the first (warm-up included): p99 and slowest. */
  allP99: number; allMax: number;
  /** CPU ms per change (idle use subtracted): the config service, and all nodes (main threads and workers) together. */
  cpu: { config: number; nodes: number };
  /** How late a 1 ms timer in an otherwise idle process woke during the counted changes (timer-probe.ts). */
  lateness: { p99: number; p999: number; max: number };
  /**
   * The kernel's memory-management threads during the counted changes: their CPU ms per change, how
   * many changes they ran KERNEL_BUSY_MS or more in, and every node serving p50 / p99 over the others.
   */
  kernel: { msPerChange: number; busy: number; quietP50: number; quietP99: number };
}

/** How long the processes are watched doing nothing, for their idle CPU use. */
const IDLE_MS = 3_000;

/** GET on `agent`'s connection: the status (0 when the request failed). */
function get(url: string, agent: http.Agent): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get(url, { agent }, (res) => { res.resume(); res.on('end', () => resolve(res.statusCode ?? 0)); res.on('error', () => resolve(0)); });
    req.setTimeout(5_000, () => req.destroy());
    req.on('error', () => resolve(0));
  });
}

/** BENCH_THREADS=1: CPU ms (user, system) by thread name (/proc/PID/task/TID/comm) over the processes, to see which thread spends it. */
function threadCpu(pids: number[]): Map<string, { user: number; sys: number }> {
  const out = new Map<string, { user: number; sys: number }>();
  for (const pid of pids) {
    let tids: string[] = [];
    try { tids = fs.readdirSync(`/proc/${pid}/task`); } catch { continue; }
    for (const tid of tids) {
      try {
        const name = fs.readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim().replace(/[0-9]+$/, '#');
        const stat = fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
        const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        const e = out.get(name) ?? { user: 0, sys: 0 };
        e.user += Number(f[11]) * TICK_MS; e.sys += Number(f[12]) * TICK_MS;
        out.set(name, e);
      } catch { /* gone */ }
    }
  }
  return out;
}

/** A new key pair under `dir` (--signed): the config service's signing key and the nodes' trust key. */
function signingKeys(dir: string): { signing: string; trust: string } {
  const pair = generateSigningKeyPair();
  const keys = { signing: path.join(dir, 'signing.pem'), trust: path.join(dir, 'trust.pem') };
  fs.writeFileSync(keys.signing, pair.privatePem, { mode: 0o600 });
  fs.writeFileSync(keys.trust, pair.publicPem);
  return keys;
}

async function run(nodes: number, routes: number): Promise<Row> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meshgate-bench-cp-'));
  const nats = await startNatsServer();
  const procs: Proc[] = [];
  const t = await NatsTransport.connect({ servers: nats.url, codec: msgpackCodec, name: 'bench' });
  try {
    const backendPort = await freePort();
    procs.push(spawnMeshgate(['demo-backend', '--kind', 'User', '--listen', `127.0.0.1:${backendPort}`]));
    manifests(dir, routes, backendPort);
    const keys = SIGNED ? signingKeys(dir) : undefined;
    const S = subjects();
    // Per version, the nodes that have it: a node ACKs for itself (a full snapshot), or each of its
    // workers does (a route delta taken from NATS by every worker): then the node has it once all have.
    const acks = new Map<number, Map<string, { seen: number; at: number; applyMs: number; servingAt: number }>>();
    const workerAcks = new Map<string, Set<number>>();
    /** Called when a version's ACK count grows (the wait below; no polling in this process). */
    let onAck = () => {};
    t.subscribe(allNodesSubject(S.ack), (m) => {
      const a = m.data as AckMessage;
      if (a.type !== MessageType.Ack || !a.ok) return;
      let byNode = acks.get(a.version);
      if (!byNode) acks.set(a.version, byNode = new Map());
      if (byNode.has(a.nodeId)) return;
      if (a.worker !== undefined && (a.workers ?? 1) > 1) {
        const key = `${a.version} ${a.nodeId}`;
        const got = workerAcks.get(key) ?? new Set<number>();
        workerAcks.set(key, got.add(a.worker));
        if (got.size < a.workers!) return;
      }
      byNode.set(a.nodeId, { seen: performance.now(), at: a.at, applyMs: a.applyMs ?? 0, servingAt: a.servingAt ?? NaN });
      onAck();
    });
    /** When the bench saw each version announced (performance.now()). */
    const announced = new Map<number, number>();
    let deltaBytes = 0;
    t.subscribe(S.endpoints, (m) => { deltaBytes = msgpackCodec.encode(m.data).length; });
    let snapshotBytes = 0;
    t.subscribe(S.snapshot, (m) => {
      const v = (m.data as { version?: number }).version;
      if (typeof v === 'number' && !announced.has(v)) announced.set(v, performance.now());
      snapshotBytes = msgpackCodec.encode(m.data).length;
    });
    // A one-path change goes out as a route delta: announced too, and its size.
    let routeDeltaBytes = 0;
    t.subscribe(S.routes, (m) => {
      const v = (m.data as { version?: number }).version;
      if (typeof v === 'number' && !announced.has(v)) announced.set(v, performance.now());
      routeDeltaBytes = msgpackCodec.encode(m.data).length;
    });
    const config = spawnMeshgate(['config-service', '--nats', nats.url, '--manifests', dir, ...(keys ? ['--signing-key', keys.signing] : []), '--log-level', process.env.BENCH_CONFIG_LOG ?? 'warn'], { env: profEnv(`config-${nodes}x${routes}`), nodeFlags: flags(process.env.BENCH_CONFIG_NODE_OPTIONS), echo: Boolean(process.env.BENCH_CONFIG_LOG) });
    procs.push(config);
    void config.exited.then((code) => { if (code !== 0 && code !== 'SIGTERM') console.error(`config service exited ${code}:\n${config.output().slice(-2000)}`); });
    // The config service first, then the nodes a few at a time: 50 processes starting at once on 2 cores
    // (each type-stripping its TypeScript) take minutes and time each other out.
    await eventually('config service answers admin requests', async () => {
      try { await t.request(S.admin, { type: AdminMessageType.Get, what: 'snapshot' }, 2_000); return true; } catch { return false; }
    }, 120_000, 200);
    const httpPort = await freePort();
    const nodeProcs: Proc[] = [];
    for (let first = 0; first < nodes; first += START_BATCH) {
      const batch: { proc: Proc; admin: number }[] = [];
      for (let i = first; i < Math.min(nodes, first + START_BATCH); i++) {
        const admin = await freePort();
        const proc = spawnMeshgate(['proxy', '--nats', nats.url, '--workers', '1', '--http', `127.0.0.1:${httpPort}`, '--https', '127.0.0.1:0', '--admin', `127.0.0.1:${admin}`, '--node-id', `bench-${i}`, ...(keys ? ['--trust-key', keys.trust] : []), '--log-level', process.env.BENCH_LOG ?? 'warn'], { env: { MESHGATE_ACCESS_LOG: 'off', ...(i === 0 ? profEnv(`node-${nodes}x${routes}`) : {}) }, nodeFlags: flags(process.env.BENCH_NODE_OPTIONS), echo: i === 0 && Boolean(process.env.BENCH_ECHO_NODE0) });
        procs.push(proc);
        nodeProcs.push(proc);
        batch.push({ proc, admin });
      }
      for (const { proc, admin } of batch) {
        await eventually(`node on ${admin} ready`, async () => (await request(`http://127.0.0.1:${admin}/readyz`)).status === 200, 120_000, 200)
          .catch((err) => { console.error(proc.output().slice(-3000)); throw err; });
      }
    }
    await new Promise((r) => setTimeout(r, 1500)); // heartbeats reach the config service
    // CPU time is what a loaded machine does not distort: what the processes spend idle (heartbeats,
    // stats), then what the changes cost on top, for the config service and for all nodes together.
    /** performance.now() of an epoch-ms stamp from another thread or process on this machine. */
    const fromWall = (ms: number) => ms - epochOriginMs();
    const kernel = kernelThreads();
    const oneChange = async (i: number) => {
      const k0 = runMs(kernel);
      const t0 = performance.now();
      const reply = await t.request<ApplyReply>(S.admin, { type: AdminMessageType.Apply, action: 'apply', files: [{ path: 'bench-change.yaml', text: change(i) }] }, 60_000);
      if (process.env.BENCH_LOG) console.log(`apply reply after ${(performance.now() - t0).toFixed(1)} ms; version created ${(reply.version - (Date.now() - (performance.now() - t0))).toFixed(0)} ms after t0`);
      // The route answers on a node (the kernel picks one for the connection): poll it on one
      // kept-alive connection. A new connection per poll cost the nodes and this process about
      // a fifth of the machine during a change, time every node's apply waited for.
      let served = 0;
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      const servedP = (async () => {
        if (process.env.BENCH_NO_POLL) { served = NaN; return; }
        for (;;) {
          if ((await get(`http://127.0.0.1:${httpPort}/change-${i}`, agent)) === 200) { served = performance.now(); return; }
          // Every POLL_MS: the cross-check only has to show the path never answers before a stamp;
          // polling faster costs the nodes under test more (each poll is a request to one of them).
          await new Promise((r) => setTimeout(r, POLL_MS));
        }
      })().finally(() => agent.destroy());
      await new Promise<void>((resolve, reject) => {
        const check = () => { if ((acks.get(reply.version)?.size ?? 0) >= nodes) { clearTimeout(timer); onAck = () => {}; resolve(); } };
        const timer = setTimeout(() => { onAck = () => {}; reject(new Error(`every node ACKed v${reply.version}: not within 30000 ms`)); }, 30_000);
        onAck = check;
        check();
      }).catch((err) => {
        const missing = nodeProcs.map((p, n) => ({ p, id: `bench-${n}` })).filter(({ id }) => !acks.get(reply.version)?.has(id));
        for (const { p, id } of missing.slice(0, 3)) console.error(`${id} (pid ${p.pid}) did not ACK v${reply.version}; its output:\n${p.output().slice(-2000)}`);
        throw new Error(`${(err as Error).message} (change ${i}; ${missing.length} node(s) missing: ${missing.map((m) => m.id).join(', ')})`);
      });
      // The kernel's memory threads' CPU from the apply until every node ACKed (serving came just before).
      const kernelMs = runMs(kernel) - k0;
      await servedP;
      const byNode = [...acks.get(reply.version)!.values()];
      const r = {
        ack: Math.max(...byNode.map((a) => a.seen)) - t0,
        serving: Math.max(...byNode.map((a) => fromWall(a.servingAt))) - t0,
        served: served - t0,
        beforeSwap: served < Math.min(...byNode.map((a) => fromWall(a.servingAt))),
        kernelMs,
        st: {
          announced: (announced.get(reply.version) ?? NaN) - t0,
          received: Math.max(...byNode.map((a) => fromWall(a.at - a.applyMs))) - t0,
          apply: Math.max(...byNode.map((a) => a.applyMs)),
          acked: Math.max(...byNode.map((a) => a.seen)) - t0,
        } satisfies Stages,
      };
      const slowest = [...acks.get(reply.version)!.entries()].sort((a, b) => b[1].servingAt - a[1].servingAt)[0]![0];
      if (process.env.BENCH_VERBOSE) console.log(`change ${i}${i < WARMUP ? ' (warm-up)' : ''} v${reply.version} applied at ${(epochOriginMs() + t0).toFixed(1)}: last serving ${slowest}, announced ${r.st.announced.toFixed(1)} ms, slowest node received ${r.st.received.toFixed(1)} ms, slowest apply ${r.st.apply.toFixed(1)} ms, all serving ${r.serving.toFixed(1)} ms, all ACKed ${r.st.acked.toFixed(1)} ms, HTTP ${r.served.toFixed(1)} ms, kernel memory threads ${r.kernelMs.toFixed(1)} ms`);
      return r;
    };
    // Warm-up, not counted: the first changes after start run code each thread has not compiled yet
    // (a worker's NATS client, decoder and patch run for the first time); their figures are reported apart.
    const warm: number[] = [];
    const gap = () => (GAP_MS > 0 ? new Promise((r) => setTimeout(r, GAP_MS)) : undefined);
    for (let i = 0; i < WARMUP; i++) { await gap(); warm.push((await oneChange(i)).serving); }
    const pids = { config: [config.pid], nodes: nodeProcs.map((p) => p.pid) };
    const idle0 = { config: cpuMs(pids.config), nodes: cpuMs(pids.nodes), at: performance.now() };
    const threadsIdle = process.env.BENCH_THREADS ? threadCpu(pids.nodes) : undefined;
    await new Promise((r) => setTimeout(r, IDLE_MS));
    const busy0 = { config: cpuMs(pids.config), nodes: cpuMs(pids.nodes), at: performance.now() };
    const idleRate = { config: (busy0.config - idle0.config) / (busy0.at - idle0.at), nodes: (busy0.nodes - idle0.nodes) / (busy0.at - idle0.at) };
    const threads0 = process.env.BENCH_THREADS ? threadCpu(pids.nodes) : undefined;
    const others0 = { nats: cpuMs([nats.pid]), bench: process.cpuUsage() };
    const idleMs = busy0.at - idle0.at;
    const ack: number[] = [];
    const serving: number[] = [];
    /** Changes whose path answered over HTTP before any node's worker said it swapped it in (clocks or ACKs wrong: should stay 0). */
    let servedBeforeSwap = 0;
    const serve: number[] = [];
    const stages: Stages[] = [];
    const load: number[] = [];
    const kernelMs: number[] = [];
    const probe = spawnProcess(process.execPath, [path.resolve(import.meta.dirname, 'timer-probe.ts')]);
    procs.push(probe);
    await probe.waitFor('ready');
    for (let i = WARMUP; i < WARMUP + CHANGES; i++) {
      await gap();
      load.push(os.loadavg()[0]!);
      const r = await oneChange(i);
      ack.push(r.ack);
      serving.push(r.serving);
      serve.push(r.served);
      if (r.beforeSwap) servedBeforeSwap++;
      stages.push(r.st);
      kernelMs.push(r.kernelMs);
    }
    const busy1 = { config: cpuMs(pids.config), nodes: cpuMs(pids.nodes), at: performance.now() };
    probe.kill();
    await probe.exited;
    const lateness = JSON.parse(probe.output().trim().split('\n').at(-1)!) as Row['lateness'];
    const spent = (k: 'config' | 'nodes') => Math.max(0, busy1[k] - busy0[k] - idleRate[k] * (busy1.at - busy0.at)) / CHANGES;
    const cpu = { config: spent('config'), nodes: spent('nodes') };
    if (threads0) {
      console.log(`  idle: config service ${(idleRate.config * 1000).toFixed(1)} ms, all nodes ${(idleRate.nodes * 1000).toFixed(1)} ms of CPU per second`);
      const benchCpu = process.cpuUsage(others0.bench);
      console.log(`  nats-server ${((cpuMs([nats.pid]) - others0.nats) / CHANGES).toFixed(2)} ms, this bench ${((benchCpu.user + benchCpu.system) / 1000 / CHANGES).toFixed(2)} ms per change (idle use included)`);
      const busyMs = busy1.at - busy0.at;
      const per = (x: number) => (x / CHANGES / nodes).toFixed(2);
      for (const [name, e] of threadCpu(pids.nodes)) {
        const b = threads0.get(name) ?? { user: 0, sys: 0 };
        const i = threadsIdle?.get(name) ?? { user: 0, sys: 0 };
        const idleShare = (x: number) => x * (busyMs / idleMs);
        const iu = idleShare(b.user - i.user), is = idleShare(b.sys - i.sys);
        console.log(`  node threads "${name}": user ${per(e.user - b.user - iu)} ms, system ${per(e.sys - b.sys - is)} ms per change per node (idle use: ${per(iu)} + ${per(is)} ms subtracted)`);
      }
    }
    // An endpoint-only change: a delta on the wire, whatever the route count.
    await t.request(S.admin, { type: AdminMessageType.Apply, action: 'apply', files: [{ path: 'endpoints.yaml', text: endpointChange(1, backendPort) }] }, 60_000);
    await eventually('endpoint delta seen', async () => deltaBytes > 0, 10_000, 5);
    const stagePct = (p: number): Stages => ({ announced: pct(stages.map((x) => x.announced), p), received: pct(stages.map((x) => x.received), p), apply: pct(stages.map((x) => x.apply), p), acked: pct(stages.map((x) => x.acked), p) });
    if (servedBeforeSwap) console.error(`nodes ${nodes} routes ${routes}: ${servedBeforeSwap} change(s) answered over HTTP before any worker reported swapping them in`);
    const quiet = serving.filter((_, n) => kernelMs[n]! < KERNEL_BUSY_MS);
    const kernelRow = { msPerChange: kernelMs.reduce((a, b) => a + b, 0) / CHANGES, busy: CHANGES - quiet.length, quietP50: pct(quiet, 50), quietP99: pct(quiet, 99) };
    return { kernel: kernelRow, cpu, nodes, routes, servingP50: pct(serving, 50), servingP99: pct(serving, 99), ackP50: pct(ack, 50), ackP99: pct(ack, 99), httpP50: pct(serve, 50), httpP99: pct(serve, 99), deltaBytes, snapshotBytes, routeDeltaBytes, stagesP50: stagePct(50), stagesP99: stagePct(99), load, lateness, allP99: pct([...warm, ...serving], 99), allMax: Math.max(...warm, ...serving) };
  } finally {
    await Promise.all(procs.map((p) => p.stop()));
    await t.close();
    await nats.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const f = (x: number) => x.toFixed(1);
const rows: Row[] = [];
const failed: string[] = [];
for (const routes of ROUTES) {
  for (const nodes of NODES) {
    let r: Row;
    try {
      r = await run(nodes, routes);
    } catch (err) {
      // One row failing (a machine too loaded to start 50 nodes, a lost ACK) still leaves the others' numbers.
      failed.push(`${nodes} node(s), ${routes} routes: ${(err as Error).message}`);
      console.error(`nodes ${nodes} routes ${routes}: failed: ${(err as Error).message}`);
      continue;
    }
    rows.push(r);
    console.log(`nodes ${nodes} routes ${routes}: CPU per change: config ${r.cpu.config.toFixed(1)} ms, nodes ${r.cpu.nodes.toFixed(1)} ms; all serving p50 ${r.servingP50.toFixed(1)} ms p99 ${r.servingP99.toFixed(1)} ms; all ACKed p50 ${r.ackP50.toFixed(1)} ms p99 ${r.ackP99.toFixed(1)} ms; HTTP p50 ${r.httpP50.toFixed(1)} ms p99 ${r.httpP99.toFixed(1)} ms; counting the ${WARMUP} warm-up changes too: all serving p99 ${r.allP99.toFixed(1)} ms, slowest ${r.allMax.toFixed(1)} ms; snapshot ${r.snapshotBytes} B, route delta ${r.routeDeltaBytes} B, endpoint delta ${r.deltaBytes} B; load ${loadRange(r.load)}; a 1 ms timer woke late by p99 ${r.lateness.p99} ms, p99.9 ${r.lateness.p999} ms, at most ${r.lateness.max} ms; kernel memory threads ${r.kernel.msPerChange.toFixed(1)} ms per change, ${KERNEL_BUSY_MS} ms or more in ${r.kernel.busy} of ${CHANGES} changes, the others: all serving p50 ${f(r.kernel.quietP50)} ms p99 ${f(r.kernel.quietP99)} ms`);
  }
}

// The machine's floor at the same node counts, in the same run: bare processes that only answer a message with an ACK.
const floors: FloorRow[] = [];
if (FLOOR) {
  for (const nodes of NODES) {
    try {
      const r = await floorRow(nodes, CHANGES, WARMUP);
      floors.push(r);
      console.log(`floor, ${nodes} bare process(es): every ACK p50 ${f(r.ackP50)} ms p99 ${f(r.ackP99)} ms; their CPU ${f(r.cpuPerChange)} ms per message`);
    } catch (err) {
      failed.push(`the floor at ${nodes} process(es): ${(err as Error).message}`);
    }
  }
}

function loadRange(xs: number[]): string {
  const lo = Math.min(...xs).toFixed(1);
  const hi = Math.max(...xs).toFixed(1);
  return lo === hi ? lo : `${lo}–${hi}`;
}

const cmd = `node tests/bench/control-plane/run.ts --nodes ${NODES.join(',')} --routes ${ROUTES.join(',')} --changes ${CHANGES}${WARMUP !== 30 ? ` --warmup ${WARMUP}` : ''}${GAP_MS ? ` --gap-ms ${GAP_MS}` : ''}${POLL_MS !== 10 ? ` --poll-ms ${POLL_MS}` : ''}${FLOOR ? '' : ' --no-floor'}${SIGNED ? ' --signed' : ''}${KIND !== 'ingress' ? ` --kind ${KIND}` : ''}`;
const table = [
  `| nodes | routes | apply → every node serving p50 / p99 (ms) | apply → every node ACKed p50 / p99 (ms) | apply → the path answers over HTTP p50 / p99 (ms) | every node serving, counting the ${WARMUP} warm-up changes too: p99 / slowest (ms) | full snapshot on the wire | a change on the wire (route delta) | endpoint delta on the wire | load average (1 min) during the row |`,
  '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ...rows.map((r) => `| ${r.nodes} | ${r.routes} | ${f(r.servingP50)} / ${f(r.servingP99)} | ${f(r.ackP50)} / ${f(r.ackP99)} | ${f(r.httpP50)} / ${f(r.httpP99)} | ${f(r.allP99)} / ${f(r.allMax)} | ${r.snapshotBytes} B | ${r.routeDeltaBytes ? `${r.routeDeltaBytes} B` : 'full snapshot'} | ${r.deltaBytes} B | ${loadRange(r.load)} |`),
].join('\n');
const cores = os.cpus().length;
const stages = [
  '| nodes | routes | announced (config service: build, store, publish) | slowest node received (NATS, verify, unpack) | slowest node applied (workers patch or compile, swap) | every ACK seen | CPU per change: config service / all nodes (per node) | CPU bound on idle cores | a 1 ms timer in an idle process woke late by p99 / p99.9 / at most (ms) | the kernel\'s memory threads: CPU per change (ms); changes they ran ' + KERNEL_BUSY_MS + ' ms or more in; every node serving p50 / p99 over the other changes (ms) |',
  '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ...rows.map((r) => `| ${r.nodes} | ${r.routes} | ${f(r.stagesP50.announced)} / ${f(r.stagesP99.announced)} | ${f(r.stagesP50.received)} / ${f(r.stagesP99.received)} | ${f(r.stagesP50.apply)} / ${f(r.stagesP99.apply)} | ${f(r.stagesP50.acked)} / ${f(r.stagesP99.acked)} | ${f(r.cpu.config)} / ${f(r.cpu.nodes)} (${f(r.cpu.nodes / r.nodes)}) | ${f(r.cpu.config + r.cpu.nodes / Math.min(cores, r.nodes))} | ${r.lateness.p99} / ${r.lateness.p999} / ${r.lateness.max} | ${f(r.kernel.msPerChange)}; ${r.kernel.busy} of ${CHANGES}; ${f(r.kernel.quietP50)} / ${f(r.kernel.quietP99)} |`),
].join('\n');
const run1 = `### Run of ${new Date().toISOString().slice(0, 16)}Z (${os.cpus().length} cores, ${CHANGES} changes per row${GAP_MS ? `, ${GAP_MS} ms apart` : ''}${SIGNED ? ', signed and verified' : ''})

\`\`\`sh
${cmd}
\`\`\`

${table}

Where each change's time went, p50 / p99 in ms from the apply request (the node columns are the slowest node's; "applied" is a duration, the others are points in time). CPU per change is measured from /proc with the processes' idle use subtracted; the bound is what the change would take on ${cores} idle cores (config service, then the nodes in parallel), the floor under the wall-clock figures. The timer column is the machine's scheduling delay meanwhile (tests/bench/control-plane/timer-probe.ts): any thread, a node's worker too, can wait that long for a core. The last column is what the kernel's memory-management threads (kdamond, kswapd, kcompactd; /proc/PID/schedstat) took during each change, and the changes they left alone:

${stages}
${floors.length ? `
The machine's floor, in the same run (tests/bench/control-plane/floor.ts): as many bare Node processes, each only a nats.js connection answering a 366-byte message with an ACK, ${CHANGES} messages one at a time after ${WARMUP} not counted. No config service, no build, no store, no verify or patch: what a fan-out to that many processes and their ACKs cost on this machine by themselves.

${floorHeader}
${floors.map(floorLine).join('\n')}
` : ''}${failed.length ? `\nRows that did not complete: ${failed.map((x) => `\n- ${x}`).join('')}\n` : ''}`;
const head = fs.existsSync(OUT) ? fs.readFileSync(OUT, 'utf8') : '';
const marker = '<!-- runs -->';
if (head.includes(marker)) fs.writeFileSync(OUT, head.replace(marker, `${marker}\n\n${run1}`));
else fs.writeFileSync(OUT, `${run1}`);
console.log(`\n${table}\n\n${stages}${floors.length ? `\n\n${floorHeader}\n${floors.map(floorLine).join('\n')}` : ''}\n\nwritten to ${path.relative(process.cwd(), OUT)}`);
