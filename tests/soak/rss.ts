/**
 * Resident memory of processes by pid, from /proc (Linux), sampled on a
 * clock, and the growth between two windows of a run: the median of the
 * samples right after warm-up against the median of the last ones (medians,
 * so one sample at the top of a garbage-collection sawtooth does not decide).
 */
import fs from 'node:fs';

export interface Watched {
  name: string;
  pid(): number | undefined;
  /** Counts toward the target (meshgate's own processes); others (nats-server, test backends) are shown only. */
  judged: boolean;
}

export interface RssSeries { name: string; judged: boolean; pids: Set<number>; samples: { at: number; kb: number }[] }

/** VmRSS of `pid` in KB, or undefined when the process is gone (or this is not Linux). */
export function rssKb(pid: number): number | undefined {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

export function startRssSampler(processes: Watched[], everyMs: number): { series: RssSeries[]; stop(): void } {
  const series: RssSeries[] = processes.map((p) => ({ name: p.name, judged: p.judged, pids: new Set(), samples: [] }));
  const sample = () => {
    const at = Date.now();
    processes.forEach((p, i) => {
      const pid = p.pid();
      if (pid === undefined) return;
      const kb = rssKb(pid);
      if (kb === undefined) return;
      series[i]!.pids.add(pid);
      series[i]!.samples.push({ at, kb });
    });
  };
  sample();
  const timer = setInterval(sample, everyMs);
  return { series, stop: () => clearInterval(timer) };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export interface Growth { name: string; judged: boolean; baselineMb: number; endMb: number; peakMb: number; growthPct: number; restarted: boolean }

/** Median RSS in [from, from + window) against the median in the last `window` before `to`. */
export function growth(s: RssSeries, from: number, windowMs: number, to: number): Growth {
  const base = s.samples.filter((x) => x.at >= from && x.at < from + windowMs).map((x) => x.kb);
  const end = s.samples.filter((x) => x.at >= to - windowMs && x.at <= to).map((x) => x.kb);
  const b = median(base);
  const e = median(end);
  return {
    name: s.name,
    judged: s.judged,
    baselineMb: b / 1024,
    endMb: e / 1024,
    peakMb: Math.max(...s.samples.map((x) => x.kb)) / 1024,
    growthPct: ((e - b) / b) * 100,
    restarted: s.pids.size > 1,
  };
}
