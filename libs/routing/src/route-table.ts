import type { DefaultBackendRule, RouteRule } from '@meshgate/ingress';
import { GatewayRoutes } from './gateway-routes.ts';
import { HostRoutes } from './host-routes.ts';
import type { RouteMatch } from './host-routes.ts';
import { normalizePath } from './normalize-path.ts';
import type { RequestView } from './request-view.ts';

/** Listener ports whose requests also see the Ingress rules: the proxy's --http (80) and --https (443) listeners. */
export const INGRESS_PORTS: readonly number[] = [80, 443];

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
 *
 * Rules with a listener scope (Gateway API) live apart, per listener port
 * (gateway-routes.ts), and are matched first: on ports 80 and 443 a request
 * that no such rule matches goes on to the Ingress rules above, on other
 * ports it gets undefined (404). A table without them costs what it did.
 */
export class RouteTable {
  private readonly exactHosts = new Map<string, HostRoutes>();
  private readonly wildcardHosts = new Map<string, HostRoutes>();
  private anyHost: HostRoutes | undefined;
  private readonly fallback: RouteMatch | undefined;
  private gateway: GatewayRoutes | undefined;

  private constructor(fallback: RouteMatch | undefined) {
    this.fallback = fallback;
  }

  /** Rules in the table (equivalent ones counted once). */
  get size(): number {
    let n = (this.anyHost?.size ?? 0) + (this.gateway?.size ?? 0);
    for (const h of this.exactHosts.values()) n += h.size;
    for (const h of this.wildcardHosts.values()) n += h.size;
    return n;
  }

  static compile(cfg: { rules: readonly RouteRule[]; defaultBackend?: DefaultBackendRule }): RouteTable {
    const d = cfg.defaultBackend;
    const table = new RouteTable(d ? { backend: d.backend, ingress: d.ingress, host: '', path: '', pathType: 'Default' } : undefined);
    const scoped: RouteRule[] = [];
    for (const r of cfg.rules) {
      if (r.listener !== undefined) scoped.push(r);
      else table.#add(r, false);
    }
    if (scoped.length > 0) (table.gateway = new GatewayRoutes()).add(scoped);
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
  patch(removed: readonly Pick<RouteRule, 'host' | 'path' | 'pathType' | 'id'>[], added: readonly RouteRule[]): void {
    const gone: string[] = [];
    for (const r of removed) {
      if (r.id !== undefined) {
        gone.push(r.id);
        continue;
      }
      const { routes, host, map, key } = this.#hostRoutes(r.host, false);
      if (!routes) continue;
      routes.remove(r.pathType, normalizePath(r.path)?.path ?? r.path);
      // A host without rules must not hide the wildcard and no-host rules.
      if (routes.size === 0) {
        if (host === '') this.anyHost = undefined;
        else map!.delete(key);
      }
    }
    if (gone.length > 0) this.gateway?.remove(gone);
    const scoped = added.filter((r) => r.listener !== undefined);
    for (const r of added) if (r.listener === undefined) this.#add(r, true);
    if (scoped.length > 0) (this.gateway ??= new GatewayRoutes()).add(scoped);
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

  /**
   * `host` may carry ':port' and any case; `path` must come from
   * normalizePath. `port`: the listener port the request came in on, as
   * Gateways declare it (the --http listener is 80, --https 443; default 80).
   * `req`: method, headers and query, for rules with conditions (without
   * it, such rules do not match). Allocation-free for a table without
   * Gateway API rules, whatever is passed.
   */
  find(host: string, path: string, port?: number, req?: RequestView): RouteMatch | undefined {
    const h = canonicalHost(host);
    if (this.gateway !== undefined) {
      const p = port ?? 80;
      const m = this.gateway.find(p, h, path, req);
      if (m !== undefined || (p !== 80 && p !== 443)) return m;
    }
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

  /**
   * The hostname of the Gateway listener that handles `host` on `port` ('' =
   * the listener without one), or undefined when none does: an HTTPS
   * request whose SNI and Host pick different listeners is misdirected (421).
   */
  listenerHost(port: number, host: string): string | undefined {
    return this.gateway?.listenerHost(port, canonicalHost(host));
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
