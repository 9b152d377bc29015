import type { HeartbeatMessage, NodeStatus } from '@meshgate/protocol';

/**
 * Proxy node membership from heartbeats (nodes send one a second). A node is
 *   up       while heartbeats come in,
 *   down     when none came for `timeoutMs` (it died, hangs, or lost NATS),
 *   leaving  once it announced it drains (a 'leaving' heartbeat); it stays
 *            'leaving' rather than turning 'down' when its heartbeats stop,
 *            since that is expected,
 * and up again with its next heartbeat. Nodes silent for `forgetMs` are
 * dropped from the list (as a cluster forgets a deleted member).
 *
 * The default timeout is 1.5 heartbeats: one lost or late heartbeat does not
 * mark a node down, a dead one is down within 2 s. A false 'down' costs
 * nothing but a log line and a status entry: node membership does not steer
 * traffic (clients reach nodes through the kernel's SO_REUSEPORT or an outer
 * load balancer).
 */
export interface NodeMembershipOptions {
  timeoutMs?: number;
  forgetMs?: number;
  now?: () => number;
}

interface Member {
  nodeId: string;
  state: NodeStatus['state'];
  since: number;
  reason: string;
  version: number;
  ready: boolean;
  lastSeen: number;
  admin: string;
}

export class NodeMembership {
  readonly timeoutMs: number;
  readonly #forgetMs: number;
  readonly #now: () => number;
  readonly #members = new Map<string, Member>();

  constructor(opts: NodeMembershipOptions = {}) {
    this.timeoutMs = opts.timeoutMs ?? 1_500;
    this.#forgetMs = opts.forgetMs ?? 10 * 60_000;
    this.#now = opts.now ?? Date.now;
  }

  /** Applies one heartbeat; returns the node's status when its state changed. */
  heartbeat(hb: HeartbeatMessage): NodeStatus | undefined {
    const now = this.#now();
    const prev = this.#members.get(hb.nodeId);
    const state: Member['state'] = hb.state === 'leaving' ? 'leaving' : 'up';
    const changed = !prev || prev.state !== state;
    const reason = state === 'leaving' ? 'left (draining)'
      : prev?.state === 'down' ? `heartbeat again after ${now - prev.lastSeen} ms`
      : changed ? 'heartbeat' : prev.reason;
    const m: Member = {
      nodeId: hb.nodeId, state, since: changed ? now : prev.since, reason,
      version: hb.version, ready: hb.ready, lastSeen: now, admin: hb.admin,
    };
    this.#members.set(hb.nodeId, m);
    return changed ? statusOf(m) : undefined;
  }

  /** Marks silent nodes down and forgets long-gone ones; returns the nodes that changed state. */
  tick(): NodeStatus[] {
    const now = this.#now();
    const changed: NodeStatus[] = [];
    for (const m of this.#members.values()) {
      const silent = now - m.lastSeen;
      if (silent > this.#forgetMs) { this.#members.delete(m.nodeId); continue; }
      if (m.state === 'up' && silent > this.timeoutMs) {
        m.state = 'down';
        m.since = now;
        m.reason = `no heartbeat for ${silent} ms`;
        changed.push(statusOf(m));
      }
    }
    return changed;
  }

  list(): NodeStatus[] {
    return [...this.#members.values()].map(statusOf).sort((a, b) => a.nodeId.localeCompare(b.nodeId));
  }
}

function statusOf(m: Member): NodeStatus {
  return {
    nodeId: m.nodeId, up: m.state === 'up', state: m.state, since: m.since, reason: m.reason,
    version: m.version, ready: m.ready, lastSeen: m.lastSeen, admin: m.admin,
  };
}
