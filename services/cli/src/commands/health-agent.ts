import { startHealthAgent, renderAgentMetrics } from '@meshgate/health-agent';
import { startAdminListener } from '@meshgate/telemetry';
import { parseFlags, usage, type FlagSpecs, type HostPort } from '../flags.ts';
import { commonFlags, connectNats, loggerFor, openStore, signingKeyFrom, stopOnSignal, trustKeyFrom } from '../common.ts';

export const healthAgentFlags: FlagSpecs = {
  ...commonFlags,
  'interval': { type: 'int', help: 'probe interval per endpoint, ms (+-10% jitter)', default: '300', min: 50 },
  'timeout': { type: 'int', help: 'probe timeout, ms', default: '250', min: 10 },
  'rise': { type: 'int', help: 'consecutive successes to mark an endpoint up', default: '2', min: 1 },
  'fall': { type: 'int', help: 'consecutive failures to mark an endpoint down', default: '2', min: 1 },
  'agent-id': { type: 'string', help: 'agent name in liveness messages' },
  'node-timeout': { type: 'int', help: 'mark a proxy node down after this long without a heartbeat, ms', default: '1500', min: 100 },
  'admin': { type: 'hostport', help: 'admin listener: /healthz /metrics /status (off unless given)' },
  'trust-key': { type: 'string', help: 'Ed25519 public key (PEM) of the config service: refuse snapshots it did not sign' },
  'signing-key': { type: 'string', help: 'Ed25519 private key (PEM) to sign liveness with; proxies verify it with --agent-trust-key (openssl genpkey -algorithm ed25519)' },
};

export async function healthAgentCommand(argv: string[]): Promise<void> {
  const { flags } = parseFlags('health-agent', healthAgentFlags, argv);
  if (flags.help) { process.stdout.write(usage('health-agent', '--nats URL [flags]', healthAgentFlags)); return; }
  const log = loggerFor('meshgate-health-agent', flags);
  const trustKey = trustKeyFrom(flags);
  const signingKey = signingKeyFrom(flags);
  const transport = await connectNats(flags, 'meshgate-health-agent', log);
  // Snapshots over max_payload are announced as a reference into the KV store.
  const store = await openStore(transport, flags['subject-prefix'] as string, log, 'reader');
  const agent = await startHealthAgent({
    transport, log, agentId: flags['agent-id'] as string | undefined,
    ...(trustKey ? { trustKey } : {}), ...(store ? { store } : {}), ...(signingKey ? { signingKey } : {}),
    intervalMs: flags.interval as number, timeoutMs: flags.timeout as number,
    rise: flags.rise as number, fall: flags.fall as number, nodeTimeoutMs: flags['node-timeout'] as number, subjectPrefix: flags['subject-prefix'] as string,
  });
  const admin = flags.admin ? await startAdminListener(flags.admin as HostPort, {
    metrics: () => renderAgentMetrics(agent.status()),
    status: () => agent.status(),
  }) : undefined;
  if (admin) log.info('admin listener', { url: admin.url });
  stopOnSignal(log, async () => { await admin?.close(); await agent.stop(); await transport.close(); });
}
