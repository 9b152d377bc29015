import { parseFlags, usage, UsageError, type FlagSpecs, type HostPort } from '../flags.ts';
import { startDemoBackend } from '../demo-backend.ts';

export const demoBackendFlags: FlagSpecs = {
  'kind': { type: 'string', help: "what the greeting says: 'User' or 'Product' (any word)", default: 'User' },
  'listen': { type: 'hostport', help: 'where to listen' },
  'hostname': { type: 'string', help: 'name in the greeting (default: this machine)' },
  'help': { type: 'bool', help: 'show this help', short: 'h' },
};

/** `meshgate demo-backend`: the seed's users/products server, for demos, tests and compose. */
export async function demoBackendCommand(argv: string[]): Promise<void> {
  const { flags } = parseFlags('demo-backend', demoBackendFlags, argv);
  if (flags.help) { process.stdout.write(usage('demo-backend', '--listen HOST:PORT [--kind User]', demoBackendFlags)); return; }
  if (!flags.listen) throw new UsageError('meshgate demo-backend: --listen HOST:PORT is required');
  const hp = flags.listen as HostPort;
  const server = await startDemoBackend({ kind: flags.kind as string, host: hp.host, port: hp.port, hostname: flags.hostname as string | undefined });
  process.stderr.write(`demo ${flags.kind} server listening on ${hp.host}:${hp.port}\n`);
  const stop = () => server.close(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
