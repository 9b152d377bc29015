/**
 * The proxies' V8 heaps per thread, from their /metrics:
 * `meshgate_heap_live_bytes` (heap in use right after the last full
 * collection) and `meshgate_heap_committed_bytes` (what the heap holds
 * from the system, part of RSS). RSS alone cannot tell a leak from a heap still growing into its
 * steady size; the live heap can: a leak keeps climbing, sizing levels off.
 */
import { request } from '@meshgate/testing';

export interface HeapSeries { name: string; samples: { at: number; bytes: number }[] }

export function startHeapSampler(proxies: { name: string; adminPort: number }[], everyMs: number): { series: () => HeapSeries[]; stop(): void } {
  const byName = new Map<string, HeapSeries>();
  const sample = async () => {
    const at = Date.now();
    await Promise.all(proxies.map(async (p) => {
      const r = await request(`http://127.0.0.1:${p.adminPort}/metrics`, { timeoutMs: 2_000 }).catch(() => undefined);
      if (r?.status !== 200) return;
      for (const m of r.body.matchAll(/^meshgate_heap_(live|committed)_bytes\{[^}]*thread="([^"]+)"[^}]*\} (\d+)$/gm)) {
        const name = `${p.name}/${m[2]} ${m[1]}`;
        let s = byName.get(name);
        if (!s) byName.set(name, s = { name, samples: [] });
        s.samples.push({ at, bytes: Number(m[3]) });
      }
    }));
  };
  const timer = setInterval(() => { void sample(); }, everyMs);
  return { series: () => [...byName.values()].sort((a, b) => a.name.localeCompare(b.name)), stop: () => clearInterval(timer) };
}

export interface HeapGrowth { name: string; baselineMb: number; endMb: number; growthPct: number }

/** Median live heap in [from, from + window) against the median in the last `window` before `to`. */
export function heapGrowth(s: HeapSeries, from: number, windowMs: number, to: number): HeapGrowth {
  const median = (xs: number[]) => { const v = [...xs].sort((a, b) => a - b); return v.length ? v[Math.floor(v.length / 2)]! : NaN; };
  const b = median(s.samples.filter((x) => x.at >= from && x.at < from + windowMs).map((x) => x.bytes));
  const e = median(s.samples.filter((x) => x.at >= to - windowMs && x.at <= to).map((x) => x.bytes));
  return { name: s.name, baselineMb: b / 1048576, endMb: e / 1048576, growthPct: ((e - b) / b) * 100 };
}
