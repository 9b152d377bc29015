import os from 'node:os';
import { startProxyNode } from '@meshgate/proxy-node';
import { nodeIdProblem, toNodeId } from '@meshgate/protocol';
import { parseFlags, usage, UsageError, type FlagSpecs, type HostPort } from '../flags.ts';
import { commonFlags, connectNatsDeferred, loggerFor, natsSecurityFrom, stopOnSignal, trustKeyFrom, trustKeysFrom } from '../common.ts';

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
    workers: flags.workers as number, subjectPrefix: flags['subject-prefix'] as string,
    // Each worker connects too and takes route deltas from NATS itself: one thread wakes per change.
    workerNats: { servers: String(flags.nats).split(',').map((x) => x.trim()).filter(Boolean), security: natsSecurityFrom(flags), name: `meshgate-proxy ${nodeId}` },
  });
  stopOnSignal(log, async () => { await node.stop(); await transport.close(); });
}
