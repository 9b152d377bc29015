/**
 * Health-agent messages beyond the liveness broadcast of messages.ts: the
 * status request/reply behind `meshgate get nodes|backends`, node liveness
 * changes, and the chunking fields of a large full liveness view.
 */
import type { LivenessMessage } from './messages.ts';

export const HealthMessageType = {
  StatusGet: 'health.v1.status.get',
  Status: 'health.v1.status',
  Nodes: 'health.v1.nodes',
} as const;

/** Ask any health agent for its view (request/reply on `<prefix>.health.v1.status`). */
export interface HealthStatusRequest {
  readonly type: typeof HealthMessageType.StatusGet;
}

/** One backend endpoint as an agent sees it. */
export interface EndpointStatus {
  /** EndpointConfig.id: 'address:port'. */
  readonly endpoint: string;
  readonly healthy: boolean;
  /** Last probe result: 'HTTP 200', 'connect ECONNREFUSED', 'timeout after 250 ms', 'not probed yet'. */
  readonly reason: string;
  /** When the agent last changed its mind about this endpoint (ms since epoch). */
  readonly since: number;
  /** BackendConfig ids this endpoint serves ('default/users:80'). */
  readonly backends: readonly string[];
  /** Kubernetes Node name, for NodePort endpoints. */
  readonly node?: string;
  /** How it is checked: 'http GET /healthz 200-399' or 'tcp'. */
  readonly check: string;
  /** When the last probe finished (ms since epoch; 0 = none yet). */
  readonly lastProbe: number;
}

/** One proxy node as an agent sees it, from its heartbeats. */
export interface NodeStatus {
  readonly nodeId: string;
  /** True while heartbeats come in and the node has not announced it leaves. */
  readonly up: boolean;
  readonly state: 'up' | 'down' | 'leaving';
  /** When `up` last changed (ms since epoch). */
  readonly since: number;
  /** 'heartbeat', 'no heartbeat for 1612 ms', 'left (draining)'. */
  readonly reason: string;
  /** Snapshot version the node last reported as applied. */
  readonly version: number;
  /** Whether every worker of the node serves that version. */
  readonly ready: boolean;
  /** Last heartbeat (ms since epoch, this agent's clock). */
  readonly lastSeen: number;
  /** The node's admin URL, from its heartbeat. */
  readonly admin: string;
}

/** Probe scheduler numbers, for operators and the benchmark. */
export interface ProbeStats {
  readonly endpoints: number;
  readonly intervalMs: number;
  /** Probes started per second over the last stats window. */
  readonly probesPerSecond: number;
  /** How late probes started against their schedule, ms (last window). */
  readonly lateP50Ms: number;
  readonly lateP99Ms: number;
  readonly lateMaxMs: number;
  /** Probes skipped because the previous one of that endpoint was still running. */
  readonly skippedBusy: number;
  readonly inFlight: number;
  readonly started: number;
}

export interface HealthStatusReply {
  readonly type: typeof HealthMessageType.Status;
  /** The answering agent (several may run; the first to answer wins). */
  readonly agent: string;
  readonly at: number;
  readonly endpoints: readonly EndpointStatus[];
  readonly nodes: readonly NodeStatus[];
  readonly probes: ProbeStats;
}

/** Node liveness changes, published on `<prefix>.health.v1.nodes` (every agent publishes its own). */
export interface NodeLivenessMessage {
  readonly type: typeof HealthMessageType.Nodes;
  readonly agent: string;
  readonly nodes: readonly NodeStatus[];
}

/**
 * A full liveness view larger than one message is sent in parts: every part
 * of one view carries the same `epoch` and its index out of `parts`. A
 * receiver prunes what the view no longer lists only once it saw every part.
 */
export interface LivenessViewPart extends LivenessMessage {
  readonly epoch?: number;
  readonly part?: number;
  readonly parts?: number;
}
