/**
 * A small mesh of real processes for the control-plane tests: nats-server,
 * config service (signing), proxy nodes (verifying, with a state dir) and
 * the two demo backends.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateSigningKeyPair } from '@meshgate/protocol';
import { freePort, request, spawnMeshgate, eventually, type Proc } from '@meshgate/testing';

export interface MeshDir {
  dir: string;
  manifests: string;
  signing: string;
  trust: string;
  usersPort: number;
  productsPort: number;
}

export async function makeMeshDir(): Promise<MeshDir> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meshgate-cp-'));
  // Keys, manifests and the nodes' state dirs go with the test process (its processes are stopped by then).
  process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  const manifests = path.join(dir, 'manifests');
  fs.mkdirSync(manifests);
  const pair = generateSigningKeyPair();
  fs.writeFileSync(path.join(dir, 'signing.pem'), pair.privatePem);
  fs.writeFileSync(path.join(dir, 'trust.pem'), pair.publicPem);
  const m: MeshDir = { dir, manifests, signing: path.join(dir, 'signing.pem'), trust: path.join(dir, 'trust.pem'), usersPort: await freePort(), productsPort: await freePort() };
  fs.writeFileSync(path.join(manifests, 'services.yaml'), services(m));
  fs.writeFileSync(path.join(manifests, 'hello-ingress.yaml'), helloIngress());
  return m;
}

export function services(m: Pick<MeshDir, 'usersPort' | 'productsPort'>, extraUsersEndpoint?: string): string {
  const svc = (name: string, port: number, extra?: string) => `apiVersion: v1
kind: Service
metadata: { name: ${name} }
spec:
  ports: [{ name: http, port: 80, targetPort: 8080 }]
---
apiVersion: v1
kind: Endpoints
metadata: { name: ${name} }
subsets:
  - addresses: [{ ip: 127.0.0.1 }${extra ? `, { ip: ${extra} }` : ''}]
    ports: [{ name: http, port: ${port} }]
`;
  return `${svc('users-svc', m.usersPort, extraUsersEndpoint)}---\n${svc('products-svc', m.productsPort)}`;
}

export function helloIngress(extraPath = ''): string {
  return `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: hello-ingress
spec:
  rules:
  - http:
      paths:
      - path: /users
        pathType: Prefix
        backend: { service: { name: users-svc, port: { number: 80 } } }
      - path: /products
        pathType: Prefix
        backend: { service: { name: products-svc, port: { number: 80 } } }
${extraPath}`;
}

export function startBackends(m: MeshDir): Proc[] {
  return [
    spawnMeshgate(['demo-backend', '--kind', 'User', '--listen', `127.0.0.1:${m.usersPort}`, '--hostname', 'users-1']),
    spawnMeshgate(['demo-backend', '--kind', 'Product', '--listen', `127.0.0.1:${m.productsPort}`, '--hostname', 'products-1']),
  ];
}

export function startConfigService(m: MeshDir, natsUrl: string, extra: string[] = []): Proc {
  return spawnMeshgate(['config-service', '--nats', natsUrl, '--manifests', m.manifests, '--signing-key', m.signing, '--log-level', 'debug', ...extra]);
}

export interface ProxyProc { proc: Proc; http: number; admin: number; nodeId: string }

/** A free port none of this mesh's backends was given (they may not listen yet). */
async function portFor(m: MeshDir): Promise<number> {
  for (;;) {
    const p = await freePort();
    if (p !== m.usersPort && p !== m.productsPort) return p;
  }
}

export async function startProxy(m: MeshDir, natsUrl: string, nodeId: string, ports?: { http: number; admin: number }, extra: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<ProxyProc> {
  const http = ports?.http ?? await portFor(m);
  const admin = ports?.admin ?? await portFor(m);
  const proc = spawnMeshgate(['proxy', '--nats', natsUrl, '--workers', '1', '--http', `127.0.0.1:${http}`, '--https', `127.0.0.1:${await portFor(m)}`,
    '--admin', `127.0.0.1:${admin}`, '--node-id', nodeId, '--trust-key', m.trust, '--state-dir', path.join(m.dir, nodeId), '--log-level', 'debug', ...extra], { env });
  return { proc, http, admin, nodeId };
}

export async function status(p: ProxyProc): Promise<{ version: number; hash: string; lastNack?: { version: number; error: string } }> {
  const r = await request(`http://127.0.0.1:${p.admin}/status`);
  return r.status === 200 ? JSON.parse(r.body) : { version: 0, hash: '' };
}

export async function ready(p: ProxyProc, timeoutMs = 45_000): Promise<void> {
  await eventually(`${p.nodeId} ready`, async () => (await request(`http://127.0.0.1:${p.admin}/readyz`)).status === 200, timeoutMs);
}

export async function get(p: ProxyProc, urlPath: string): Promise<number> {
  return (await request(`http://127.0.0.1:${p.http}${urlPath}`)).status;
}

/** Runs a short CLI command to its end: exit code and output. */
export async function cli(args: string[], natsUrl: string): Promise<{ code: number | string; out: string }> {
  const p = spawnMeshgate([...args, '--nats', natsUrl]);
  const code = await p.exited;
  return { code, out: p.output() };
}
