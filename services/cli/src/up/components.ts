import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LocalTransport, MemoryKvStore } from '@meshgate/actors';
import { loadSigningKey, loadTrustKey } from '@meshgate/protocol';
import { startConfigService, renderConfigMetrics } from '@meshgate/config-service';
import { startProxyNode, type ProxyNode } from '@meshgate/proxy-node';
import { startHealthAgent, renderAgentMetrics } from '@meshgate/health-agent';
import { createLogger, startAdminListener, type Logger, type LogLevel } from '@meshgate/telemetry';
import { envName, type FlagValue, type HostPort } from '../flags.ts';
import { natsSecurityArgs, natsSecurityFlags } from '../common.ts';
import type { ensureKeyPair } from './keys.ts';
import { dataPlaneArgs, dataPlaneLimitsFrom } from '../commands/proxy.ts';
import type { NatsLogin, UpNatsAuth } from './nats-auth.ts';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/meshgate.js');

type KeyPair = ReturnType<typeof ensureKeyPair>;

/** What `meshgate up` runs, decided before anything starts. */
export interface UpPlan {
  readonly flags: Record<string, FlagValue | undefined>;
  readonly log: Logger;
  readonly level: LogLevel;
  readonly prefix: string;
  readonly manifests: string;
  /** --ingress-class: the classes served, comma-separated. */
  readonly ingressClass: string;
  readonly stateDir: string;
  readonly http: HostPort;
  readonly https: HostPort;
  readonly adminBase: HostPort;
  readonly nodeIds: readonly string[];
  readonly configAdmin: HostPort;
  readonly agentAdmin: HostPort;
  /** The config service's web dashboard (--dashboard); none with --dashboard off. */
  readonly dashboard?: HostPort;
  /** snapshot: config service -> proxies, agent; agent: agent -> proxies; operator: CLI -> config service. */
  readonly keys: { readonly snapshot: KeyPair; readonly agent: KeyPair; readonly operator: KeyPair };
  /** Run in reverse order at stop. */
  readonly cleanups: (() => Promise<void> | void)[];
}

const hp = (a: HostPort) => `${a.host}:${a.port}`;

/** The environment of a component that logs in to `up`'s own nats-server: its login, and none of the caller's. */
function loginEnv(login: NatsLogin): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const n of Object.keys(natsSecurityFlags())) delete env[envName(n)];
  return { ...env, MESHGATE_NATS_USER: login.user, MESHGATE_NATS_PASS: login.pass };
}

/**
 * The components as child processes on NATS; returns the proxies' admin
 * URLs. With `auth` (up's own nats-server) each logs in with its own user,
 * the password in its environment (never on a command line, which `ps`
 * shows to every local user); without, as `up --nats` was told.
 */
export function startChildren(p: UpPlan, natsUrl: string, auth: UpNatsAuth | undefined): string[] {
  const given = natsSecurityArgs(p.flags);
  const as = (login: NatsLogin | undefined) => (login ? { args: [], env: loginEnv(login) } : { args: given.args, env: { ...process.env, ...given.env } });
  const children = new Set<ChildProcess>();
  let stopping = false;
  const run = (name: string, args: string[], login: NatsLogin | undefined) => {
    const { args: loginArgs, env } = as(login);
    // `up`'s own --dashboard (or its MESHGATE_DASHBOARD, maybe `off`) is passed as a flag, or not at all.
    delete env.MESHGATE_DASHBOARD;
    const child = spawn(process.execPath, [BIN, ...args, '--nats', natsUrl, ...loginArgs, '--log-level', p.level, '--subject-prefix', p.prefix], {
      stdio: ['ignore', 'inherit', 'inherit'],
      // Own process group: Ctrl-C reaches `up` alone, which stops the
      // components in order (nodes drain before NATS goes away).
      detached: true,
      env: { ...env, MESHGATE_EXIT_WITH_PARENT: '1' },
    });
    children.add(child);
    child.on('exit', (code, signal) => {
      children.delete(child);
      if (stopping) return;
      p.log.error(`${name} exited; restarting it in 1 s`, { code, signal });
      setTimeout(() => { if (!stopping) run(name, args, login); }, 1_000).unref();
    });
  };
  const { keys } = p;
  run('config-service', ['config-service', '--manifests', p.manifests, '--ingress-class', p.ingressClass, '--signing-key', keys.snapshot.signing, '--operator-key', keys.operator.trust, '--admin', hp(p.configAdmin),
    ...(p.dashboard ? ['--dashboard', hp(p.dashboard)] : [])], auth?.configService);
  const admins = p.nodeIds.map((id, i) => {
    const admin = `${p.adminBase.host}:${p.adminBase.port + i}`;
    run(id, ['proxy', '--node-id', id, '--http', hp(p.http), '--https', hp(p.https), '--admin', admin, '--workers', String(p.flags.workers),
      '--trust-key', keys.snapshot.trust, '--agent-trust-key', keys.agent.trust, '--state-dir', path.join(p.stateDir, id), ...dataPlaneArgs(p.flags)], auth?.proxies[i]);
    return `http://${admin}`;
  });
  run('health-agent', ['health-agent', '--agent-id', 'agent-1', '--trust-key', keys.snapshot.trust, '--signing-key', keys.agent.signing, '--admin', hp(p.agentAdmin)], auth?.agent);
  p.cleanups.push(async () => {
    stopping = true;
    const exits = [...children].map((c) => new Promise<void>((r) => { if (c.exitCode !== null || c.signalCode !== null) r(); else c.once('exit', () => r()); }));
    for (const c of children) c.kill('SIGTERM');
    const kill = setTimeout(() => { for (const c of children) c.kill('SIGKILL'); }, 10_000);
    await Promise.all(exits);
    clearTimeout(kill);
  });
  return admins;
}

/** The components in this process on an in-memory bus (no nats-server); returns the proxies' admin URLs. */
export async function startInProcess(p: UpPlan): Promise<string[]> {
  const transport = new LocalTransport();
  const clog = createLogger('meshgate', { level: p.level });
  const store = new MemoryKvStore();
  const key = (file: string) => loadSigningKey(fs.readFileSync(file));
  const pub = (file: string) => loadTrustKey(fs.readFileSync(file));
  const { keys, prefix } = p;
  const trustKey = pub(keys.snapshot.trust);
  const svc = await startConfigService({
    transport, log: clog.child({ service: 'meshgate-config-service' }), manifestsDir: p.manifests, ingressClass: p.ingressClass, subjectPrefix: prefix, store,
    signingKey: key(keys.snapshot.signing), operatorKeys: [pub(keys.operator.trust)], ...(p.dashboard ? { dashboard: p.dashboard } : {}),
  });
  const nodes: ProxyNode[] = [];
  const admins: string[] = [];
  for (const [i, id] of p.nodeIds.entries()) {
    const admin = { host: p.adminBase.host, port: p.adminBase.port + i };
    admins.push(`http://${hp(admin)}`);
    nodes.push(await startProxyNode({
      transport, log: clog.child({ service: 'meshgate-proxy' }), nodeId: id, http: p.http, https: p.https, admin, workers: p.flags.workers as number, subjectPrefix: prefix, store,
      trustKey, agentTrustKeys: [pub(keys.agent.trust)], stateDir: path.join(p.stateDir, id), limits: dataPlaneLimitsFrom(p.flags),
    }));
  }
  const agent = await startHealthAgent({ transport, log: clog.child({ service: 'meshgate-health-agent' }), agentId: 'agent-1', subjectPrefix: prefix, store, trustKey, signingKey: key(keys.agent.signing) });
  const svcAdmin = await startAdminListener(p.configAdmin, { metrics: async () => renderConfigMetrics(await svc.status(), 'up'), status: () => svc.status() });
  const agentAdmin = await startAdminListener(p.agentAdmin, { metrics: () => renderAgentMetrics(agent.status()), status: () => agent.status() });
  p.cleanups.push(() => svcAdmin.close(), () => agentAdmin.close(), () => svc.stop(), ...nodes.map((n) => () => n.stop()), () => agent.stop(), () => transport.close());
  return admins;
}
