import { UsageError } from './flags.ts';
import { upCommand } from './commands/up.ts';
import { proxyCommand } from './commands/proxy.ts';
import { configServiceCommand } from './commands/config-service.ts';
import { healthAgentCommand } from './commands/health-agent.ts';
import { demoBackendCommand } from './commands/demo-backend.ts';
import { applyCommand } from './commands/apply.ts';
import { getCommand } from './commands/get.ts';
import { describeCommand } from './commands/describe.ts';
import { lintCommand } from './commands/lint.ts';

const COMMANDS: Record<string, { run: (argv: string[]) => Promise<void>; help: string }> = {
  'up': { run: upCommand, help: 'a complete local mesh with the seed demo' },
  'config-service': { run: configServiceCommand, help: 'manifests -> versioned snapshots over NATS' },
  'proxy': { run: proxyCommand, help: 'a proxy node: worker threads terminating TLS and routing' },
  'health-agent': { run: healthAgentCommand, help: 'probes backends, watches node heartbeats, broadcasts liveness' },
  'demo-backend': { run: demoBackendCommand, help: "the seed's users/products server" },
  'apply': { run: applyCommand('apply'), help: 'apply -f FILE|DIR|-: send manifests to the config service (--wait: until every node ACKed)' },
  'delete': { run: applyCommand('delete'), help: 'delete -f FILE|DIR|-: remove those objects from the mesh' },
  'get': { run: getCommand, help: 'get nodes|ingresses|backends|snapshot [-o json]: cluster state' },
  'describe': { run: describeCommand, help: 'describe ingress NAME [-n NAMESPACE] [-o json]: everything meshgate knows about one Ingress' },
  'lint': { run: lintCommand, help: 'lint -f FILE|DIR|-: what meshgate would do with these manifests and their annotations, offline' },
};

function help(): string {
  const rows = Object.entries(COMMANDS).map(([n, c]) => `  ${n.padEnd(16)} ${c.help}`);
  return `usage: meshgate <command> [flags]\n\ncommands:\n${rows.join('\n')}\n\nmeshgate <command> --help shows a command's flags.\n`;
}

export async function main(argv: string[]): Promise<void> {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    process.stdout.write(help());
    return;
  }
  const c = COMMANDS[cmd];
  if (!c) {
    process.stderr.write(`meshgate: unknown command '${cmd}' (commands: ${Object.keys(COMMANDS).join(', ')})\n`);
    process.exit(2);
  }
  try {
    await c.run(rest);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(err.message + '\n');
      process.exit(2);
    }
    if ((err as { code?: string })?.code === 'MESHGATE_FATAL') {
      process.stderr.write(`meshgate ${cmd}: ${(err as Error).message}\n`);
      process.exit(1);
    }
    process.stderr.write(`meshgate ${cmd}: ${(err as Error)?.stack ?? err}\n`);
    process.exit(1);
  }
}
