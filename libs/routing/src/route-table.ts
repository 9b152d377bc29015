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
  readonly size: number;
  private readonly exactHosts: Map<string, HostRoutes>;
  private readonly wildcardHosts: Map<string, HostRoutes>;
  private readonly anyHost: HostRoutes | undefined;
  private readonly fallback: RouteMatch | undefined;

  private constructor(size: number, exact: Map<string, HostRoutes>, wildcard: Map<string, HostRoutes>, anyHost: HostRoutes | undefined, fallback: RouteMatch | undefined) {
    this.size = size;
    this.exactHosts = exact;
    this.wildcardHosts = wildcard;
    this.anyHost = anyHost;
    this.fallback = fallback;
  }

  static compile(cfg: { rules: readonly RouteRule[]; defaultBackend?: DefaultBackendRule }): RouteTable {
    const exact = new Map<string, HostRoutes>();
    const wildcard = new Map<string, HostRoutes>();
    let anyHost: HostRoutes | undefined;
    let size = 0;
    for (const r of cfg.rules) {
      const host = r.host.toLowerCase();
      let routes: HostRoutes | undefined;
      if (host === '') routes = anyHost ??= new HostRoutes();
      else {
        const map = host.startsWith('*.') ? wildcard : exact;
        const key = host.startsWith('*.') ? host.slice(2) : host;
        routes = map.get(key);
        if (!routes) map.set(key, (routes = new HostRoutes()));
      }
      // Rule paths get the same normalization as requests (e.g. %7E -> ~).
      const path = normalizePath(r.path)?.path ?? r.path;
      const m: RouteMatch = { backend: r.backend, ingress: r.ingress, host, path: r.path, pathType: r.pathType };
      if (routes.add(m, path)) size++;
    }
    const d = cfg.defaultBackend;
    const fallback: RouteMatch | undefined = d ? { backend: d.backend, ingress: d.ingress, host: '', path: '', pathType: 'Default' } : undefined;
    return new RouteTable(size, exact, wildcard, anyHost, fallback);
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
