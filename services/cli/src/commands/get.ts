import {
  AdminMessageType, HealthMessageType, subjects,
  type GetReply, type GetWhat, type HealthStatusReply,
} from '@meshgate/protocol';
import type { NatsTransport } from '@meshgate/actors';
import { parseFlags, usage, UsageError, type FlagSpecs, type FlagValue } from '../flags.ts';
import { adminCommonFlags, applyContext } from '../admin/context.ts';
import { adminRequest, AdminUnavailableError, connectAdmin } from '../admin/admin-client.ts';
import { table, ago } from '../admin/table.ts';
import { GATEWAY_API_ALIASES, GATEWAY_API_WHAT, gatewayApiJson, renderGatewayApi } from './get-gateway-api.ts';

export const getFlags: FlagSpecs = {
  ...adminCommonFlags,
  'output': { type: 'string', short: 'o', help: 'json for machine-readable output (default: a table)' },
};

const WHAT: readonly GetWhat[] = ['nodes', 'ingresses', 'backends', 'snapshot', ...GATEWAY_API_WHAT];
const ALIASES: Record<string, GetWhat> = { node: 'nodes', ingress: 'ingresses', ing: 'ingresses', backend: 'backends', snapshots: 'snapshot', ...GATEWAY_API_ALIASES };

/** `meshgate get nodes|ingresses|backends|snapshot [-o json]`: cluster state from the config service (and health agents). */
export async function getCommand(argv: string[]): Promise<void> {
  const { flags, positionals } = parseFlags('get', getFlags, argv);
  if (flags.help) { process.stdout.write(usage('get', `${WHAT.join('|')} [-o json] [flags]`, getFlags)); return; }
  const raw = positionals[0];
  const what = raw ? (WHAT.includes(raw as GetWhat) ? raw as GetWhat : ALIASES[raw]) : undefined;
  if (!what) throw new UsageError(`meshgate get: ${raw ? `unknown resource '${raw}'` : 'what to get?'} (one of ${WHAT.join(', ')})`);
  if (flags.output !== undefined && flags.output !== 'json') throw new UsageError(`meshgate get: -o expects json, got '${flags.output}'`);
  applyContext(flags, 'get');
  let t: NatsTransport;
  try { t = await connectAdmin(flags, 'get'); } catch (err) { return exitWith(err); }
  try {
    const reply = await adminRequest<GetReply>(t, flags, 'get', { type: AdminMessageType.Get, what });
    const health = what === 'backends' ? await healthOf(t, flags) : undefined;
    if (flags.output === 'json') {
      const out = what === 'backends' ? { ...reply, health: health ?? null } : reply.gatewayApi ? gatewayApiJson(reply.gatewayApi) : reply;
      process.stdout.write(JSON.stringify(out, null, 2) + '\n');
    } else {
      process.stdout.write(render(reply, health));
    }
  } catch (err) {
    return exitWith(err);
  } finally {
    await t.close();
  }
}

export function exitWith(err: unknown): never {
  if (err instanceof AdminUnavailableError) {
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
  }
  throw err;
}

/** Endpoint health from a health agent (the first to answer), or undefined when none runs. */
export async function healthOf(t: NatsTransport, flags: Record<string, FlagValue | undefined>): Promise<HealthStatusReply | undefined> {
  try {
    const r = await t.request<HealthStatusReply>(subjects(String(flags['subject-prefix'] ?? 'meshgate')).healthStatus, { type: HealthMessageType.StatusGet }, 1_000);
    return r?.type === HealthMessageType.Status ? r : undefined;
  } catch {
    return undefined;
  }
}

function render(r: GetReply, health: HealthStatusReply | undefined): string {
  const now = Date.now();
  switch (r.what) {
    case 'gatewayclasses': case 'gateways': case 'httproutes': case 'grpcroutes': case 'backendtlspolicies':
      return renderGatewayApi(r.what, r.gatewayApi ?? []);
    case 'nodes': {
      const nodes = r.nodes ?? [];
      if (nodes.length === 0) return 'No proxy nodes have reported to the config service yet.\n';
      return table(['NODE', 'STATE', 'VERSION', 'ACKED', 'READY', 'WORKERS', 'APPLY', 'LAST SEEN', 'NACK'], nodes.map((n) => [
        n.nodeId, n.state, String(n.version), String(n.ackedVersion || '-'), n.ready ? 'yes' : 'no', String(n.workers),
        n.applyMs !== undefined ? `${n.applyMs.toFixed(1)}ms` : '-', ago(now, n.lastSeen),
        n.nack ? `v${n.nack.version}: ${n.nack.error}` : '',
      ]));
    }
    case 'ingresses': {
      const rows: string[][] = [];
      for (const i of r.ingresses ?? []) {
        rows.push([i.namespace, i.name, i.state + (i.applied ? ' (applied)' : ''), String(i.rules), `${i.file}${i.line !== undefined ? `:${i.line}` : ''}`, i.reason ?? '']);
      }
      let out = rows.length ? table(['NAMESPACE', 'NAME', 'STATUS', 'RULES', 'SOURCE', 'REASON'], rows) : 'No Ingresses.\n';
      const errs = (r.ingresses ?? []).flatMap((i) => i.errors);
      if (errs.length) out += `\nErrors:\n${errs.map((e) => `  ${e}`).join('\n')}\n`;
      if (r.unparsable?.length) out += `\nFiles that could not be parsed (everything else is served):\n${r.unparsable.map((u) => `  ${oneLine(u.file)}${u.line !== undefined ? `:${u.line}` : ''}: ${u.error}`).join('\n')}\n`;
      const warns = (r.ingresses ?? []).flatMap((i) => i.warnings ?? []);
      if (warns.length) out += `\nWarnings (served regardless):\n${warns.map((w) => `  ${w}`).join('\n')}\n`;
      if (r.rejected?.length) {
        out += '\nRejected by meshgate apply (the previous version keeps serving):\n';
        for (const x of r.rejected) out += `  ${x.resource}${x.namespace ? ` -n ${x.namespace}` : ''} (${ago(now, x.at)} ago)\n${x.errors.map((e) => `    ${e}`).join('\n')}\n`;
      }
      return out;
    }
    case 'backends': {
      const byEndpoint = new Map((health?.endpoints ?? []).map((e) => [e.endpoint, e]));
      const rows: string[][] = [];
      for (const b of r.backends ?? []) {
        if (b.endpoints.length === 0) rows.push([b.id, '(none)', '', 'no endpoints', '']);
        for (const e of b.endpoints) {
          const h = byEndpoint.get(e.id);
          rows.push([b.id, e.id, e.node ?? '', h ? (h.healthy ? 'healthy' : 'unhealthy') : 'unknown', h ? `${h.reason} (${ago(now, h.since)})` : health ? 'not probed' : 'no health agent answered']);
        }
      }
      return rows.length ? table(['BACKEND', 'ENDPOINT', 'NODE', 'HEALTH', 'REASON'], rows) + (health ? `(health from agent ${health.agent})\n` : '') : 'No backends.\n';
    }
    case 'snapshot': {
      const s = r.snapshot!;
      const lines = [
        ['version', String(s.version)], ['hash', s.hash], ['created', s.createdAt ? new Date(s.createdAt).toISOString() : '-'],
        ['bytes', `${s.bytes} (compressed)`], ['signed by', s.keyId ?? 'unsigned'],
        ['rules', String(s.rules)], ['backends', String(s.backends)], ['certificates', String(s.certificates)], ['stored in', s.store],
      ];
      let out = lines.map(([k, v]) => `${(k + ':').padEnd(14)}${v}`).join('\n') + '\n';
      if (s.errors.length) out += `\nOther manifest errors:\n${s.errors.map((e) => `  ${e}`).join('\n')}\n`;
      return out;
    }
  }
}

/** A file name as one line (it may hold a newline). */
function oneLine(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
