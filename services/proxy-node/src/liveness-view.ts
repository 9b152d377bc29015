import type { EndpointLiveness, LivenessMessage, LivenessViewPart } from '@meshgate/protocol';

/**
 * How a proxy node combines the liveness views of several health agents.
 *
 * Rule: per endpoint, the newest observation wins. Each agent reports, per
 * endpoint, its verdict and `since` (when that agent last changed its mind);
 * the node keeps every agent's latest report and serves the one with the
 * greatest `since` (a tie goes to "down", then to the smaller agent id, so
 * every node picks the same). Why this rule:
 *
 * - No flapping: the merged verdict changes only when some agent changes
 *   its mind. Periodic full views re-send unchanged `since` values, so two
 *   agents that disagree cannot take turns winning (as "last message
 *   received wins" would, every 5 s).
 * - No lost coverage: a surviving agent's next change is newer than anything
 *   a dead agent said, so it wins at once; killing one of two agents changes
 *   nothing until the survivor sees something new.
 * - Conservative on disagreement: an endpoint that one agent cannot reach is
 *   out as soon as that agent says so, until an agent sees it recover.
 *   (Quorum would need three agents to tolerate losing one.)
 *
 * Agents' clocks are compared, so they need NTP-level agreement: with skew S,
 * a disagreement between agents resolves in favour of the one ahead for S.
 *
 * An agent's view is dropped when it has been silent for `staleMs` (three
 * missed full views at the default 5 s) while another agent still talks, so
 * a dead agent's old claims cannot shadow the others' for long. The last
 * agent's view is never dropped that way: with no agent left, the last known
 * verdicts stay (and workers' passive health still acts).
 *
 * Full views: each one replaces the agent's earlier view, so endpoints it no
 * longer lists are forgotten (removed from the config). A view sent in parts
 * (LivenessViewPart) prunes only once every part of its epoch arrived. An
 * endpoint no agent reports is unknown, which workers treat as healthy.
 */
export interface MergedLiveness extends EndpointLiveness {
  /** The agent whose observation won. */
  readonly agent: string;
}

export interface LivenessViewOptions {
  /** Drop an agent's view after this long without a message from it (ms). Default 15,000. */
  staleMs?: number;
  now?: () => number;
}

interface AgentView {
  readonly entries: Map<string, EndpointLiveness>;
  lastHeard: number;
  epoch: number | undefined;
  partsSeen: Set<number>;
  confirmed: Set<string>;
}

const views = new WeakMap<Map<string, EndpointLiveness>, LivenessView>();

export class LivenessView {
  /** The merged view: endpoint -> winning observation. Owned by this view; read it, do not write it. */
  readonly merged: Map<string, EndpointLiveness>;
  readonly #agents = new Map<string, AgentView>();
  readonly #staleMs: number;
  readonly #now: () => number;

  /**
   * The view that maintains `merged` (created on first use). Lets the node
   * actor keep its `state.liveness` map as the merged view without holding
   * another field.
   */
  static for(merged: Map<string, EndpointLiveness>, opts?: LivenessViewOptions): LivenessView {
    let v = views.get(merged);
    if (!v) { v = new LivenessView(merged, opts); views.set(merged, v); }
    return v;
  }

  constructor(merged = new Map<string, EndpointLiveness>(), opts: LivenessViewOptions = {}) {
    this.merged = merged;
    this.#staleMs = opts.staleMs ?? 15_000;
    this.#now = opts.now ?? Date.now;
  }

  get agents(): string[] { return [...this.#agents.keys()]; }

  /**
   * Applies one agent message; returns the endpoints whose merged verdict
   * flipped (an endpoint nobody reports any more comes back as healthy, as
   * workers treat unknown endpoints). `sender` is whose view it updates:
   * the agent id, or with signed liveness the agent id and its key's id
   * (liveness-guard.ts), so one agent's key cannot rewrite another's view.
   */
  apply(msg: LivenessMessage | LivenessViewPart, sender = msg.agent): MergedLiveness[] {
    const now = this.#now();
    const touched = new Set<string>();
    let view = this.#agents.get(sender);
    if (!view) {
      view = { entries: new Map(), lastHeard: now, epoch: undefined, partsSeen: new Set(), confirmed: new Set() };
      this.#agents.set(sender, view);
    }
    view.lastHeard = now;
    for (const e of msg.endpoints) {
      view.entries.set(e.endpoint, { endpoint: e.endpoint, healthy: e.healthy, reason: e.reason, since: e.since });
      touched.add(e.endpoint);
    }
    if (msg.kind === 'full') this.#applyFull(view, msg as LivenessViewPart, touched);

    for (const [agent, v] of this.#agents) {
      if (agent === sender || now - v.lastHeard <= this.#staleMs) continue;
      this.#agents.delete(agent);
      for (const id of v.entries.keys()) touched.add(id);
    }
    return this.#recompute(touched);
  }

  #applyFull(view: AgentView, msg: LivenessViewPart, touched: Set<string>): void {
    const parts = msg.parts ?? 1;
    const epoch = msg.epoch ?? -1;
    if (view.epoch !== epoch || msg.parts === undefined) {
      view.epoch = epoch;
      view.partsSeen = new Set();
      view.confirmed = new Set();
    }
    view.partsSeen.add(msg.part ?? 0);
    for (const e of msg.endpoints) view.confirmed.add(e.endpoint);
    if (view.partsSeen.size < parts) return;
    for (const id of view.entries.keys()) {
      if (!view.confirmed.has(id)) { view.entries.delete(id); touched.add(id); }
    }
    view.epoch = undefined;
  }

  #recompute(ids: Iterable<string>): MergedLiveness[] {
    const flipped: MergedLiveness[] = [];
    for (const id of ids) {
      let best: MergedLiveness | undefined;
      for (const [agent, v] of this.#agents) {
        const e = v.entries.get(id);
        if (!e) continue;
        if (!best || wins(e, agent, best)) best = { ...e, agent };
      }
      const prev = this.merged.get(id);
      const wasHealthy = prev ? prev.healthy : true;
      if (best) this.merged.set(id, best);
      else this.merged.delete(id);
      const isHealthy = best ? best.healthy : true;
      if (wasHealthy !== isHealthy) {
        flipped.push(best ?? { endpoint: id, healthy: true, reason: 'no agent reports it any more', since: this.#now(), agent: (prev as MergedLiveness | undefined)?.agent ?? '' });
      }
    }
    return flipped;
  }
}

function wins(e: EndpointLiveness, agent: string, best: MergedLiveness): boolean {
  if (e.since !== best.since) return e.since > best.since;
  if (e.healthy !== best.healthy) return !e.healthy;
  return agent < best.agent;
}
