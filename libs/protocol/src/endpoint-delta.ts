import type { BackendConfig, EndpointConfig } from '@meshgate/ingress';
import { msgpackCodec } from './codec.ts';
import { withAccess, type SnapshotContent } from './content.ts';
import { MessageType, type EndpointsDeltaMessage } from './messages.ts';
import { SNAPSHOT_FORMAT } from './snapshot.ts';

/** One backend's new endpoint list (the whole list: a backend has few endpoints, and it needs no ordering). */
export interface EndpointChange {
  readonly backend: string;
  readonly endpoints: readonly EndpointConfig[];
}

const withoutEndpoints = (c: SnapshotContent) => msgpackCodec.encode({
  rules: c.rules, defaultBackend: c.defaultBackend, tls: c.tls, authUsers: c.authUsers, clientAuth: c.clientAuth,
  backends: c.backends.map((b) => ({ ...b, endpoints: [] })),
});

const sameBytes = (a: Uint8Array, b: Uint8Array) => a.length === b.length && Buffer.compare(a, b) === 0;

/**
 * The endpoint changes that turn `prev` into `next`, or undefined when
 * anything else changed too (routes, backends, certificates): then a full
 * snapshot goes out.
 */
export function endpointChanges(prev: SnapshotContent, next: SnapshotContent): EndpointChange[] | undefined {
  if (prev.backends.length !== next.backends.length) return undefined;
  if (!sameBytes(withoutEndpoints(prev), withoutEndpoints(next))) return undefined;
  const changes: EndpointChange[] = [];
  for (let i = 0; i < next.backends.length; i++) {
    const a = prev.backends[i]!;
    const b = next.backends[i]!;
    if (!sameBytes(msgpackCodec.encode(a.endpoints), msgpackCodec.encode(b.endpoints))) changes.push({ backend: b.id, endpoints: b.endpoints });
  }
  return changes;
}

/** `content` with the changes applied; config service and nodes both run this, so both hash the same bytes. */
export function applyEndpointChanges(content: SnapshotContent, changes: readonly EndpointChange[]): SnapshotContent {
  const byId = new Map(changes.map((c) => [c.backend, c.endpoints]));
  const backends: BackendConfig[] = content.backends.map((b) => {
    const eps = byId.get(b.id);
    return eps ? { ...b, endpoints: eps.map((e) => ({ ...e })) } : b;
  });
  const out: SnapshotContent = { rules: content.rules, backends, tls: content.tls };
  if (content.defaultBackend) out.defaultBackend = content.defaultBackend;
  return withAccess(out, content);
}

export function encodeEndpointsDelta(changes: readonly EndpointChange[], version: number, base: number, hash: string): EndpointsDeltaMessage {
  return { type: MessageType.EndpointsDelta, version, base, hash, createdAt: Date.now(), format: SNAPSHOT_FORMAT, body: msgpackCodec.encode(changes) };
}

export function decodeEndpointChanges(m: EndpointsDeltaMessage): EndpointChange[] {
  const v = msgpackCodec.decode(m.body);
  if (!Array.isArray(v)) throw new Error(`endpoint delta v${m.version} is corrupt: body is not a list of changes`);
  return v as EndpointChange[];
}
