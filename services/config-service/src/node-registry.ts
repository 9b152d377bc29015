import type { AckMessage, HeartbeatMessage, NodeView } from '@meshgate/protocol';

/** A node is down after this long without a heartbeat (three missed 1 s beats). */
export const NODE_DOWN_AFTER_MS = 3_000;

interface Entry {
  nodeId: string;
  version: number;
  hash: string;
  ready: boolean;
  workers: number;
  admin: string;
  leaving: boolean;
  lastSeen: number;
  ackedVersion: number;
  /** Per worker, the newest version it ACKed for itself (route deltas: see AckMessage.worker). */
  workerAcks: { version: number; hash: string }[];
  applyMs?: number;
  nack?: { version: number; error: string; at: number };
}

/**
 * What the config service knows of every proxy node: heartbeats (liveness,
 * version served) and ACK/NACKs. `meshgate get nodes` and `apply --wait`
 * read it.
 */
export class NodeRegistry {
  readonly #nodes = new Map<string, Entry>();
  readonly #onAcked: ((nodeId: string, version: number) => void) | undefined;

  /** `onAcked`: a node has a newer version (all its workers ACKed it). */
  constructor(onAcked?: (nodeId: string, version: number) => void) {
    this.#onAcked = onAcked;
  }

  #entry(nodeId: string): Entry {
    let e = this.#nodes.get(nodeId);
    if (!e) {
      e = { nodeId, version: 0, hash: '', ready: false, workers: 0, admin: '', leaving: false, lastSeen: 0, ackedVersion: 0, workerAcks: [] };
      this.#nodes.set(nodeId, e);
    }
    return e;
  }

  heartbeat(hb: HeartbeatMessage, now = Date.now()): void {
    const e = this.#entry(hb.nodeId);
    // A heartbeat sent before an ACK may arrive after it: versions only go up.
    if (hb.version >= e.version) { e.version = hb.version; e.hash = hb.hash; e.ready = hb.ready; }
    e.workers = hb.workers;
    e.admin = hb.admin;
    e.leaving = hb.state === 'leaving';
    e.lastSeen = now;
  }

  ack(a: AckMessage, now = Date.now()): void {
    const e = this.#entry(a.nodeId);
    e.lastSeen = now;
    e.leaving = false;
    if (a.ok && a.worker !== undefined && a.workers !== undefined && a.workers > 1) {
      // One worker's ACK: the node has the version once every one of its workers has ACKed it.
      const acks = e.workerAcks;
      acks.length = a.workers;
      for (let i = 0; i < a.workers; i++) if (!acks[i] || acks[i]!.version < e.ackedVersion) acks[i] = { version: e.ackedVersion, hash: e.hash };
      if (a.version > acks[a.worker]!.version) acks[a.worker] = { version: a.version, hash: a.hash };
      const all = acks.reduce((lo, x) => (x.version < lo.version ? x : lo));
      if (all.version > e.ackedVersion) {
        const { worker: _w, workers: _n, ...node } = a;
        this.ack({ ...node, version: all.version, hash: all.hash }, now);
      }
      return;
    }
    if (a.version >= e.version) { e.version = a.version; e.hash = a.hash; }
    if (a.ok) {
      if (a.version > e.ackedVersion) this.#onAcked?.(e.nodeId, a.version);
      e.ackedVersion = Math.max(e.ackedVersion, a.version);
      e.ready = true;
      if (a.applyMs !== undefined) e.applyMs = a.applyMs;
      if (e.nack && e.nack.version <= a.version) delete e.nack;
    } else {
      e.nack = { version: a.refused ?? 0, error: a.error ?? 'refused', at: a.at };
    }
  }

  view(now = Date.now()): NodeView[] {
    return [...this.#nodes.values()].sort((a, b) => (a.nodeId < b.nodeId ? -1 : 1)).map((e) => {
      const state = e.leaving ? 'leaving' : now - e.lastSeen <= NODE_DOWN_AFTER_MS ? 'up' : 'down';
      const v: NodeView = {
        nodeId: e.nodeId, state, version: e.version, hash: e.hash, ready: e.ready, workers: e.workers, admin: e.admin,
        lastSeen: e.lastSeen, ackedVersion: e.ackedVersion,
        ...(e.applyMs !== undefined ? { applyMs: e.applyMs } : {}),
        ...(e.nack ? { nack: { ...e.nack } } : {}),
      };
      return v;
    });
  }

  /** Forget nodes down for a long time (a restarted node gets a new id by default). */
  prune(now = Date.now(), afterMs = 10 * 60_000): void {
    for (const [id, e] of this.#nodes) if (now - e.lastSeen > afterMs) this.#nodes.delete(id);
  }
}
