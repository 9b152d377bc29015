/**
 * meshgate as a benchmark candidate, with the env interface of
 * ../shared/bench (HTTP_PORT, TLS_PORT, UP_USERS, UP_PRODUCTS, CERT, KEY,
 * WORKERS): one proxy node in this process, its snapshot built from the
 * seed's routes (/users/ and /products/, Prefix) exactly as the config
 * service builds it, over an in-process transport. TLS_PORT serves both h2
 * and http/1.1 (ALPN). Access logs off, as nginx's in the benchmark
 * (MESHGATE_ACCESS_LOG=on to measure them). ROUTES=N adds N more Prefix
 * rules (/r<i>/ on 100 hosts r<i%100>.example, half to each service) for the
 * memory measurement.
 */
import fs from 'node:fs';
import { LocalTransport } from '@meshgate/actors';
import { buildMeshConfig } from '@meshgate/ingress';
import { encodeSnapshot, snapshotContentOf, subjects } from '@meshgate/protocol';
import { startProxyNode } from '@meshgate/proxy-node';
import { createLogger } from '@meshgate/telemetry';
import { dataPlaneLimitsFromEnv } from '@meshgate/cli';

process.env.MESHGATE_ACCESS_LOG ??= 'off';
const env = (k: string, d?: string) => process.env[k] || d || (() => { throw new Error(`${k} is required`); })();
const svc = (name: string, port: string) => `apiVersion: v1
kind: Service
metadata: { name: ${name} }
spec: { ports: [{ name: http, port: 80, targetPort: ${port} }] }
---
apiVersion: v1
kind: Endpoints
metadata: { name: ${name} }
subsets: [{ addresses: [{ ip: 127.0.0.1 }], ports: [{ name: http, port: ${port} }] }]
`;
const manifests = `${svc('users', env('UP_USERS', '18081'))}---
${svc('products', env('UP_PRODUCTS', '18082'))}---
apiVersion: v1
kind: Secret
metadata: { name: tls }
type: kubernetes.io/tls
stringData:
  tls.crt: ${JSON.stringify(fs.readFileSync(env('CERT'), 'utf8'))}
  tls.key: ${JSON.stringify(fs.readFileSync(env('KEY'), 'utf8'))}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: { name: bench }
spec:
  tls: [{ secretName: tls }]
  rules:
  - http:
      paths:
      - { path: /users/, pathType: Prefix, backend: { service: { name: users, port: { number: 80 } } } }
      - { path: /products/, pathType: Prefix, backend: { service: { name: products, port: { number: 80 } } } }
`;
const extra = Number(process.env.ROUTES ?? 0);
const files = [{ path: 'bench.yaml', text: manifests }];
for (let ing = 0; ing * 1000 < extra; ing++) {
  const rules = new Map<string, string[]>();
  for (let i = ing * 1000; i < Math.min(extra, (ing + 1) * 1000); i++) {
    const host = `r${i % 100}.example`;
    const paths = rules.get(host) ?? [];
    paths.push(`      - { path: /r${i}/, pathType: Prefix, backend: { service: { name: ${i % 2 ? 'users' : 'products'}, port: { number: 80 } } } }`);
    rules.set(host, paths);
  }
  files.push({ path: `routes-${ing}.yaml`, text: `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: { name: routes-${ing} }
spec:
  rules:
${[...rules].map(([host, paths]) => `  - host: ${host}\n    http:\n      paths:\n${paths.join('\n')}`).join('\n')}
` });
}
const cfg = buildMeshConfig(files);
if (cfg.errors.length) throw new Error(JSON.stringify(cfg.errors));
const snap = encodeSnapshot(snapshotContentOf(cfg), 1);
const transport = new LocalTransport();
const s = subjects();
transport.subscribe(s.snapshotGet, (m) => m.reply?.(snap));
const node = await startProxyNode({
  transport, log: createLogger('meshgate-bench', { level: 'warn' }), nodeId: 'bench',
  http: { host: '127.0.0.1', port: Number(env('HTTP_PORT')) },
  ...(process.env.TLS_PORT ? { https: { host: '127.0.0.1', port: Number(process.env.TLS_PORT) } } : {}),
  admin: { host: '127.0.0.1', port: 0 }, workers: Number(env('WORKERS', '1')),
  // The limits `meshgate proxy` would take from these MESHGATE_* variables (MESHGATE_ACCESS_LOG above).
  limits: dataPlaneLimitsFromEnv(),
});
await node.whenReady(30_000);
console.log(`meshgate: ${env('WORKERS', '1')} worker(s) on http ${env('HTTP_PORT')} https ${process.env.TLS_PORT ?? '-'}`);
process.once('SIGTERM', () => { void node.stop().then(() => process.exit(0)); setTimeout(() => process.exit(0), 5_000).unref(); });
