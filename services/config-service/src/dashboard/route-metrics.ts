import type { NodeMetricsMessage } from '@meshgate/protocol';

/** One route's (or every route's) counts in one time bucket. */
interface Acc { requests: number; errors: number; hist: number[] | undefined; p99: number | null }
interface Slot { start: number; routes: Map<string, Acc>; total: Acc; nodes: Map<string, number>; closed: boolean; inTable: boolean }

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

/**
 * Adds up the nodes' traffic summaries (NodeMetricsMessage) into time
 * buckets per route: requests, 5xx and the duration histogram, whose 99th
 * percentile is taken when the bucket closes. Buckets are by arrival time
 * at this service. The window's per-route totals and the table's merged
 * histograms are kept as buckets close and leave, so a tick costs the
 * routes of two buckets, not of the whole window.
 */
export class RouteMetrics {
  readonly bucketMs: number;
  readonly #n: number;
  readonly #top: number;
  readonly #tableN: number;
  readonly #slots: Slot[] = [];
  /** Requests per route over the closed buckets of the window (to pick the busiest). */
  readonly #window = new Map<string, number>();
  /** Per route, and per node, what the closed buckets of the table's window counted. */
  readonly #table = new Map<string, Acc>();
  readonly #tableNodes = new Map<string, number>();
  readonly #names = new Map<string, Map<string, string>>();
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
    const s: Slot = { start, routes: new Map(), total: acc(), nodes: new Map(), closed: false, inTable: false };
    this.#slots.push(s);
    return s;
  }

  #name(ingress: string, service: string): string {
    let byService = this.#names.get(ingress);
    if (!byService) {
      if (this.#names.size > 10_000) this.#names.clear();
      this.#names.set(ingress, (byService = new Map()));
    }
    let name = byService.get(service);
    if (name === undefined) {
      name = ingress === '' && service === '' ? '(no rule)' : `${ingress || '(default)'} → ${service || '-'}`;
      byService.set(service, name);
    }
    return name;
  }

  add(m: NodeMetricsMessage, now = Date.now()): void {
    if (this.#le.length !== m.le.length) this.#le = m.le;
    const s = this.#slot(now);
    const width = this.#le.length + 1;
    const total = s.total;
    const th = (total.hist ??= new Array(width).fill(0));
    let n = 0;
    for (const r of m.routes) {
      const k = this.#name(r.ingress, r.service);
      let a = s.routes.get(k);
      if (!a) s.routes.set(k, (a = acc()));
      a.requests += r.requests;
      a.errors += r.errors;
      const h = (a.hist ??= new Array(width).fill(0));
      const b = r.buckets;
      for (let i = 0; i + 1 < b.length; i += 2) {
        const at = b[i]!;
        if (at < width) { h[at] += b[i + 1]!; th[at] += b[i + 1]!; }
      }
      n += r.requests;
      total.errors += r.errors;
    }
    total.requests += n;
    s.nodes.set(m.nodeId, (s.nodes.get(m.nodeId) ?? 0) + n);
  }

  /**
   * Closes the buckets before `now`'s (their p99s), moves the window and
   * the table's window on, and makes the view; returns it, or undefined
   * when there was never any traffic.
   */
  tick(now = Date.now()): MetricsView | undefined {
    const current = now - (now % this.bucketMs);
    const tableFrom = current - this.#tableN * this.bucketMs;
    const oldest = current - this.#n * this.bucketMs;
    for (const s of this.#slots) {
      if (!s.closed && s.start < current) this.#close(s);
      if (s.inTable && s.start < tableFrom) this.#leaveTable(s);
    }
    while (this.#slots.length > 0 && this.#slots[0]!.start < oldest) {
      const s = this.#slots.shift()!;
      if (s.inTable) this.#leaveTable(s);
      for (const [k, a] of s.routes) addTo(this.#window, k, -a.requests);
    }
    if (this.#slots.length === 0 && this.#view === undefined) return undefined;
    this.#view = this.#makeView(current, tableFrom);
    return this.#view;
  }

  #close(s: Slot): void {
    s.closed = true;
    s.inTable = true;
    if (s.total.requests > 0) s.total.p99 = quantileMs(this.#le, s.total.hist!, 0.99);
    for (const [k, a] of s.routes) {
      a.p99 = quantileMs(this.#le, a.hist!, 0.99);
      addTo(this.#window, k, a.requests);
      let t = this.#table.get(k);
      if (!t) this.#table.set(k, (t = acc()));
      merge(t, a, 1);
    }
    for (const [node, n] of s.nodes) addTo(this.#tableNodes, node, n);
  }

  /** The bucket leaves the table's window: its counts come off the table, its histograms go. */
  #leaveTable(s: Slot): void {
    s.inTable = false;
    for (const [k, a] of s.routes) {
      const t = this.#table.get(k);
      if (t) { merge(t, a, -1); if (t.requests <= 0) this.#table.delete(k); }
      a.hist = undefined;
    }
    s.total.hist = undefined;
    for (const [node, n] of s.nodes) addTo(this.#tableNodes, node, -n);
  }

  /** The view made by the last tick. */
  get view(): MetricsView | undefined {
    return this.#view;
  }

  #makeView(current: number, tableFrom: number): MetricsView {
    const closed = this.#slots.filter((s) => s.closed);
    // Charts start at the first bucket with traffic (showing at least the table's window).
    const served = closed.find((s) => s.total.requests > 0)?.start ?? current;
    const n = Math.min(this.#n, Math.max(this.#tableN, (current - served) / this.bucketMs));
    const first = current - n * this.bucketMs;
    const series = (pick: (s: Slot) => Acc | undefined): Series => {
      const out: Series = { rps: new Array(n).fill(null), errorPct: new Array(n).fill(null), p99Ms: new Array(n).fill(null) };
      for (const s of closed) {
        const a = pick(s);
        const i = (s.start - first) / this.bucketMs;
        if (!a || a.requests === 0 || i < 0 || i >= n) continue;
        out.rps[i] = round(a.requests / (this.bucketMs / 1000));
        out.errorPct[i] = round((100 * a.errors) / a.requests);
        out.p99Ms[i] = a.p99;
      }
      return out;
    };
    const top = [...this.#window].filter(([, v]) => v > 0).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, this.#top)
      .map(([route]) => ({ route, ...series((s) => s.routes.get(route)) }));
    // Rates over the table's window, or since its first traffic.
    const inTable = closed.filter((s) => s.start >= tableFrom);
    const since = inTable.find((s) => s.total.requests > 0);
    const secs = since ? (current - since.start) / 1000 : 1;
    const table = [...this.#table].sort((a, b) => b[1].requests - a[1].requests || (a[0] < b[0] ? -1 : 1))
      .map(([k, a]) => [k, round(a.requests / secs), round((100 * a.errors) / a.requests), quantileMs(this.#le, a.hist!, 0.99)] as const);
    const nodes: Record<string, number> = {};
    for (const [node, c] of this.#tableNodes) if (c > 0) nodes[node] = round(c / secs);
    return { bucketMs: this.bucketMs, end: current - this.bucketMs, total: series((s) => s.total), top, table, nodes };
  }
}

function addTo(m: Map<string, number>, k: string, n: number): void {
  const v = (m.get(k) ?? 0) + n;
  if (v > 0) m.set(k, v);
  else m.delete(k);
}

/** t += sign * a (counts and histogram). */
function merge(t: Acc, a: Acc, sign: 1 | -1): void {
  t.requests += sign * a.requests;
  t.errors += sign * a.errors;
  if (!a.hist) return;
  const h = (t.hist ??= new Array(a.hist.length).fill(0));
  for (let i = 0; i < a.hist.length; i++) h[i]! += sign * a.hist[i]!;
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
