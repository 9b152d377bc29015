import { isDeepStrictEqual } from 'node:util';
import { canonicalPath, type BackendConfig, type RouteRule } from '@meshgate/ingress';
import { msgpackCodec } from './codec.ts';
import { withAccess, type SnapshotContent } from './content.ts';
import { MessageType, type RoutesDeltaMessage } from './messages.ts';
import { SNAPSHOT_FORMAT } from './snapshot.ts';

/** A rule by what makes it unique in a snapshot: its id when it has one (Gateway API), else host, type and path. */
export type RuleRef = Pick<RouteRule, 'host' | 'path' | 'pathType' | 'id'>;

/**
 * Route and backend changes (delta xDS's RDS and CDS): the rules and
 * backends that went or changed, and their new versions. Certificates and
 * the default backend are not in it: a change to those is a full snapshot.
 */
export interface RouteChanges {
  /** Rules gone, and rules changed (their new version is in `addedRules`). */
  readonly removedRules: readonly RuleRef[];
  readonly addedRules: readonly RouteRule[];
  /** Backends gone, by id. */
  readonly removedBackends: readonly string[];
  /** New or changed backends, whole. */
  readonly upsertedBackends: readonly BackendConfig[];
}

/** Keys of rule objects seen: a rule a build reused, or one a node holds across deltas, is keyed once. */
const keys = new WeakMap<RuleRef, string>();

/** Rules that match the same requests have the same key (the config service lets only one of them in). */
export function ruleKey(r: RuleRef): string {
  let k = keys.get(r);
  if (k === undefined) {
    k = r.id !== undefined ? `\0id\0${r.id}` : `${r.host}\0${r.pathType}\0${canonicalPath(r.path, r.pathType)}`;
    keys.set(r, k);
  }
  return k;
}

/**
 * The changes that turn `prev` into `next`, or undefined when a full
 * snapshot is the better message: certificates or the default backend
 * changed, nothing but endpoints changed (an endpoint delta is smaller), or
 * more than `maxRules` rules changed. Rules a build reused are the same
 * objects as in `prev`, so unchanged ones cost one comparison each.
 */
export function routeChanges(prev: SnapshotContent, next: SnapshotContent, maxRules: number): RouteChanges | undefined {
  if (!isDeepStrictEqual(prev.defaultBackend, next.defaultBackend)) return undefined;
  if (prev.tls !== next.tls && !isDeepStrictEqual(prev.tls, next.tls)) return undefined;
  if (!isDeepStrictEqual(prev.authUsers, next.authUsers) || !isDeepStrictEqual(prev.clientAuth, next.clientAuth)) return undefined;
  const before = new Map<string, RouteRule>();
  for (const r of prev.rules) before.set(ruleKey(r), r);
  const removedRules: RuleRef[] = [];
  const addedRules: RouteRule[] = [];
  const seen = new Set<string>();
  for (const r of next.rules) {
    const key = ruleKey(r);
    seen.add(key);
    const old = before.get(key);
    if (old === r || (old && isDeepStrictEqual(old, r))) continue;
    if (old) removedRules.push(refOf(old));
    addedRules.push(r);
    if (removedRules.length + addedRules.length > maxRules) return undefined;
  }
  if (seen.size !== next.rules.length) return undefined; // two rules with one key: not something to patch
  for (const [key, r] of before) {
    if (seen.has(key)) continue;
    removedRules.push(refOf(r));
    if (removedRules.length + addedRules.length > maxRules) return undefined;
  }
  const oldBackends = new Map(prev.backends.map((b) => [b.id, b]));
  const newIds = new Set<string>();
  const upsertedBackends: BackendConfig[] = [];
  for (const b of next.backends) {
    newIds.add(b.id);
    const old = oldBackends.get(b.id);
    if (old !== b && !(old && isDeepStrictEqual(old, b))) upsertedBackends.push(b);
  }
  const removedBackends = prev.backends.filter((b) => !newIds.has(b.id)).map((b) => b.id);
  if (removedRules.length + addedRules.length === 0) return undefined; // endpoints only, or nothing
  return { removedRules, addedRules, removedBackends, upsertedBackends };
}

const refOf = (r: RouteRule): RuleRef => (r.id !== undefined ? { host: r.host, path: r.path, pathType: r.pathType, id: r.id } : { host: r.host, path: r.path, pathType: r.pathType });

/**
 * `content` with the changes applied, in order: the rules and backends that
 * stay, in their order, then the new ones. The config service publishes
 * exactly this (not its build order), so every node that applies the delta
 * holds the same content, byte for byte, as the config service's stored
 * snapshot. Several deltas are applied in one pass over the content (a
 * node folding the deltas it collected): an ordered map gives the same
 * order as applying them one at a time, since a key deleted and set again
 * moves to the end.
 */
export function applyRouteChanges(content: SnapshotContent, ...all: readonly RouteChanges[]): SnapshotContent {
  const rules = new Map<string, RouteRule>();
  for (const r of content.rules) rules.set(ruleKey(r), r);
  const backends = new Map<string, BackendConfig>();
  for (const b of content.backends) backends.set(b.id, b);
  for (const changes of all) {
    for (const r of changes.removedRules) rules.delete(ruleKey(r));
    for (const r of changes.addedRules) { const k = ruleKey(r); rules.delete(k); rules.set(k, r); }
    for (const id of changes.removedBackends) backends.delete(id);
    for (const b of changes.upsertedBackends) { backends.delete(b.id); backends.set(b.id, b); }
  }
  const out: SnapshotContent = { rules: [...rules.values()], backends: [...backends.values()], tls: content.tls };
  if (content.defaultBackend) out.defaultBackend = content.defaultBackend;
  return withAccess(out, content);
}

export function encodeRoutesDelta(changes: RouteChanges, version: number, base: number, hash: string): RoutesDeltaMessage {
  return { type: MessageType.RoutesDelta, version, base, hash, createdAt: Date.now(), format: SNAPSHOT_FORMAT, body: msgpackCodec.encode(changes) };
}

export function decodeRouteChanges(m: RoutesDeltaMessage): RouteChanges {
  const v = msgpackCodec.decode(m.body) as Partial<RouteChanges> | undefined;
  if (!v || !Array.isArray(v.removedRules) || !Array.isArray(v.addedRules) || !Array.isArray(v.removedBackends) || !Array.isArray(v.upsertedBackends)) {
    throw new Error(`route delta v${m.version} is corrupt: body is not a set of route changes`);
  }
  return v as RouteChanges;
}
