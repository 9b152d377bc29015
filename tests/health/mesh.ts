/**
 * A small mesh of real processes on loopback for the health chaos tests and
 * the health benchmark: nats-server, config service, proxy nodes, health
 * agents and demo backends (one Service `web` behind the Ingress path `/`),
 * plus a steady load generator and readers for the proxies' access logs and
 * the agents' status.
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { NatsTransport } from '@meshgate/actors';
import { msgpackCodec, subjects as makeSubjects, type HealthStatusReply, type NodeLivenessMessage } from '@meshgate/protocol';
import { configServiceStarted, startNatsServer, freePort, spawnMeshgate, spawnProcess, waitForPort, request, eventually, manifestFile, serviceManifest, ingressManifest, type NatsServer, type Proc } from '@meshgate/testing';

const TEST_BACKEND = path.join(import.meta.dirname, 'test-backend.ts');

export interface MeshOptions {
  backends?: number;
  proxies?: number;
  workers?: number;
  agents?: number;
  /** Extra health-agent flags (defaults are the shipped ones). */
  agentArgs?: string[];
  /** Manifests instead of the default `web` Service over the backends. */
  manifests?: (backendPorts: number[]) => string;
}

export interface AccessLine { time: number; status: number; upstream: string; attempts: number; node: string }

export interface Mesh {
  readonly nats: NatsServer;
  readonly httpPort: number;
  readonly backendPorts: number[];
  readonly adminPorts: number[];
  readonly transport: NatsTransport;
  url(p?: string): string;
  startBackend(i: number): Promise<void>;
  /** SIGKILL; resolves with the time (ms since epoch) it was sent, once the process is gone. */
  killBackend(i: number): Promise<number>;
  startProxy(i: number): Promise<void>;
  killProxy(i: number, signal?: NodeJS.Signals): Promise<number>;
  startAgent(i: number): Promise<void>;
  killAgent(i: number): Promise<number>;
  status(timeoutMs?: number): Promise<HealthStatusReply>;
  /** Every access-log line the proxies wrote so far (all incarnations). */
  accessLog(): AccessLine[];
  /** Node liveness changes seen on health.v1.nodes, with the time received. */
  readonly nodeEvents: { at: number; msg: NodeLivenessMessage }[];
  stop(): Promise<void>;
}

/** The `web` Service (Endpoints at each loopback port) and an Ingress sending every path to it. */
export function webManifests(ports: number[]): string {
  return manifestFile(serviceManifest('web', ports), ingressManifest('web', { '/': 'web' }));
}

export async function startMesh(o: MeshOptions = {}): Promise<Mesh> {
  const nBackends = o.backends ?? 3;
  const nProxies = o.proxies ?? 1;
  const nAgents = o.agents ?? 2;
  const nats = await startNatsServer({ jetstream: false });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meshgate-health-'));
  const ports = async (n: number) => { const out: number[] = []; for (let i = 0; i < n; i++) out.push(await freePort()); return out; };
  const backendPorts = await ports(nBackends);
  const httpPort = await freePort();
  const httpsPort = await freePort();
  const adminPorts = await ports(nProxies);
  fs.writeFileSync(path.join(dir, 'mesh.yaml'), (o.manifests ?? webManifests)(backendPorts));

  const procs = new Set<Proc>();
  const track = (p: Proc) => { procs.add(p); void p.exited.then(() => procs.delete(p)); return p; };
  const backends: (Proc | undefined)[] = [];
  const proxies: (Proc | undefined)[] = [];
  const agents: (Proc | undefined)[] = [];
  const access: AccessLine[] = [];
  const n = ['--nats', nats.url];

  const startBackend = async (i: number) => {
    const p = track(spawnProcess(process.execPath, [TEST_BACKEND, String(backendPorts[i]), `b${i}`]));
    backends[i] = p;
    await p.waitFor('listening');
  };
  const startProxy = async (i: number) => {
    const p = track(spawnMeshgate(['proxy', ...n, '--workers', String(o.workers ?? 2), '--http', `127.0.0.1:${httpPort}`, '--https', `127.0.0.1:${httpsPort}`, '--admin', `127.0.0.1:${adminPorts[i]}`, '--node-id', `proxy-${i}`]));
    proxies[i] = p;
    // Access-log lines are JSON on stdout; read stdout alone so stderr cannot split a line.
    let rest = '';
    p.child.stdout!.on('data', (b: Buffer) => {
      const lines = (rest + b.toString()).split('\n');
      rest = lines.pop() ?? '';
      for (const l of lines) {
        if (!l.startsWith('{')) continue;
        try {
          const r = JSON.parse(l) as { time?: string; status?: number; upstream?: string; attempts?: number; node?: string; requestId?: string };
          if (r.requestId === undefined || r.time === undefined) continue;
          access.push({ time: Date.parse(r.time), status: r.status ?? 0, upstream: r.upstream ?? '', attempts: r.attempts ?? -1, node: r.node ?? '' });
        } catch { /* not an access-log line */ }
      }
    });
    await eventually(`proxy-${i} ready`, async () => (await request(`http://127.0.0.1:${adminPorts[i]}/readyz`, { timeoutMs: 500 })).status === 200, 45_000);
  };
  const startAgent = async (i: number) => {
    const p = track(spawnMeshgate(['health-agent', ...n, '--agent-id', `agent-${i}`, ...(o.agentArgs ?? [])]));
    agents[i] = p;
    await p.waitFor('health agent started');
  };
  const kill = async (p: Proc | undefined, signal: NodeJS.Signals = 'SIGKILL') => {
    if (!p) throw new Error('no such process');
    const at = Date.now();
    p.kill(signal);
    await p.exited;
    return at;
  };

  const config = track(spawnMeshgate(['config-service', ...n, '--manifests', dir]));
  const transport = await NatsTransport.connect({ servers: nats.url, name: 'health-test', codec: msgpackCodec, reconnect: false });
  const subjects = makeSubjects();
  const nodeEvents: { at: number; msg: NodeLivenessMessage }[] = [];
  transport.subscribe(subjects.healthNodes, (m) => { nodeEvents.push({ at: Date.now(), msg: m.data as NodeLivenessMessage }); });

  try {
    await configServiceStarted(config);
    await Promise.all(backendPorts.map((_, i) => startBackend(i)));
    await Promise.all(Array.from({ length: nAgents }, (_, i) => startAgent(i)));
    for (let i = 0; i < nProxies; i++) await startProxy(i);
  } catch (err) {
    for (const p of procs) p.kill('SIGKILL');
    await transport.close().catch(() => {});
    await nats.stop();
    throw err;
  }

  return {
    nats, httpPort, backendPorts, adminPorts, transport, nodeEvents,
    url: (p = '/') => `http://127.0.0.1:${httpPort}${p}`,
    startBackend, killBackend: (i) => kill(backends[i]),
    startProxy, killProxy: (i, s) => kill(proxies[i], s),
    startAgent, killAgent: (i) => kill(agents[i]),
    status: (timeoutMs = 1_000) => transport.request<HealthStatusReply>(subjects.healthStatus, { type: 'health.v1.status.get' }, timeoutMs),
    accessLog: () => access,
    async stop() {
      // A test that failed half-way leaves its load running: stop it, or its
      // timer and keep-alive sockets keep this test process alive.
      await Promise.all([...activeLoads].map((l) => l.stop()));
      await transport.close().catch(() => {});
      await Promise.all([...procs].map((p) => p.stop(3_000)));
      await nats.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface LoadResult { start: number; end: number; status: number; who: string; error?: string }

/**
 * Steady open-loop load: `rps` GETs a second, spread evenly, on keep-alive
 * connections (as a real client pool would), each with a 2 s timeout.
 * `who` is the backend's name from the demo greeting ('b0', ...).
 */
const activeLoads = new Set<{ stop(): Promise<LoadResult[]> }>();

export function startLoad(url: string, rps: number): { stop(): Promise<LoadResult[]>; results: LoadResult[] } {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });
  const results: LoadResult[] = [];
  const pending = new Set<Promise<void>>();
  const one = () => new Promise<void>((resolve) => {
    const start = Date.now();
    const req = http.get(url, { agent, timeout: 2_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => { body += c; });
      res.on('end', () => { results.push({ start, end: Date.now(), status: res.statusCode ?? 0, who: /server (\S+)/.exec(body)?.[1] ?? '' }); resolve(); });
      res.on('error', (e) => { results.push({ start, end: Date.now(), status: 0, who: '', error: e.message }); resolve(); });
    });
    req.on('timeout', () => req.destroy(new Error('client timeout after 2000 ms')));
    req.on('error', (e: NodeJS.ErrnoException) => { results.push({ start, end: Date.now(), status: 0, who: '', error: e.code ?? e.message }); resolve(); });
  });
  const t0 = Date.now();
  let sent = 0;
  // A 10 ms clock sending however many requests are due keeps the rate exact even when timers run late.
  const timer = setInterval(() => {
    const due = Math.floor(((Date.now() - t0) * rps) / 1000);
    while (sent < due) {
      sent++;
      const p = one();
      pending.add(p);
      void p.then(() => pending.delete(p));
    }
  }, 10);
  const load = {
    results,
    async stop() {
      clearInterval(timer);
      activeLoads.delete(load);
      await Promise.all(pending);
      agent.destroy();
      return results;
    },
  };
  activeLoads.add(load);
  return load;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function failures(rs: LoadResult[]): LoadResult[] {
  return rs.filter((r) => r.status !== 200);
}

/** "a x3, b x1": how often each value occurs, in first-seen order. */
function tally(xs: string[]): string {
  const n = new Map<string, number>();
  for (const x of xs) n.set(x, (n.get(x) ?? 0) + 1);
  return [...n].map(([k, v]) => `${k} x${v}`).join(', ');
}

export function describeFailures(rs: LoadResult[]): string {
  const f = failures(rs);
  return `${f.length} of ${rs.length} GETs failed: ${tally(f.map((r) => r.error ?? `HTTP ${r.status}`))}`;
}

/**
 * Waits (2 s: the target) until a GET started after `since` was answered by
 * backend `i`, restarted at `since`; resolves to how long after `since` the
 * first one ended. On a miss the error says what the load, the proxies'
 * access log and the agents saw meanwhile, so a rare failure names its cause.
 */
export async function servesAgain(mesh: Mesh, load: { results: LoadResult[] }, i: number, since: number): Promise<number> {
  const who = `b${i}`;
  try {
    await eventually('the restarted backend serves again', async () => load.results.some((r) => r.who === who && r.start >= since), 2_000, 10);
  } catch (err) {
    const answered = load.results.filter((r) => r.start >= since);
    const logged = mesh.accessLog().filter((l) => l.time >= since);
    const endpoint = `127.0.0.1:${mesh.backendPorts[i]}`;
    const agents = await mesh.status().then((st) => JSON.stringify({ agent: st.agent, endpoint: st.endpoints.find((e) => e.endpoint === endpoint) }), (e: Error) => `no answer (${e.message})`);
    throw new Error(`${(err as Error).message}. Since it listened: ${answered.length} GETs answered (${tally(answered.map((r) => r.who || r.error || `HTTP ${r.status}`))}); `
      + `access log: ${logged.length} lines (upstreams ${tally(logged.map((l) => l.upstream))}); the agents now: ${agents}`);
  }
  return Math.min(...load.results.filter((r) => r.who === who && r.start >= since).map((r) => r.end)) - since;
}

export { waitForPort, eventually, request };
