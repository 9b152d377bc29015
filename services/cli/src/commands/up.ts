import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LocalTransport, MemoryKvStore } from '@meshgate/actors';
import { generateSigningKeyPair, loadSigningKey, loadTrustKey } from '@meshgate/protocol';
import { startConfigService, renderConfigMetrics } from '@meshgate/config-service';
import { startProxyNode, type ProxyNode } from '@meshgate/proxy-node';
import { startHealthAgent, renderAgentMetrics } from '@meshgate/health-agent';
import { startNatsServer, findNatsServer, type NatsServer } from '@meshgate/testing';
import { createLogger, startAdminListener, type LogLevel } from '@meshgate/telemetry';
import { parseFlags, usage, UsageError, type FlagSpecs, type HostPort } from '../flags.ts';
import { commonFlags, natsSecurityArgs, natsSecurityFrom } from '../common.ts';
import { startDemoBackend } from '../demo-backend.ts';
import { dataPlaneArgs, dataPlaneFlags, dataPlaneLimitsFrom } from './proxy.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const BIN = path.resolve(here, '../../bin/meshgate.js');
export const SEED_MANIFESTS = path.resolve(here, '../../../../infra/examples/seed');
/** The seed's NodePorts (products 31442, users 32220): the demo backends listen there. */
const SEED_BACKENDS = [{ kind: 'User', port: 32220 }, { kind: 'Product', port: 31442 }];

export const upFlags: FlagSpecs = {
  ...commonFlags,
  'nats': { type: 'string', help: 'use this NATS instead of starting a local nats-server', env: ['MESHGATE_NATS_URL', 'MESHGATE_NATS'] },
  'manifests': { type: 'string', help: 'manifests directory (default: the seed demo with its backends)' },
  'http': { type: 'hostport', help: 'HTTP listener shared by every proxy node', default: '8080' },
  'https': { type: 'hostport', help: 'HTTPS listener shared by every proxy node', default: '8443' },
  'proxies': { type: 'int', help: 'proxy nodes', default: '2', min: 1, max: 64 },
  'workers': { type: 'int', help: 'worker threads per proxy node', default: '1', min: 1, max: 64 },
  'admin': { type: 'hostport', help: 'admin listener of the first node; the next nodes, then the config service and the health agent, take the next ports', default: '127.0.0.1:9901' },
  'log-level': { type: 'level', help: 'log level of the mesh components', default: 'warn' },
  'state-dir': { type: 'string', help: 'snapshot signing keys and each node\'s last-known-good snapshot', default: path.join(os.tmpdir(), `meshgate-up-${os.userInfo().username}`) },
  ...dataPlaneFlags,
};

/** The mesh's Ed25519 key pair in the state dir, generated on first use: the config service signs, the proxies verify. */
function ensureKeys(stateDir: string): { signing: string; trust: string } {
  const signing = path.join(stateDir, 'snapshot-signing.pem');
  const trust = path.join(stateDir, 'snapshot-trust.pem');
  fs.mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  if (!fs.existsSync(signing) || !fs.existsSync(trust)) {
    const pair = generateSigningKeyPair();
    fs.writeFileSync(signing, pair.privatePem, { mode: 0o600 });
    fs.writeFileSync(trust, pair.publicPem);
  }
  return { signing, trust };
}

/**
 * `meshgate up`: a complete local mesh. nats-server (or --nats), the config
 * service, N proxy nodes and a health agent as child processes, plus the
 * seed's demo backends. Without nats-server on PATH, the same components run
 * in this one process on an in-memory bus.
 */
export async function upCommand(argv: string[]): Promise<void> {
  const { flags } = parseFlags('up', upFlags, argv);
  if (flags.help) { process.stdout.write(usage('up', '[flags]', upFlags)); return; }
  // With --nats, the components log in as told (credentials and TLS flags pass on to each): checked before anything starts.
  natsSecurityFrom(flags);
  const log = createLogger('meshgate-up', { level: 'info' });
  const level = flags['log-level'] as LogLevel;
  const httpAddr = flags.http as HostPort;
  const httpsAddr = flags.https as HostPort;
  const adminBase = flags.admin as HostPort;
  const proxies = flags.proxies as number;
  const manifests = flags.manifests ? path.resolve(flags.manifests as string) : SEED_MANIFESTS;
  const demo = !flags.manifests;
  const prefix = flags['subject-prefix'] as string;
  const stateDir = path.resolve(flags['state-dir'] as string);
  // The config service's and the agent's admin listeners (/metrics, /status) follow the proxies'.
  const configAdmin: HostPort = { host: adminBase.host, port: adminBase.port + proxies };
  const agentAdmin: HostPort = { host: adminBase.host, port: adminBase.port + proxies + 1 };
  // Every port `up` listens on, named as the flag that sets it.
  const listeners: { what: string; addr: HostPort }[] = [
    { what: '--http', addr: httpAddr },
    { what: '--https', addr: httpsAddr },
    ...Array.from({ length: proxies }, (_, i) => ({ what: '--admin', addr: { host: adminBase.host, port: adminBase.port + i } })),
    { what: '--admin (the config service\'s, after the proxies\')', addr: configAdmin },
    { what: '--admin (the health agent\'s, after the proxies\')', addr: agentAdmin },
    ...(demo ? SEED_BACKENDS.map((b) => ({ what: `demo backend (the seed's NodePort ${b.port})`, addr: { host: '127.0.0.1', port: b.port } })) : []),
  ];
  // Fail early, naming the flag, rather than leave nodes retrying a busy port.
  assertDistinct(listeners);
  for (const l of listeners) await assertFree(l.addr, l.what);
  const keys = ensureKeys(stateDir);

  const cleanups: (() => Promise<void> | void)[] = [];
  const stopAll = async () => { for (const c of cleanups.reverse()) await Promise.resolve(c()).catch(() => {}); };

  if (demo) {
    for (const b of SEED_BACKENDS) {
      const srv = await startDemoBackend({ kind: b.kind, port: b.port });
      cleanups.push(() => new Promise<void>((r) => { srv.close(() => r()); srv.closeAllConnections(); }));
    }
  }

  let natsUrl = flags.nats as string | undefined;
  const natsAuth = natsUrl ? natsSecurityArgs(flags) : { args: [], env: {} };
  let nats: NatsServer | undefined;
  const admins: string[] = [];
  let mode: string;
  if (!natsUrl && findNatsServer()) {
    nats = await startNatsServer({ port: await isFree({ host: '127.0.0.1', port: 4222 }) ? 4222 : undefined });
    cleanups.push(() => nats!.stop());
    natsUrl = nats.url;
  }

  if (natsUrl) {
    mode = `nats ${natsUrl}${nats ? ` (nats-server pid ${nats.pid})` : ''}`;
    const children = new Set<ChildProcess>();
    let stopping = false;
    const run = (name: string, args: string[]) => {
      const child = spawn(process.execPath, [BIN, ...args, '--nats', natsUrl!, ...natsAuth.args, '--log-level', level, '--subject-prefix', prefix], {
        stdio: ['ignore', 'inherit', 'inherit'],
        // Own process group: Ctrl-C reaches `up` alone, which stops the
        // components in order (nodes drain before NATS goes away).
        detached: true,
        env: { ...process.env, ...natsAuth.env, MESHGATE_EXIT_WITH_PARENT: '1' },
      });
      children.add(child);
      child.on('exit', (code, signal) => {
        children.delete(child);
        if (stopping) return;
        log.error(`${name} exited; restarting it in 1 s`, { code, signal });
        setTimeout(() => { if (!stopping) run(name, args); }, 1_000).unref();
      });
    };
    run('config-service', ['config-service', '--manifests', manifests, '--signing-key', keys.signing, '--admin', hp(configAdmin)]);
    for (let i = 0; i < proxies; i++) {
      const admin = `${adminBase.host}:${adminBase.port + i}`;
      admins.push(`http://${admin}`);
      run(`proxy-${i + 1}`, ['proxy', '--node-id', `proxy-${i + 1}`, '--http', `${httpAddr.host}:${httpAddr.port}`, '--https', `${httpsAddr.host}:${httpsAddr.port}`, '--admin', admin, '--workers', String(flags.workers), '--trust-key', keys.trust, '--state-dir', path.join(stateDir, `proxy-${i + 1}`), ...dataPlaneArgs(flags)]);
    }
    run('health-agent', ['health-agent', '--agent-id', 'agent-1', '--trust-key', keys.trust, '--admin', hp(agentAdmin)]);
    cleanups.push(async () => {
      stopping = true;
      const exits = [...children].map((c) => new Promise<void>((r) => { if (c.exitCode !== null || c.signalCode !== null) r(); else c.once('exit', () => r()); }));
      for (const c of children) c.kill('SIGTERM');
      const kill = setTimeout(() => { for (const c of children) c.kill('SIGKILL'); }, 10_000);
      await Promise.all(exits);
      clearTimeout(kill);
    });
  } else {
    mode = 'one process on an in-memory bus (no nats-server on PATH: apt-get install nats-server, or get it from https://github.com/nats-io/nats-server/releases, or pass --nats URL)';
    log.warn('nats-server not found: running the whole mesh in this process on an in-memory bus. Install nats-server (apt-get install nats-server) or pass --nats URL for a real cluster.');
    const transport = new LocalTransport();
    const clog = createLogger('meshgate', { level });
    const store = new MemoryKvStore();
    const signingKey = loadSigningKey(fs.readFileSync(keys.signing));
    const trustKey = loadTrustKey(fs.readFileSync(keys.trust));
    const svc = await startConfigService({ transport, log: clog.child({ service: 'meshgate-config-service' }), manifestsDir: manifests, subjectPrefix: prefix, store, signingKey });
    const nodes: ProxyNode[] = [];
    for (let i = 0; i < proxies; i++) {
      const admin = { host: adminBase.host, port: adminBase.port + i };
      admins.push(`http://${admin.host}:${admin.port}`);
      nodes.push(await startProxyNode({ transport, log: clog.child({ service: 'meshgate-proxy' }), nodeId: `proxy-${i + 1}`, http: httpAddr, https: httpsAddr, admin, workers: flags.workers as number, subjectPrefix: prefix, store, trustKey, stateDir: path.join(stateDir, `proxy-${i + 1}`), limits: dataPlaneLimitsFrom(flags) }));
    }
    const agent = await startHealthAgent({ transport, log: clog.child({ service: 'meshgate-health-agent' }), agentId: 'agent-1', subjectPrefix: prefix, store, trustKey });
    const svcAdmin = await startAdminListener(configAdmin, { metrics: async () => renderConfigMetrics(await svc.status(), 'up'), status: () => svc.status() });
    const agentAdminListener = await startAdminListener(agentAdmin, { metrics: () => renderAgentMetrics(agent.status()), status: () => agent.status() });
    cleanups.push(() => svcAdmin.close(), () => agentAdminListener.close(), () => svc.stop(), ...nodes.map((n) => () => n.stop()), () => agent.stop(), () => transport.close());
  }

  let stopping = false;
  const onSignal = () => {
    if (stopping) return;
    stopping = true;
    process.stderr.write('\nmeshgate up: stopping every component...\n');
    stopAll().then(() => { process.stderr.write('meshgate up: stopped\n'); process.exit(0); });
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    await Promise.all(admins.map((a) => waitReady(a, 30_000)));
  } catch (err) {
    process.stderr.write(`meshgate up: ${(err as Error).message}\n`);
    await stopAll();
    process.exit(1);
  }
  const host = (h: string) => (h === '0.0.0.0' || h === '::' ? 'localhost' : h);
  const base = `http://${host(httpAddr.host)}:${httpAddr.port}`;
  const tls = `https://${host(httpsAddr.host)}:${httpsAddr.port}`;
  const lines = [
    '',
    `meshgate is up: ${proxies} proxy node(s) x ${flags.workers} worker(s), config service, health agent; ${mode}`,
    `  manifests: ${manifests}${demo ? ' (the seed demo; users on 127.0.0.1:32220, products on 127.0.0.1:31442)' : ''}`,
    `  admin:     ${admins.map((a) => `${a}/readyz`).join('  ')}`,
    `  metrics:   ${[...admins, `http://${hp(configAdmin)}`, `http://${hp(agentAdmin)}`].map((a) => `${a}/metrics`).join('  ')} (proxies, config service, health agent)`,
    '',
    'Try:',
    ...(demo ? [
      `  curl -s ${base}/users/          # Hello World! I'm User server ...`,
      `  curl -s ${base}/products/       # Hello World! I'm Product server ...`,
      `  curl -s -o /dev/null -w '%{http_code}\\n' ${base}/orders   # 404: no rule`,
      `  curl -sk ${tls}/users/          # the same over TLS (hello-ingress-tls, self-signed demo certificate)`,
    ] : [`  curl -s ${base}/`]),
    `  curl -s ${admins[0]}/metrics`,
    '',
    'Ctrl-C stops everything.',
    '',
  ];
  process.stdout.write(lines.join('\n'));
}

async function isFree(addr: HostPort): Promise<boolean> {
  return await new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(addr.port, addr.host, () => s.close(() => resolve(true)));
  });
}

const hp = (a: HostPort) => `${a.host}:${a.port}`;

/** `up`'s own listeners on one port would fail later with a bare EADDRINUSE: name the two and the flag to change. */
function assertDistinct(listeners: { what: string; addr: HostPort }[]): void {
  const anyHost = (h: string) => h === '0.0.0.0' || h === '::' || h === '';
  for (let i = 0; i < listeners.length; i++) {
    for (let j = 0; j < i; j++) {
      const [a, b] = [listeners[j]!, listeners[i]!];
      if (a.addr.port === 0 || a.addr.port !== b.addr.port) continue;
      if (a.addr.host === b.addr.host || anyHost(a.addr.host) || anyHost(b.addr.host)) {
        throw new UsageError(`meshgate up: ${b.what}: ${hp(b.addr)} is also the port of ${a.what}: pick another port`);
      }
    }
  }
}

async function assertFree(addr: HostPort, what: string): Promise<void> {
  if (!(await isFree(addr))) throw new UsageError(`meshgate up: ${what}: ${addr.host}:${addr.port} is already in use (is another meshgate running? pick another port)`);
}

async function waitReady(adminUrl: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const code = await new Promise<number>((resolve) => {
      const req = http.get(`${adminUrl}/readyz`, (res) => { res.resume(); resolve(res.statusCode ?? 0); });
      req.on('error', () => resolve(0));
      req.setTimeout(1_000, () => { req.destroy(); resolve(0); });
    });
    if (code === 200) return;
    if (Date.now() > deadline) throw new Error(`proxy node ${adminUrl} not ready after ${timeoutMs / 1000} s: see the errors above`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
