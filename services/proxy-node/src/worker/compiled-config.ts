import { decodeSnapshotContent, type SnapshotContent } from '@meshgate/protocol';
import { RouteTable } from '@meshgate/routing';
import { EndpointSet, type Liveness } from '@meshgate/upstream';
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
  readonly content: SnapshotContent;
}

export function compileSnapshot(snap: AppliedSnapshot, liveness: Liveness): CompiledConfig {
  const content = decodeSnapshotContent<SnapshotContent>(snap.packed);
  const routes = RouteTable.compile({ rules: content.rules, defaultBackend: content.defaultBackend });
  const backends = new Map<string, EndpointSet>();
  for (const b of content.backends) backends.set(b.id, new EndpointSet(b.id, b.endpoints, liveness));
  return { version: snap.version, hash: snap.hash, routes, backends, content };
}
