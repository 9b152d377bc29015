import fs from 'node:fs';
import { firstDifference, scanManifests, watchedDirs, type ManifestScan } from './manifest-scan.ts';

/** Past this a missed change would take longer than 2 s to be applied. */
const MAX_RESCAN_MS = 1_500;
/** The periodic scan stretches to keep its cost under about this share of a core (on very large directories). */
const SCAN_SHARE = 0.05;

export interface ManifestWatcher {
  close(): void;
}

/**
 * Watches the manifests directory and calls `onChange` (with the first path
 * that changed) once per burst of changes. It cannot lose a change:
 *
 * - Level, not edge: what decides is a scan of the directory (names, stats,
 *   and content hashes of recently written files, see manifest-scan.ts)
 *   compared with the previous scan. The first scan is taken before this
 *   returns, so whatever the caller loads next is at least that new, and any
 *   later write differs from it.
 * - Events only say when to look: one non-recursive fs.watch per directory
 *   read (and per real directory of a linked file), armed once and kept;
 *   only a directory that is new or was replaced under its path (checked on
 *   every scan) gets a watch of its own, and a scan that armed one looks
 *   again after the debounce, for writes made before it was armed. A change
 *   is seen within `debounceMs` of its event (within a second however busy
 *   the directory keeps).
 * - A scan every `rescanMs` (at most 1.5 s) catches what events miss: the
 *   kernel's event queue overflowing, file systems without events (NFS),
 *   links to files elsewhere.
 */
export function watchManifests(dir: string, onChange: (file: string) => void, debounceMs = 100, rescanMs = 1_000): ManifestWatcher {
  let last: ManifestScan = scanManifests(dir);
  const watchers = new Map<string, { id: string; w: fs.FSWatcher }>();
  let closed = false;
  let debounce: NodeJS.Timeout | undefined;
  let burstStart = 0;
  let periodic: NodeJS.Timeout | undefined;
  /** A watch failed (its directory removed, say): arm again on the next scan, changed or not. */
  let rearm = false;

  const check = () => {
    if (closed) return;
    clearTimeout(debounce);
    debounce = undefined;
    const next = scanManifests(dir);
    const changed = firstDifference(dir, last, next);
    last = next;
    if (changed === undefined && !rearm) return;
    rearm = false;
    if (arm(watchedDirs(next))) later();
    if (changed !== undefined) onChange(changed);
  };
  /** A scan after the debounce; a burst that never pauses is scanned every second. */
  const later = () => {
    if (closed) return;
    const now = performance.now();
    if (!debounce) burstStart = now;
    clearTimeout(debounce);
    debounce = setTimeout(check, Math.max(0, Math.min(debounceMs, burstStart + Math.max(1_000, debounceMs) - now)));
  };
  /** Watches exactly `dirs`; true when a watch was added or replaced. */
  const arm = (dirs: Map<string, string>): boolean => {
    let added = false;
    for (const [p, entry] of watchers) {
      if (dirs.get(p) !== entry.id) { entry.w.close(); watchers.delete(p); }
    }
    for (const [p, id] of dirs) {
      if (watchers.has(p)) continue;
      try {
        const w = fs.watch(p, { persistent: false }, later);
        // A watched directory removed or unreadable: the scan it triggers finds out what is there now.
        w.on('error', () => { w.close(); if (watchers.get(p)?.w === w) watchers.delete(p); rearm = true; later(); });
        watchers.set(p, { id, w });
        added = true;
      } catch {
        // Out of inotify watches, or gone since listed: the periodic scan still sees its changes.
      }
    }
    return added;
  };
  const tick = () => {
    const t0 = performance.now();
    check();
    const took = performance.now() - t0;
    if (!closed) periodic = setTimeout(tick, Math.min(MAX_RESCAN_MS, Math.max(rescanMs, took / SCAN_SHARE))).unref();
  };

  if (arm(watchedDirs(last))) later();
  periodic = setTimeout(tick, Math.min(MAX_RESCAN_MS, rescanMs)).unref();
  return {
    close() {
      closed = true;
      clearTimeout(debounce);
      clearTimeout(periodic);
      for (const { w } of watchers.values()) w.close();
      watchers.clear();
    },
  };
}
