import { LATENCY_BUCKETS, mergeSnapshots, type MetricsSnapshot } from '@meshgate/telemetry';
import { MetricsMessageType, type NodeMetricsMessage, type RouteTraffic } from '@meshgate/protocol';

const REQUESTS = 'meshgate_requests_total';
const DURATION = 'meshgate_request_duration_seconds';

interface RouteLabels { ingress: string; service: string; code: string }
interface Totals { ingress: string; service: string; requests: number; errors: number; buckets: number[] }

const LABEL = /(\w+)="((?:[^"\\]|\\.)*)"/g;
const unescape = (v: string) => v.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));

/** `{ingress="a",service="b",code="5xx"}` (as labelValue escaped it) -> its values. */
export function parseRouteLabels(labels: string): RouteLabels {
  const out: RouteLabels = { ingress: '', service: '', code: '' };
  for (const m of labels.matchAll(LABEL)) {
    const k = m[1]!;
    if (k === 'ingress' || k === 'service' || k === 'code') out[k] = unescape(m[2]!);
  }
  return out;
}

/**
 * The node's traffic summary for the dashboard (NodeMetricsMessage): the
 * workers' cumulative registries added up, minus what the previous summary
 * had, per route (Ingress and Service). Nothing when nothing was served
 * since; no work at all when no worker posted new metrics.
 */
export class MetricsFeed {
  #last = new Map<string, Totals>();
  #lastAt = 0;
  #seen: readonly (MetricsSnapshot | undefined)[] = [];
  readonly #labels = new Map<string, RouteLabels>();

  #parse(labels: string): RouteLabels {
    let l = this.#labels.get(labels);
    if (!l) {
      l = parseRouteLabels(labels);
      if (this.#labels.size > 20_000) this.#labels.clear();
      this.#labels.set(labels, l);
    }
    return l;
  }

  #totals(snap: MetricsSnapshot): Map<string, Totals> {
    const out = new Map<string, Totals>();
    const of = (l: RouteLabels) => {
      const k = `${l.ingress}\0${l.service}`;
      let t = out.get(k);
      if (!t) out.set(k, (t = { ingress: l.ingress, service: l.service, requests: 0, errors: 0, buckets: [] }));
      return t;
    };
    for (const [labels, n] of Object.entries(snap.counters[REQUESTS] ?? {})) {
      const l = this.#parse(labels);
      const t = of(l);
      t.requests += n;
      if (l.code === '5xx') t.errors += n;
    }
    for (const [labels, h] of Object.entries(snap.histograms[DURATION] ?? {})) {
      const t = of(this.#parse(labels));
      for (let i = 0; i < h.counts.length; i++) t.buckets[i] = (t.buckets[i] ?? 0) + h.counts[i]!;
    }
    return out;
  }

  /** `workers`: each live worker's latest cumulative metrics and the last ones of replaced workers. */
  summary(nodeId: string, workers: readonly (MetricsSnapshot | undefined)[], now = Date.now()): NodeMetricsMessage | undefined {
    if (workers.length === this.#seen.length && workers.every((w, i) => w === this.#seen[i])) return undefined;
    this.#seen = [...workers];
    const totals = this.#totals(mergeSnapshots(workers));
    const routes: RouteTraffic[] = [];
    for (const [k, t] of totals) {
      const d = diff(t, this.#last.get(k));
      if (d) routes.push(d);
    }
    this.#last = totals;
    const intervalMs = this.#lastAt === 0 ? 0 : now - this.#lastAt;
    if (routes.length === 0) return undefined;
    this.#lastAt = now;
    return { type: MetricsMessageType.NodeMetrics, nodeId, at: now, intervalMs, le: LATENCY_BUCKETS, routes };
  }
}

/** What `t` counted since `was`; undefined when nothing (or when a total went back: a lost worker report, counted afresh next time). */
function diff(t: Totals, was: Totals | undefined): RouteTraffic | undefined {
  const requests = t.requests - (was?.requests ?? 0);
  const errors = t.errors - (was?.errors ?? 0);
  if (requests <= 0 || errors < 0) return undefined;
  const buckets: number[] = [];
  for (let i = 0; i < t.buckets.length; i++) {
    const n = t.buckets[i]! - (was?.buckets[i] ?? 0);
    if (n > 0) buckets.push(i, n);
  }
  return { ingress: t.ingress, service: t.service, requests, errors, buckets };
}
