import { ruleKey, type SnapshotContent } from '@meshgate/protocol';
import type { PublishPlan } from '../publish-plan.ts';

/** How a change went out: a full snapshot, a route delta or an endpoint delta. */
export type ChangeKind = 'full' | 'routes' | 'endpoints';

/** What one published version changed, as the dashboard lists it. */
export interface ChangeRow {
  readonly version: number;
  /** When this config service published it (ms since epoch, its clock). */
  readonly at: number;
  readonly kind: ChangeKind;
  /** Why it was built: 'start', 'changed: users.yaml', 'apply ingress.networking.k8s.io/web'. */
  readonly reason: string;
  /** The Ingresses ('namespace/name') whose rules it added, changed or removed. */
  readonly ingresses: readonly string[];
  /** The backends it added, changed or removed (for an endpoint delta: whose endpoints changed). */
  readonly backends: readonly string[];
  readonly rulesAdded: number;
  readonly rulesRemoved: number;
  /** Certificates ('namespace/secret') added, changed or removed. */
  readonly certificates: readonly string[];
  /** Per node, ms from publishing to receiving the node's ACK of this version or a later one. */
  readonly applied: Readonly<Record<string, number>>;
  /** How many names each list above left out (they keep at most LIST_MAX). */
  readonly more: number;
}

const LIST_MAX = 20;
const KEEP = 30;

/** What `plan` changed from `prev` (the content before it), by object. */
export function summarizeChange(prev: SnapshotContent | undefined, plan: PublishPlan): Pick<ChangeRow, 'kind' | 'ingresses' | 'backends' | 'rulesAdded' | 'rulesRemoved' | 'certificates'> {
  if (plan.endpoints) return { kind: 'endpoints', ingresses: [], backends: plan.endpoints.map((e) => e.backend), rulesAdded: 0, rulesRemoved: 0, certificates: [] };
  const before = new Map((prev?.rules ?? []).map((r) => [ruleKey(r), r]));
  if (plan.routes) {
    const r = plan.routes;
    const ingresses = new Set([...r.addedRules.map((x) => x.ingress), ...r.removedRules.map((x) => before.get(ruleKey(x))?.ingress).filter((x) => x !== undefined)]);
    return {
      kind: 'routes', ingresses: [...ingresses], backends: [...r.upsertedBackends.map((b) => b.id), ...r.removedBackends],
      rulesAdded: r.addedRules.length, rulesRemoved: r.removedRules.length, certificates: [],
    };
  }
  return { kind: 'full', ...fullDiff(prev, plan.next, before) };
}

/** A full snapshot against the previous content: which Ingresses, backends and certificates differ. */
function fullDiff(prev: SnapshotContent | undefined, next: SnapshotContent, before: Map<string, SnapshotContent['rules'][number]>) {
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  const after = new Map(next.rules.map((r) => [ruleKey(r), r]));
  const ingresses = new Set<string>();
  let rulesAdded = 0;
  let rulesRemoved = 0;
  for (const [k, r] of after) {
    const was = before.get(k);
    if (!was) rulesAdded++;
    if (!was || !same(was, r)) ingresses.add(r.ingress);
  }
  for (const [k, r] of before) if (!after.has(k)) { rulesRemoved++; ingresses.add(r.ingress); }
  const diffIds = <T extends { id: string }>(a: readonly T[], b: readonly T[]) => {
    const old = new Map(a.map((x) => [x.id, x]));
    const out = b.filter((x) => !old.has(x.id) || !same(old.get(x.id), x)).map((x) => x.id);
    const now = new Set(b.map((x) => x.id));
    return [...out, ...a.filter((x) => !now.has(x.id)).map((x) => x.id)];
  };
  // Certificates compare by id and hosts only: their PEM never leaves this function.
  const certs = (c: SnapshotContent) => c.tls.map((t) => ({ id: t.id, hosts: t.hosts, cert: t.cert }));
  return {
    ingresses: [...ingresses], backends: diffIds(prev?.backends ?? [], next.backends),
    rulesAdded, rulesRemoved, certificates: diffIds(prev ? certs(prev) : [], certs(next)),
  };
}

/**
 * The recent published versions (the last KEEP), and when each node
 * applied each: a node that ACKs version V has every version up to V.
 */
export class ChangeLog {
  readonly #rows: (Omit<ChangeRow, 'applied' | 'more'> & { applied: Record<string, number>; more: number })[] = [];

  published(version: number, reason: string, summary: ReturnType<typeof summarizeChange>, at = Date.now()): void {
    const cap = <T>(xs: readonly T[]) => xs.slice(0, LIST_MAX);
    const more = Math.max(0, summary.ingresses.length - LIST_MAX) + Math.max(0, summary.backends.length - LIST_MAX) + Math.max(0, summary.certificates.length - LIST_MAX);
    this.#rows.push({
      version, at, reason, kind: summary.kind, ingresses: cap(summary.ingresses), backends: cap(summary.backends), certificates: cap(summary.certificates),
      rulesAdded: summary.rulesAdded, rulesRemoved: summary.rulesRemoved, applied: {}, more,
    });
    if (this.#rows.length > KEEP) this.#rows.shift();
  }

  /** Node `nodeId` ACKed `version` (and so every version below it) at `at`. */
  applied(nodeId: string, version: number, at = Date.now()): void {
    for (let i = this.#rows.length - 1; i >= 0; i--) {
      const r = this.#rows[i]!;
      if (r.version > version) continue;
      if (r.applied[nodeId] !== undefined) break;
      r.applied[nodeId] = Math.max(0, at - r.at);
    }
  }

  /** Newest first; copies. */
  view(): ChangeRow[] {
    return this.#rows.map((r) => ({ ...r, applied: { ...r.applied } })).reverse();
  }

  /** When `version` was published, if it is still listed. */
  publishedAt(version: number): number | undefined {
    return this.#rows.find((r) => r.version === version)?.at;
  }

  /** The first listed version after `version` (what a node on `version` waits for). */
  nextAfter(version: number): ChangeRow | undefined {
    return this.#rows.find((r) => r.version > version);
  }
}
