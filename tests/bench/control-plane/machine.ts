/**
 * What the machine itself does to a change, apart from meshgate: the
 * kernel's memory-management threads (their CPU, from /proc), percentiles,
 * and CPU time of processes. Shared by the propagation bench (run.ts) and
 * the floor it is compared with (floor.ts).
 */
import fs from 'node:fs';

/** A change during which the kernel's memory threads ran this long (ms) or more counts as one they got in the way of. */
export const KERNEL_BUSY_MS = 5;

/** USER_HZ: /proc's CPU times are in these ticks (100 a second on Linux). */
export const TICK_MS = 1000 / 100;

/** p-th percentile (nearest rank); NaN for no values. */
export const pct = (xs: number[], p: number) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? NaN; };

/** User + system CPU time (ms) of the processes so far, from /proc (0 where there is none). */
export function cpuMs(pids: number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    try {
      // Fields after the command's closing parenthesis: state is field 3, utime 14, stime 15.
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(f[11]) + Number(f[12]);
    } catch { /* not Linux, or gone */ }
  }
  return ticks * TICK_MS;
}

/**
 * The kernel's memory-management threads: kdamond (DAMON: access monitoring
 * and, on VMs set up for it, proactive reclaim), kswapd and kcompactd.
 * They run beside the mesh and take a core while they do; their pids (none
 * off Linux).
 */
export function kernelThreads(): number[] {
  let pids: string[] = [];
  try { pids = fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d)); } catch { return []; }
  return pids.filter((pid) => {
    try { return /^(kdamond|kswapd|kcompactd)/.test(fs.readFileSync(`/proc/${pid}/comm`, 'utf8')); } catch { return false; }
  }).map(Number);
}

/** CPU time (ms, ns precision) the threads have run so far: the first field of /proc/PID/schedstat. */
export function runMs(pids: number[]): number {
  let ns = 0;
  for (const pid of pids) {
    try { ns += Number(fs.readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]); } catch { /* gone, or no schedstats */ }
  }
  return ns / 1e6;
}
