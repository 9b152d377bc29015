import os from 'node:os';
import { parseCidrs, startProxyNode, TlsProfiles, type DataPlaneLimits } from '@meshgate/proxy-node';
import { nodeIdProblem, toNodeId } from '@meshgate/protocol';
import { parseFlags, usage, UsageError, type FlagSpecs, type FlagValue, type HostPort } from '../flags.ts';
import { commonFlags, connectNatsDeferred, loggerFor, natsSecurityFrom, stopOnSignal, trustKeyFrom, trustKeysFrom } from '../common.ts';

/** How the data plane treats hostile input (docs/hardening.md); `meshgate up` takes them too and passes them on. */
export const dataPlaneFlags: FlagSpecs = {
  'path-strictness': { type: 'string', choices: ['strict', 'relaxed'], default: 'strict', help: "strict: 400 for paths other servers resolve differently ('..;' or '.;' segments, an encoded backslash %5C); relaxed: forward them" },
  'trusted-proxies': {
    type: 'string', help: 'CIDR,...: peers whose X-Forwarded-For/-Proto/-Host/-Port, Forwarded and X-Real-IP are believed (appended to); from any other peer they are replaced',
    validate: (raw) => { const p = parseCidrs(raw); return 'error' in p ? `CIDR,... such as 10.0.0.0/8,2001:db8::/32 (${p.error})` : undefined; },
  },
  'tls-profile': { type: 'string', choices: TlsProfiles, default: 'intermediate', help: "Mozilla TLS profile: modern (TLS 1.3 only), intermediate (TLS 1.2 with ECDHE+AEAD, and 1.3) or old (TLS 1.0+, CBC)" },
  'tunnel-idle-timeout': { type: 'duration', default: '60s', help: 'close a WebSocket tunnel after this long with no byte either way (0: never; Ingress annotation meshgate.dev/tunnel-idle-timeout overrides)' },
  'access-log': { type: 'bool', default: 'true', help: 'one JSON line per request on stdout (--access-log=off: none; an Ingress may turn its own off)' },
  'header-timeout': { type: 'duration', default: '30s', env: ['MESHGATE_HEADER_TIMEOUT', 'MESHGATE_HEADER_TIMEOUT_MS'], help: 'time to receive a request\'s headers (and a TLS handshake), 408 after (nginx client_header_timeout)' },
  'body-timeout': { type: 'duration', env: ['MESHGATE_BODY_TIMEOUT', 'MESHGATE_BODY_TIMEOUT_MS'], help: 'longest pause between two reads of a request body, 408 after (nginx client_body_timeout; default: --header-timeout)' },
  'keepalive-timeout': { type: 'duration', default: '65s', env: ['MESHGATE_KEEPALIVE_TIMEOUT', 'MESHGATE_KEEPALIVE_TIMEOUT_MS'], help: 'idle client keep-alive connections and HTTP/2 sessions close after this (nginx keepalive_timeout)' },
  'max-header-size': { type: 'size', default: '16k', min: 1024, max: 1024 * 1024, help: 'largest request header block, 431 past it; HTTP/2 requests too (nginx large_client_header_buffers)' },
};

/**
 * The data-plane limits that `meshgate proxy` would take from this
 * environment alone (its MESHGATE_* variables): for a proxy node started in
 * process (tests, benchmarks) configured as a command would be.
 */
export function dataPlaneLimitsFromEnv(env: NodeJS.ProcessEnv = process.env): Partial<DataPlaneLimits> {
  return dataPlaneLimitsFrom(parseFlags('proxy', dataPlaneFlags, [], env).flags);
}

/** The data-plane flags as DataPlaneLimits for startProxyNode. */
export function dataPlaneLimitsFrom(flags: Record<string, FlagValue | undefined>): Partial<DataPlaneLimits> {
  const trusted = flags['trusted-proxies'] === undefined ? undefined : parseCidrs(flags['trusted-proxies'] as string);
  return {
    pathStrictness: flags['path-strictness'] as 'strict' | 'relaxed',
    tlsProfile: flags['tls-profile'] as DataPlaneLimits['tlsProfile'],
    tunnelIdleTimeoutMs: flags['tunnel-idle-timeout'] as number,
    accessLog: flags['access-log'] as boolean,
    headersTimeoutMs: flags['header-timeout'] as number,
    ...(flags['body-timeout'] !== undefined ? { bodyTimeoutMs: flags['body-timeout'] as number } : {}),
    keepAliveTimeoutMs: flags['keepalive-timeout'] as number,
    maxHeaderSize: flags['max-header-size'] as number,
    ...(trusted && 'cidrs' in trusted ? { trustedProxies: trusted.cidrs } : {}),
  };
}

/** The data-plane flags as command-line arguments for a `meshgate proxy` child. */
export function dataPlaneArgs(flags: Record<string, FlagValue | undefined>): string[] {
  const ms = (name: string) => `${flags[name] as number}ms`;
  const args = [
    '--path-strictness', String(flags['path-strictness']), '--tls-profile', String(flags['tls-profile']), '--tunnel-idle-timeout', ms('tunnel-idle-timeout'),
    `--access-log=${flags['access-log'] === false ? 'off' : 'on'}`, '--header-timeout', ms('header-timeout'), '--keepalive-timeout', ms('keepalive-timeout'),
    '--max-header-size', String(flags['max-header-size']),
  ];
  if (flags['body-timeout'] !== undefined) args.push('--body-timeout', ms('body-timeout'));
  if (flags['trusted-proxies'] !== undefined) args.push('--trusted-proxies', String(flags['trusted-proxies']));
  return args;
}

export const proxyFlags: FlagSpecs = {
  ...commonFlags,
  'http': { type: 'hostport', help: 'HTTP listener, shared by every worker (reusePort)', default: '0.0.0.0:8080' },
  'https': { type: 'hostport', help: 'HTTPS listener (certificates from the Ingress tls sections)', default: '0.0.0.0:8443' },
  'admin': { type: 'hostport', help: 'admin listener: /healthz /readyz /metrics /status', default: '127.0.0.1:9901' },
  'workers': { type: 'int', help: 'data-plane worker threads', default: String(os.availableParallelism()), min: 1, max: 256 },
  'node-id': { type: 'string', help: 'node name in heartbeats, ACKs (their NATS subjects end with it) and metrics', default: toNodeId(`${os.hostname()}-${process.pid}`) },
  'trust-key': { type: 'string', help: "Ed25519 public key (PEM) of the config service: refuse snapshots it did not sign" },
  'agent-trust-key': { type: 'string', help: 'FILE[,FILE]: Ed25519 public keys (PEM) of the health agents: refuse liveness they did not sign' },
  'state-dir': { type: 'string', help: 'keeps the last-known-good snapshot, served at start even with NATS down' },
  ...dataPlaneFlags,
};

export async function proxyCommand(argv: string[]): Promise<void> {
  const { flags } = parseFlags('proxy', proxyFlags, argv);
  if (flags.help) { process.stdout.write(usage('proxy', '--nats URL [flags]', proxyFlags)); return; }
  const log = loggerFor('meshgate-proxy', flags);
  const nodeId = flags['node-id'] as string;
  const bad = nodeIdProblem(nodeId);
  if (bad) throw new UsageError(`meshgate proxy: --node-id ${JSON.stringify(nodeId)} ${bad}`);
  const trustKey = trustKeyFrom(flags);
  const agentTrustKeys = trustKeysFrom(flags, 'agent-trust-key');
  // Not awaited: with NATS down the node still serves its last-known-good snapshot from --state-dir.
  const { transport, store } = connectNatsDeferred(flags, `meshgate-proxy ${nodeId}`, log);
  const node = await startProxyNode({
    transport, log, nodeId, store,
    ...(trustKey ? { trustKey } : {}), agentTrustKeys, ...(flags['state-dir'] ? { stateDir: flags['state-dir'] as string } : {}),
    http: flags.http as HostPort, https: flags.https as HostPort, admin: flags.admin as HostPort,
    workers: flags.workers as number, subjectPrefix: flags['subject-prefix'] as string, limits: dataPlaneLimitsFrom(flags),
    // Each worker connects too and takes route deltas from NATS itself: one thread wakes per change.
    workerNats: { servers: String(flags.nats).split(',').map((x) => x.trim()).filter(Boolean), security: natsSecurityFrom(flags), name: `meshgate-proxy ${nodeId}` },
  });
  stopOnSignal(log, async () => { await node.stop(); await transport.close(); });
}
