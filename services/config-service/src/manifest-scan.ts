import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { listManifestFiles } from '@meshgate/ingress';

/** One manifest file as a scan saw it (through its links). */
interface FileState {
  dev: number;
  ino: number;
  size: number;
  mtimeMs: number;
  ctimeMs: number;
  /** Content hash, taken only while the file is recent (see RACY_MS). */
  hash?: string;
}

/** What a manifests directory holds: its directories and its manifest files' stats. */
export interface ManifestScan {
  /** Directory path -> identity; undefined when the directory cannot be read (missing, not a directory). */
  dirs: Map<string, string> | undefined;
  files: Map<string, FileState>;
  /** The files that are symbolic links. */
  links: Set<string>;
}

/**
 * A file changed within this long of a scan may change again within the same
 * tick of the file system's clock with the same size, and look unchanged
 * (git's "racy clean" problem; some file systems keep seconds, FAT two):
 * while that recent, its content is hashed too. Only recently written files
 * are read, so a scan of a large, quiet directory is names and stats.
 */
const RACY_MS = 2_000;

/** Lists `dir` as loadManifestDir reads it and stats every manifest file. */
export function scanManifests(dir: string, now = Date.now()): ManifestScan {
  let listing;
  try {
    listing = listManifestFiles(dir);
  } catch {
    return { dirs: undefined, files: new Map(), links: new Set() };
  }
  const files = new Map<string, FileState>();
  for (const f of listing.files) {
    let st: fs.Stats | undefined;
    try {
      st = fs.statSync(f, { throwIfNoEntry: false });
    } catch {
      st = undefined;
    }
    if (!st) continue; // gone since it was listed: so it is for the next scan too
    const state: FileState = { dev: st.dev, ino: st.ino, size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs };
    if (now - st.ctimeMs < RACY_MS || now - st.mtimeMs < RACY_MS) state.hash = hashOf(f);
    files.set(f, state);
  }
  return { dirs: new Map(listing.dirs.map((d) => [d.path, d.id])), files, links: listing.links };
}

function hashOf(file: string): string {
  try {
    return createHash('sha1').update(fs.readFileSync(file)).digest('base64');
  } catch {
    return '(unreadable)';
  }
}

const sameFile = (a: FileState, b: FileState) =>
  a.dev === b.dev && a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs && (a.hash === undefined || b.hash === undefined || a.hash === b.hash);

/**
 * The first difference between two scans of `dir`, as a path relative to it
 * (or what happened to the directory), or undefined when they are the same.
 * A hash on one side only compares equal: the older scan took none because
 * the file was not recent then, so its stat alone tells.
 */
export function firstDifference(dir: string, a: ManifestScan, b: ManifestScan): string | undefined {
  if (!a.dirs || !b.dirs) return a.dirs === b.dirs ? undefined : b.dirs ? '(directory appeared)' : '(directory missing)';
  if (a.dirs.get(dir) !== b.dirs.get(dir)) return '(directory replaced)';
  const rel = (p: string) => path.relative(dir, p) || '.';
  for (const [p, st] of b.files) {
    const was = a.files.get(p);
    if (!was || !sameFile(was, st)) return rel(p);
  }
  for (const p of a.files.keys()) if (!b.files.has(p)) return rel(p);
  for (const [p, id] of b.dirs) if (a.dirs.get(p) !== id) return rel(p);
  for (const p of a.dirs.keys()) if (!b.dirs.has(p)) return rel(p);
  return undefined;
}

/**
 * The directories to watch for a scan: every directory read, and the real
 * directory of each linked file (a ConfigMap's timestamped directory), by
 * identity, so a directory replaced under the same path is watched again.
 */
export function watchedDirs(scan: ManifestScan): Map<string, string> {
  const out = new Map(scan.dirs ?? []);
  for (const link of scan.links) {
    try {
      const real = path.dirname(fs.realpathSync.native(link));
      if (out.has(real)) continue;
      const st = fs.statSync(real);
      out.set(real, `${st.dev}:${st.ino}`);
    } catch {
      // Gone since the scan: the next one sees it.
    }
  }
  return out;
}
