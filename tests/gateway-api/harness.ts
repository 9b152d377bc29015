// Upstream's Gateway API conformance cases restated at the model level:
// upstream's manifests (testdata/conformance, copied unchanged) -> the
// config service's build -> the route table a proxy worker compiles ->
// what a request gets (backend Service, 404, 500, a redirect) and the
// status upstream's Go test checks. What the conformance suite's cluster
// creates at run time (TLS Secrets, CA ConfigMaps, Pod addresses behind
// each Service) is written here as manifests.
import fs from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { Condition, GatewayApiObject, ListenerStatus, MeshConfig, RouteParentStatus, RouteRule, SourceFile } from '@meshgate/ingress';
import { buildMeshConfigWithGatewayApi, gatewayApiFrontEnd } from '@meshgate/gateway-api';
import { normalizePath, RouteTable, type RequestView } from '@meshgate/routing';

export const INFRA = 'gateway-conformance-infra';
const DATA = path.join(import.meta.dirname, 'testdata', 'conformance');
const SEED = path.join(import.meta.dirname, '..', '..', 'infra', 'examples', 'seed', 'hello-ingress-secret.yaml');

export function upstream(file: string): string {
  return fs.readFileSync(path.join(DATA, file), 'utf8').replaceAll('{GATEWAY_CLASS_NAME}', 'meshgate').replaceAll('{GATEWAY_CONTROLLER_NAME}', 'meshgate.dev/gateway-controller');
}

/** What the suite's cluster provides besides the base manifests. */
function runtimeObjects(texts: readonly string[]): string {
  const seed = fs.readFileSync(SEED, 'utf8');
  const data = /\n(data:[\s\S]*)$/.exec(seed)![1]!;
  const pem = Buffer.from(/tls\.crt: (\S+)/.exec(seed)![1]!, 'base64').toString();
  const secret = (ns: string, name: string) => `apiVersion: v1\nkind: Secret\nmetadata: {name: ${name}, namespace: ${ns}}\ntype: kubernetes.io/tls\n${data}`;
  const ca = (ns: string, name: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ${name}, namespace: ${ns}}\ndata:\n  ca.crt: |\n${pem.trim().split('\n').map((l) => `    ${l}`).join('\n')}\n`;
  const docs = [
    'apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata: {name: meshgate}\nspec: {controllerName: meshgate.dev/gateway-controller}\n',
    secret(INFRA, 'tls-validity-checks-certificate'), secret('gateway-conformance-web-backend', 'certificate'),
    ca(INFRA, 'tls-checks-ca-certificate'), ca(INFRA, 'mismatch-ca-certificate'),
  ];
  // Every Service gets ready Pod addresses on its ports, as the suite's Deployments give it.
  let n = 0;
  for (const t of texts) {
    for (const d of parseAllDocuments(t)) {
      const o = d.toJS() as { kind?: string; metadata?: { name: string; namespace?: string }; spec?: { ports?: { name?: string; port: number; targetPort?: number }[] } } | null;
      if (o?.kind !== 'Service' || !o.metadata) continue;
      const ports = (o.spec?.ports ?? []).map((p) => `{${p.name ? `name: ${p.name}, ` : ''}port: ${typeof p.targetPort === 'number' ? p.targetPort : p.port}}`).join(', ');
      n++;
      docs.push(`apiVersion: v1\nkind: Endpoints\nmetadata: {name: ${o.metadata.name}, namespace: ${o.metadata.namespace ?? 'default'}}\nsubsets:\n- addresses: [{ip: 10.0.${n >> 8}.${n & 255}}]\n  ports: [${ports}]\n`);
    }
  }
  return docs.join('---\n');
}

export interface Request {
  host?: string;
  /** Path and query. */
  path: string;
  method?: string;
  headers?: Record<string, string>;
  /** The Gateway listener port (80: the proxies' --http). */
  port?: number;
}

export type Outcome =
  | { status: 404 }
  | { status: 500; rule: RouteRule }
  | { status: 'redirect'; rule: RouteRule; redirect: Extract<NonNullable<RouteRule['filters']>[number], { type: 'RequestRedirect' }> }
  | { status: 'backend'; rule: RouteRule; service: string; namespace: string; backends: { service: string; weight: number }[] };

export class Conformance {
  readonly cfg: MeshConfig;
  readonly table: RouteTable;
  readonly #backends: Map<string, { namespace: string; service: string }>;

  /** Upstream's base manifests, the runtime objects, and the case's files (paths under testdata/conformance). */
  constructor(files: readonly string[], extra: readonly SourceFile[] = [], opts: { allowErrors?: boolean; frontEnd?: ReturnType<typeof gatewayApiFrontEnd> } = {}) {
    const texts = [upstream('base/manifests.yaml'), ...files.map(upstream), ...extra.map((f) => f.text)];
    const sources: SourceFile[] = [
      { path: 'base/manifests.yaml', text: texts[0]! },
      ...files.map((f, i) => ({ path: f, text: texts[i + 1]! })),
      ...extra,
      { path: 'runtime.yaml', text: runtimeObjects(texts) },
    ];
    this.cfg = buildMeshConfigWithGatewayApi(sources, { now: Date.parse('2026-12-01T00:00:00Z') }, opts.frontEnd ?? gatewayApiFrontEnd());
    if (!opts.allowErrors && this.cfg.errors.length > 0) throw new Error(`the build reported errors: ${JSON.stringify(this.cfg.errors.slice(0, 3))}`);
    this.table = RouteTable.compile(this.cfg);
    this.#backends = new Map(this.cfg.backends.map((b) => [b.id, { namespace: b.namespace, service: b.service }]));
  }

  /** What the proxy does with a request, as far as the model decides it. */
  request(r: Request): Outcome {
    const n = normalizePath(r.path);
    if (!n) throw new Error(`bad path ${r.path}`);
    const headers = Object.fromEntries(Object.entries(r.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
    const view: RequestView = { method: r.method ?? 'GET', query: n.query, header: (name) => headers[name] };
    const m = this.table.find(r.host ?? 'example.com', n.path, r.port ?? 80, view);
    if (!m) return { status: 404 };
    const rule = m.rule ?? { ...m, pathType: m.pathType === 'Default' ? 'Prefix' : m.pathType } as RouteRule;
    const redirect = rule.filters?.find((f) => f.type === 'RequestRedirect');
    if (redirect) return { status: 'redirect', rule, redirect };
    const entries = rule.backends ?? [{ backend: rule.backend, weight: 1 }];
    const live = entries.filter((b) => b.weight > 0);
    const valid = live.filter((b) => b.backend !== '');
    if (valid.length === 0) return { status: 500, rule };
    const first = this.#backends.get(valid[0]!.backend)!;
    return {
      status: 'backend', rule, service: first.service, namespace: first.namespace,
      backends: entries.map((b) => ({ service: b.backend ? this.#backends.get(b.backend)!.service : '', weight: b.weight })),
    };
  }

  object(kind: string, namespace: string | undefined, name: string): GatewayApiObject {
    const o = this.cfg.gatewayApi?.objects.find((x) => x.kind === kind && x.metadata.name === name && x.metadata.namespace === namespace);
    if (!o) throw new Error(`no ${kind} ${namespace}/${name} in the build; errors: ${JSON.stringify(this.cfg.errors.slice(0, 5))}`);
    return o;
  }

  parents(kind: 'HTTPRoute' | 'GRPCRoute', name: string, namespace = INFRA): RouteParentStatus[] {
    return (this.object(kind, namespace, name).status as { parents: RouteParentStatus[] }).parents;
  }

  /** The route's condition of `type` for its parent Gateway `gateway` (namespace/name). */
  routeCondition(kind: 'HTTPRoute' | 'GRPCRoute', name: string, gateway: string, type: string, namespace = INFRA): Condition | undefined {
    const [gns, gname] = gateway.split('/');
    return this.parents(kind, name, namespace).find((p) => p.parentRef.name === gname && p.parentRef.namespace === gns)?.conditions.find((c) => c.type === type);
  }

  gatewayConditions(name: string, namespace = INFRA): Condition[] {
    return (this.object('Gateway', namespace, name).status as { conditions: Condition[] }).conditions;
  }

  listeners(name: string, namespace = INFRA): ListenerStatus[] {
    return (this.object('Gateway', namespace, name).status as { listeners: ListenerStatus[] }).listeners;
  }
}

/** "type=status/reason" of a condition, for compact asserts (reason '' = any, as upstream's `Reason: ""`). */
export function cond(c: Condition | undefined, anyReason = false): string {
  return c ? `${c.type}=${c.status}${anyReason ? '' : `/${c.reason}`}` : 'absent';
}
