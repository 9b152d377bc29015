/**
 * Reading infra/compose/docker-compose.yml and infra/docker/Dockerfile the way
 * Docker would, for the topology test that runs the same cluster as local
 * processes. Only what the test needs: services with their command,
 * environment, volumes, replicas, healthcheck and depends_on; the image's
 * ENTRYPOINT and HEALTHCHECK.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const COMPOSE_DIR = path.join(REPO, 'infra/compose');
export const COMPOSE_FILE = path.join(COMPOSE_DIR, 'docker-compose.yml');
export const DOCKERFILE = path.join(REPO, 'infra/docker/Dockerfile');
/** Where the Dockerfile puts the repo in the image. */
export const IMAGE_APP_DIR = '/app';

export type Condition = 'service_started' | 'service_healthy' | 'service_completed_successfully';

export interface ComposeService {
  name: string;
  image?: string;
  build?: { context?: string; dockerfile?: string };
  command?: string[];
  environment: Record<string, string>;
  volumes: string[];
  replicas: number;
  healthcheck?: { test: string[] };
  dependsOn: Record<string, Condition>;
  ports: string[];
}

export interface ComposeFile {
  services: Map<string, ComposeService>;
  namedVolumes: string[];
}

/** Parses the compose file: YAML merge keys (`<<: *anchor`) resolved, as both compose 1.29 and v2 do. */
export function readComposeFile(file = COMPOSE_FILE): ComposeFile {
  const doc = parse(fs.readFileSync(file, 'utf8'), { merge: true }) as Record<string, unknown>;
  const services = new Map<string, ComposeService>();
  for (const [name, raw] of Object.entries(doc.services as Record<string, Record<string, unknown>>)) {
    const env = raw.environment ?? {};
    if (Array.isArray(env)) throw new Error(`${name}: write environment as a map (the test reads it as one)`);
    const hc = raw.healthcheck as { test?: string[] | string; disable?: boolean } | undefined;
    if (hc && typeof hc.test === 'string') throw new Error(`${name}: write healthcheck.test as a list (exec form)`);
    if (raw.command !== undefined && !Array.isArray(raw.command)) throw new Error(`${name}: write command as a list (exec form)`);
    const deps: Record<string, Condition> = {};
    const rawDeps = raw.depends_on ?? {};
    if (Array.isArray(rawDeps)) for (const d of rawDeps) deps[d as string] = 'service_started';
    else for (const [d, v] of Object.entries(rawDeps as Record<string, { condition: Condition }>)) deps[d] = v.condition;
    services.set(name, {
      name,
      image: raw.image as string | undefined,
      build: raw.build as ComposeService['build'],
      command: raw.command as string[] | undefined,
      environment: Object.fromEntries(Object.entries(env as Record<string, unknown>).map(([k, v]) => [k, String(v)])),
      volumes: (raw.volumes as string[] | undefined) ?? [],
      replicas: Number((raw.deploy as { replicas?: number } | undefined)?.replicas ?? 1),
      healthcheck: hc?.test && !hc.disable ? { test: hc.test as string[] } : undefined,
      dependsOn: deps,
      ports: ((raw.ports as string[] | undefined) ?? []).map(String),
    });
  }
  return { services, namedVolumes: Object.keys((doc.volumes as Record<string, unknown> | undefined) ?? {}) };
}

export interface ImageSpec { entrypoint: string[]; healthcheck: string[] }

/** ENTRYPOINT and HEALTHCHECK CMD of the Dockerfile's last stage, both in exec (JSON) form. */
export function readDockerfile(file = DOCKERFILE): ImageSpec {
  // Join continuation lines, so `HEALTHCHECK ... \` + `CMD [...]` is one instruction.
  const lines = fs.readFileSync(file, 'utf8').replace(/\\\n/g, ' ').split('\n');
  const last = (re: RegExp) => lines.map((l) => re.exec(l)).filter((m) => m !== null).at(-1);
  const ep = last(/^ENTRYPOINT\s+(\[.*\])\s*$/);
  const hc = last(/^HEALTHCHECK\s.*\bCMD\s+(\[.*\])\s*$/);
  if (!ep) throw new Error(`${file}: no ENTRYPOINT in exec form (JSON list)`);
  if (!hc) throw new Error(`${file}: no HEALTHCHECK ... CMD in exec form (JSON list)`);
  return { entrypoint: JSON.parse(ep[1]!) as string[], healthcheck: JSON.parse(hc[1]!) as string[] };
}

/** A service built from the repo's Dockerfile: it runs a `meshgate` command. */
export function isMeshgate(s: ComposeService): boolean {
  return s.build !== undefined && path.resolve(COMPOSE_DIR, s.build.context ?? '.', s.build.dockerfile ?? 'Dockerfile') === DOCKERFILE;
}

export interface Volume { source: string; target: string; bind: boolean }

/** `./nats:/etc/nats:ro` (bind, relative to the compose file) or `nats-1-data:/data` (named). */
export function parseVolume(spec: string): Volume {
  const [source, target] = spec.split(':');
  if (!source || !target) throw new Error(`volume '${spec}': expected SOURCE:TARGET[:MODE]`);
  const bind = source.startsWith('.') || source.startsWith('/');
  return { source: bind ? path.resolve(COMPOSE_DIR, source) : source, target, bind };
}

/** Services in an order that starts every dependency first (compose's order). */
export function startOrder(file: ComposeFile): ComposeService[] {
  const out: ComposeService[] = [];
  const seen = new Set<string>();
  const visit = (name: string, trail: string[]) => {
    if (seen.has(name)) return;
    if (trail.includes(name)) throw new Error(`depends_on cycle: ${[...trail, name].join(' -> ')}`);
    const s = file.services.get(name);
    if (!s) throw new Error(`${trail.at(-1)} depends on '${name}', which is not a service`);
    for (const d of Object.keys(s.dependsOn)) visit(d, [...trail, name]);
    seen.add(name);
    out.push(s);
  };
  for (const name of file.services.keys()) visit(name, []);
  return out;
}
