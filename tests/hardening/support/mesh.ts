import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { configServiceStarted, startNatsServer, freePort, spawnMeshgate, request, eventually, type NatsServer, type Proc } from '@meshgate/testing';

export interface Mesh {
  nats: NatsServer;
  dir: string;
  config: Proc;
  proxy: Proc;
  httpPort: number;
  httpsPort: number;
  adminPort: number;
  /** Every process's output so far, by name. */
  outputs(): Record<string, string>;
  stop(): Promise<void>;
}

/**
 * A real mesh for hostile-input tests: nats-server, the config service
 * watching a manifests directory the test writes, and one proxy node with a
 * single worker (so "the same worker still serves" is meaningful).
 */
export async function startMesh(files: Record<string, string>, opts: { env?: NodeJS.ProcessEnv; workers?: number; args?: string[]; proxyArgs?: string[] } = {}): Promise<Mesh> {
  const nats = await startNatsServer();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meshgate-hardening-'));
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  const [httpPort, httpsPort, adminPort] = [await freePort(), await freePort(), await freePort()];
  const n = ['--nats', nats.url, ...(opts.args ?? [])];
  const config = spawnMeshgate(['config-service', ...n, '--manifests', dir], { env: opts.env });
  await configServiceStarted(config).catch(async (err: unknown) => { await config.stop(); await nats.stop(); throw err; });
  const proxy = spawnMeshgate(['proxy', ...n, '--workers', String(opts.workers ?? 1), '--http', `127.0.0.1:${httpPort}`, '--https', `127.0.0.1:${httpsPort}`, '--admin', `127.0.0.1:${adminPort}`, '--node-id', 'hardening-1', ...(opts.proxyArgs ?? [])], { env: opts.env });
  const mesh: Mesh = {
    nats, dir, config, proxy, httpPort, httpsPort, adminPort,
    outputs: () => ({ config: config.output(), proxy: proxy.output() }),
    async stop() {
      await Promise.all([proxy.stop(), config.stop()]);
      await nats.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await eventually('proxy ready', async () => (await request(`http://127.0.0.1:${adminPort}/readyz`)).status === 200, 25_000, 100);
  } catch (err) {
    const out = mesh.outputs();
    await mesh.stop();
    throw new Error(`${(err as Error).message}\nconfig-service:\n${out.config.slice(-2000)}\nproxy:\n${out.proxy.slice(-3000)}`);
  }
  return mesh;
}

/** A Service `name` with Endpoints at 127.0.0.1:port. */
export function serviceManifests(name: string, port: number): string {
  return `apiVersion: v1
kind: Service
metadata: {name: ${name}}
spec:
  ports: [{name: http, port: 80, targetPort: ${port}}]
---
apiVersion: v1
kind: Endpoints
metadata: {name: ${name}}
subsets:
- addresses: [{ip: 127.0.0.1}]
  ports: [{name: http, port: ${port}}]
`;
}

/** A Service "web" with Endpoints at 127.0.0.1:port, and an Ingress routing every host and path to it. */
export function webManifests(port: number, ingressExtra = ''): string {
  return `${serviceManifests('web', port)}---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web}
spec:
${ingressExtra}  rules:
  - http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
`;
}

export interface ExtraProxy { proc: Proc; httpPort: number; httpsPort: number; adminPort: number; stop(): Promise<void> }

/** One more proxy node on the mesh's NATS, with its own ports and flags (one worker), once it is ready. */
export async function startExtraProxy(mesh: Mesh, nodeId: string, args: string[], env?: NodeJS.ProcessEnv): Promise<ExtraProxy> {
  const [httpPort, httpsPort, adminPort] = [await freePort(), await freePort(), await freePort()];
  const proc = spawnMeshgate(['proxy', '--nats', mesh.nats.url, '--workers', '1', '--http', `127.0.0.1:${httpPort}`, '--https', `127.0.0.1:${httpsPort}`, '--admin', `127.0.0.1:${adminPort}`, '--node-id', nodeId, ...args], { env });
  try {
    await eventually(`proxy ${nodeId} ready`, async () => (await request(`http://127.0.0.1:${adminPort}/readyz`)).status === 200, 25_000, 100);
  } catch (err) {
    await proc.stop();
    throw new Error(`${(err as Error).message}\n${proc.output().slice(-3000)}`);
  }
  return { proc, httpPort, httpsPort, adminPort, stop: () => proc.stop() };
}

/** The proxy at `adminPort` replaced no worker so far (a worker that died would have been). */
export async function workerRestarts(adminPort: number): Promise<number> {
  return (JSON.parse((await request(`http://127.0.0.1:${adminPort}/status`)).body) as { workerRestarts: number }).workerRestarts;
}
