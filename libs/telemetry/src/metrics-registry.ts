/**
 * A small Prometheus registry whose state is plain data, so a worker thread
 * can post a snapshot to its node, and the node can add up every worker's
 * snapshot into one /metrics page (a request counts once, whichever worker
 * served it). Label sets are pre-rendered strings (`{code="2xx"}`) chosen by
 * the caller and cached there: no allocation per observation.
 */
export interface HistogramData { counts: number[]; sum: number; count: number }

export interface MetricsSnapshot {
  counters: Record<string, Record<string, number>>;
  gauges: Record<string, Record<string, number>>;
  histograms: Record<string, Record<string, HistogramData>>;
}

export interface MetricInfo { type: 'counter' | 'gauge' | 'histogram'; help: string; buckets?: readonly number[] }

/** Seconds: from 0.5 ms to 10 s. */
export const LATENCY_BUCKETS: readonly number[] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export function emptySnapshot(): MetricsSnapshot {
  return { counters: {}, gauges: {}, histograms: {} };
}

export class MetricsRegistry {
  readonly info: Record<string, MetricInfo>;
  #snap: MetricsSnapshot = emptySnapshot();

  constructor(info: Record<string, MetricInfo>) {
    this.info = info;
  }

  inc(name: string, labels: string, by = 1): void {
    const m = (this.#snap.counters[name] ??= {});
    m[labels] = (m[labels] ?? 0) + by;
  }

  set(name: string, labels: string, value: number): void {
    (this.#snap.gauges[name] ??= {})[labels] = value;
  }

  observe(name: string, labels: string, value: number): void {
    const buckets = this.info[name]?.buckets ?? LATENCY_BUCKETS;
    const m = (this.#snap.histograms[name] ??= {});
    let h = m[labels];
    if (!h) h = m[labels] = { counts: new Array(buckets.length + 1).fill(0), sum: 0, count: 0 };
    let i = 0;
    while (i < buckets.length && value > buckets[i]!) i++;
    h.counts[i]!++;
    h.sum += value;
    h.count++;
  }

  /** The cumulative state so far (the live object: structured-clone it to send). */
  snapshot(): MetricsSnapshot {
    return this.#snap;
  }
}

/** Adds snapshots up: counters and histograms sum; gauges sum too (open connections over workers). */
export function mergeSnapshots(snaps: readonly (MetricsSnapshot | undefined)[]): MetricsSnapshot {
  const out = emptySnapshot();
  for (const s of snaps) {
    if (!s) continue;
    for (const kind of ['counters', 'gauges'] as const) {
      for (const [name, series] of Object.entries(s[kind] ?? {})) {
        const o = (out[kind][name] ??= {});
        for (const [labels, v] of Object.entries(series)) o[labels] = (o[labels] ?? 0) + v;
      }
    }
    for (const [name, series] of Object.entries(s.histograms ?? {})) {
      const o = (out.histograms[name] ??= {});
      for (const [labels, h] of Object.entries(series)) {
        const t = (o[labels] ??= { counts: new Array(h.counts.length).fill(0), sum: 0, count: 0 });
        for (let i = 0; i < h.counts.length; i++) t.counts[i] = (t.counts[i] ?? 0) + h.counts[i]!;
        t.sum += h.sum;
        t.count += h.count;
      }
    }
  }
  return out;
}

/** Adds labels (e.g. `node="a"`) to a pre-rendered label set. */
function withLabels(labels: string, extra: string): string {
  if (!extra) return labels;
  if (!labels || labels === '{}') return `{${extra}}`;
  return `{${extra},${labels.slice(1)}`;
}

/** Prometheus text exposition format 0.0.4. */
export function renderPrometheus(snap: MetricsSnapshot, info: Record<string, MetricInfo>, extraLabels = ''): string {
  const lines: string[] = [];
  const names = new Set([...Object.keys(info), ...Object.keys(snap.counters), ...Object.keys(snap.gauges), ...Object.keys(snap.histograms)]);
  for (const name of [...names].sort()) {
    const meta = info[name];
    const type = meta?.type ?? (snap.histograms[name] ? 'histogram' : snap.gauges[name] ? 'gauge' : 'counter');
    const series = type === 'histogram' ? snap.histograms[name] : type === 'gauge' ? snap.gauges[name] : snap.counters[name];
    if (!series || Object.keys(series).length === 0) continue;
    if (meta) lines.push(`# HELP ${name} ${meta.help}`);
    lines.push(`# TYPE ${name} ${type}`);
    for (const [labels, v] of Object.entries(series).sort(([a], [b]) => a.localeCompare(b))) {
      if (type !== 'histogram') { lines.push(`${name}${withLabels(labels, extraLabels)} ${v as number}`); continue; }
      const h = v as HistogramData;
      const buckets = meta?.buckets ?? LATENCY_BUCKETS;
      let cum = 0;
      for (let i = 0; i < buckets.length; i++) {
        cum += h.counts[i] ?? 0;
        lines.push(`${name}_bucket${withLabels(labels, [extraLabels, `le="${buckets[i]}"`].filter(Boolean).join(','))} ${cum}`);
      }
      lines.push(`${name}_bucket${withLabels(labels, [extraLabels, 'le="+Inf"'].filter(Boolean).join(','))} ${h.count}`);
      lines.push(`${name}_sum${withLabels(labels, extraLabels)} ${h.sum}`);
      lines.push(`${name}_count${withLabels(labels, extraLabels)} ${h.count}`);
    }
  }
  return lines.join('\n') + '\n';
}

/** Escapes a label value for the text format. */
export function labelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}
