import type { NodeMetricsMessage } from '@meshgate/protocol';

/** One route's (or every route's) counts in one time bucket. */
interface Acc { requests: number; errors: number; hist: number[] | undefined; p99: number | null }
interface Slot { start: number; routes: Map<string, Acc>; total: Acc; nodes: Map<string, number> }

/** A series per chart: one value per bucket, oldest first; null where nothing was served. */
export interface Series { readonly rps: (number | null)[]; readonly errorPct: (number | null)[]; readonly p99Ms: (number | null)[] }

export interface MetricsView {
  readonly bucketMs: number;
  /** Start of the newest bucket in the series (ms since epoch); the series cover up to the window, from the first bucket with traffic. */
  readonly end: number;
  readonly total: Series;
  /** The busiest routes over the window, busiest first. */
  readonly top: readonly ({ readonly route: string } & Series)[];
  /** Every route served in the last minute: [route, req/s, error %, p99 ms]. */
  readonly table: readonly (readonly [string, number, number, number | null])[];
  /** Per node, requests a second over the last minute. */
  readonly nodes: Readonly<Record<string, number>>;
}

export interface RouteMetricsOptions {
  /** One chart point per this many ms. */
  bucketMs?: number;
  /** Points per chart. */
  buckets?: number;
  /** Routes charted. */
  top?: number;
  /** The table's window, in buckets. */
  tableBuckets?: number;
}

const round = (x: number, digits = 2) => { const f = 10 ** digits; return Math.round(x * f) / f; };
const routeName = (ingress: string, service: string) => (ingress === '' && service === '' ? '(no rule)' : `${ingress || '(default)'} → ${service || '-'}`);

/**
 * Adds up the nodes' traffic summaries (NodeMetricsMessage) into time
 * buckets per route: requests, 5xx and the duration histogram, whose 99th
 * percentile is taken when the bucket closes (histograms are kept only
 * for the table's window). Buckets are by arrival time at this service.
 */
export class RouteMetrics {
  readonly bucketMs: number;
  readonly #n: number;
  readonly #top: number;
  readonly #tableN: number;
  readonly #slots: Slot[] = [];
  #le: readonly number[] = [];
  #view: MetricsView | undefined;

  constructor(o: RouteMetricsOptions = {}) {
    this.bucketMs = o.bucketMs ?? 2_000;
    this.#n = o.buckets ?? 150;
    this.#top = o.top ?? 12;
    this.#tableN = o.tableBuckets ?? Math.max(1, Math.round(60_000 / this.bucketMs));
  }

  #slot(now: number): Slot {
    const start = now - (now % this.bucketMs);
    const last = this.#slots[this.#slots.length - 1];
    if (last && last.start === start) return last;
    const s: Slot = { start, routes: new Map(), total: acc(), nodes: new Map() };
    this.#slots.push(s);
    return s;
  }

  add(m: NodeMetricsMessage, now = Date.now()): void {
    if (this.#le.length !== m.le.length) this.#le = m.le;
    const s = this.#slot(now);
    let n = 0;
    for (const r of m.routes) {
      const k = routeName(r.ingress, r.service);
      let a = s.routes.get(k);
      if (!a) s.routes.set(k, (a = acc()));
      for (const x of [a, s.total]) {
        x.requests += r.requests;
        x.errors += r.errors;
        const h = (x.hist ??= new Array(this.#le.length + 1).fill(0));
        for (let i = 0; i + 1 < r.buckets.length; i += 2) if (r.buckets[i]! < h.length) h[r.buckets[i]!]! += r.buckets[i + 1]!;
      }
      n += r.requests;
    }
    s.nodes.set(m.nodeId, (s.nodes.get(m.nodeId) ?? 0) + n);
  }

  /**
   * Closes the buckets before `now`'s (their p99s), drops those past the
   * window, and makes the view; returns it, or undefined when nothing was
   * served in the window (and nothing was before: no view to clear).
   */
  tick(now = Date.now()): MetricsView | undefined {
    const current = now - (now % this.bucketMs);
    const oldest = current - this.#n * this.bucketMs;
    while (this.#slots.length > 0 && this.#slots[0]!.start < oldest) this.#slots.shift();
    for (const s of this.#slots) {
      if (s.start >= current || s.total.p99 !== null || s.total.requests === 0) continue;
      s.total.p99 = quantileMs(this.#le, s.total.hist!, 0.99);
      for (const a of s.routes.values()) a.p99 = quantileMs(this.#le, a.hist!, 0.99);
    }
    const tableFrom = current - this.#tableN * this.bucketMs;
    for (const s of this.#slots) if (s.start < tableFrom) { s.total.hist = undefined; for (const a of s.routes.values()) a.hist = undefined; }
    const closed = this.#slots.filter((s) => s.start < current);
    if (closed.length === 0 && this.#view === undefined) return undefined;
    this.#view = this.#makeView(closed, current, tableFrom);
    return this.#view;
  }

  /** The view made by the last tick. */
  get view(): MetricsView | undefined {
    return this.#view;
  }

  #makeView(closed: Slot[], current: number, tableFrom: number): MetricsView {
    // Charts start at the first bucket with traffic (showing at least the table's window).
    const served = closed.find((s) => s.total.requests > 0)?.start ?? current;
    const n = Math.min(this.#n, Math.max(this.#tableN, (current - served) / this.bucketMs));
    const first = current - n * this.bucketMs;
    const index = (s: Slot) => (s.start - first) / this.bucketMs;
    const series = (pick: (s: Slot) => Acc | undefined): Series => {
      const out: Series = { rps: new Array(n).fill(null), errorPct: new Array(n).fill(null), p99Ms: new Array(n).fill(null) };
      for (const s of closed) {
        const a = pick(s);
        const i = index(s);
        if (!a || a.requests === 0 || i < 0 || i >= n) continue;
        out.rps[i] = round(a.requests / (this.bucketMs / 1000));
        out.errorPct[i] = round((100 * a.errors) / a.requests);
        out.p99Ms[i] = a.p99;
      }
      return out;
    };
    const sums = new Map<string, number>();
    for (const s of closed) for (const [k, a] of s.routes) sums.set(k, (sums.get(k) ?? 0) + a.requests);
    const top = [...sums].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, this.#top).map(([route]) => ({ route, ...series((s) => s.routes.get(route)) }));
    return { bucketMs: this.bucketMs, end: current - this.bucketMs, total: series((s) => s.total), top, ...this.#recent(closed.filter((s) => s.start >= tableFrom)) };
  }

  /** The table and per-node rates over the table's window (or since the first traffic in it). */
  #recent(slots: Slot[]): Pick<MetricsView, 'table' | 'nodes'> {
    const first = slots.find((s) => s.total.requests > 0);
    const last = slots[slots.length - 1];
    const secs = first && last ? (last.start - first.start + this.bucketMs) / 1000 : 1;
    const routes = new Map<string, Acc>();
    const nodes: Record<string, number> = {};
    for (const s of slots) {
      for (const [k, a] of s.routes) {
        let t = routes.get(k);
        if (!t) routes.set(k, (t = acc()));
        t.requests += a.requests;
        t.errors += a.errors;
        const h = (t.hist ??= new Array(this.#le.length + 1).fill(0));
        if (a.hist) for (let i = 0; i < h.length; i++) h[i]! += a.hist[i] ?? 0;
      }
      for (const [node, n] of s.nodes) nodes[node] = (nodes[node] ?? 0) + n;
    }
    for (const k of Object.keys(nodes)) nodes[k] = round(nodes[k]! / secs);
    const table = [...routes].sort((a, b) => b[1].requests - a[1].requests || (a[0] < b[0] ? -1 : 1))
      .map(([k, a]) => [k, round(a.requests / secs), round((100 * a.errors) / a.requests), quantileMs(this.#le, a.hist!, 0.99)] as const);
    return { table, nodes };
  }
}

function acc(): Acc {
  return { requests: 0, errors: 0, hist: undefined, p99: null };
}

/**
 * The q-quantile of a histogram in ms, interpolated inside its bucket as
 * Prometheus's histogram_quantile does; the overflow bucket answers its
 * lower bound. null when empty.
 */
export function quantileMs(le: readonly number[], counts: readonly number[], q: number): number | null {
  let total = 0;
  for (const c of counts) total += c;
  if (total === 0) return null;
  const rank = q * total;
  let seen = 0;
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i]!;
    if (c > 0 && seen + c >= rank) {
      if (i >= le.length) return round((le[le.length - 1] ?? 0) * 1000, 1);
      const lo = i === 0 ? 0 : le[i - 1]!;
      return round((lo + ((le[i]! - lo) * (rank - seen)) / c) * 1000, 1);
    }
    seen += c;
  }
  return round((le[le.length - 1] ?? 0) * 1000, 1);
}
