import { formatManifestError, type IngressStatus, type ManifestError, type MeshConfig } from '@meshgate/ingress';
import { buildMeshConfigWithGatewayApi } from '@meshgate/gateway-api';
import { parseFlags, usage, UsageError, type FlagSpecs } from '../flags.ts';
import { readManifests } from '../admin/read-manifests.ts';
import { table } from '../admin/table.ts';
import { ingressClassesOf, ingressClassFlag } from '../ingress-class.ts';

export const lintFlags: FlagSpecs = {
  'filename': { type: 'string', short: 'f', help: 'manifest file, directory (recursive), or - for stdin' },
  'ingress-class': { ...ingressClassFlag('meshgate,nginx'), help: 'the classes your config service will serve, a comma list (class nginx gets ingress-nginx\'s defaults)' },
  'output': { type: 'string', short: 'o', help: 'json for machine-readable output (default: text)' },
  'help': { type: 'bool', help: 'show this help', short: 'h' },
};

interface IngressReport extends IngressStatus {
  errors: string[];
}

/**
 * `meshgate lint -f PATH`: what meshgate would do with these manifests, offline
 * (no NATS, nothing started), with the config service's own build. Per Ingress:
 * served, ignored (its class) or rejected, and each annotation supported,
 * ignored, refused or unknown. Exits 1 when anything would be refused.
 */
export async function lintCommand(argv: string[]): Promise<void> {
  const { flags, positionals } = parseFlags('lint', lintFlags, argv);
  if (flags.help) { process.stdout.write(usage('lint', '-f FILE|DIR|- [-o json] [flags]', lintFlags)); return; }
  if (positionals.length) throw new UsageError(`meshgate lint: unexpected argument '${positionals[0]}' (use -f PATH)`);
  if (!flags.filename) throw new UsageError('meshgate lint: -f FILE|DIR|- is required');
  if (flags.output !== undefined && flags.output !== 'json') throw new UsageError(`meshgate lint: -o expects json, got '${flags.output}'`);
  const ingressClass = ingressClassesOf('lint', flags);
  let files;
  try { files = await readManifests(flags.filename as string, 'lint'); } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(2);
  }
  const cfg = buildMeshConfigWithGatewayApi(files, { ingressClass });
  const ingresses: IngressReport[] = cfg.ingresses.map((i) => ({ ...i, errors: cfg.errors.filter((e) => ownedBy(e, i)).map(formatManifestError) }));
  // Errors of other objects (a Service, a Secret, a file that does not parse) reject what they belong to.
  const others = cfg.errors.filter((e) => !cfg.ingresses.some((i) => ownedBy(e, i))).map(formatManifestError);
  const refused = others.length > 0 || cfg.ingresses.some((i) => i.state === 'rejected');
  if (flags.output === 'json') {
    process.stdout.write(JSON.stringify({ ingressClass: ingressClass.split(','), refused, ingresses, gatewayApi: cfg.gatewayApi?.objects ?? [], errors: others, warnings: cfg.warnings.map(formatManifestError) }, null, 2) + '\n');
  } else {
    process.stdout.write(render(ingresses, others, cfg, refused));
  }
  if (refused) process.exitCode = 1;
}

function ownedBy(e: ManifestError, i: IngressStatus): boolean {
  return e.kind === 'Ingress' && e.namespace === i.namespace && e.name === i.name && e.file === i.file;
}

function render(ingresses: IngressReport[], others: string[], cfg: MeshConfig, refused: boolean): string {
  let out = '';
  for (const i of ingresses) {
    const where = `${i.file}${i.line !== undefined ? `:${i.line}` : ''}`;
    const state = i.state === 'served' ? `served (${i.rules} rule(s))` : i.state;
    out += `Ingress ${i.id} (${where}): ${state}${i.reason ? `: ${i.reason}` : ''}\n`;
    const annotations = i.annotations ?? [];
    if (annotations.length) out += indent(table(['ANNOTATION', 'MESHGATE', 'WHAT IT DOES'], annotations.map((a) => [a.annotation, a.outcome, a.message])));
    const shown = new Set(annotations.filter((a) => a.outcome === 'refused').map((a) => `metadata.annotations.${a.annotation}`));
    const errs = cfg.errors.filter((e) => ownedBy(e, i) && !shown.has(e.field ?? ''));
    // A served Ingress's errors are notes (a path another Ingress serves, a Service not found): it serves the rest.
    for (const e of errs) out += `  ${i.state === 'rejected' ? 'error' : 'note'}: ${formatManifestError(e)}\n`;
    out += '\n';
  }
  for (const o of cfg.gatewayApi?.objects ?? []) {
    out += `${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name} (${o.file}${o.line !== undefined ? `:${o.line}` : ''}): ${o.served ? 'served' : 'not served'}: ${o.reason}\n`;
  }
  if (cfg.gatewayApi?.objects.length) out += '\n';
  if (others.length) out += `Other objects rejected:\n${others.map((e) => `  ${e}`).join('\n')}\n\n`;
  const count = (s: IngressStatus['state']) => ingresses.filter((i) => i.state === s).length;
  out += `${ingresses.length} Ingress(es): ${count('served')} served, ${count('rejected')} rejected, ${count('ignored')} ignored (class); ${cfg.warnings.length} warning(s).\n`;
  out += refused ? 'meshgate would refuse some of these manifests (exit 1).\n' : 'meshgate would serve these manifests as listed.\n';
  return out;
}

function indent(s: string): string {
  return s.split('\n').map((l) => (l ? `  ${l}` : l)).join('\n');
}
