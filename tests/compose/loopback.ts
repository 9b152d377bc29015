/**
 * What the topology test substitutes to run the compose cluster as local
 * processes on loopback, where compose service names do not resolve and
 * every container port would collide:
 *
 * - every container port a service listens on (`0.0.0.0:N` in its
 *   environment or config files, `bind :N` in haproxy.cfg) becomes a free
 *   port on 127.0.0.1 below the ephemeral range, one per replica;
 * - `SERVICE:N` (nats-1:4222, jaeger:4318, users-2:8080) becomes 127.0.0.1
 *   and that service's port; `127.0.0.1:N` and `localhost:N` in a service's
 *   own settings and healthcheck become its own loopback port;
 * - container paths become local ones: /app is the repo (the image's copy
 *   of it), every other absolute path lives under a per-replica directory
 *   where bind volumes are copied and named volumes are empty directories;
 * - manifests: an EndpointSlice of addressType FQDN naming compose services
 *   becomes one IPv4 slice per address at 127.0.0.1 and that service's port
 *   (replicas of one compose service cannot share a loopback port);
 * - haproxy.cfg: `server-template ... proxy:N` (Docker DNS) becomes one
 *   `server` line per proxy replica, without the DNS resolvers section.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { IMAGE_APP_DIR, REPO, parseVolume, type ComposeService } from './compose-file.ts';

/** One running copy of a compose service (a replica). */
export interface Instance {
  service: ComposeService;
  /** `proxy-2`, or the service name when it has one replica. */
  id: string;
  /** Container port -> loopback port. */
  ports: Map<number, number>;
  /** Where this replica's container file system lives (volumes, config copies). */
  root: string;
}

export class LoopbackMap {
  readonly #byService = new Map<string, Instance[]>();

  add(inst: Instance): void {
    const list = this.#byService.get(inst.service.name) ?? [];
    list.push(inst);
    this.#byService.set(inst.service.name, list);
  }

  instances(service: string): Instance[] {
    return this.#byService.get(service) ?? [];
  }

  /** The loopback port behind `service:port` (its only replica). */
  portOf(service: string, port: number): number {
    const list = this.instances(service);
    if (list.length !== 1) throw new Error(`'${service}:${port}' names ${list.length} replicas: only a single-replica service can be addressed by name here`);
    const p = list[0]!.ports.get(port);
    if (p === undefined) throw new Error(`'${service}:${port}': ${service} does not listen on ${port} (it listens on ${[...list[0]!.ports.keys()].join(', ') || 'nothing'})`);
    return p;
  }

  /** Rewrites every HOST:PORT in `text` as seen from inside `self`'s container. */
  addresses(text: string, self: Instance): string {
    return text.replace(/\b([A-Za-z0-9][A-Za-z0-9.-]*):(\d{1,5})\b/g, (whole, host: string, portText: string) => {
      const port = Number(portText);
      if (host === '0.0.0.0' || host === '127.0.0.1' || host === 'localhost') {
        const own = self.ports.get(port);
        return own === undefined ? whole : `127.0.0.1:${own}`;
      }
      if (this.#byService.has(host)) return `127.0.0.1:${this.portOf(host, port)}`;
      return whole;
    });
  }

  /** A container path as a local path: /app is the repo, the rest is under the replica's root. */
  path(p: string, self: Instance): string {
    if (p === IMAGE_APP_DIR || p.startsWith(IMAGE_APP_DIR + '/')) return path.join(REPO, p.slice(IMAGE_APP_DIR.length));
    return path.join(self.root, p);
  }

  /** A command argument or environment value: addresses, and absolute container paths. */
  value(v: string, self: Instance): string {
    return v.startsWith('/') ? this.path(v, self) : this.addresses(v, self);
  }

  env(self: Instance): Record<string, string> {
    return Object.fromEntries(Object.entries(self.service.environment).map(([k, v]) => [k, this.value(v, self)]));
  }

  /**
   * Lays out the replica's volumes under its root: bind sources copied (and
   * rewritten: .conf addresses and paths, manifests' FQDN slices), named
   * volumes as empty directories.
   */
  materializeVolumes(self: Instance): void {
    for (const spec of self.service.volumes) {
      const v = parseVolume(spec);
      const dest = path.join(self.root, v.target);
      fs.mkdirSync(path.dirname(dest), { recursive: true });
      if (!v.bind) { fs.mkdirSync(dest, { recursive: true }); continue; }
      fs.cpSync(v.source, dest, { recursive: true });
      for (const file of walk(dest)) {
        const text = fs.readFileSync(file, 'utf8');
        if (file.endsWith('.conf')) fs.writeFileSync(file, this.#confPaths(this.addresses(text, self), self));
        else if (/\.ya?ml$/.test(file) && /addressType:\s*FQDN/.test(text)) fs.writeFileSync(file, this.fqdnSlices(text));
      }
    }
  }

  /** Absolute paths under the replica's volume targets inside a config file (e.g. a JetStream store_dir). */
  #confPaths(text: string, self: Instance): string {
    let out = text;
    for (const spec of self.service.volumes) {
      const { target } = parseVolume(spec);
      const re = new RegExp(`(?<=[\\s"'=:])${target.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?=[/\\s"']|$)`, 'gm');
      out = out.replace(re, path.join(self.root, target));
    }
    return out;
  }

  /** EndpointSlices naming compose services (addressType FQDN) -> one loopback IPv4 slice per address. */
  fqdnSlices(text: string): string {
    const out: string[] = [];
    for (const doc of parseAllDocuments(text)) {
      const o = doc.toJS() as Record<string, unknown> | null;
      if (!o || o.kind !== 'EndpointSlice' || o.addressType !== 'FQDN') { out.push(doc.toString()); continue; }
      const meta = o.metadata as { name: string; labels?: Record<string, string> };
      const ports = o.ports as { name?: string; port: number; protocol?: string }[];
      for (const ep of o.endpoints as { addresses: string[] }[]) {
        for (const host of ep.addresses) {
          out.push(stringify({
            apiVersion: o.apiVersion, kind: 'EndpointSlice',
            metadata: { ...meta, name: `${meta.name}-${host}` },
            addressType: 'IPv4',
            ports: ports.map((p) => ({ ...p, port: this.portOf(host, p.port) })),
            endpoints: [{ ...ep, addresses: ['127.0.0.1'] }],
          }));
        }
      }
    }
    return out.join('---\n');
  }

  /**
   * haproxy.cfg for loopback: own `bind :N` ports, the Docker DNS resolvers
   * dropped, each `server-template NAME COUNT SERVICE:PORT` expanded to the
   * service's replicas (with their own health-check `port`).
   */
  haproxyConfig(text: string, self: Instance): string {
    const checkPort = Number(/^\s*default-server\b.*\bport\s+(\d+)/m.exec(text)?.[1] ?? NaN);
    return text
      .replace(/^resolvers\s[\s\S]*?(?=^\S|(?![\s\S]))/m, '')
      .replace(/^(\s*default-server\b.*)$/m, (line) => line.replace(/\s+resolvers\s+\S+|\s+init-addr\s+\S+|\s+port\s+\d+/g, ''))
      .replace(/^(\s*)bind\s+:(\d+)/gm, (_m, ind: string, port: string) => `${ind}bind 127.0.0.1:${self.ports.get(Number(port))}`)
      .replace(/^(\s*)server-template\s+(\S+)\s+\d+\s+([\w.-]+):(\d+)(.*)$/gm, (_m, ind: string, prefix: string, svc: string, port: string, rest: string) =>
        this.instances(svc).map((inst, i) => {
          const check = Number.isNaN(checkPort) ? '' : ` port ${inst.ports.get(checkPort)}`;
          return `${ind}server ${prefix}${i + 1} 127.0.0.1:${inst.ports.get(Number(port))}${check}${rest}`;
        }).join('\n'));
  }
}

/** Container ports a service listens on: `0.0.0.0:N` in its environment and config files, `bind :N` in haproxy.cfg. */
export function listenPorts(service: ComposeService): number[] {
  const texts = [...Object.values(service.environment)];
  for (const spec of service.volumes) {
    const v = parseVolume(spec);
    if (v.bind) for (const f of walk(v.source)) if (/\.(conf|cfg)$/.test(f)) texts.push(fs.readFileSync(f, 'utf8'));
  }
  const ports = new Set<number>();
  for (const t of texts) {
    for (const m of t.matchAll(/\b0\.0\.0\.0:(\d{1,5})\b/g)) ports.add(Number(m[1]));
    for (const m of t.matchAll(/^\s*bind\s+:(\d+)/gm)) ports.add(Number(m[1]));
  }
  return [...ports];
}

function walk(p: string): string[] {
  if (!fs.statSync(p).isDirectory()) return [p];
  return fs.readdirSync(p).flatMap((e) => walk(path.join(p, e)));
}

const handedOut = new Set<number>();

/**
 * A free loopback port below the kernel's ephemeral range. The cluster's
 * ports are chosen up front and some are listened on only seconds later (a
 * proxy listens once it has a snapshot); a port from the ephemeral range
 * (freePort()) can meanwhile become the local end of one of the cluster's own
 * outgoing connections, and the listen fails with EADDRINUSE.
 */
export async function reservedPort(): Promise<number> {
  let low = 32768;
  try {
    low = Number(fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || low;
  } catch { /* not Linux: keep the usual bound */ }
  const min = 10_000;
  const max = Math.max(min + 1_000, low);
  for (let i = 0; i < 200; i++) {
    const port = min + Math.floor(Math.random() * (max - min));
    if (handedOut.has(port)) continue;
    if (await canListen(port)) { handedOut.add(port); return port; }
  }
  throw new Error(`no free loopback port between ${min} and ${max}`);
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}
