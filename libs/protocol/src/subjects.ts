/**
 * NATS subjects, one per flow. Versioned like the message types so a v2 can
 * run beside a v1 during an upgrade. A `prefix` lets several meshes share one
 * NATS server (tests run many meshes against one server that way).
 */
export interface Subjects {
  /** config-service -> every proxy node and health agent: a new snapshot (tell). */
  readonly snapshot: string;
  /** any -> config-service: "send me the latest snapshot" (ask). */
  readonly snapshotGet: string;
  /** health agents -> proxy nodes: liveness changes and periodic full views (tell). */
  readonly liveness: string;
  /**
   * proxy nodes -> config service and agents: heartbeats with applied version
   * (tell). A node publishes on `<heartbeat>.<node id>` (nodeSubject), so NATS
   * permissions can limit each node's login to its own; receivers subscribe to
   * `<heartbeat>.>` and drop a message whose nodeId is not its subject's.
   */
  readonly heartbeat: string;
  /**
   * proxy nodes -> config service (its dashboard): per-route request,
   * error and latency counts since the node's last summary (tell,
   * metrics-messages.ts), on `<metrics>.<node id>` like heartbeats.
   */
  readonly metrics: string;
  /** any -> a health agent: endpoint and node liveness with reasons (ask; health-messages.ts). */
  readonly healthStatus: string;
  /** health agents -> anyone: proxy node up/down/leaving changes (tell). */
  readonly healthNodes: string;
  /** config-service -> nodes: endpoint-only changes (EndpointsDeltaMessage, tell). */
  readonly endpoints: string;
  /** config-service -> nodes: route and backend changes (RoutesDeltaMessage, tell). */
  readonly routes: string;
  /** proxy nodes -> config service: ACK/NACK of each snapshot or delta (tell), on `<ack>.<node id>` like heartbeats. */
  readonly ack: string;
  /** proxy nodes -> proxy nodes: demand on cluster-wide rate limits (LimitDemandMessage, tell), on `<limits>.<node id>` like heartbeats. */
  readonly limits: string;
  /** CLI -> config service: apply, delete, get (ask; admin-messages.ts). */
  readonly admin: string;
  /** JetStream KV bucket holding the durable latest snapshot and applied objects. */
  readonly kvBucket: string;
}

export function subjects(prefix = 'meshgate'): Subjects {
  return {
    snapshot: `${prefix}.config.v1.snapshot`,
    snapshotGet: `${prefix}.config.v1.snapshot.get`,
    liveness: `${prefix}.health.v1.liveness`,
    heartbeat: `${prefix}.node.v1.heartbeat`,
    metrics: `${prefix}.node.v1.metrics`,
    healthStatus: `${prefix}.health.v1.status`,
    healthNodes: `${prefix}.health.v1.nodes`,
    endpoints: `${prefix}.config.v1.endpoints`,
    routes: `${prefix}.config.v1.routes`,
    ack: `${prefix}.config.v1.ack`,
    admin: `${prefix}.config.v1.admin`,
    limits: `${prefix}.limits.v1.demand`,
    kvBucket: `${prefix.replace(/[^-\w]/g, '_')}-config`,
  };
}

/**
 * A node id as it goes into subjects: letters, digits, `-` and `_`, with
 * single dots between them (a host name is fine). Returns what is wrong, or
 * undefined when the id is usable.
 */
export function nodeIdProblem(nodeId: string): string | undefined {
  if (nodeId === '') return 'is empty';
  if (nodeId.length > 200) return `is ${nodeId.length} characters long (at most 200)`;
  if (!/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/.test(nodeId)) {
    return 'may hold only letters, digits, "-" and "_", with single dots between them (it becomes part of NATS subjects)';
  }
  return undefined;
}

/** A usable node id made from any text (for defaults such as the host name): other characters become "-". */
export function toNodeId(text: string): string {
  const id = text.replace(/[^A-Za-z0-9_.-]/g, '-').replace(/\.{2,}/g, '.').replace(/^\.+|\.+$/g, '').slice(0, 200);
  return id === '' ? 'node' : id;
}

/** The subject one node publishes its heartbeats or ACKs on: `<base>.<node id>`. */
export function nodeSubject(base: string, nodeId: string): string {
  return `${base}.${nodeId}`;
}

/** The subscription that receives every node's messages of `base`. */
export function allNodesSubject(base: string): string {
  return `${base}.>`;
}

/**
 * Whether a heartbeat or ACK came on its own node's subject: a login allowed
 * only `<base>.<its node>` cannot speak for another node this way.
 */
export function isFromOwnSubject(base: string, subject: string, nodeId: unknown): boolean {
  return typeof nodeId === 'string' && subject.length === base.length + 1 + nodeId.length && subject === `${base}.${nodeId}`;
}

/**
 * A subscription handler for `<base>.>` that passes on messages whose nodeId
 * matches their subject and reports the others through `spoofed` (at most
 * once a minute per subject and claimed node, so a flood cannot flood the log too).
 */
export function fromOwnSubjectOnly<T extends { nodeId?: unknown }>(
  base: string,
  handler: (data: T) => void,
  spoofed: (subject: string, claimedNodeId: unknown) => void,
): (m: { subject: string; data: unknown }) => void {
  const lastReport = new Map<string, number>();
  return (m) => {
    const data = m.data as T | undefined;
    if (isFromOwnSubject(base, m.subject, data?.nodeId)) { handler(data!); return; }
    const now = Date.now();
    const key = `${m.subject} ${String(data?.nodeId)}`;
    if ((lastReport.get(key) ?? 0) + 60_000 > now) return;
    if (lastReport.size > 1000) lastReport.clear();
    lastReport.set(key, now);
    spoofed(m.subject, data?.nodeId);
  };
}
