/**
 * The request path's events: node:diagnostics_channel channels (undici does
 * the same) and their payloads, defined once here for both sides: the data
 * plane publishes (services/proxy-node/src/worker), and only while a channel
 * has subscribers, so with no tracing or metrics attached an event costs one
 * boolean check; proxy-instrumentation.ts subscribes and turns them into
 * spans and metrics. Subscribers keep their per-request state in `ctx.store`.
 */
import diagnostics from 'node:diagnostics_channel';
import type { IncomingHttpHeaders } from 'node:http';

export interface RequestInfo {
  method: string;
  host: string;
  /** The raw request-target. */
  target: string;
  /** Normalized path, '' when the target is invalid. */
  path: string;
  /** Read-only. */
  headers: IncomingHttpHeaders;
  remoteAddress: string;
  scheme: 'http' | 'https';
  httpVersion: string;
  node: string;
  worker: number;
  requestId: string;
  /** performance.now() when the request reached the handler. */
  startTime: number;
  /** Subscribers keep their state (e.g. a span) here. */
  store: Record<string, unknown>;
}

export interface UpstreamEndpointInfo { id: string; address: string; port: number }
export type EventError = Error & { code?: string };

export interface RequestStartEvent { ctx: RequestInfo }
export interface RequestRoutedEvent {
  ctx: RequestInfo;
  host: string;
  /** The matched rule path, e.g. '/users/*'. */
  path: string;
  pathType: string;
  ingress: string;
  /** Backend id, e.g. 'default/users-node-svc:80'. */
  backend: string;
  /** The matched rule: the same object for every request it matches in one snapshot (a cache key for per-route state). */
  rule: object;
}
export interface UpstreamStartEvent {
  ctx: RequestInfo;
  attempt: number;
  endpoint: UpstreamEndpointInfo;
  /**
   * The trace-context headers going upstream (`traceparent`, `tracestate`: the
   * client's when it sent them): subscribers MAY set or replace them before the
   * request is sent. The other outgoing headers are not in here: rendering them
   * per attempt cost more than everything else of the event.
   */
  headers: Record<string, string | string[]>;
}
export interface UpstreamEndEvent {
  ctx: RequestInfo;
  attempt: number;
  endpoint: UpstreamEndpointInfo;
  statusCode?: number;
  error?: EventError;
  /** The attempt failed to connect: it never reached the endpoint (isConnectError of @meshgate/upstream). */
  connectFailed?: boolean;
  /** Another attempt follows. */
  retried: boolean;
}
export interface RequestEndEvent {
  ctx: RequestInfo;
  statusCode: number;
  error?: EventError;
  bytesOut?: number;
  /** Set when an access rule refused the request: `ip`, `rate`, `cors`, `auth` or `mtls` (the access log's denied_by). */
  deniedBy?: string;
}
export interface EndpointEjectedEvent { endpoint: string; backend: string; reason: string; ms: number }
export interface TlsHandshakeEvent { servername?: string; protocol?: string; resumed: boolean }

/** The channel names: the contract with any other subscriber. */
export const CHANNELS = {
  requestStart: 'meshgate:request:start',
  requestRouted: 'meshgate:request:routed',
  upstreamStart: 'meshgate:upstream:start',
  upstreamEnd: 'meshgate:upstream:end',
  requestEnd: 'meshgate:request:end',
  endpointEjected: 'meshgate:endpoint:ejected',
  tlsHandshake: 'meshgate:tls:handshake',
} as const;

export const channels = {
  requestStart: diagnostics.channel(CHANNELS.requestStart),
  requestRouted: diagnostics.channel(CHANNELS.requestRouted),
  upstreamStart: diagnostics.channel(CHANNELS.upstreamStart),
  upstreamEnd: diagnostics.channel(CHANNELS.upstreamEnd),
  requestEnd: diagnostics.channel(CHANNELS.requestEnd),
  endpointEjected: diagnostics.channel(CHANNELS.endpointEjected),
  tlsHandshake: diagnostics.channel(CHANNELS.tlsHandshake),
} as const;

/** True when any per-request channel has a subscriber: only then is a RequestInfo built. */
export function requestEventsWanted(): boolean {
  return channels.requestStart.hasSubscribers || channels.requestRouted.hasSubscribers || channels.upstreamStart.hasSubscribers
    || channels.upstreamEnd.hasSubscribers || channels.requestEnd.hasSubscribers;
}
