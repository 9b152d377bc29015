import { decodeSnapshotContent, type SnapshotContent } from '@meshgate/protocol';
import { RouteTable } from '@meshgate/routing';
import { EndpointSet, type Liveness, type PoolOptions } from '@meshgate/upstream';
import { defaultPolicy, parsePolicy, type RoutePolicy } from './route-policy.ts';
import type { AppliedSnapshot } from './messages.ts';

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
  /** Per Ingress ('namespace/name'); Ingresses without meshgate.dev/* annotations use `defaultPolicy`. */
  readonly policies: ReadonlyMap<string, RoutePolicy>;
  readonly defaultPolicy: RoutePolicy;
  readonly content: SnapshotContent;
}

export function compileSnapshot(snap: AppliedSnapshot, liveness: Liveness, pool: PoolOptions, warn: (msg: string) => void = () => {}): CompiledConfig {
  const content = decodeSnapshotContent<SnapshotContent>(snap.packed);
  const routes = RouteTable.compile({ rules: content.rules, defaultBackend: content.defaultBackend });
  const backends = new Map<string, EndpointSet>();
  for (const b of content.backends) backends.set(b.id, new EndpointSet(b.id, b.endpoints, liveness));
  const base = defaultPolicy(pool);
  const policies = new Map<string, RoutePolicy>();
  const annotated = content.defaultBackend ? [...content.rules, content.defaultBackend] : content.rules;
  for (const r of annotated) {
    if (r.annotations === undefined || policies.has(r.ingress)) continue;
    policies.set(r.ingress, parsePolicy(r.annotations, base, (m) => warn(`Ingress ${r.ingress}: ${m}`)));
  }
  return { version: snap.version, hash: snap.hash, routes, backends, policies, defaultPolicy: base, content };
}
