import { gatewayApiView, isGatewayApiWhat } from './gateway-api-views.ts';
import { formatManifestError, type BackendConfig, type ManifestError, type MeshConfig } from '@meshgate/ingress';
import {
  AdminMessageType,
  type BackendView, type DescribeReply, type DescribeRequest, type GetReply, type GetWhat, type IngressView, type NodeView, type SnapshotContent,
  type SnapshotMessage, type SnapshotView, type UnparsableView,
} from '@meshgate/protocol';
import type { AppliedState } from './applied-objects.ts';
import type { IngressVersions } from './ingress-versions.ts';

/** What `meshgate get ingresses` shows: every Ingress with its errors, rejected applies, and files that could not be read. */
export function ingressesView(mesh: MeshConfig | undefined, applied: AppliedState): Pick<GetReply, 'ingresses' | 'rejected' | 'unparsable'> {
  const appliedKeys = new Set(applied.objects.filter((o) => o.kind === 'Ingress').map((o) => `${o.namespace}/${o.name}`));
  return {
    ingresses: (mesh?.ingresses ?? []).map((i): IngressView => ({
      ...i,
      errors: errorsOf(mesh!, i).map(formatManifestError),
      ...(appliedKeys.has(i.id) ? { applied: true } : {}),
    })),
    rejected: applied.rejected.map((r) => ({ resource: r.resource, ...(r.namespace !== undefined ? { namespace: r.namespace } : {}), errors: r.errors, at: r.at })),
    unparsable: unparsableOf(mesh),
  };
}

const errorsOf = (mesh: MeshConfig, i: { namespace: string; name: string; file: string }) =>
  mesh.errors.filter((e) => e.kind === 'Ingress' && e.namespace === i.namespace && e.name === i.name && e.file === i.file);

/**
 * Errors no listed object owns: a document that is not YAML or JSON, not an
 * object, or has no kind or name, and an Ingress meshgate could not read as
 * one (an apiVersion it does not serve): without this list they would show
 * only in the config service's log.
 */
export function unparsableOf(mesh: MeshConfig | undefined): UnparsableView[] {
  if (!mesh) return [];
  const listed = new Set(mesh.ingresses.map((i) => `${i.namespace}/${i.name}\0${i.file}`));
  const unowned = (e: ManifestError) => e.kind === undefined || e.name === undefined || e.kind === 'List'
    || (e.kind === 'Ingress' && !listed.has(`${e.namespace}/${e.name}\0${e.file}`));
  return mesh.errors.filter(unowned).map((e) => {
    const where = formatManifestError({ file: e.file, ...(e.line !== undefined ? { line: e.line } : {}), message: '' }).slice(0, -2);
    return { file: e.file, ...(e.line !== undefined ? { line: e.line } : {}), error: formatManifestError(e).slice(where.length + 2) };
  });
}

export interface DescribeSources {
  mesh: MeshConfig | undefined;
  applied: AppliedState;
  versions: IngressVersions;
  nodes: readonly NodeView[];
  version: number;
}

/** `meshgate describe ingress`: its status, rules, backends, the nodes serving it, its warnings and errors. */
export function describeIngress(req: DescribeRequest, s: DescribeSources): DescribeReply {
  const namespace = req.namespace || 'default';
  const mesh = s.mesh;
  const all = (mesh?.ingresses ?? []).filter((i) => i.name === req.name);
  const mine = all.filter((i) => i.namespace === namespace);
  const base = { type: AdminMessageType.Result } as const;
  if (!mesh || mine.length === 0) return { ...base, otherNamespaces: [...new Set(all.map((i) => i.namespace))].sort() };
  // A duplicate (the same name in another file) is rejected: the one that is served, if any, is described.
  const status = mine.find((i) => i.state === 'served') ?? mine[0]!;
  const id = status.id;
  const routes = mesh.rules.filter((r) => r.ingress === id);
  const def = mesh.defaultBackend?.ingress === id ? mesh.defaultBackend : undefined;
  const used = new Set([...routes.map((r) => r.backend), ...(def ? [def.backend] : [])]);
  const problems = errorsOf(mesh, status).map(formatManifestError);
  for (const other of mine) if (other !== status) problems.push(`${other.file}${other.line !== undefined ? `:${other.line}` : ''}: ${other.reason ?? other.state}`);
  const since = status.state === 'served' ? s.versions.since(id) : 0;
  const applied = s.applied.objects.some((o) => o.kind === 'Ingress' && o.namespace === namespace && o.name === req.name);
  return {
    ...base,
    ingress: {
      ...status,
      ...(applied ? { applied: true } : {}),
      routes: routes.map((r) => ({ host: r.host, path: r.path, pathType: r.pathType, backend: r.backend })),
      ...(def ? { defaultBackend: def.backend } : {}),
      backends: mesh.backends.filter((b) => used.has(b.id)).map((b) => ({ id: b.id, endpoints: b.endpoints.map((e) => (e.node ? { id: e.id, node: e.node } : { id: e.id })) })),
      servedSince: since,
      version: s.version,
      nodes: s.nodes.map((n) => ({ nodeId: n.nodeId, state: n.state, version: n.version, serving: since > 0 && n.state !== 'down' && n.version >= since })),
      errors: status.state === 'served' ? [] : problems,
      warnings: [...(status.warnings ?? []), ...(status.state === 'served' ? problems : [])],
    },
  };
}

const backendView = (b: BackendConfig): BackendView => ({ id: b.id, endpoints: b.endpoints.map((e) => (e.node ? { id: e.id, node: e.node } : { id: e.id })) });

/** What `get` and the status read of the config service. */
export interface ViewSources {
  mesh: MeshConfig | undefined;
  applied: AppliedState;
  /** The latest snapshot, and its content when at hand. */
  latest: SnapshotMessage | undefined;
  latestContent: SnapshotContent | undefined;
  nodes(): readonly NodeView[];
  /** Where snapshots are kept, said by `get snapshot`. */
  store: string;
}

/** `meshgate get nodes|ingresses|backends|snapshot`. */
export function getView(what: GetWhat, s: ViewSources): GetReply {
  const base = { type: AdminMessageType.Result, what } as const;
  if (isGatewayApiWhat(what)) return { ...base, gatewayApi: gatewayApiView(s.mesh, what) };
  switch (what) {
    case 'nodes': return { ...base, nodes: s.nodes() };
    case 'ingresses': return { ...base, ...ingressesView(s.mesh, s.applied) };
    case 'backends': return { ...base, backends: (s.mesh?.backends ?? []).map(backendView) };
    case 'snapshot': return { ...base, snapshot: snapshotView(s) };
  }
}

function snapshotView({ latest, latestContent: content, mesh, store }: ViewSources): SnapshotView {
  return {
    version: latest?.version ?? 0, hash: latest?.hash ?? '', bytes: latest?.body.length ?? 0, createdAt: latest?.createdAt ?? 0,
    ...(latest?.keyId ? { keyId: latest.keyId } : {}),
    rules: content?.rules.length ?? mesh?.rules.length ?? 0, backends: content?.backends.length ?? mesh?.backends.length ?? 0,
    certificates: content?.tls.length ?? mesh?.tls.length ?? 0,
    store,
    errors: (mesh?.errors ?? []).filter((e) => e.kind !== 'Ingress').map(formatManifestError),
  };
}

export interface ConfigStatus {
  version: number;
  hash: string;
  manifests: string;
  ingresses: MeshConfig['ingresses'];
  errors: string[];
  backends: { id: string; endpoints: string[] }[];
}

/** The config service's status (its /metrics read it). */
export function configStatus(manifests: string, latest: SnapshotMessage | undefined, mesh: MeshConfig | undefined): ConfigStatus {
  return {
    version: latest?.version ?? 0, hash: latest?.hash ?? '', manifests,
    ingresses: mesh?.ingresses ?? [], errors: mesh?.errors.map(formatManifestError) ?? [],
    backends: mesh?.backends.map((b) => ({ id: b.id, endpoints: b.endpoints.map((e) => e.id) })) ?? [],
  };
}
