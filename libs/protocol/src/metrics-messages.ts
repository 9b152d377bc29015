/**
 * A proxy node's periodic traffic summary for the config service's
 * dashboard, on `<prefix>.node.v1.metrics.<node>`: what its workers counted
 * since the previous summary (deltas, not totals), per route. Sent about
 * once a second while requests flow, nothing while the node is idle.
 */
export const MetricsMessageType = {
  NodeMetrics: 'node.v1.metrics',
} as const;

/** One route's traffic over the interval: a route is an Ingress and the Service it sends to. */
export interface RouteTraffic {
  /** 'namespace/name' of the Ingress; '' for requests no rule matched. */
  readonly ingress: string;
  readonly service: string;
  /** Requests answered. */
  readonly requests: number;
  /** Of those, answered with a 5xx status. */
  readonly errors: number;
  /**
   * Request durations: [bucket index, count] pairs, flattened, for the
   * buckets that counted something (index into `le`, or `le.length` for
   * the overflow bucket).
   */
  readonly buckets: readonly number[];
}

export interface NodeMetricsMessage {
  readonly type: typeof MetricsMessageType.NodeMetrics;
  readonly nodeId: string;
  /** When the node sent it (its clock, ms since epoch). */
  readonly at: number;
  /** How long the summary covers, ms (0 for a node's first one). */
  readonly intervalMs: number;
  /** Upper bounds of the duration buckets, seconds (Prometheus `le`). */
  readonly le: readonly number[];
  readonly routes: readonly RouteTraffic[];
}
