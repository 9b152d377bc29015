import { decodeSnapshotContent, type SnapshotContent } from '@meshgate/protocol';
import { RouteTable } from '@meshgate/routing';
import { EndpointSet, type Liveness, type PoolOptions } from '@meshgate/upstream';
import { defaultPolicy, policyOf } from './route-policy.ts';
import type { AppliedDelta, AppliedSnapshot } from './messages.ts';
import type { FilterEnv } from './filters/filter.ts';
import { compileRoute, type CompiledRoute } from './pipeline/compiled-route.ts';
import { AccessIndex } from './filters/access-index.ts';
import { directAuthEndpoint } from './filters/auth-subrequest.ts';

/**
 * Everything a worker needs to route one request, built once per snapshot and
 * then swapped in by one reference assignment: a request reads it once and
 * never sees half of an old and half of a new config.
 */
export interface CompiledConfig {
  readonly version: number;
  readonly hash: string;
  readonly routes: RouteTable;
  readonly backends: ReadonlyMap<string, EndpointSet>;
  /** Policy and filters per Ingress ('namespace/name'); Ingresses without a policy use `defaultPolicy`. */
  readonly policies: ReadonlyMap<string, CompiledRoute>;
  readonly defaultPolicy: CompiledRoute;
  /** What the filters were compiled with (a route delta compiles more). */
  readonly filterEnv: FilterEnv;
  /** The certificates (TlsStore is built from them). The rules live on only in `routes`, so a route delta costs what it changes. */
  readonly tls: SnapshotContent['tls'];
}

/** Every upstream endpoint id the config uses: connection pools to others are closed. */
export function endpointIds(cfg: CompiledConfig): Set<string> {
  const ids = new Set<string>();
  for (const b of cfg.backends.values()) for (const e of b.endpoints) ids.add(e.id);
  // auth-url services named by address keep their connection pools too.
  for (const r of cfg.policies.values()) {
    const ea = r.policy.externalAuth;
    if (ea !== undefined && ea.backend === undefined) ids.add(directAuthEndpoint(ea.url).id);
  }
  return ids;
}

/** The snapshot's content compiled, then each of its route deltas patched in (a replacement worker's start). */
export function compileSnapshot(snap: AppliedSnapshot, liveness: Liveness, pool: PoolOptions, env: FilterEnv): CompiledConfig {
  let cfg = compileContent(snap, liveness, pool, env);
  for (const d of snap.deltas ?? []) cfg = patchConfig(cfg, d, liveness);
  return cfg;
}

/**
 * A route delta on top of `cfg`: the route table is patched in place (a few
 * rules, not the whole table compiled again), the backends and policies the
 * delta touches are rebuilt in new maps. Synchronous, like the swap that
 * follows: a request looks its route up before or after, never during.
 */
export function patchConfig(cfg: CompiledConfig, d: AppliedDelta, liveness: Liveness): CompiledConfig {
  if (cfg.version !== d.base) throw new Error(`route delta v${d.version} is on v${d.base}, this worker has v${cfg.version}`);
  const ch = d.changes;
  let backends = cfg.backends;
  if (ch.removedBackends.length || ch.upsertedBackends.length) {
    const next = new Map(cfg.backends);
    for (const id of ch.removedBackends) next.delete(id);
    for (const b of ch.upsertedBackends) next.set(b.id, new EndpointSet(b.id, b.endpoints, liveness));
    backends = next;
  }
  let policies = cfg.policies;
  if (ch.addedRules.length) {
    const next = new Map(cfg.policies);
    // Every rule of an Ingress carries its policy: an added rule says what the Ingress's policy is now.
    for (const r of ch.addedRules) {
      if (r.policy === undefined) next.delete(r.ingress);
      else next.set(r.ingress, compileRoute(policyOf(r.policy, cfg.defaultPolicy.policy, r.ingress), cfg.filterEnv));
    }
    policies = next;
  }
  cfg.routes.patch(ch.removedRules, ch.addedRules);
  return { ...cfg, version: d.version, hash: d.hash, backends, policies };
}

function compileContent(snap: AppliedSnapshot, liveness: Liveness, pool: PoolOptions, workerEnv: FilterEnv): CompiledConfig {
  const content = decodeSnapshotContent<SnapshotContent>(snap.packed);
  // The access material changes only with a full snapshot: route deltas compile with this env.
  const access = AccessIndex.of(content);
  const filterEnv: FilterEnv = access ? { ...workerEnv, access } : workerEnv;
  const routes = RouteTable.compile({ rules: content.rules, defaultBackend: content.defaultBackend });
  const backends = new Map<string, EndpointSet>();
  for (const b of content.backends) backends.set(b.id, new EndpointSet(b.id, b.endpoints, liveness));
  const base = defaultPolicy(pool);
  const policies = new Map<string, CompiledRoute>();
  const annotated = content.defaultBackend ? [...content.rules, content.defaultBackend] : content.rules;
  for (const r of annotated) {
    if (r.policy === undefined || policies.has(r.ingress)) continue;
    policies.set(r.ingress, compileRoute(policyOf(r.policy, base, r.ingress), filterEnv));
  }
  return { version: snap.version, hash: snap.hash, routes, backends, policies, defaultPolicy: compileRoute(base, filterEnv), filterEnv, tls: content.tls };
}
