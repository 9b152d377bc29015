import {
  MessageType, applyEndpointChanges, applyRouteChanges, encodeEndpointsDelta, encodeRoutesDelta, routeChanges,
  type EndpointChange, type EndpointsDeltaMessage, type RouteChanges, type RoutesDeltaMessage, type SnapshotContent, type SnapshotMessage, type SnapshotRefMessage,
} from '@meshgate/protocol';
import { endpointOnlyChanges } from './endpoint-only-changes.ts';

/** Route deltas carry up to this many changed rules, or an eighth of the table if more: past that a full snapshot is as good. */
export const MIN_ROUTE_DELTA_RULES = 64;
/** Room for a message's envelope beside its body. */
const ENVELOPE_BYTES = 512;

/**
 * What a change publishes. `next` is what is stored: the previous content
 * with the delta applied in its fixed order, so a node that applies the
 * delta holds the same bytes; without a delta, the content as built.
 */
export interface PublishPlan {
  readonly next: SnapshotContent;
  /** Only endpoints changed. */
  readonly endpoints?: EndpointChange[];
  /** Rules or backends changed, few enough for a route delta. */
  readonly routes?: RouteChanges;
}

/** The smallest change that gets every node from `prev` (the published content, if any) to `content`: endpoint changes, else route changes, else everything. */
export function planPublish(prev: SnapshotContent | undefined, content: SnapshotContent): PublishPlan {
  if (!prev) return { next: content };
  const endpoints = endpointOnlyChanges(prev, content);
  if (endpoints) return { next: applyEndpointChanges(prev, endpoints), endpoints };
  const routes = routeChanges(prev, content, Math.max(MIN_ROUTE_DELTA_RULES, prev.rules.length >> 3));
  if (routes) return { next: applyRouteChanges(prev, routes), routes };
  return { next: content };
}

/** Versions keep increasing across restarts (the stored head) and never go below the wall clock in ms. */
export function nextVersion(latest: number, now: number): number {
  return Math.max(latest + 1, now);
}

/**
 * The delta (unsigned) that announces `snap`, built on `base` by `plan`, or
 * undefined for the full snapshot: there was no version before, or a
 * route delta would be larger than the snapshot it stands for (or than a
 * message), which is no saving.
 */
export function deltaFor(plan: PublishPlan, snap: SnapshotMessage, base: number, maxMessageBytes: number): EndpointsDeltaMessage | RoutesDeltaMessage | undefined {
  if (base <= 0) return undefined;
  if (plan.endpoints && plan.endpoints.length > 0) return encodeEndpointsDelta(plan.endpoints, snap.version, base, snap.hash);
  if (!plan.routes) return undefined;
  const delta = encodeRoutesDelta(plan.routes, snap.version, base, snap.hash);
  return delta.body.length + ENVELOPE_BYTES > Math.min(maxMessageBytes, snap.body.length * 4) ? undefined : delta;
}

/** A snapshot as announced: itself, or a reference to the KV store when it is too large for one message. */
export function announcementOf(snap: SnapshotMessage, maxMessageBytes: number): SnapshotMessage | SnapshotRefMessage {
  if (snap.body.length + ENVELOPE_BYTES <= maxMessageBytes) return snap;
  return { type: MessageType.SnapshotRef, version: snap.version, hash: snap.hash, bytes: snap.body.length };
}
