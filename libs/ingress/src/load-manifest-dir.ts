import { readdirSync, readFileSync, statSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import type { SourceFile } from './types.ts';

const MANIFEST_EXT = /\.(ya?ml|json)$/i;

/**
 * Texts read before, by path, with the file's identity, size and times when
 * read: a file whose stat says the same is not read again (a config service
 * re-reads its directory on every apply; most of it never changes).
 */
export type ManifestReadCache = Map<string, { stat: string; text: string }>;

/** What is under a manifests directory: the manifest files loadManifestDir reads, and the directories it read them from. */
export interface ManifestListing {
  /** Manifest file paths (`dir` joined with the relative path), sorted by relative path. */
  files: string[];
  /** The files among `files` that are symbolic links (a ConfigMap volume's are). */
  links: Set<string>;
  /** Every directory read, `dir` first, with its identity (`dev:ino` of what the path resolves to). */
  dirs: { path: string; id: string }[];
}

/**
 * Lists the manifest files under `dir`, recursively. Hidden entries (`.git`,
 * editor swap files, and a ConfigMap volume's `..data` and
 * `..2026_12_08_...` directories, whose files are also reached through the
 * visible links) are skipped. Links to files and to directories are
 * followed (a ConfigMap item with a nested path is a link to a directory);
 * a directory reached twice (a link to one already read, a loop) is read
 * once, in name order.
 */
export function listManifestFiles(dir: string): ManifestListing {
  let st;
  try {
    st = statSync(dir);
  } catch {
    throw new Error(`manifest directory ${dir} does not exist: create it or pass --manifests pointing at your Kubernetes YAML`);
  }
  if (!st.isDirectory()) {
    throw new Error(`manifest path ${dir} is not a directory: pass the directory that holds your Kubernetes YAML`);
  }
  const out: ManifestListing = { files: [], links: new Set(), dirs: [] };
  const found: { path: string; rel: string }[] = [];
  walk(dir, '', `${st.dev}:${st.ino}`, out, found, new Set());
  found.sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
  out.files = found.map((f) => f.path);
  return out;
}

/**
 * Reads every *.yaml, *.yml and *.json file under `dir` (see
 * listManifestFiles), in the order of their paths so config builds are
 * reproducible. Paths in the result are as given (`dir` joined with the
 * relative path) so error messages point at files the operator can open.
 */
export function loadManifestDir(dir: string, cache?: ManifestReadCache): SourceFile[] {
  const paths = listManifestFiles(dir).files;
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

/** Reads `dir` (relative path `rel`) unless a directory of identity `id` was read already. */
function walk(dir: string, rel: string, id: string, out: ManifestListing, found: { path: string; rel: string }[], seen: Set<string>): void {
  if (seen.has(id)) return;
  seen.add(id);
  out.dirs.push({ path: dir, id });
  const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const ent of entries) {
    if (ent.name.startsWith('.')) continue;
    const p = join(dir, ent.name);
    const r = rel === '' ? ent.name : `${rel}/${ent.name}`;
    if (ent.isDirectory()) {
      const st = statOrUndefined(p);
      if (st) walk(p, r, `${st.dev}:${st.ino}`, out, found, seen);
    } else if (ent.isSymbolicLink()) {
      const st = statOrUndefined(p); // dangling link: nothing to read
      if (st?.isDirectory()) walk(p, r, `${st.dev}:${st.ino}`, out, found, seen);
      else if (st?.isFile() && MANIFEST_EXT.test(ent.name)) {
        found.push({ path: p, rel: r });
        out.links.add(p);
      }
    } else if (ent.isFile() && MANIFEST_EXT.test(ent.name)) {
      found.push({ path: p, rel: r });
    }
  }
}

function statOrUndefined(p: string): Stats | undefined {
  try {
    return statSync(p);
  } catch {
    return undefined;
  }
}
