import { formatManifestError, type MeshConfig } from '@meshgate/ingress';
import type { NodeView, SnapshotMessage, UnparsableView } from '@meshgate/protocol';
import type { AppliedState } from '../applied-objects.ts';
import { ingressesView } from '../admin-views.ts';
import type { ChangeRow } from './change-log.ts';

/** What the config actor hands the dashboard (`config.v1.dashboard`): references, never changed after. */
export interface DashboardSources {
  mesh: MeshConfig | undefined;
  applied: AppliedState;
  latest: SnapshotMessage | undefined;
  nodes: NodeView[];
  changes: ChangeRow[];
  /** Where snapshots are kept (as `get snapshot` says). */
  store: string;
  manifests: string;
}

/** One routing object of any kind, as listed. */
export interface ObjectRow {
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  readonly state: string;
  readonly reason?: string;
  readonly rules: number;
  readonly file: string;
  readonly line?: number;
  readonly applied?: boolean;
  readonly errors: readonly string[];
  readonly warnings: readonly string[];
}

/**
 * The kinds of routing objects the dashboard lists, each with how to list
 * them from a build: Gateway API kinds plug in here with their own entry,
 * and the page shows them in the same table, grouped by kind.
 */
export const OBJECT_KINDS: readonly { kind: string; rows(mesh: MeshConfig | undefined, applied: AppliedState): ObjectRow[] }[] = [
  {
    kind: 'Ingress',
    rows: (mesh, applied) => ingressesView(mesh, applied).ingresses!.map((i) => ({
      kind: 'Ingress', namespace: i.namespace, name: i.name, state: i.state, ...(i.reason ? { reason: i.reason } : {}), rules: i.rules,
      file: i.file, ...(i.line !== undefined ? { line: i.line } : {}), ...(i.applied ? { applied: true } : {}),
      errors: i.errors, warnings: i.warnings ?? [],
    })),
  },
];

export interface NodeRow {
  readonly nodeId: string;
  readonly state: NodeView['state'];
  /** The version it serves (heartbeats and ACKs), and the last it ACKed. */
  readonly version: number;
  readonly acked: number;
  readonly ready: boolean;
  readonly workers: number;
  readonly admin: string;
  /** ms from publishing its current version to its ACK (when that version is listed in the changes). */
  readonly ackMs?: number;
  /** Behind the latest version since this time (ms since epoch); absent when it has the latest. */
  readonly behindSince?: number;
  readonly nack?: NodeView['nack'];
}

/** The snapshot served, and where it comes from. */
export function summarySection(s: DashboardSources) {
  const m = s.mesh;
  return {
    version: s.latest?.version ?? 0, hash: (s.latest?.hash ?? '').slice(0, 12), createdAt: s.latest?.createdAt ?? 0, signed: s.latest?.keyId ?? '',
    store: s.store, manifests: s.manifests,
    rules: m?.rules.length ?? 0, backends: m?.backends.length ?? 0, certificates: m?.tls.length ?? 0, errors: m?.errors.length ?? 0,
  };
}

export function nodesSection(s: DashboardSources): NodeRow[] {
  const latest = s.latest?.version ?? 0;
  return s.nodes.map((n) => {
    const behind = n.ackedVersion < latest && n.version < latest;
    const waitingFor = behind ? (s.changes.slice().reverse().find((c) => c.version > Math.max(n.ackedVersion, n.version))?.at ?? s.latest?.createdAt) : undefined;
    const ackMs = s.changes.find((c) => c.version === n.ackedVersion)?.applied[n.nodeId];
    return {
      nodeId: n.nodeId, state: n.state, version: n.version, acked: n.ackedVersion, ready: n.ready, workers: n.workers, admin: n.admin,
      ...(ackMs !== undefined ? { ackMs } : {}), ...(waitingFor !== undefined ? { behindSince: waitingFor } : {}), ...(n.nack ? { nack: n.nack } : {}),
    };
  });
}

/** Every routing object, files that could not be read, rejected applies, and errors no object owns (Services, Secrets). */
export function objectsSection(s: DashboardSources): { objects: ObjectRow[]; unparsable: UnparsableView[]; rejected: { resource: string; errors: string[]; at: number }[]; otherErrors: string[] } {
  const objects = OBJECT_KINDS.flatMap((k) => k.rows(s.mesh, s.applied));
  const { unparsable, rejected } = ingressesView(s.mesh, s.applied);
  const unowned = new Set((unparsable ?? []).map((u) => `${u.file}:${u.line ?? ''}`));
  const otherErrors = (s.mesh?.errors ?? [])
    .filter((e) => e.kind !== undefined && e.kind !== 'Ingress' && e.name !== undefined && !unowned.has(`${e.file}:${e.line ?? ''}`))
    .map(formatManifestError);
  return {
    objects, unparsable: [...(unparsable ?? [])],
    rejected: (rejected ?? []).map((r) => ({ resource: r.namespace ? `${r.resource} -n ${r.namespace}` : r.resource, errors: [...r.errors], at: r.at })),
    otherErrors,
  };
}

/** Rules (host, path, path type, backend, Ingress) and backends with their endpoints. */
export function routingSection(s: DashboardSources) {
  const m = s.mesh;
  return {
    rules: (m?.rules ?? []).map((r) => [r.host, r.path, r.pathType, r.backend, r.ingress] as const),
    defaultBackend: m?.defaultBackend ? { backend: m.defaultBackend.backend, ingress: m.defaultBackend.ingress } : null,
    backends: (m?.backends ?? []).map((b) => ({ id: b.id, endpoints: b.endpoints.map((e) => (e.node ? [e.id, e.node] : [e.id])) })),
  };
}
