import { startConfigService, renderConfigMetrics } from '@meshgate/config-service';
import { startAdminListener } from '@meshgate/telemetry';
import { parseFlags, usage, UsageError, type FlagSpecs, type HostPort } from '../flags.ts';
import { commonFlags, connectNats, loggerFor, openStore, signingKeyFrom, stopOnSignal, trustKeysFrom } from '../common.ts';
import { ingressClassesOf, ingressClassFlag } from '../ingress-class.ts';

export const configServiceFlags: FlagSpecs = {
  ...commonFlags,
  'manifests': { type: 'string', help: 'directory of Kubernetes manifests (*.yaml, *.yml, *.json), watched' },
  'ingress-class': ingressClassFlag('meshgate'),
  'signing-key': { type: 'string', help: 'Ed25519 private key (PEM) to sign snapshots with (openssl genpkey -algorithm ed25519)' },
  'operator-key': { type: 'string', help: 'FILE[,FILE]: Ed25519 public keys (PEM) of the operators: apply/delete must be signed by one (meshgate apply --operator-signing-key)' },
  'admin': { type: 'hostport', help: 'admin listener: /healthz /metrics /status (off unless given)' },
  'dashboard': { type: 'hostport', help: 'web dashboard, read-only: nodes, Ingresses, backends, recent changes, traffic per route (off unless given)' },
  'kv-replicas': { type: 'int', help: 'copies of the snapshot KV bucket when it is created (the JetStream cluster size, e.g. 3)', default: '1', min: 1, max: 5 },
};

export async function configServiceCommand(argv: string[]): Promise<void> {
  const { flags } = parseFlags('config-service', configServiceFlags, argv);
  if (flags.help) { process.stdout.write(usage('config-service', '--nats URL --manifests DIR [flags]', configServiceFlags)); return; }
  if (!flags.manifests) throw new UsageError('meshgate config-service: --manifests DIR is required');
  const ingressClass = ingressClassesOf('config-service', flags);
  const log = loggerFor('meshgate-config-service', flags);
  const signingKey = signingKeyFrom(flags);
  const operatorKeys = trustKeysFrom(flags, 'operator-key');
  const transport = await connectNats(flags, 'meshgate-config-service', log);
  const store = await openStore(transport, flags['subject-prefix'] as string, log, 'writer', flags['kv-replicas'] as number);
  const svc = await startConfigService({
    transport, log, manifestsDir: flags.manifests as string,
    ...(store ? { store } : {}), ...(signingKey ? { signingKey } : {}), operatorKeys,
    maxMessageBytes: transport.connection.info?.max_payload ?? 1024 * 1024,
    ingressClass, subjectPrefix: flags['subject-prefix'] as string,
    ...(flags.dashboard ? { dashboard: flags.dashboard as HostPort } : {}),
  });
  const admin = flags.admin ? await startAdminListener(flags.admin as HostPort, {
    metrics: async () => renderConfigMetrics(await svc.status(), transport.connection.info?.client_id?.toString() ?? String(process.pid)),
    status: () => svc.status(),
  }) : undefined;
  if (admin) log.info('admin listener', { url: admin.url });
  stopOnSignal(log, async () => { await admin?.close(); await svc.stop(); await transport.close(); });
}
