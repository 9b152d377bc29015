/**
 * Message types that cross a process boundary. Discriminated unions keyed by
 * a versioned `type`; `as const` objects instead of enums (type stripping).
 */
export const MessageType = {
  Snapshot: 'config.v1.snapshot',
  SnapshotGet: 'config.v1.snapshot.get',
  Liveness: 'health.v1.liveness',
  Heartbeat: 'node.v1.heartbeat',
  EndpointsDelta: 'config.v1.endpoints',
  RoutesDelta: 'config.v1.routes',
  SnapshotRef: 'config.v1.snapshot.ref',
  Ack: 'config.v1.ack',
  LimitDemand: 'limits.v1.demand',
} as const;

/** A routing snapshot as it travels: the body stays compressed until a node decodes it once. */
export interface SnapshotMessage {
  readonly type: typeof MessageType.Snapshot;
  /** Monotonically increasing across config-service restarts. */
  readonly version: number;
  /** sha256 (hex) of the uncompressed encoded body: equal hash, equal config. */
  readonly hash: string;
  readonly createdAt: number;
  /** Snapshot format version of `body` (see snapshot.ts). */
  readonly format: number;
  /** encodeSnapshotBody() output: msgpack records, then zstd (or gzip on Node without zstd). */
  readonly body: Uint8Array;
  /** Ed25519 signature over signingPayload() (snapshot-signing.ts); absent when the config service has no key. */
  readonly signature?: Uint8Array;
  /** Which key signed it: the first 16 hex digits of sha256(SPKI DER). */
  readonly keyId?: string;
  /** W3C traceparent of the config service's publish span: links each node's apply span to it (not signed: telemetry only). */
  readonly traceparent?: string;
}

/**
 * What every delta carries: it applies on top of version `base` and yields
 * version `version` whose full content hashes to `hash`. What it leaves out
 * is never re-sent; a node that is not at `base` resyncs.
 */
interface DeltaFields {
  readonly version: number;
  readonly base: number;
  readonly hash: string;
  readonly createdAt: number;
  readonly format: number;
  /** msgpack of the changes, uncompressed: they are small. */
  readonly body: Uint8Array;
  readonly signature?: Uint8Array;
  readonly keyId?: string;
  /** W3C traceparent of the config service's publish span: links each node's apply span to it (not signed: telemetry only). */
  readonly traceparent?: string;
}

/** Endpoint changes only (delta xDS's EDS): `body` is EndpointChange[] (endpoint-delta.ts). */
export interface EndpointsDeltaMessage extends DeltaFields {
  readonly type: typeof MessageType.EndpointsDelta;
}

/**
 * Route and backend changes (delta xDS's RDS and CDS): `body` is
 * RouteChanges (route-delta.ts). Workers patch their route table instead of
 * decoding and compiling every rule.
 */
export interface RoutesDeltaMessage extends DeltaFields {
  readonly type: typeof MessageType.RoutesDelta;
}

/** "v`version` is out, too large for one NATS message: read it from the KV store." */
export interface SnapshotRefMessage {
  readonly type: typeof MessageType.SnapshotRef;
  readonly version: number;
  readonly hash: string;
  readonly bytes: number;
  /** W3C traceparent of the config service's publish span: links each node's apply span to it (not signed: telemetry only). */
  readonly traceparent?: string;
}

/** A node's answer to a snapshot or delta: ACK (applied in every worker) or NACK (refused, kept `version`). */
export interface AckMessage {
  readonly type: typeof MessageType.Ack;
  readonly nodeId: string;
  readonly ok: boolean;
  /** The version the node serves now (after an ACK: the new one; after a NACK: the one it kept). */
  readonly version: number;
  readonly hash: string;
  /** NACK: the version it refused, and why. */
  readonly refused?: number;
  readonly error?: string;
  /** ACK: ms from receiving the snapshot to the node seeing every worker serving it. */
  readonly applyMs?: number;
  /**
   * ACK: when the last of the node's workers swapped the new version in and
   * served it from its next request (epoch ms, fractional): the moment the
   * node serves the change, before the news reached the node's main thread
   * and went out as this ACK.
   */
  readonly servingAt?: number;
  /**
   * A worker's own ACK or NACK: each worker takes route deltas straight from
   * NATS and answers for itself (`worker` is its index, `workers` the node's
   * worker count). The node has a version once all `workers` have ACKed it;
   * ACKs without `worker` speak for the whole node.
   */
  readonly worker?: number;
  readonly workers?: number;
  /** When the ACK was sent (epoch ms). */
  readonly at: number;
}

export interface SnapshotGetMessage {
  readonly type: typeof MessageType.SnapshotGet;
  /** The version the asker already has (0 for none). */
  readonly have: number;
}

export interface EndpointLiveness {
  /** EndpointConfig.id: 'address:port'. */
  readonly endpoint: string;
  readonly healthy: boolean;
  /** Why, for `meshgate get backends`: 'HTTP 200', 'connect ECONNREFUSED', 'timeout after 500 ms'. */
  readonly reason: string;
  /** When the agent last changed its mind (ms since epoch). */
  readonly since: number;
}

export interface LivenessMessage {
  readonly type: typeof MessageType.Liveness;
  readonly agent: string;
  /** 'delta' carries changes only; 'full' the agent's whole view (periodic, and on join). */
  readonly kind: 'delta' | 'full';
  readonly seq: number;
  readonly endpoints: readonly EndpointLiveness[];
  /** When the agent sent it (its clock, ms since epoch); signed, so a node can refuse an old one replayed. */
  readonly at?: number;
  /** When this run of the agent started (ms since epoch): `seq` counts from 0 again in each run. */
  readonly boot?: number;
  /** Ed25519 signature over livenessPayload() (liveness-signing.ts); absent when the agent has no --signing-key. */
  readonly signature?: Uint8Array;
  readonly keyId?: string;
}

export interface HeartbeatMessage {
  readonly type: typeof MessageType.Heartbeat;
  readonly nodeId: string;
  readonly version: number;
  readonly hash: string;
  readonly ready: boolean;
  readonly workers: number;
  readonly admin: string;
  /** 'leaving' is sent once by a draining node. */
  readonly state: 'up' | 'leaving';
  readonly at: number;
}

/**
 * A proxy node's demand on its cluster-wide rate-limit keys (tell, every
 * exchange interval while it has any, on `<limits>.<node id>`): the request
 * rate it sees per key, so each node can take its share of every limit
 * (services/proxy-node/src/limit-exchange.ts). Keys are hashes, never addresses.
 */
export interface LimitDemandMessage {
  readonly type: typeof MessageType.LimitDemand;
  readonly nodeId: string;
  readonly at: number;
  /** Key ids (keyId of limit-table.ts: the same on every node for one route and client). */
  readonly keys: readonly number[];
  /** Requests per second arriving here, per key (smoothed), in the order of `keys`. */
  readonly rates: readonly number[];
}

export type MeshMessage = SnapshotMessage | SnapshotGetMessage | LivenessMessage | HeartbeatMessage | EndpointsDeltaMessage | SnapshotRefMessage | AckMessage;
