import fs from 'node:fs';
import path from 'node:path';
import type { ManifestSource } from '@meshgate/protocol';

const MANIFEST_EXT = /\.(ya?ml|json)$/i;

/** `-f PATH` like kubectl: a file, a directory (its *.yaml, *.yml, *.json, recursively, in path order) or `-` for stdin. */
export async function readManifests(arg: string, cmd: string): Promise<ManifestSource[]> {
  if (arg === '-') {
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    return [{ path: '<stdin>', text: Buffer.concat(chunks).toString('utf8') }];
  }
  let st: fs.Stats;
  try { st = fs.statSync(arg); } catch {
    throw new Error(`meshgate ${cmd}: ${arg} does not exist: give a manifest file, a directory of them, or - for stdin`);
  }
  if (!st.isDirectory()) return [{ path: arg, text: fs.readFileSync(arg, 'utf8') }];
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      if (e.name.startsWith('.')) continue;
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (MANIFEST_EXT.test(e.name)) out.push(p);
    }
  };
  walk(arg);
  if (out.length === 0) throw new Error(`meshgate ${cmd}: ${arg} holds no *.yaml, *.yml or *.json file`);
  return out.sort().map((p) => ({ path: p, text: fs.readFileSync(p, 'utf8') }));
}
