/**
 * The whole mesh as real processes on loopback, for the chaos run and the
 * soak: a config service (signing snapshots) watching a manifests
 * directory, proxy nodes sharing one HTTP port through reusePort (each with
 * its own admin port and state directory), health agents, and backends
 * that greet over HTTP and echo WebSocket messages. Every component can be
 * killed (SIGKILL) and started again on the same ports and directories.
 * NATS is given as a URL list (a cluster from nats-cluster.ts, or one server).
 */
import { generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { request, eventually, manifestFile, serviceManifest, ingressManifest } from '@meshgate/testing';
import { reservedPort } from '../compose/loopback.ts';
import { spawnLong, spawnMeshgateLong, type LongProc } from './procs.ts';

const BACKEND = path.join(import.meta.dirname, 'backend.ts');

export interface ChaosMeshOptions {
  /** `--nats`: one URL or a comma-separated list. */
  nats: string;
  proxies?: number;
  workers?: number;
  agents?: number;
  backends?: number;
  /** Access-log lines on the proxies' stdout (default on, as shipped). */
  accessLog?: boolean;
}

export interface NodeStatus { version: number; hash: string; workerVersions: number[]; workerRestarts: number }

/** One killable, restartable component of the mesh. */
export interface Component {
  readonly name: string;
  pid(): number | undefined;
  start(): Promise<void>;
  kill(): Promise<{ at: number; exitedAt: number }>;
  /** SIGTERM (a graceful stop: a proxy drains); resolves once it exited. */
  terminate(): Promise<{ at: number; exitedAt: number }>;
  running(): boolean;
  tail(): string;
}

export interface ChaosMesh {
  readonly dir: string;
  readonly httpPort: number;
  readonly adminPorts: number[];
  readonly backendPorts: number[];
  readonly config: Component;
  readonly proxies: Component[];
  readonly agents: Component[];
  readonly backends: Component[];
  url(p?: string): string;
  nodeStatus(i: number): Promise<NodeStatus | undefined>;
  /** Terminates worker `index` of proxy `node` through the admin debug endpoint; resolves once the thread is gone. */
  killWorker(node: number, index: number): Promise<{ at: number; exitedAt: number }>;
  /** Every running proxy's /readyz is 200. */
  allReady(timeoutMs?: number): Promise<void>;
  /** Rewrites the watched `probe` Ingress (path /probe/<n>): one config change. */
  writeProbe(n: number): void;
  /** Writes a config change and waits until every running proxy applied a newer version; returns the ms it took. */
  configChangeApplied(n: number, timeoutMs?: number): Promise<number>;
  stop(): Promise<void>;
}

/** The `web` Service (Endpoints at each loopback port) and an Ingress sending every path to it. */
export function meshManifests(ports: number[]): string {
  return manifestFile(serviceManifest('web', ports), ingressManifest('web', { '/': 'web' }));
}

function probeIngress(n: number): string {
  return `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: { name: probe }
spec:
  rules:
  - http:
      paths:
      - path: /probe/${n}
        pathType: Exact
        backend: { service: { name: web, port: { number: 80 } } }
`;
}

export async function startChaosMesh(o: ChaosMeshOptions): Promise<ChaosMesh> {
  const nProxies = o.proxies ?? 2;
  const nAgents = o.agents ?? 2;
  const nBackends = o.backends ?? 3;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meshgate-chaos-'));
  const manifests = path.join(dir, 'manifests');
  fs.mkdirSync(manifests);
  const ports = async (n: number) => { const out: number[] = []; for (let i = 0; i < n; i++) out.push(await reservedPort()); return out; };
  const backendPorts = await ports(nBackends);
  const adminPorts = await ports(nProxies);
  const httpPort = await reservedPort();
  const httpsPort = await reservedPort();
  fs.writeFileSync(path.join(manifests, 'mesh.yaml'), meshManifests(backendPorts));
  fs.writeFileSync(path.join(manifests, 'probe.yaml'), probeIngress(0));

  const keys = generateKeyPairSync('ed25519');
  const signingKey = path.join(dir, 'signing.pem');
  const trustKey = path.join(dir, 'trust.pem');
  fs.writeFileSync(signingKey, keys.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  fs.writeFileSync(trustKey, keys.publicKey.export({ type: 'spki', format: 'pem' }));
  const nats = ['--nats', o.nats];

  const component = (name: string, spawn: () => LongProc, ready: (p: LongProc) => Promise<void>): Component => {
    let proc: LongProc | undefined;
    return {
      name,
      pid: () => (proc && !proc.isExited() ? proc.pid : undefined),
      running: () => proc !== undefined && !proc.isExited(),
      tail: () => proc?.tail() ?? '',
      async start() {
        if (proc && !proc.isExited()) throw new Error(`${name} is already running (pid ${proc.pid})`);
        proc = spawn();
        await ready(proc);
      },
      async kill() {
        if (!proc) throw new Error(`${name} was never started`);
        return proc.kill();
      },
      async terminate() {
        if (!proc) throw new Error(`${name} was never started`);
        const at = Date.now();
        await proc.stop(15_000);
        return { at, exitedAt: Date.now() };
      },
    };
  };

  const adminReady = async (i: number, p: LongProc, timeoutMs = 30_000) => {
    await eventually(`proxy-${i} ready`, async () => {
      if (p.isExited()) throw new Error(`proxy-${i} exited during start-up; its output ended with:\n${p.tail().slice(-3000)}`);
      return (await request(`http://127.0.0.1:${adminPorts[i]}/readyz`, { timeoutMs: 1_000 })).status === 200;
    }, timeoutMs, 100);
  };

  const config = component('config-service',
    () => spawnMeshgateLong('config-service', ['config-service', ...nats, '--manifests', manifests, '--signing-key', signingKey, '--kv-replicas', '3']),
    (p) => p.waitFor(/config service started/, 30_000));
  const proxies = adminPorts.map((admin, i) => component(`proxy-${i}`,
    () => spawnMeshgateLong(`proxy-${i}`, [
      'proxy', ...nats, '--workers', String(o.workers ?? 2), '--node-id', `proxy-${i}`,
      '--http', `127.0.0.1:${httpPort}`, '--https', `127.0.0.1:${httpsPort}`, '--admin', `127.0.0.1:${admin}`,
      '--trust-key', trustKey, '--state-dir', path.join(dir, `proxy-${i}`),
    ], { MESHGATE_DEBUG_ENDPOINTS: '1', ...(o.accessLog === false ? { MESHGATE_ACCESS_LOG: 'off' } : {}) }),
    (p) => adminReady(i, p)));
  const agents = Array.from({ length: nAgents }, (_, i) => component(`health-agent-${i}`,
    () => spawnMeshgateLong(`health-agent-${i}`, ['health-agent', ...nats, '--agent-id', `agent-${i}`]),
    (p) => p.waitFor(/health agent started/, 30_000)));
  const backends = backendPorts.map((port, i) => component(`backend-${i}`,
    () => spawnLong(`backend-${i}`, process.execPath, [BACKEND, String(port), `b${i}`]),
    (p) => p.waitFor('listening', 10_000)));

  const all = [config, ...proxies, ...agents, ...backends];
  const nodeStatus = async (i: number): Promise<NodeStatus | undefined> => {
    const r = await request(`http://127.0.0.1:${adminPorts[i]}/status`, { timeoutMs: 2_000 });
    return r.status === 200 ? JSON.parse(r.body) as NodeStatus : undefined;
  };
  const writeProbe = (n: number) => {
    // In place, not write-then-rename: Node 24's recursive fs.watch on Linux
    // (the config service's watcher) stops reporting a file once it was
    // replaced by a rename (see docs/benchmarks/chaos.md). One small write(2)
    // is never seen half-written.
    fs.writeFileSync(path.join(manifests, 'probe.yaml'), probeIngress(n));
  };

  const mesh: ChaosMesh = {
    dir, httpPort, adminPorts, backendPorts, config, proxies, agents, backends,
    url: (p = '/') => `http://127.0.0.1:${httpPort}${p}`,
    nodeStatus,
    async killWorker(node, index) {
      const at = Date.now();
      const r = await request(`http://127.0.0.1:${adminPorts[node]}/debug/kill-worker?index=${index}`, { method: 'POST', timeoutMs: 5_000 });
      if (r.status !== 200) throw new Error(`kill-worker ${index} on proxy-${node}: ${r.status} ${r.body.trim()}`);
      return { at, exitedAt: Date.now() };
    },
    async allReady(timeoutMs = 30_000) {
      await eventually('every running proxy ready', async () => {
        for (let i = 0; i < proxies.length; i++) {
          if (!proxies[i]!.running()) continue;
          if ((await request(`http://127.0.0.1:${adminPorts[i]}/readyz`, { timeoutMs: 1_000 })).status !== 200) return false;
        }
        return true;
      }, timeoutMs, 100);
    },
    writeProbe,
    async configChangeApplied(n, timeoutMs = 20_000) {
      const running = proxies.map((p, i) => (p.running() ? i : -1)).filter((i) => i >= 0);
      const before = await Promise.all(running.map((i) => nodeStatus(i)));
      const t0 = Date.now();
      writeProbe(n);
      await eventually(`config change ${n} applied by every running proxy`, async () => {
        const now = await Promise.all(running.map((i) => nodeStatus(i)));
        return now.every((s, k) => s !== undefined && s.version > (before[k]?.version ?? 0) && s.workerVersions.every((v) => v === s.version));
      }, timeoutMs, 50);
      return Date.now() - t0;
    },
    async stop() {
      const stopOne = async (c: Component) => { if (c.running()) await c.kill(); };
      // Proxies first (they would otherwise log every backend and NATS going away), then the rest.
      await Promise.all(proxies.map(stopOne));
      await Promise.all(all.map(stopOne));
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };

  try {
    await Promise.all(backends.map((b) => b.start()));
    // Together: start-up is mostly module loading, and a proxy waits for its first snapshot anyway.
    await Promise.all([config, ...agents, ...proxies].map((c) => c.start()));
  } catch (err) {
    await mesh.stop();
    throw err;
  }
  return mesh;
}
