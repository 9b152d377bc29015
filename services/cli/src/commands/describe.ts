import { AdminMessageType, type DescribeReply, type HealthStatusReply, type IngressDescription } from '@meshgate/protocol';
import type { NatsTransport } from '@meshgate/actors';
import { parseFlags, usage, UsageError, type FlagSpecs } from '../flags.ts';
import { commonFlags } from '../common.ts';
import { adminRequest, connectAdmin } from '../admin/admin-client.ts';
import { ago, table } from '../admin/table.ts';
import { exitWith, healthOf } from './get.ts';

export const describeFlags: FlagSpecs = {
  ...commonFlags,
  'namespace': { type: 'string', short: 'n', help: 'namespace of the object (default: default)' },
  'output': { type: 'string', short: 'o', help: 'json for machine-readable output (default: text)' },
};

const KINDS: Record<string, 'ingress'> = { ingress: 'ingress', ingresses: 'ingress', ing: 'ingress' };

/** `meshgate describe ingress NAME [-n NAMESPACE] [-o json]`: everything meshgate knows about one object. */
export async function describeCommand(argv: string[]): Promise<void> {
  const { flags, positionals } = parseFlags('describe', describeFlags, argv);
  if (flags.help) { process.stdout.write(usage('describe', 'ingress NAME [-n NAMESPACE] [-o json] [flags]', describeFlags)); return; }
  const [rawKind, name] = positionals;
  const kind = rawKind ? KINDS[rawKind] : undefined;
  if (!kind) throw new UsageError(`meshgate describe: ${rawKind ? `unknown resource '${rawKind}'` : 'what to describe?'} (one of: ingress)`);
  if (!name) throw new UsageError('meshgate describe: which ingress? (meshgate describe ingress NAME [-n NAMESPACE])');
  if (flags.output !== undefined && flags.output !== 'json') throw new UsageError(`meshgate describe: -o expects json, got '${flags.output}'`);
  const namespace = (flags.namespace as string | undefined) || 'default';
  let t: NatsTransport;
  try { t = await connectAdmin(flags, 'describe'); } catch (err) { return exitWith(err); }
  let reply: DescribeReply;
  let health: HealthStatusReply | undefined;
  try {
    reply = await adminRequest<DescribeReply>(t, flags, 'describe', { type: AdminMessageType.Describe, kind, name, namespace });
    if (reply.ingress) health = await healthOf(t, flags);
  } catch (err) {
    return exitWith(err);
  } finally {
    await t.close();
  }
  const ing = reply.ingress;
  if (!ing) {
    const elsewhere = reply.otherNamespaces?.length ? ` (there is one in namespace ${reply.otherNamespaces.join(', ')}: add -n ${reply.otherNamespaces[0]})` : '';
    process.stderr.write(`meshgate describe: ingress "${name}" not found in namespace "${namespace}"${elsewhere}\n`);
    process.exit(1);
  }
  const byEndpoint = new Map((health?.endpoints ?? []).map((e) => [e.endpoint, e]));
  if (flags.output === 'json') {
    const backends = ing.backends.map((b) => ({
      ...b,
      endpoints: b.endpoints.map((e) => {
        const h = byEndpoint.get(e.id);
        return { ...e, health: h ? { healthy: h.healthy, reason: h.reason, since: h.since } : null };
      }),
    }));
    process.stdout.write(JSON.stringify({ ...ing, backends, healthFrom: health?.agent ?? null }, null, 2) + '\n');
    return;
  }
  process.stdout.write(render(ing, health));
}

const none = '<none>';
/** `Key:` padded to one column, then the value (nothing after the colon when the value is below it). */
const field = (k: string, v: string) => (v ? `${`${k}:`.padEnd(18)}${v}\n` : `${k}:\n`);
const indent = (text: string) => text.split('\n').filter(Boolean).map((l) => `  ${l}`).join('\n') + '\n';

function render(ing: IngressDescription, health: HealthStatusReply | undefined): string {
  const now = Date.now();
  let out = field('Name', ing.name) + field('Namespace', ing.namespace);
  out += field('Source', `${ing.file}${ing.line !== undefined ? `:${ing.line}` : ''}${ing.applied ? ' (sent with meshgate apply)' : ''}`);
  out += field('API version', ing.apiVersion) + field('Ingress class', ing.className ?? none);
  out += field('Status', ing.state) + (ing.reason ? field('Reason', ing.reason) : '');
  const ann = ing.annotations ?? [];
  out += field('Annotations', ann.length ? '' : none) + (ann.length ? indent(ann.map((a) => `${a.annotation}: ${a.outcome} (${a.message})`).join('\n')) : '');
  out += field('Default backend', ing.defaultBackend ?? none);
  out += field('Rules', ing.routes.length ? '' : none);
  if (ing.routes.length) out += indent(table(['HOST', 'PATH', 'PATH TYPE', 'BACKEND'], ing.routes.map((r) => [r.host || '*', r.path, r.pathType, r.backend])));
  const rows: string[][] = [];
  for (const b of ing.backends) {
    if (b.endpoints.length === 0) rows.push([b.id, '(none)', '', 'no endpoints', '']);
    for (const e of b.endpoints) {
      const h = health?.endpoints.find((x) => x.endpoint === e.id);
      rows.push([b.id, e.id, e.node ?? '', h ? (h.healthy ? 'healthy' : 'unhealthy') : 'unknown', h ? `${h.reason} (${ago(now, h.since)})` : health ? 'not probed' : 'no health agent answered']);
    }
  }
  out += field('Backends', rows.length ? (health ? `(health from agent ${health.agent})` : '') : none);
  if (rows.length) out += indent(table(['BACKEND', 'ENDPOINT', 'NODE', 'HEALTH', 'REASON'], rows));
  const serving = ing.nodes.filter((n) => n.serving).length;
  const live = ing.nodes.filter((n) => n.state !== 'down').length;
  out += field('Served', ing.servedSince ? `since snapshot v${ing.servedSince} (latest v${ing.version}), on ${serving}/${live} live node(s)` : 'no: not in any snapshot');
  if (ing.nodes.length) out += indent(table(['NODE', 'STATE', 'VERSION', 'SERVING'], ing.nodes.map((n) => [n.nodeId, n.state, String(n.version), n.serving ? 'yes' : 'no'])));
  out += field('Warnings', ing.warnings.length ? '' : none) + (ing.warnings.length ? indent(ing.warnings.join('\n')) : '');
  out += field('Errors', ing.errors.length ? '' : none) + (ing.errors.length ? indent(ing.errors.join('\n')) : '');
  return out;
}
