import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startNatsServer, findNatsServer, type NatsServer } from '@meshgate/testing';
import { createLogger, type LogLevel } from '@meshgate/telemetry';
import { parseFlags, parseHostPort, usage, UsageError, type FlagSpecs, type FlagValue, type HostPort } from '../flags.ts';
import { commonFlags, natsSecurityFlags, natsSecurityFrom } from '../common.ts';
import { ingressClassesOf, ingressClassFlag } from '../ingress-class.ts';
import { startDemoBackend } from '../demo-backend.ts';
import { ensureKeyPair } from '../up/keys.ts';
import { upNatsAuth, type UpNatsAuth } from '../up/nats-auth.ts';
import { startChildren, startInProcess, type UpPlan } from '../up/components.ts';
import { CONTEXT_FILE, defaultStateDir, removeContext, writeContext } from '../admin/context.ts';
import { dataPlaneFlags } from './proxy.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
export const SEED_MANIFESTS = path.resolve(here, '../../../../infra/examples/seed');
/** The same demo as a Gateway and an HTTPRoute: `--manifests infra/examples/gateway` starts the seed's backends too. */
export const GATEWAY_EXAMPLE = path.resolve(here, '../../../../infra/examples/gateway');
/** The seed's NodePorts (products 31442, users 32220): the demo backends listen there. */
const SEED_BACKENDS = [{ kind: 'User', port: 32220 }, { kind: 'Product', port: 31442 }];

export const upFlags: FlagSpecs = {
  ...commonFlags,
  'nats': { type: 'string', help: 'use this NATS instead of starting a local nats-server', env: ['MESHGATE_NATS_URL', 'MESHGATE_NATS'] },
  'manifests': { type: 'string', help: 'manifests directory (default: the seed demo with its backends)' },
  'ingress-class': ingressClassFlag('meshgate'),
  'http': { type: 'hostport', help: 'HTTP listener shared by every proxy node', default: '8080' },
  'https': { type: 'hostport', help: 'HTTPS listener shared by every proxy node', default: '8443' },
  'proxies': { type: 'int', help: 'proxy nodes', default: '2', min: 1, max: 64 },
  'workers': { type: 'int', help: 'worker threads per proxy node', default: '1', min: 1, max: 64 },
  'admin': { type: 'hostport', help: 'admin listener of the first node; the next nodes, then the config service and the health agent, take the next ports', default: '127.0.0.1:9901' },
  'dashboard': {
    type: 'string', help: 'the config service\'s web dashboard (HOST:PORT, or off)', default: '127.0.0.1:9900',
    validate: (raw) => (raw === 'off' || parseHostPort(raw) ? undefined : 'HOST:PORT, PORT or off'),
  },
  'log-level': { type: 'level', help: 'log level of the mesh components', default: 'warn' },
  'state-dir': { type: 'string', help: 'signing keys (snapshots, liveness, operator), the NATS config, the context file for apply/get, and each node\'s last-known-good snapshot', default: defaultStateDir() },
  ...dataPlaneFlags,
};

/**
 * The mesh's Ed25519 key pairs in the state dir, made on first use: the
 * config service signs snapshots (proxies and the agent verify), the agent
 * signs liveness (proxies verify), the operator signs apply/delete (the
 * config service verifies; the context file names the key for the CLI).
 */
function ensureKeys(stateDir: string) {
  fs.mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  return { snapshot: ensureKeyPair(stateDir, 'snapshot'), agent: ensureKeyPair(stateDir, 'agent'), operator: ensureKeyPair(stateDir, 'operator') };
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
  const ingressClass = ingressClassesOf('up', flags);
  const log = createLogger('meshgate-up', { level: 'info' });
  const level = flags['log-level'] as LogLevel;
  const httpAddr = flags.http as HostPort;
  const httpsAddr = flags.https as HostPort;
  const adminBase = flags.admin as HostPort;
  const proxies = flags.proxies as number;
  const manifests = flags.manifests ? path.resolve(flags.manifests as string) : SEED_MANIFESTS;
  const demo = !flags.manifests || manifests === GATEWAY_EXAMPLE;
  const prefix = flags['subject-prefix'] as string;
  const stateDir = path.resolve(flags['state-dir'] as string);
  // The config service's and the agent's admin listeners (/metrics, /status) follow the proxies'.
  const configAdmin: HostPort = { host: adminBase.host, port: adminBase.port + proxies };
  const agentAdmin: HostPort = { host: adminBase.host, port: adminBase.port + proxies + 1 };
  const dashboard = flags.dashboard === 'off' ? undefined : parseHostPort(flags.dashboard as string);
  // Every port `up` listens on, named as the flag that sets it.
  const listeners: { what: string; addr: HostPort }[] = [
    { what: '--http', addr: httpAddr },
    { what: '--https', addr: httpsAddr },
    ...Array.from({ length: proxies }, (_, i) => ({ what: '--admin', addr: { host: adminBase.host, port: adminBase.port + i } })),
    { what: '--admin (the config service\'s, after the proxies\')', addr: configAdmin },
    { what: '--admin (the health agent\'s, after the proxies\')', addr: agentAdmin },
    ...(dashboard ? [{ what: '--dashboard (or --dashboard off)', addr: dashboard }] : []),
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
  let nats: NatsServer | undefined;
  const admins: string[] = [];
  const nodeIds = Array.from({ length: proxies }, (_, i) => `proxy-${i + 1}`);
  let mode: string;
  // Our own nats-server: one login per component, with only the subjects its role needs.
  let auth: UpNatsAuth | undefined;
  if (!natsUrl && findNatsServer()) {
    auth = upNatsAuth(prefix, nodeIds);
    nats = await startNatsServer({ port: await isFree({ host: '127.0.0.1', port: 4222 }) ? 4222 : undefined, config: auth.config, confFile: path.join(stateDir, 'nats-server.conf') });
    cleanups.push(() => nats!.stop());
    natsUrl = nats.url;
  }
  // The CLI's view of this mesh (apply/delete/get without flags): the operator's login and key.
  let context: Parameters<typeof writeContext>[1] | undefined;

  const plan: UpPlan = {
    flags, log, level, prefix, manifests, ingressClass, stateDir, http: httpAddr, https: httpsAddr, adminBase, nodeIds, configAdmin, agentAdmin, keys, cleanups,
    ...(dashboard ? { dashboard } : {}),
  };
  if (natsUrl) {
    mode = `nats ${natsUrl}${nats ? ` (nats-server pid ${nats.pid}, a login per component)` : ''}`;
    admins.push(...startChildren(plan, natsUrl, auth));
    context = {
      nats: natsUrl, subjectPrefix: prefix, operatorSigningKey: keys.operator.signing,
      login: auth ? { 'nats-user': auth.operator.user, 'nats-pass': auth.operator.pass } : givenLogin(flags),
    };
  } else {
    mode = 'one process on an in-memory bus (no nats-server on PATH: apt-get install nats-server, or get it from https://github.com/nats-io/nats-server/releases, or pass --nats URL)';
    log.warn('nats-server not found: running the whole mesh in this process on an in-memory bus. Install nats-server (apt-get install nats-server) or pass --nats URL for a real cluster.');
    admins.push(...await startInProcess(plan));
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
    await Promise.all([
      ...admins.map((a) => waitReady(`${a}/readyz`, 30_000, `proxy node ${a}`)),
      ...(dashboard ? [waitReady(`http://${hp(dashboard)}/healthz`, 30_000, 'the dashboard')] : []),
    ]);
  } catch (err) {
    process.stderr.write(`meshgate up: ${(err as Error).message}\n`);
    await stopAll();
    process.exit(1);
  }
  const contextFile = path.join(stateDir, CONTEXT_FILE);
  if (context) {
    const writer = writeContext(contextFile, context);
    cleanups.push(() => removeContext(contextFile, writer));
  }
  process.stdout.write(banner({ flags, mode, manifests, demo, admins, configAdmin, agentAdmin, ...(dashboard ? { dashboard } : {}), ...(context ? { contextFile } : {}) }));
}

/** What `up` prints once every proxy node is ready: where everything is, and what to try. */
function banner(o: {
  flags: Record<string, FlagValue | undefined>; mode: string; manifests: string; demo: boolean; admins: string[];
  configAdmin: HostPort; agentAdmin: HostPort; dashboard?: HostPort; contextFile?: string;
}): string {
  const { flags, mode, manifests, demo, admins, configAdmin, agentAdmin, dashboard, contextFile } = o;
  const httpAddr = flags.http as HostPort;
  const httpsAddr = flags.https as HostPort;
  const host = (h: string) => (h === '0.0.0.0' || h === '::' ? 'localhost' : h);
  const base = `http://${host(httpAddr.host)}:${httpAddr.port}`;
  const tls = `https://${host(httpsAddr.host)}:${httpsAddr.port}`;
  const lines = [
    '',
    `meshgate is up: ${admins.length} proxy node(s) x ${flags.workers} worker(s), config service, health agent; ${mode}`,
    `  manifests: ${manifests}${demo ? ` (the seed demo${manifests === GATEWAY_EXAMPLE ? ' as a Gateway and an HTTPRoute' : ''}; users on 127.0.0.1:32220, products on 127.0.0.1:31442)` : ''}`,
    ...(dashboard ? [`  dashboard: http://${host(dashboard.host)}:${dashboard.port}/ (nodes, Ingresses, backends, changes and traffic, live)`] : []),
    `  admin:     ${admins.map((a) => `${a}/readyz`).join('  ')}`,
    ...(contextFile ? [`  context:   ${contextFile} (NATS login and operator key: meshgate apply/delete/get use it)`] : []),
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
    ...(contextFile ? ['  npx meshgate get nodes            # through the context file: no flags needed'] : []),
    '',
    'Ctrl-C stops everything.',
    '',
  ];
  return lines.join('\n');
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

async function waitReady(url: string, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const code = await new Promise<number>((resolve) => {
      const req = http.get(url, (res) => { res.resume(); resolve(res.statusCode ?? 0); });
      req.on('error', () => resolve(0));
      req.setTimeout(1_000, () => { req.destroy(); resolve(0); });
    });
    if (code === 200) return;
    if (Date.now() > deadline) throw new Error(`${what} not ready after ${timeoutMs / 1000} s: see the errors above`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The NATS login `up --nats` was given, for the context file (mode 0600, like a kubeconfig holding a token). */
function givenLogin(flags: Record<string, FlagValue | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const n of Object.keys(natsSecurityFlags())) {
    const v = flags[n];
    if (v !== undefined) out[n] = ['nats-user', 'nats-pass', 'nats-token'].includes(n) ? String(v) : path.resolve(String(v));
  }
  return out;
}
