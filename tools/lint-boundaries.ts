/**
 * Module-boundary lint, run by Nx for each project (`nx run-many -t lint`).
 * Each lib has one public entry and imports only what is below it. The
 * rules, like Nx's enforce-module-boundaries depConstraints, key on the
 * `nx.tags` in each project's package.json:
 *
 *   layer:model      libs/ingress            nothing of the workspace
 *   layer:frontend   libs/gateway-api        model (another API's objects -> the model)
 *   layer:routing    libs/routing            model
 *   layer:protocol   libs/protocol           model
 *   layer:runtime    libs/actors, telemetry  nothing (actors may use testing in its tests)
 *   layer:data-plane libs/upstream           nothing
 *   layer:testing    libs/testing            nothing
 *   type:service     services/*  (not cli)   any lib but testing (tests excepted)
 *   type:app         services/cli            anything
 *   type:e2e         tests                   anything
 *
 * And for outside packages: only actors touches NATS (@nats-io/*), only
 * proxy-node touches piscina, model, front ends and routing import no sockets at all.
 * Every workspace import must be a declared dependency, through the
 * package's public entry (no deep imports, no relative paths into another
 * project).
 *
 * Usage: node tools/lint-boundaries.ts [project-dir ...]   (default: all)
 */
import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '..');

interface Project { dir: string; name: string; tags: string[]; deps: Set<string> }

const allowed: Record<string, string[] | '*'> = {
  'layer:model': [],
  'layer:frontend': ['layer:model'],
  'layer:routing': ['layer:model'],
  'layer:protocol': ['layer:model'],
  'layer:runtime': [],
  'layer:data-plane': [],
  'layer:testing': [],
  'type:service': ['layer:model', 'layer:frontend', 'layer:routing', 'layer:protocol', 'layer:runtime', 'layer:data-plane'],
  'type:app': '*',
  'type:e2e': '*',
};
/** Outside packages a tag may not import (prefix match). */
const banned: Record<string, string[]> = {
  'layer:model': ['node:net', 'node:http', 'node:https', 'node:tls', 'node:dgram', 'node:worker_threads', 'undici', '@nats-io/', 'piscina'],
  'layer:frontend': ['node:net', 'node:http', 'node:https', 'node:tls', 'node:dgram', 'node:worker_threads', 'undici', '@nats-io/', 'piscina'],
  'layer:routing': ['node:net', 'node:http', 'node:https', 'node:tls', 'node:dgram', 'node:fs', 'node:worker_threads', 'undici', '@nats-io/', 'piscina'],
  'layer:protocol': ['node:net', 'node:http', 'node:https', 'node:tls', 'undici', 'piscina'],
  'layer:data-plane': ['@nats-io/', 'piscina'],
  'type:service': ['@nats-io/'],
};
/** Only these projects may import these outside packages. */
const owners: Record<string, string[]> = {
  '@nats-io/': ['@meshgate/actors'],
  'piscina': ['@meshgate/proxy-node'],
};

function readProjects(): Project[] {
  const rootPkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { workspaces: string[] };
  const dirs = rootPkg.workspaces.flatMap((w) => w.endsWith('/*')
    ? fs.readdirSync(path.join(ROOT, w.slice(0, -2))).map((d) => path.join(ROOT, w.slice(0, -2), d))
    : [path.join(ROOT, w)]);
  return dirs.filter((d) => fs.existsSync(path.join(d, 'package.json'))).map((dir) => {
    const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
    return { dir, name: pkg.name, tags: pkg.nx?.tags ?? [], deps: new Set([...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.devDependencies ?? {})]) };
  });
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      if (e.name === 'node_modules' || e.name === 'dist' || e.name.startsWith('.')) continue;
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.(ts|js|mts)$/.test(e.name)) out.push(p);
    }
  };
  walk(dir);
  return out;
}

const IMPORT = /(?:^|[\s;])(?:import|export)\s+(?:type\s+)?(?:[\w*{}\s,]+?\s+from\s+)?['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

export function lint(projects: Project[], only?: Set<string>): string[] {
  const byName = new Map(projects.map((p) => [p.name, p]));
  const errors: string[] = [];
  for (const p of projects) {
    if (only && !only.has(p.dir)) continue;
    if (p.tags.length === 0) errors.push(`${path.relative(ROOT, p.dir)}/package.json: no nx.tags; give the project a layer tag (see tools/lint-boundaries.ts)`);
    for (const file of sourceFiles(p.dir)) {
      const rel = path.relative(ROOT, file);
      const isTest = /\.test\.ts$|[/\\](bench|test)[/\\]/.test(rel);
      const text = fs.readFileSync(file, 'utf8');
      for (const m of text.matchAll(IMPORT)) {
        const spec = m[1] ?? m[2]!;
        const line = text.slice(0, m.index).split('\n').length;
        const where = `${rel}:${line}`;
        if (spec.startsWith('.')) {
          const target = path.resolve(path.dirname(file), spec);
          if (!target.startsWith(p.dir + path.sep)) errors.push(`${where}: '${spec}' reaches outside ${p.name}; import the other project by its package name`);
          continue;
        }
        if (spec.startsWith('@meshgate/')) {
          const name = spec.split('/').slice(0, 2).join('/');
          const dep = byName.get(name);
          if (!dep) { errors.push(`${where}: '${spec}' is not a workspace project`); continue; }
          if (spec !== name) errors.push(`${where}: deep import '${spec}'; import '${name}' (its public entry src/index.ts)`);
          if (!p.deps.has(name)) errors.push(`${where}: '${name}' is not in ${p.name}'s package.json dependencies`);
          const ok = p.tags.some((t) => {
            const a = allowed[t];
            if (a === '*') return true;
            if (dep.tags.some((dt) => a?.includes(dt))) return true;
            // Tests of any lib may use the testing lib.
            return isTest && dep.tags.includes('layer:testing');
          });
          if (!ok) errors.push(`${where}: ${p.name} [${p.tags.join(', ')}] may not import ${name} [${dep.tags.join(', ')}]`);
          continue;
        }
        for (const t of p.tags) {
          for (const b of banned[t] ?? []) {
            if (spec === b || spec.startsWith(b.endsWith('/') ? b : b + '/') || (b.endsWith('/') && spec.startsWith(b))) {
              errors.push(`${where}: ${p.name} [${t}] may not import '${spec}'`);
            }
          }
        }
        for (const [prefix, who] of Object.entries(owners)) {
          if ((spec === prefix || spec.startsWith(prefix)) && !who.includes(p.name) && !isTest) {
            errors.push(`${where}: only ${who.join(', ')} may import '${spec}'`);
          }
        }
      }
    }
  }
  return errors;
}

if (import.meta.main) {
  const projects = readProjects();
  const args = process.argv.slice(2).map((a) => path.resolve(a));
  const errors = lint(projects, args.length ? new Set(args) : undefined);
  if (errors.length) {
    for (const e of errors) console.error(e);
    console.error(`\n${errors.length} module-boundary error(s)`);
    process.exit(1);
  }
  console.log(`module boundaries ok (${args.length ? args.map((a) => path.relative(ROOT, a) || '.').join(', ') : `${projects.length} projects`})`);
}
