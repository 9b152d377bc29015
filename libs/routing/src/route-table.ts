import type { DefaultBackendRule, RouteRule } from '@meshgate/ingress';
import { HostRoutes } from './host-routes.ts';
import type { RouteMatch } from './host-routes.ts';
import { normalizePath } from './normalize-path.ts';

/**
 * Kubernetes Ingress v1 matching, compiled once per config:
 * 1. Host: the exact host's rules if any exist; else the `*.` wildcard whose
 *    suffix follows the request host's first label (exactly one label:
 *    `*.foo.com` matches `bar.foo.com`, not `a.bar.foo.com` or `foo.com`);
 *    else the rules without a host. Only that one rule set is searched.
 * 2. Path within it: Exact, else the longest matching element prefix;
 *    at the same length Prefix, then ImplementationSpecific `/x/*` glob,
 *    then plain ImplementationSpecific (which behaves as Prefix).
 * 3. No path matched (or no host rule set): the default backend, else undefined (404).
 * Of rules equivalent for matching (same host, type and path up to a
 * Prefix's trailing slash), the first in `rules` order wins.
 */
export class RouteTable {
  private readonly exactHosts = new Map<string, HostRoutes>();
  private readonly wildcardHosts = new Map<string, HostRoutes>();
  private anyHost: HostRoutes | undefined;
  private readonly fallback: RouteMatch | undefined;

  private constructor(fallback: RouteMatch | undefined) {
    this.fallback = fallback;
  }

  /** Rules in the table (equivalent ones counted once). */
  get size(): number {
    let n = this.anyHost?.size ?? 0;
    for (const h of this.exactHosts.values()) n += h.size;
    for (const h of this.wildcardHosts.values()) n += h.size;
    return n;
  }

  static compile(cfg: { rules: readonly RouteRule[]; defaultBackend?: DefaultBackendRule }): RouteTable {
    const d = cfg.defaultBackend;
    const table = new RouteTable(d ? { backend: d.backend, ingress: d.ingress, host: '', path: '', pathType: 'Default' } : undefined);
    for (const r of cfg.rules) table.#add(r, false);
    return table;
  }

  /**
   * Changes the table in place: removes the rules with these host, type and
   * path, then adds `added` (replacing an equivalent rule). For a route delta
   * of a few rules in a table of thousands, instead of compiling it all again.
   * The result matches what compile() gives for the changed rule list as long
   * as no two rules of that list are equivalent for matching, which the config
   * service guarantees (a conflicting path is refused there). Synchronous: a
   * request sees the table before or after, never half of a patch.
   */
  patch(removed: readonly Pick<RouteRule, 'host' | 'path' | 'pathType'>[], added: readonly RouteRule[]): void {
    for (const r of removed) {
      const { routes, host, map, key } = this.#hostRoutes(r.host, false);
      if (!routes) continue;
      routes.remove(r.pathType, normalizePath(r.path)?.path ?? r.path);
      // A host without rules must not hide the wildcard and no-host rules.
      if (routes.size === 0) {
        if (host === '') this.anyHost = undefined;
        else map!.delete(key);
      }
    }
    for (const r of added) this.#add(r, true);
  }

  #hostRoutes(ruleHost: string, create: boolean): { routes: HostRoutes | undefined; host: string; map?: Map<string, HostRoutes>; key: string } {
    const host = ruleHost.toLowerCase();
    if (host === '') {
      if (create) this.anyHost ??= new HostRoutes();
      return { routes: this.anyHost, host, key: '' };
    }
    const wild = host.startsWith('*.');
    const map = wild ? this.wildcardHosts : this.exactHosts;
    const key = wild ? host.slice(2) : host;
    let routes = map.get(key);
    if (!routes && create) map.set(key, (routes = new HostRoutes()));
    return { routes, host, map, key };
  }

  #add(r: RouteRule, replace: boolean): void {
    const { routes, host } = this.#hostRoutes(r.host, true);
    // Rule paths get the same normalization as requests (e.g. %7E -> ~).
    const path = normalizePath(r.path)?.path ?? r.path;
    routes!.add({ backend: r.backend, ingress: r.ingress, host, path: r.path, pathType: r.pathType }, path, replace);
  }

  /** `host` may carry ':port' and any case; `path` must come from normalizePath. */
  find(host: string, path: string): RouteMatch | undefined {
    const h = canonicalHost(host);
    let routes: HostRoutes | undefined;
    if (h !== '') {
      routes = this.exactHosts.get(h);
      if (routes === undefined && this.wildcardHosts.size > 0) {
        const dot = h.indexOf('.');
        if (dot > 0) routes = this.wildcardHosts.get(h.slice(dot + 1));
      }
    }
    routes ??= this.anyHost;
    return (routes !== undefined ? routes.find(path) : undefined) ?? this.fallback;
  }
}

/** Lower-case, without ':port' and a trailing root '.'; allocation-free when already canonical. */
export function canonicalHost(host: string): string {
  let end = host.length;
  let upper = false;
  if (host.charCodeAt(0) === 91 /* [ */) {
    const close = host.indexOf(']');
    end = close === -1 ? end : close + 1;
  } else {
    for (let i = 0; i < host.length; i++) {
      const c = host.charCodeAt(i);
      if (c === 58 /* : */) {
        end = i;
        break;
      }
      if (c >= 65 && c <= 90) upper = true;
    }
  }
  if (end > 0 && host.charCodeAt(end - 1) === 46 /* . */) end--;
  const s = end === host.length ? host : host.slice(0, end);
  return upper || s.charCodeAt(0) === 91 ? s.toLowerCase() : s;
}
