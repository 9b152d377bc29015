import { isDeepStrictEqual } from 'node:util';
import { ruleKey, type EndpointChange, type SnapshotContent } from '@meshgate/protocol';

/**
 * The endpoint changes that turn `prev` into `next`, or undefined when
 * anything else differs too (routes, backends, certificates): then a route
 * delta or a full snapshot goes out. Compares the plain data, not encodings
 * of it: rules a build reused are the same objects as in `prev`, so an
 * unchanged route table of 10,000 rules is compared in well under a
 * millisecond. Order does not count: after a route delta `prev` holds its
 * rules and backends in the delta's order, not the build's.
 */
export function endpointOnlyChanges(prev: SnapshotContent, next: SnapshotContent): EndpointChange[] | undefined {
  if (prev.backends.length !== next.backends.length || prev.rules.length !== next.rules.length || prev.tls.length !== next.tls.length) return undefined;
  if (!isDeepStrictEqual(prev.defaultBackend, next.defaultBackend) || !isDeepStrictEqual(prev.tls, next.tls)) return undefined;
  // Basic-auth users and client-certificate hosts travel like certificates: a change is a full snapshot.
  if (!isDeepStrictEqual(prev.authUsers, next.authUsers) || !isDeepStrictEqual(prev.clientAuth, next.clientAuth)) return undefined;
  if (!sameRules(prev, next)) return undefined;
  const before = new Map(prev.backends.map((b) => [b.id, b]));
  const changes: EndpointChange[] = [];
  for (const b of next.backends) {
    const a = before.get(b.id);
    if (!a) return undefined;
    if (a === b) continue;
    const { endpoints: ea, ...restA } = a;
    const { endpoints: eb, ...restB } = b;
    if (!isDeepStrictEqual(restA, restB)) return undefined;
    if (!isDeepStrictEqual(ea, eb)) changes.push({ backend: b.id, endpoints: eb });
  }
  return changes;
}

function sameRules(prev: SnapshotContent, next: SnapshotContent): boolean {
  // The common case first: the same order, and mostly the very same objects.
  let i = 0;
  for (; i < next.rules.length; i++) if (prev.rules[i] !== next.rules[i] && !isDeepStrictEqual(prev.rules[i], next.rules[i])) break;
  if (i === next.rules.length) return true;
  const before = new Map(prev.rules.map((r) => [ruleKey(r), r]));
  for (const r of next.rules) {
    const a = before.get(ruleKey(r));
    if (!a || (a !== r && !isDeepStrictEqual(a, r))) return false;
  }
  return true;
}
