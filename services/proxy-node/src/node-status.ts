import type { EndpointLiveness } from '@meshgate/protocol';
import type { MetricsSnapshot } from '@meshgate/telemetry';
import type { HeapStats } from './heap-watch.ts';
import { SnapshotLedger, type SnapshotSource } from './snapshot-ledger.ts';
import { AckTracker } from './ack-tracker.ts';

/** The last snapshot or delta a node refused, and why (NACK). */
export interface Refusal { readonly version: number; readonly error: string; readonly at: number }

/** What /status, /metrics, readiness and tests read of a node: a read-only view. */
export interface NodeStatus {
  readonly nodeId: string;
  readonly version: number;
  readonly hash: string;
  readonly lastNack?: Refusal | undefined;
  /** Key id of the trusted signing key; '' when unsigned snapshots are accepted. */
  readonly trustedKey: string;
  /** Where the current version came from. */
  readonly source?: SnapshotSource | undefined;
  /** Route deltas a replacement worker would apply on top of the node's last full snapshot (folded when the node is quiet). */
  readonly routeDeltas: number;
  /** Version applied by each worker (0 = none yet). */
  readonly workerVersions: readonly number[];
  readonly lastError?: string | undefined;
  readonly draining: boolean;
  /** The merged liveness of every agent (liveness-view.ts). */
  readonly liveness: ReadonlyMap<string, EndpointLiveness>;
  readonly requests: readonly Record<string, number>[];
  readonly open: readonly number[];
  readonly applyMs: number;
  readonly workerRestarts: number;
  /** Each worker's cumulative metrics (latest stats message). */
  readonly metrics: readonly (MetricsSnapshot | undefined)[];
  /** Metrics of workers that died, so totals never go backwards when one is replaced. */
  readonly retiredMetrics: readonly MetricsSnapshot[];
  /** Each worker's V8 heap (latest stats message; heap-watch.ts). */
  readonly workerHeaps: readonly (HeapStats | undefined)[];
}

export function isReady(s: NodeStatus): boolean {
  return !s.draining && s.version > 0 && s.workerVersions.every((v) => v > 0);
}

/** /status: the view as plain JSON data (liveness as a list). */
export function statusJson(s: NodeStatus): Record<string, unknown> {
  return {
    nodeId: s.nodeId, version: s.version, hash: s.hash, workerVersions: s.workerVersions, draining: s.draining,
    liveness: [...s.liveness.values()], requests: s.requests, open: s.open, applyMs: s.applyMs, routeDeltas: s.routeDeltas,
    workerRestarts: s.workerRestarts, metrics: s.metrics, retiredMetrics: s.retiredMetrics, workerHeaps: s.workerHeaps,
    trustedKey: s.trustedKey, source: s.source, lastError: s.lastError, lastNack: s.lastNack,
  };
}

/** What each worker's statistics say, kept across worker replacements. */
export class WorkerStats {
  readonly requests: Record<string, number>[] = [];
  readonly open: number[] = [];
  readonly metrics: (MetricsSnapshot | undefined)[] = [];
  readonly retiredMetrics: MetricsSnapshot[] = [];
  readonly heaps: (HeapStats | undefined)[] = [];
  /** Time the last worker took to compile and swap a version. */
  applyMs = 0;
  restarts = 0;

  report(index: number, s: { requests: Record<string, number>; open: number; metrics?: unknown; heap?: HeapStats | undefined }): void {
    this.requests[index] = s.requests;
    this.metrics[index] = s.metrics as MetricsSnapshot | undefined;
    this.open[index] = s.open;
    if (s.heap) this.heaps[index] = s.heap;
  }

  /** Worker `index` died: its totals are kept, its replacement counts from zero. */
  exited(index: number): void {
    this.restarts++;
    const m = this.metrics[index];
    if (m) this.retiredMetrics.push(m);
    this.metrics[index] = undefined;
  }
}

/** The parts of a node actor: written only by it, read by the status view. Kept across actor restarts. */
export interface NodeParts<Span = unknown> {
  readonly ledger: SnapshotLedger;
  readonly acks: AckTracker<Span>;
  readonly stats: WorkerStats;
  /** The merged liveness of every agent (LivenessView.for keeps it). */
  readonly liveness: Map<string, EndpointLiveness>;
  readonly outcome: { lastError?: string | undefined; lastNack?: Refusal | undefined; draining: boolean };
}

export function createNodeParts<Span = unknown>(workers: number): NodeParts<Span> {
  return { ledger: new SnapshotLedger(), acks: new AckTracker<Span>(workers), stats: new WorkerStats(), liveness: new Map(), outcome: { draining: false } };
}

/** A read-only view over a node actor's parts: always current, never a copy. */
export function statusView(nodeId: string, trustedKey: string, p: NodeParts): NodeStatus {
  return {
    nodeId,
    trustedKey,
    get version() { return p.ledger.version; },
    get hash() { return p.ledger.hash; },
    get source() { return p.ledger.source; },
    get routeDeltas() { return p.ledger.deltaCount; },
    get workerVersions() { return p.acks.workerVersions; },
    get lastError() { return p.outcome.lastError; },
    get lastNack() { return p.outcome.lastNack; },
    get draining() { return p.outcome.draining; },
    liveness: p.liveness,
    requests: p.stats.requests,
    open: p.stats.open,
    get applyMs() { return p.stats.applyMs; },
    get workerRestarts() { return p.stats.restarts; },
    metrics: p.stats.metrics,
    retiredMetrics: p.stats.retiredMetrics,
    workerHeaps: p.stats.heaps,
  };
}
