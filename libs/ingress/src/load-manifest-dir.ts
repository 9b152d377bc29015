import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { SourceFile } from './types.ts';

const MANIFEST_EXT = /\.(ya?ml|json)$/i;

/**
 * Reads every *.yaml, *.yml and *.json file under `dir` (recursively,
 * following the order of their paths so config builds are reproducible).
 * Paths in the result are as given (`dir` joined with the relative path) so
 * error messages point at files the operator can open. Hidden entries
 * (`.git`, editor swap files) are skipped.
 */
export function loadManifestDir(dir: string): SourceFile[] {
  let st;
  try {
    st = statSync(dir);
  } catch {
    throw new Error(`manifest directory ${dir} does not exist: create it or pass --manifests pointing at your Kubernetes YAML`);
  }
  if (!st.isDirectory()) {
    throw new Error(`manifest path ${dir} is not a directory: pass the directory that holds your Kubernetes YAML`);
  }
  const paths: string[] = [];
  walk(dir, paths);
  paths.sort((a, b) => (relative(dir, a) < relative(dir, b) ? -1 : relative(dir, a) > relative(dir, b) ? 1 : 0));
  return paths.map((path) => ({ path, text: readFileSync(path, 'utf8') }));
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
