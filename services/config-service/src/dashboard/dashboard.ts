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
  const sent = new Map<string, string>();
  const metrics = new RouteMetrics(o.metrics);
  const healthChanged = new Set<string>();
  let configDirty = true;
  let timer: NodeJS.Timeout | undefined;
  let reading: Promise<void> | undefined;

  /** Asks the actor and keeps each config section's JSON; returns the sections that changed. */
  const readConfig = async (): Promise<string[]> => {
    configDirty = false;
    const s = await o.sources();
    const changed: string[] = [];
    const keep = (name: string, value: unknown) => {
      const json = JSON.stringify(value);
      if (sent.get(name) !== json) { sent.set(name, json); changed.push(name); }
    };
    for (const [name, make] of Object.entries(CONFIG_SECTIONS)) keep(name, (make as (s: DashboardSources) => unknown)(s));
    keep('changes', s.changes);
    return changed;
  };
  const healthJson = () => JSON.stringify({ agent: health.agent, at: health.agentAt, endpoints: Object.fromEntries(health.endpoints) });

  /** Sends what changed since the last flush: config sections, health (only the endpoints that changed). */
  const flush = async () => {
    clearTimeout(timer);
    timer = undefined;
    if (configDirty) for (const name of await readConfig()) server.send(name, sent.get(name)!);
    if (healthChanged.size > 0 || !sent.has('health')) {
      const delta = { agent: health.agent, at: health.agentAt, endpoints: Object.fromEntries([...healthChanged].map((k) => [k, health.endpoints.get(k) ?? null])) };
      healthChanged.clear();
      sent.set('health', healthJson());
      server.send('health-delta', JSON.stringify(delta));
    }
  };
  const flushing = () => {
    reading = flush().catch((err: unknown) => o.log.warn('dashboard update failed', { error: (err as Error).message })).finally(() => { reading = undefined; });
    return reading;
  };
  const schedule = () => {
    if (timer !== undefined || server.clients === 0) return;
    timer = setTimeout(flushing, COALESCE_MS);
  };

  const health = new HealthFeed({
    transport: o.transport, subjects: o.subjects,
    onChange: (endpoints) => { for (const e of endpoints) healthChanged.add(e); schedule(); },
  });
  const server: DashboardServer = new DashboardServer({
    host: o.host, port: o.port,
    // A new page's first state: what is pending goes to the open pages first, so they all stay in step.
    state: async () => {
      await reading;
      configDirty = true;
      await flushing();
      sent.set('metrics', JSON.stringify(metrics.view ?? null));
      return `{${SECTIONS.map((k) => `${JSON.stringify(k)}:${sent.get(k) ?? 'null'}`).join(',')}}`;
    },
    onClients: (n) => { if (n > 0) void health.ask(); },
  });
  const url = await server.listen();
  health.start();
  const subs: Subscription[] = [
    o.transport.subscribe(allNodesSubject(o.subjects.metrics), fromOwnSubjectOnly<NodeMetricsMessage>(o.subjects.metrics, (m) => {
      if (m?.type === MetricsMessageType.NodeMetrics && Array.isArray(m.routes) && Array.isArray(m.le)) metrics.add(m);
    }, () => {})),
  ];
  // Node liveness turns by time (no heartbeat for 3 s): look each second while a page is open.
  const second = setInterval(() => { configDirty = true; schedule(); }, 1_000);
  const bucket = setInterval(() => {
    const view = metrics.tick();
    if (!view || server.clients === 0) return;
    const json = JSON.stringify(view);
    if (sent.get('metrics') === json) return;
    sent.set('metrics', json);
    if (server.clients > 0) server.send('metrics', json);
  }, metrics.bucketMs);
  second.unref();
  bucket.unref();
  o.log.info('dashboard listening', { url });
  return {
    url,
    changed: () => { configDirty = true; schedule(); },
    async close() {
      clearInterval(second);
      clearInterval(bucket);
      clearTimeout(timer);
      for (const s of subs) s.unsubscribe();
      health.stop();
      await server.close();
    },
  };
}
