/**
 * Messages between the node actor (main thread) and its data-plane workers,
 * over one MessagePort per worker. Snapshots arrive as the packed msgpack
 * bytes: the node decompressed and verified them once, each worker decodes
 * and compiles its own copy off the request path.
 */
import type { MessagePort } from 'node:worker_threads';
import type { NatsSecurity } from '@meshgate/actors';
import type { EndpointLiveness, RouteChanges, RoutesDeltaMessage } from '@meshgate/protocol';
import type { HeapStats } from '../heap-watch.ts';
import type { TlsProfile } from './tls-profile.ts';

export interface AppliedSnapshot {
  readonly version: number;
  readonly hash: string;
  readonly packed: Uint8Array;
  /** The node's apply span: the worker's compile span is its child (tracing only). */
  readonly traceparent?: string;
  /** Route deltas on top of `packed`, in order: the worker compiles `packed`, then patches each (a replacement worker's start). */
  readonly deltas?: readonly AppliedDelta[];
}

/** A route delta for the workers: patch version `base` into `version`. */
export interface AppliedDelta {
  readonly version: number;
  readonly base: number;
  readonly hash: string;
  readonly changes: RouteChanges;
  readonly traceparent?: string;
}

export type ToWorker =
  | { type: 'worker.v1.snapshot'; snapshot: AppliedSnapshot }
  | { type: 'worker.v1.delta'; delta: AppliedDelta }
  | { type: 'worker.v1.liveness'; kind: 'delta' | 'full'; endpoints: readonly EndpointLiveness[] }
  /** Send the route deltas taken from NATS that the node has not heard of yet, now (`worker.v1.routes`, reply: true). */
  | { type: 'worker.v1.report' }
  | { type: 'worker.v1.drain'; graceMs: number };

export type FromWorker =
  | { type: 'worker.v1.listening'; index: number; threadId: number }
  /** `at`: when the worker swapped the version in (epoch ms, fractional): its next request is served by it. */
  | { type: 'worker.v1.applied'; index: number; version: number; hash: string; durationMs: number; at: number }
  | { type: 'worker.v1.rejected'; index: number; version: number; error: string }
  | { type: 'worker.v1.stats'; index: number; requests: Record<string, number>; open: number; metrics?: unknown; heap?: HeapStats }
  /**
   * Route deltas this worker applied straight from NATS (and ACKed itself),
   * in order, as signed: sent with the next stats (at most a second later),
   * or at once when the node asked (`reply`).
   */
  | { type: 'worker.v1.routes'; index: number; routes: RoutesDeltaMessage[]; reply: boolean }
  /** A route delta from NATS not on this worker's version (`have`): it needs the node's snapshot and deltas. */
  | { type: 'worker.v1.gap'; index: number; version: number; base: number; have: number; error?: string }
  /** A route delta from NATS this worker refused (forged, corrupt, stale) and NACKed; it keeps `kept`. */
  | { type: 'worker.v1.nack'; index: number; refused: number; kept: number; error: string };

export interface ListenAddress { host: string; port: number }

/**
 * Route deltas straight from NATS: each worker connects with the node's NATS
 * settings, subscribes to the route-delta subject, verifies, patches its
 * table and ACKs for itself. One thread wakes per change instead of three
 * (the node's main thread, the worker, the main thread again for the ACK);
 * the main thread hears of the deltas with the worker's next stats.
 */
export interface WorkerControl {
  servers: string[];
  security?: NatsSecurity;
  /** Connection name (the node's, plus the worker index). */
  name: string;
  routesSubject: string;
  /** This node's ACK subject (the NATS user may publish on its own node's subjects only). */
  ackSubject: string;
  /** The node's worker count: each worker's ACK says it, so the config service knows when all have a version. */
  workers: number;
  /** --trust-key as SPKI DER: only deltas it signed are applied. */
  trustKey?: Uint8Array;
}

/** The one long-running piscina task each worker runs. */
export interface ServeTask {
  index: number;
  nodeId: string;
  port: MessagePort;
  http: ListenAddress;
  https?: ListenAddress;
  /** The node's current snapshot and liveness: a replacement worker starts from them. */
  snapshot?: AppliedSnapshot;
  liveness?: readonly EndpointLiveness[];
  /** TLS session ticket keys (48 bytes) shared by the node's workers, so a session resumes on any of them. */
  ticketKeys?: Uint8Array;
  limits?: Partial<DataPlaneLimits>;
  /** Set: this worker takes route deltas from NATS itself. */
  control?: WorkerControl;
  /** The node's rate-limit counters (LimitTable's buffer), shared by its workers. */
  limitTable?: SharedArrayBuffer;
}

/** Listener limits; defaults in data-plane.ts (`defaultLimits`), overridable by MESHGATE_* environment variables. */
export interface DataPlaneLimits {
  /** Time to receive a request's headers: past it the client gets 408. */
  headersTimeoutMs: number;
  /** Largest request header block: past it the client gets 431. */
  maxHeaderSize: number;
  /** Idle client keep-alive connections close after this. */
  keepAliveTimeoutMs: number;
  /** Longest pause between two reads of a request body: 408 past it (nginx client_body_timeout); unset: headersTimeoutMs. */
  bodyTimeoutMs?: number;
  accessLog: boolean;
  /** strict (default): `..;`-style segments and `%5C` in paths get 400 (`--path-strictness`). */
  pathStrictness?: 'strict' | 'relaxed';
  /** CIDRs (checked, parseCidrs) whose X-Forwarded-* headers are believed (`--trusted-proxies`); none: nobody's. */
  trustedProxies?: readonly string[];
  /** Mozilla TLS profile of every secure context (`--tls-profile`); default intermediate. */
  tlsProfile?: TlsProfile;
  /** A WebSocket tunnel with no byte either way for this long is closed (`--tunnel-idle-timeout`); 0: never. */
  tunnelIdleTimeoutMs?: number;
}
