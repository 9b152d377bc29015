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
  /** proxy nodes -> config service and agents: heartbeats with applied version (tell). */
  readonly heartbeat: string;
  /** any -> a health agent: endpoint and node liveness with reasons (ask; health-messages.ts). */
  readonly healthStatus: string;
  /** health agents -> anyone: proxy node up/down/leaving changes (tell). */
  readonly healthNodes: string;
  /** config-service -> nodes: endpoint-only changes (EndpointsDeltaMessage, tell). */
  readonly endpoints: string;
  /** proxy nodes -> config service: ACK/NACK of each snapshot or delta (tell). */
  readonly ack: string;
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
    healthStatus: `${prefix}.health.v1.status`,
    healthNodes: `${prefix}.health.v1.nodes`,
    endpoints: `${prefix}.config.v1.endpoints`,
    ack: `${prefix}.config.v1.ack`,
    admin: `${prefix}.config.v1.admin`,
    kvBucket: `${prefix.replace(/[^-\w]/g, '_')}-config`,
  };
}
