/**
 * Whether a snapshot or delta may be applied on what a node (or one of its
 * workers) holds: the same rules on the main thread and in each worker's
 * route feed (worker/data-plane.ts). Pure: the signature check is passed in.
 *
 * - A snapshot newer than the held version applies. The same one twice
 *   (push and pull) is ignored; an older one, or another one under the held
 *   version, is refused (NACK), so the config service sees it.
 * - A delta applies only on the held version: an older one is refused as
 *   stale, the same one twice is ignored, and one over a gap (a version
 *   missed, or nothing held to patch) means a full resync: deltas never
 *   patch a gap.
 * - Then the signature, and for content the announced hash.
 */
import { createHash } from 'node:crypto';
import {
  MessageType, applyEndpointChanges, applyRouteChanges, decodeEndpointChanges, decodeRouteChanges, msgpackCodec,
  type EndpointsDeltaMessage, type RouteChanges, type RoutesDeltaMessage, type Signable, type SnapshotContent,
} from '@meshgate/protocol';

export interface Held {
  readonly version: number;
  readonly hash: string;
  /** Whether there is content a delta can patch. */
  readonly hasBase: boolean;
}

export type Verdict =
  | { readonly kind: 'apply' }
  /** Already held: nothing to do. */
  | { readonly kind: 'same' }
  /** Refuse (NACK) with `error`: older than held, or another content under the held version. */
  | { readonly kind: 'stale' | 'conflict'; readonly error: string }
  /** Not on the held version: a full resync (or the node's snapshot, for a worker). */
  | { readonly kind: 'gap'; readonly reason: string };

export type DeltaKind = 'endpoint delta' | 'route delta';

export function judgeSnapshot(held: Held, snap: { version: number; hash: string }): Verdict {
  if (snap.version > held.version) return { kind: 'apply' };
  if (snap.version < held.version) return { kind: 'stale', error: `stale snapshot v${snap.version}: v${held.version} is applied` };
  if (snap.hash === held.hash) return { kind: 'same' };
  return { kind: 'conflict', error: `snapshot v${snap.version} conflicts with the applied one (hash ${snap.hash.slice(0, 12)} != ${held.hash.slice(0, 12)})` };
}

export function judgeDelta(held: Held, d: { version: number; base: number }, kind: DeltaKind): Verdict {
  if (d.version === held.version) return { kind: 'same' };
  if (d.version < held.version) return { kind: 'stale', error: `stale ${kind} v${d.version}: v${held.version} is applied` };
  if (d.base !== held.version || !held.hasBase) return { kind: 'gap', reason: `gap: ${kind} v${d.version} is on v${d.base}, this node has v${held.version}` };
  return { kind: 'apply' };
}

export type RouteVerdict =
  | Exclude<Verdict, { kind: 'apply' }>
  | { readonly kind: 'apply'; readonly changes: RouteChanges }
  /** Unsigned, forged or corrupt: refuse (NACK) with `error`. */
  | { readonly kind: 'refused'; readonly error: string };

/** judgeDelta for a route delta, then its signature (`verify` throws the reason) and its decoding. */
export function acceptRouteDelta(held: Held, d: RoutesDeltaMessage, verify: (d: RoutesDeltaMessage) => void): RouteVerdict {
  const v = judgeDelta(held, d, 'route delta');
  if (v.kind !== 'apply') return v;
  try {
    verify(d);
    return { kind: 'apply', changes: decodeRouteChanges(d) };
  } catch (err) {
    return { kind: 'refused', error: (err as Error).message };
  }
}

/**
 * Verifies a delta and applies it to `content`; throws when it does not
 * produce the announced hash. Endpoint deltas on the live path; route
 * deltas only when restoring from disk (live ones are patched, not hashed).
 */
export function openDelta(d: EndpointsDeltaMessage | RoutesDeltaMessage, content: SnapshotContent, verify: (m: Signable) => void): { packed: Uint8Array; content: SnapshotContent } {
  verify(d);
  const routes = d.type === MessageType.RoutesDelta;
  const next = routes ? applyRouteChanges(content, decodeRouteChanges(d)) : applyEndpointChanges(content, decodeEndpointChanges(d));
  const packed = msgpackCodec.encode(next);
  const hash = createHash('sha256').update(packed).digest('hex');
  if (hash !== d.hash) throw new Error(`${routes ? 'route' : 'endpoint'} delta v${d.version} does not give the announced content (hash ${hash.slice(0, 12)} != ${d.hash.slice(0, 12)})`);
  return { packed, content: next };
}
