// The rules that carry a listener scope (Gateway API), by listener port:
// on a port, the request's Host picks exactly one listener (exact hostname,
// else the longest `*.` suffix, else the listener without a hostname:
// listener isolation); within it, route hostnames are tried from the most
// precise (exact, then longer wildcards, then none) and, within a hostname,
// the rule first in precedence whose path and conditions match wins.
import type { RouteRule } from '@meshgate/ingress';
import type { RouteMatch } from './host-routes.ts';
import type { RequestView } from './request-view.ts';
import { RuleGroup, type RegexCache } from './rule-group.ts';

/** Route hostnames of one listener. */
class Hosts<T> {
  readonly exact = new Map<string, T>();
  /** By the part after '*.'; matches one or more labels. */
  readonly wild = new Map<string, T>();
  any: T | undefined;

  get(host: string): T | undefined {
    if (host === '') return this.any;
    if (host.startsWith('*.')) return this.wild.get(host.slice(2));
    return this.exact.get(host);
  }

  getOrAdd(host: string, make: () => T): T {
    let v = this.get(host);
    if (v === undefined) {
      v = make();
      if (host === '') this.any = v;
      else if (host.startsWith('*.')) this.wild.set(host.slice(2), v);
      else this.exact.set(host, v);
    }
    return v;
  }

  remove(host: string): void {
    if (host === '') this.any = undefined;
    else if (host.startsWith('*.')) this.wild.delete(host.slice(2));
    else this.exact.delete(host);
  }

  /** Visits the entries matching a request host, most precise first, until `visit` returns true. */
  each(host: string, visit: (v: T) => boolean): void {
    const e = host === '' ? undefined : this.exact.get(host);
    if (e !== undefined && visit(e)) return;
    if (this.wild.size > 0) {
      for (let dot = host.indexOf('.'); dot !== -1; dot = host.indexOf('.', dot + 1)) {
        const w = this.wild.get(host.slice(dot + 1));
        if (w !== undefined && visit(w)) return;
      }
    }
    if (this.any !== undefined) visit(this.any);
  }
}

class Listener extends Hosts<RuleGroup> {
  readonly hostname: string;
  constructor(hostname: string) {
    super();
    this.hostname = hostname;
  }
}

export class GatewayRoutes {
  readonly #ports = new Map<number, Hosts<Listener>>();
  /** Where each rule sits, by id, for patches. */
  readonly #where = new Map<string, { places: { port: number; listener: string }[]; host: string }>();
  readonly #cache: RegexCache = new Map();

  get size(): number {
    return this.#where.size;
  }

  /** Adds (or replaces) rules. */
  add(rules: readonly RouteRule[]): void {
    for (const r of rules) {
      const id = r.id ?? `${r.host}\0${r.pathType}\0${r.path}`;
      this.#drop(id);
      const host = r.host.toLowerCase();
      const places = r.listener!.ports.map((port) => ({ port, listener: r.listener!.hostname.toLowerCase() }));
      for (const p of places) {
        const listener = this.#portHosts(p.port).getOrAdd(p.listener, () => new Listener(p.listener));
        listener.getOrAdd(host, () => new RuleGroup(this.#cache, host)).set(id, r);
      }
      this.#where.set(id, { places, host });
    }
  }

  remove(ids: readonly string[]): void {
    for (const id of ids) this.#drop(id);
  }

  #drop(id: string): void {
    const was = this.#where.get(id);
    if (!was) return;
    this.#where.delete(id);
    for (const p of was.places) {
      const listener = this.#ports.get(p.port)?.get(p.listener);
      const g = listener?.get(was.host);
      if (!listener || !g) continue;
      g.delete(id);
      if (g.size === 0) listener.remove(was.host);
      if (isEmpty(listener)) this.#ports.get(p.port)!.remove(p.listener);
    }
  }

  #portHosts(port: number): Hosts<Listener> {
    let h = this.#ports.get(port);
    if (!h) this.#ports.set(port, (h = new Hosts<Listener>()));
    return h;
  }

  /** The hostname of the listener a request for `host` (canonical) on `port` is handled by ('' = none), or undefined. */
  listenerHost(port: number, host: string): string | undefined {
    let found: string | undefined;
    this.#ports.get(port)?.each(host, (l) => ((found = l.hostname), true));
    return found;
  }

  /** `host` canonical (canonicalHost), `path` normalized. */
  find(port: number, host: string, path: string, req: RequestView | undefined): RouteMatch | undefined {
    const p = this.#ports.get(port);
    if (p === undefined) return undefined;
    let listener: Listener | undefined;
    p.each(host, (l) => ((listener = l), true));
    if (listener === undefined) return undefined;
    let match: RouteMatch | undefined;
    listener.each(host, (g) => (match = g.find(path, req)) !== undefined);
    return match;
  }
}

function isEmpty(h: Hosts<unknown>): boolean {
  return h.any === undefined && h.exact.size === 0 && h.wild.size === 0;
}
