import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { SourceFile } from './types.ts';

const MANIFEST_EXT = /\.(ya?ml|json)$/i;

/**
 * Texts read before, by path, with the file's identity, size and times when
 * read: a file whose stat says the same is not read again (a config service
 * re-reads its directory on every apply; most of it never changes).
 */
export type ManifestReadCache = Map<string, { stat: string; text: string }>;

/**
 * Reads every *.yaml, *.yml and *.json file under `dir` (recursively,
 * following the order of their paths so config builds are reproducible).
 * Paths in the result are as given (`dir` joined with the relative path) so
 * error messages point at files the operator can open. Hidden entries
 * (`.git`, editor swap files) are skipped.
 */
export function loadManifestDir(dir: string, cache?: ManifestReadCache): SourceFile[] {
  let st;
  try {
    st = statSync(dir);
  } catch {
    throw new Error(`manifest directory ${dir} does not exist: create it or pass --manifests pointing at your Kubernetes YAML`);
  }
  if (!st.isDirectory()) {
    throw new Error(`manifest path ${dir} is not a directory: pass the directory that holds your Kubernetes YAML`);
  }
  const found: string[] = [];
  walk(dir, found);
  const paths = found.map((path) => ({ path, rel: relative(dir, path) })).sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0)).map((p) => p.path);
  if (!cache) return paths.map((path) => ({ path, text: readFileSync(path, 'utf8') }));
  const out = paths.map((path) => ({ path, text: readCached(path, cache) }));
  if (cache.size > paths.length) {
    const present = new Set(paths);
    for (const p of cache.keys()) if (!present.has(p)) cache.delete(p);
  }
  return out;
}

const RACY_MS = 2_000;

function readCached(path: string, cache: ManifestReadCache): string {
  let stat = '';
  try {
    const st = statSync(path, { bigint: true });
    // ctime changes on every write, even when a tool restores mtime; ino when an editor writes a new file and renames it.
    // A file changed in the last 2 s is read anyway: file times tick coarsely, so a second same-size write
    // within one tick would look unchanged (git's "racy clean" problem).
    if (Date.now() - Number(st.ctimeMs) > RACY_MS) stat = `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
  } catch {
    // Gone since the directory was listed: readFileSync says so below.
  }
  const hit = cache.get(path);
  if (hit && stat !== '' && hit.stat === stat) return hit.text;
  const text = readFileSync(path, 'utf8');
  if (stat !== '') cache.set(path, { stat, text });
  return text;
}

function walk(dir: string, out: string[]): void {
  for (const ent of readdirSync(dir, { withFileTypes: true })) {
    if (ent.name.startsWith('.')) continue;
    const p = join(dir, ent.name);
    if (ent.isDirectory()) walk(p, out);
    else if ((ent.isFile() || ent.isSymbolicLink()) && MANIFEST_EXT.test(ent.name)) {
      if (ent.isSymbolicLink()) {
        try {
          if (!statSync(p).isFile()) continue;
        } catch {
          continue; // dangling link: nothing to read
        }
      }
      out.push(p);
    }
  }
}
