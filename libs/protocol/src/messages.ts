/**
 * Message types that cross a process boundary. Discriminated unions keyed by
 * a versioned `type`; `as const` objects instead of enums (type stripping).
 */
export const MessageType = {
  Snapshot: 'config.v1.snapshot',
  SnapshotGet: 'config.v1.snapshot.get',
  Liveness: 'health.v1.liveness',
  Heartbeat: 'node.v1.heartbeat',
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

export type MeshMessage = SnapshotMessage | SnapshotGetMessage | LivenessMessage | HeartbeatMessage;
