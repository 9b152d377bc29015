import type { Subscription, Transport } from '@meshgate/actors';
import { MetricsMessageType, allNodesSubject, fromOwnSubjectOnly, type NodeMetricsMessage, type Subjects } from '@meshgate/protocol';
import type { Logger } from '@meshgate/telemetry';
import { HealthFeed } from './health-feed.ts';
import { RouteMetrics, type RouteMetricsOptions } from './route-metrics.ts';
import { DashboardServer } from './server.ts';
import { nodesSection, objectsSection, routingSection, summarySection, type DashboardSources } from './views.ts';

export interface DashboardOptions {
  host: string;
  port: number;
  transport: Transport;
  subjects: Subjects;
  log: Logger;
  /** What the config actor knows now (it answers `config.v1.dashboard`). */
  sources(): Promise<DashboardSources>;
  metrics?: RouteMetricsOptions;
}

export interface Dashboard {
  readonly url: string;
  /** The config actor published a version or a node ACKed one: the page shows it. */
  changed(): void;
  close(): Promise<void>;
}

/** The sections of the page, each sent as one server-sent event when it changes. */
const CONFIG_SECTIONS = { summary: summarySection, nodes: nodesSection, objects: objectsSection, routing: routingSection } as const;
const SECTIONS = [...Object.keys(CONFIG_SECTIONS), 'changes', 'health', 'metrics'] as const;
/** Changes close together go out as one update. */
const COALESCE_MS = 30;

/**
 * The config service's web dashboard (`--dashboard HOST:PORT`): read-only,
 * live. The config sections come from the config actor (asked when it says
 * something changed, and each second while a page is open, for node
 * liveness); endpoint health from the agents (health-feed.ts); traffic from
 * the nodes' summaries (route-metrics.ts). Each section is sent again only
 * when its JSON differs from what was sent.
 */
export async function startDashboard(o: DashboardOptions): Promise<Dashboard> {
  const metrics = new RouteMetrics(o.metrics);
  let live: LiveSections | undefined;
  const health = new HealthFeed({ transport: o.transport, subjects: o.subjects, onChange: (endpoints) => live?.healthChanged(endpoints) });
  const server: DashboardServer = new DashboardServer({
    host: o.host, port: o.port,
    state: () => live!.state(),
    onClients: (n) => { if (n > 0) void health.ask(); },
  });
  live = new LiveSections(o, server, health, metrics);
  const url = await server.listen();
  health.start();
  const subs: Subscription[] = [
    o.transport.subscribe(allNodesSubject(o.subjects.metrics), fromOwnSubjectOnly<NodeMetricsMessage>(o.subjects.metrics, (m) => {
      if (m?.type === MetricsMessageType.NodeMetrics && Array.isArray(m.routes) && Array.isArray(m.le)) metrics.add(m);
    }, () => {})),
  ];
  // Node liveness turns by time (no heartbeat for 3 s): look each second while a page is open.
  const second = setInterval(() => live.configChanged(), 1_000);
  const bucket = setInterval(() => live.metricsTick(), metrics.bucketMs);
  second.unref();
  bucket.unref();
  o.log.info('dashboard listening', { url });
  return {
    url,
    changed: () => live.configChanged(),
    async close() {
      clearInterval(second);
      clearInterval(bucket);
      live.stop();
      for (const sub of subs) sub.unsubscribe();
      health.stop();
      await server.close();
    },
  };
}

/**
 * The JSON of each section as last sent, and what to send next: config
 * sections when the actor (or the clock) says they may have changed, the
 * endpoints whose health changed, the traffic view each bucket. Changes
 * close together go out in one flush; nothing is computed while no page is
 * open (a new page gets a fresh read).
 */
class LiveSections {
  readonly #sent = new Map<string, string>();
  readonly #health = new Set<string>();
  #configDirty = true;
  #timer: NodeJS.Timeout | undefined;
  #reading: Promise<void> | undefined;

  readonly o: DashboardOptions;
  readonly server: DashboardServer;
  readonly health: HealthFeed;
  readonly metrics: RouteMetrics;

  constructor(o: DashboardOptions, server: DashboardServer, health: HealthFeed, metrics: RouteMetrics) {
    this.o = o;
    this.server = server;
    this.health = health;
    this.metrics = metrics;
  }

  configChanged(): void {
    this.#configDirty = true;
    this.#schedule();
  }

  healthChanged(endpoints: readonly string[]): void {
    for (const e of endpoints) this.#health.add(e);
    this.#schedule();
  }

  /** A new page's first state: what is pending goes to the open pages first, so they all stay in step. */
  async state(): Promise<string> {
    await this.#reading;
    this.#configDirty = true;
    await this.#flushing();
    this.#sent.set('metrics', JSON.stringify(this.metrics.view ?? null));
    return `{${SECTIONS.map((k) => `${JSON.stringify(k)}:${this.#sent.get(k) ?? 'null'}`).join(',')}}`;
  }

  metricsTick(): void {
    const view = this.metrics.tick();
    if (!view || this.server.clients === 0) return;
    const json = JSON.stringify(view);
    if (this.#sent.get('metrics') === json) return;
    this.#sent.set('metrics', json);
    this.server.send('metrics', json);
  }

  stop(): void {
    clearTimeout(this.#timer);
  }

  #schedule(): void {
    if (this.#timer !== undefined || this.server.clients === 0) return;
    this.#timer = setTimeout(() => void this.#flushing(), COALESCE_MS);
  }

  #flushing(): Promise<void> {
    const r = this.#flush().catch((err: unknown) => this.o.log.warn('dashboard update failed', { error: (err as Error).message }));
    this.#reading = r;
    void r.finally(() => { if (this.#reading === r) this.#reading = undefined; });
    return r;
  }

  /** Sends what changed since the last flush: config sections, and health of the endpoints that changed. */
  async #flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#configDirty) for (const name of await this.#readConfig()) this.server.send(name, this.#sent.get(name)!);
    if (this.#health.size === 0 && this.#sent.has('health')) return;
    const h = this.health;
    const delta = { agent: h.agent, at: h.agentAt, endpoints: Object.fromEntries([...this.#health].map((k) => [k, h.endpoints.get(k) ?? null])) };
    this.#health.clear();
    this.#sent.set('health', JSON.stringify({ agent: h.agent, at: h.agentAt, endpoints: Object.fromEntries(h.endpoints) }));
    this.server.send('health-delta', JSON.stringify(delta));
  }

  /** Asks the actor and keeps each config section's JSON; returns the sections that changed. */
  async #readConfig(): Promise<string[]> {
    this.#configDirty = false;
    const s = await this.o.sources();
    const changed: string[] = [];
    const keep = (name: string, value: unknown) => {
      const json = JSON.stringify(value);
      if (this.#sent.get(name) !== json) { this.#sent.set(name, json); changed.push(name); }
    };
    for (const [name, make] of Object.entries(CONFIG_SECTIONS)) keep(name, (make as (x: DashboardSources) => unknown)(s));
    keep('changes', s.changes);
    return changed;
  }
}
