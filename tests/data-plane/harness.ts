/**
 * A real proxy node in this process (its data plane in real worker threads,
 * real sockets) fed snapshots over a LocalTransport exactly as the config
 * service publishes them, plus echo backends and TLS certificates made with
 * openssl. Shared by the tests in this folder.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { LocalTransport } from '@meshgate/actors';
import { buildMeshConfig, type MeshConfig } from '@meshgate/ingress';
import { encodeSnapshot, snapshotContentOf, subjects as makeSubjects, type SnapshotMessage } from '@meshgate/protocol';
import { startProxyNode, type DataPlaneLimits, type ProxyNode } from '@meshgate/proxy-node';
import { createLogger } from '@meshgate/telemetry';
import { freePort, eventually } from '@meshgate/testing';
import { dataPlaneLimitsFromEnv } from '@meshgate/cli';

export interface Mesh {
  node: ProxyNode;
  transport: LocalTransport;
  httpPort: number;
  httpsPort: number;
  http: string;
  https: string;
  /** Builds a snapshot from manifest files and waits until every worker serves it. */
  apply(files: Record<string, string>): Promise<number>;
  stop(): Promise<void>;
}

export async function startMesh(files: Record<string, string>, opts: {
  workers?: number; drainMs?: number; ingressClass?: string; limits?: Partial<DataPlaneLimits>; allowErrors?: boolean;
  /** Changes the built config before it is published (a policy no annotation states, as the Gateway API front end would fill it). */
  transform?: (cfg: MeshConfig) => void;
} = {}): Promise<Mesh> {
  const transport = new LocalTransport();
  const subjects = makeSubjects();
  let latest: SnapshotMessage | undefined;
  let version = 0;
  transport.subscribe(subjects.snapshotGet, (m) => m.reply?.(latest ?? { type: 'none' }));
  const build = (f: Record<string, string>) => {
    const cfg = buildMeshConfig(Object.entries(f).map(([p, text]) => ({ path: p, text })), opts.ingressClass ? { ingressClass: opts.ingressClass } : {});
    if (cfg.errors.length && !opts.allowErrors) throw new Error(`test manifests rejected: ${cfg.errors.map((e) => `${e.field}: ${e.message}`).join('; ')}`);
    opts.transform?.(cfg);
    latest = encodeSnapshot(snapshotContentOf(cfg), ++version);
    return latest;
  };
  build(files);
  const [httpPort, httpsPort, adminPort] = [await freePort(), await freePort(), await freePort()];
  const node = await startProxyNode({
    transport, log: createLogger('test', { level: 'warn' }), nodeId: 'dp-test',
    http: { host: '127.0.0.1', port: httpPort }, https: { host: '127.0.0.1', port: httpsPort }, admin: { host: '127.0.0.1', port: adminPort },
    workers: opts.workers ?? 2, heartbeatMs: 200, drainMs: opts.drainMs ?? 3_000,
    // The limits `meshgate proxy` would take from the test's MESHGATE_* variables, then the test's own.
    limits: { ...dataPlaneLimitsFromEnv(), ...opts.limits },
  });
  // Generous: worker threads compile TypeScript on start, slow on a busy shared machine.
  await node.whenReady(40_000);
  return {
    node, transport, httpPort, httpsPort,
    http: `http://127.0.0.1:${httpPort}`,
    https: `https://127.0.0.1:${httpsPort}`,
    async apply(f) {
      const snap = build(f);
      transport.publish(subjects.snapshot, snap);
      await eventually(`snapshot v${snap.version} applied`, async () => node.state.workerVersions.every((v) => v === snap.version), 10_000, 20);
      return snap.version;
    },
    async stop() {
      await node.stop();
      await transport.close();
    },
  };
}

/** Service + Endpoints for a backend on 127.0.0.1 ports. */
export function service(name: string, ports: number[], annotations: Record<string, string> = {}): string {
  const ann = Object.keys(annotations).length ? `\n  annotations: ${JSON.stringify(annotations)}` : '';
  return `apiVersion: v1
kind: Service
metadata:
  name: ${name}${ann}
spec:
  ports: [{ name: http, port: 80, targetPort: 8080 }]
---
apiVersion: v1
kind: Endpoints
metadata: { name: ${name} }
subsets:
${ports.map((p) => `  - addresses: [{ ip: 127.0.0.1 }]\n    ports: [{ name: http, port: ${p} }]`).join('\n')}
`;
}

/** A v1 Ingress: `paths` maps a Prefix path to a Service name. */
export function ingress(name: string, paths: Record<string, string>, opts: { host?: string; annotations?: Record<string, string>; tls?: { hosts: string[]; secret: string }[] } = {}): string {
  const ann = opts.annotations ? `\n  annotations: ${JSON.stringify(opts.annotations)}` : '';
  const tls = opts.tls ? `\n  tls:\n${opts.tls.map((t) => `  - hosts: ${JSON.stringify(t.hosts)}\n    secretName: ${t.secret}`).join('\n')}` : '';
  return `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: ${name}${ann}
spec:${tls}
  rules:
  - ${opts.host ? `host: ${JSON.stringify(opts.host)}\n    ` : ''}http:
      paths:
${Object.entries(paths).map(([p, svc]) => `      - path: ${p}\n        pathType: Prefix\n        backend: { service: { name: ${svc}, port: { number: 80 } } }`).join('\n')}
`;
}

export function tlsSecret(name: string, cert: { cert: string; key: string }): string {
  return `apiVersion: v1
kind: Secret
metadata: { name: ${name} }
type: kubernetes.io/tls
stringData:
  tls.crt: ${JSON.stringify(cert.cert)}
  tls.key: ${JSON.stringify(cert.key)}
`;
}

/** A self-signed certificate (EC P-256: fast to make and to handshake) for the given DNS names. */
export function makeCert(cn: string, names: string[]): { cert: string; key: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meshgate-cert-'));
  try {
    const key = path.join(dir, 'key.pem');
    const crt = path.join(dir, 'crt.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', crt,
      '-days', '2', '-subj', `/CN=${cn}`, '-addext', `subjectAltName=${names.map((n) => `DNS:${n}`).join(',')}`], { stdio: 'ignore' });
    return { cert: fs.readFileSync(crt, 'utf8'), key: fs.readFileSync(key, 'utf8') };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export interface Backend { port: number; name: string; hits: number; server: http.Server; close(): Promise<void> }

/**
 * An echo backend: answers JSON {name, method, url, headers}; a path
 * containing /status/NNN answers NNN, /slow/MS waits, /bytes/N streams N
 * bytes, /upload counts the request body and answers its size.
 */
export async function startBackend(name: string, port = 0, handler?: http.RequestListener): Promise<Backend> {
  const b: Backend = { port: 0, name, hits: 0, server: undefined as unknown as http.Server, close: async () => {} };
  const server = http.createServer({ keepAliveTimeout: 60_000 }, handler ?? ((req, res) => {
    b.hits++;
    const url = req.url ?? '/';
    let m: RegExpExecArray | null;
    if ((m = /\/status\/(\d{3})/.exec(url))) {
      res.writeHead(Number(m[1]), { 'content-type': 'text/plain', 'x-backend': name });
      return res.end(`${name}\n`);
    }
    if ((m = /\/slow\/(\d+)/.exec(url))) {
      const t = setTimeout(() => { res.writeHead(200, { 'x-backend': name }); res.end('slow\n'); }, Number(m[1]));
      res.on('close', () => clearTimeout(t));
      return;
    }
    if ((m = /\/bytes\/(\d+)/.exec(url))) {
      let left = Number(m[1]);
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': left, 'x-backend': name });
      const chunk = Buffer.alloc(64 * 1024, 120);
      const pump = () => {
        while (left > 0) {
          const n = Math.min(left, chunk.length);
          left -= n;
          if (!res.write(n === chunk.length ? chunk : chunk.subarray(0, n))) return void res.once('drain', pump);
        }
        res.end();
      };
      return pump();
    }
    if (url.includes('/upload')) {
      let n = 0;
      req.on('data', (c: Buffer) => { n += c.length; });
      req.on('end', () => { res.writeHead(200, { 'content-type': 'text/plain', 'x-backend': name }); res.end(String(n)); });
      return;
    }
    const body = JSON.stringify({ name, method: req.method, url, headers: req.headers });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'x-backend': name });
    res.end(body);
  }));
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  b.port = (server.address() as { port: number }).port;
  b.server = server;
  b.close = () => new Promise<void>((r) => { server.close(() => r()); server.closeAllConnections(); });
  return b;
}

/**
 * PUTs `size` bytes of `fill` to `url` as fast as the proxy takes them
 * (256 KiB writes, waiting for 'drain'); resolves to "status body".
 * `sent.bytes` counts the bytes written so far.
 */
export function putStream(url: string, size: number, fill: number, headers: http.OutgoingHttpHeaders = {}, sent = { bytes: 0 }): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const req = http.request(url, { method: 'PUT', agent: false, headers }, (res) => {
      let b = '';
      res.on('data', (c) => { b += c; });
      res.on('end', () => resolve(`${res.statusCode} ${b}`));
    });
    req.on('error', reject);
    const chunk = Buffer.alloc(256 * 1024, fill);
    let left = size;
    const pump = () => {
      while (left > 0) {
        left -= chunk.length;
        sent.bytes += chunk.length;
        if (!req.write(chunk)) return void req.once('drain', pump);
      }
      req.end();
    };
    pump();
  });
}
