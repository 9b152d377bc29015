/**
 * A mesh for the dashboard's browser test and benchmark, as an operator
 * runs it: nats-server with infra/compose/nats/auth.conf (each component
 * logs in with its role), the config service with --dashboard, two proxy
 * nodes (proxy-1 with a login of its own, proxy-2 with the shared one), a
 * health agent, and the two demo backends behind the control-plane tests'
 * `hello-ingress`. The manifests also hold a TLS Secret and an htpasswd
 * Secret, which the dashboard must never show.
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { freePort, spawnMeshgate, startNatsServer, eventually, request, type NatsServer, type Proc } from '@meshgate/testing';
import { makeMeshDir, ready, startBackends, startConfigService, startProxy, type MeshDir, type ProxyProc } from '../control-plane/mesh.ts';
import { AUTH_CONF } from '../security/nats-mesh.ts';
import { makeCert, tlsSecret, type TestCert } from '../hardening/support/certs.ts';

const login = (user: string) => ['--nats-user', user, '--nats-pass', `${user}-demo-pass`];
/** An htpasswd line (bcrypt-looking) as a basic-auth Secret holds it. */
export const HTPASSWD = 'ops:$2y$10$Qm9vYmFyYmF6cXV4UXV1eC5zZWNyZXQuaGFzaC5ub3Qu';

export interface DashboardMesh {
  m: MeshDir;
  nats: NatsServer;
  dashboard: string;
  config: Proc;
  proxies: ProxyProc[];
  agent: Proc;
  backends: Proc[];
  cert: TestCert;
  /** Kills the products backend (SIGKILL); resolves when it is gone. */
  killProducts(): Promise<void>;
  startProducts(): Promise<void>;
  /** Every NATS password the mesh's logins use. */
  passwords: string[];
  /** Steady GETs through the proxies (`rps` a second) until the mesh stops. */
  load(rps: number): void;
  stop(): Promise<void>;
}

export async function startDashboardMesh(o: { agentArgs?: string[] } = {}): Promise<DashboardMesh> {
  const nats = await startNatsServer({ config: fs.readFileSync(AUTH_CONF, 'utf8') });
  const m = await makeMeshDir();
  const cert = writeSecretsAndTls(m);
  const port = await freePort();
  const dashboard = `http://127.0.0.1:${port}/`;
  const backends = startBackends(m);
  const config = startConfigService(m, nats.url, ['--dashboard', `127.0.0.1:${port}`, '--log-level', 'info', ...login('config-service')]);
  const procs: Proc[] = [config, ...backends];
  let stopping = false;
  const loads: NodeJS.Timeout[] = [];
  const stop = async () => {
    stopping = true;
    for (const l of loads) clearInterval(l);
    await Promise.all([...procs].reverse().map((p) => p.stop(3_000)));
    await nats.stop();
  };
  try {
    await config.waitFor('config service started', 30_000);
    const proxies = [
      await startProxy(m, nats.url, 'proxy-1', undefined, ['--log-level', 'info', ...login('proxy-1')]),
      await startProxy(m, nats.url, 'proxy-2', undefined, ['--log-level', 'info', ...login('proxy')]),
    ];
    procs.push(...proxies.map((p) => p.proc));
    const agent = spawnMeshgate(['health-agent', '--nats', nats.url, '--agent-id', 'agent-1', '--trust-key', m.trust, '--interval', '200', ...login('health-agent'), ...(o.agentArgs ?? [])]);
    procs.push(agent);
    for (const p of proxies) await ready(p);
    await eventually('the dashboard answers', async () => (await request(`${dashboard}healthz`)).status === 200, 15_000);
    const products = () => backends[1]!;
    return {
      m, nats, dashboard, config, proxies, agent, backends, cert,
      passwords: ['config-service', 'proxy', 'proxy-1', 'health-agent', 'operator'].map((u) => `${u}-demo-pass`),
      async killProducts() { products().kill('SIGKILL'); await products().exited; },
      async startProducts() {
        const p = spawnMeshgate(['demo-backend', '--kind', 'Product', '--listen', `127.0.0.1:${m.productsPort}`, '--hostname', 'products-1']);
        backends[1] = p;
        procs.push(p);
        await p.waitFor('listening', 10_000);
      },
      load(rps) {
        const agentHttp = new http.Agent({ keepAlive: true, maxSockets: 8 });
        const paths = ['/users/', '/products/', '/nothing-here'];
        let i = 0;
        loads.push(setInterval(() => {
          if (stopping) return;
          for (let k = 0; k < rps / 10; k++) {
            const p = proxies[i % proxies.length]!;
            const req = http.get({ host: '127.0.0.1', port: p.http, path: paths[i++ % paths.length], agent: agentHttp, timeout: 2_000 }, (res) => res.resume());
            req.on('error', () => {});
            req.on('timeout', () => req.destroy());
          }
        }, 100));
      },
      stop,
    };
  } catch (err) {
    const out = procs.map((p) => p.output().slice(-1500)).join('\n---\n');
    await stop();
    throw new Error(`${(err as Error).message}\n${out}`);
  }
}

/** A TLS Secret with its Ingress and a basic-auth (htpasswd) Secret: material the dashboard must never show. */
function writeSecretsAndTls(m: MeshDir): TestCert {
  const cert = makeCert('dash.meshgate.test');
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  fs.writeFileSync(path.join(m.manifests, 'secrets.yaml'), `${tlsSecret('dash-tls', cert)}---
apiVersion: v1
kind: Secret
metadata: { name: basic-auth }
type: Opaque
data: { auth: ${b64(HTPASSWD)} }
`);
  fs.writeFileSync(path.join(m.manifests, 'tls-ingress.yaml'), `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: { name: dash-tls }
spec:
  tls: [{ hosts: [dash.meshgate.test], secretName: dash-tls }]
  rules:
  - host: dash.meshgate.test
    http: { paths: [{ path: /, pathType: Prefix, backend: { service: { name: users-svc, port: { number: 80 } } } }] }
`);
  return cert;
}
