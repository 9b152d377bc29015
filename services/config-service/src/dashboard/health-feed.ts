import type { Subscription, Transport } from '@meshgate/actors';
import {
  HealthMessageType, MessageType,
  type EndpointLiveness, type HealthStatusReply, type LivenessMessage, type Subjects,
} from '@meshgate/protocol';

/** One endpoint's health as the dashboard shows it. */
export interface EndpointHealth {
  readonly healthy: boolean;
  /** The last probe's result: 'HTTP 200', 'connect ECONNREFUSED', ... */
  readonly reason: string;
  /** Since when the agents say so (ms since epoch). */
  readonly since: number;
  /** How it is checked ('http GET /healthz 200-399', 'tcp'), once an agent said. */
  readonly check?: string;
}

export interface HealthFeedOptions {
  transport: Transport;
  subjects: Subjects;
  /** Something changed: `endpoints` are those that did (none: the answering agent changed). */
  onChange(endpoints: readonly string[]): void;
  /** How often to ask an agent for its whole view (endpoints it stopped listing go). */
  statusEveryMs?: number;
}

/**
 * Endpoint health for the dashboard: the agents' liveness broadcasts
 * (changes at once, full views every few seconds) and, now and then, one
 * agent's status (health.v1.status, as `meshgate get backends` asks) for
 * how each endpoint is checked. Several agents: per endpoint the newest
 * observation wins, as on the nodes.
 */
export class HealthFeed {
  readonly endpoints = new Map<string, EndpointHealth>();
  /** The agent whose status was read last, and when; '' before any answered. */
  agent = '';
  agentAt = 0;
  readonly #o: HealthFeedOptions;
  #sub: Subscription | undefined;
  #timer: NodeJS.Timeout | undefined;
  #asking = false;

  constructor(o: HealthFeedOptions) {
    this.#o = o;
  }

  start(): void {
    this.#sub = this.#o.transport.subscribe(this.#o.subjects.liveness, (m) => {
      const l = m.data as LivenessMessage;
      if (l?.type === MessageType.Liveness && Array.isArray(l.endpoints)) this.#merge(l.endpoints);
    });
    void this.ask();
    this.#timer = setInterval(() => void this.ask(), this.#o.statusEveryMs ?? 5_000);
    this.#timer.unref();
  }

  stop(): void {
    this.#sub?.unsubscribe();
    clearInterval(this.#timer);
  }

  /** Reads one agent's whole view; quietly nothing when no agent answers. */
  async ask(): Promise<void> {
    if (this.#asking) return;
    this.#asking = true;
    try {
      const r = await this.#o.transport.request<HealthStatusReply>(this.#o.subjects.healthStatus, { type: HealthMessageType.StatusGet }, 1_000);
      if (r?.type !== HealthMessageType.Status) return;
      const listed = new Set(r.endpoints.map((e) => e.endpoint));
      const gone = [...this.endpoints.keys()].filter((k) => !listed.has(k));
      for (const k of gone) this.endpoints.delete(k);
      const changed = this.#merge(r.endpoints, true);
      const agentChanged = this.agent !== r.agent;
      this.agent = r.agent;
      this.agentAt = r.at;
      if (gone.length > 0 || changed.length > 0 || agentChanged) this.#o.onChange([...gone, ...changed]);
    } catch {
      // No agent runs (or none answered in time): health stays as the broadcasts said.
    } finally {
      this.#asking = false;
    }
  }

  /** Takes the newer observations of `list`; returns (and, unless `quiet`, reports) the endpoints that changed. */
  #merge(list: readonly (EndpointLiveness & { check?: string })[], quiet = false): string[] {
    const changed: string[] = [];
    for (const e of list) {
      if (typeof e?.endpoint !== 'string') continue;
      const was = this.endpoints.get(e.endpoint);
      if (was && was.since > e.since) continue;
      const check = e.check ?? was?.check;
      const now: EndpointHealth = { healthy: e.healthy === true, reason: String(e.reason ?? ''), since: Number(e.since) || 0, ...(check ? { check } : {}) };
      if (was && was.healthy === now.healthy && was.reason === now.reason && was.since === now.since && was.check === now.check) continue;
      this.endpoints.set(e.endpoint, now);
      changed.push(e.endpoint);
    }
    if (changed.length > 0 && !quiet) this.#o.onChange(changed);
    return changed;
  }
}
