// The path rules of one host, compiled for allocation-light lookup.
import type { PathType } from '@meshgate/ingress';

export interface RouteMatch {
  backend: string;
  ingress: string;
  host: string;
  path: string;
  pathType: PathType | 'Default';
}

/** Rules whose (trailing-slash-stripped) path is the same element prefix. */
interface PrefixEntry {
  prefix?: RouteMatch;
  glob?: RouteMatch;
  plain?: RouteMatch;
  /** Best rule when the request continues past the key with "/". */
  below?: RouteMatch;
  /** Best rule when the request path equals the key (a glob needs the "/"). */
  equal?: RouteMatch;
}

/**
 * Lookup is: one Map hit for Exact, then one Map hit per "/" of the request
 * path, from the longest element prefix to "/" — but only at lengths some
 * rule key actually has (a byte per length), so the cost depends on the
 * request path's depth, never on the number of rules.
 */
export class HostRoutes {
  readonly exact = new Map<string, RouteMatch>();
  private readonly prefixes = new Map<string, PrefixEntry>();
  private lens = new Uint8Array(1);

  /** Returns false when an equivalent rule was already added (first wins). */
  add(m: RouteMatch, path: string): boolean {
    if (m.pathType === 'Exact') {
      if (this.exact.has(path)) return false;
      this.exact.set(path, m);
      return true;
    }
    const glob = m.pathType === 'ImplementationSpecific' && path.endsWith('/*');
    // Keys are element prefixes without the trailing slash; '' is the root.
    let key = glob ? path.slice(0, -2) : path;
    if (key.endsWith('/')) key = key.slice(0, -1);
    let e = this.prefixes.get(key);
    if (!e) {
      e = {};
      this.prefixes.set(key, e);
    }
    const slot = m.pathType === 'Prefix' ? 'prefix' : glob ? 'glob' : 'plain';
    if (e[slot]) return false;
    e[slot] = m;
    // Same element depth: Prefix, then the ImplementationSpecific glob, then plain ImplementationSpecific.
    e.below = e.prefix ?? e.glob ?? e.plain;
    e.equal = e.prefix ?? e.plain;
    if (key.length >= this.lens.length) {
      const grown = new Uint8Array(key.length + 1);
      grown.set(this.lens);
      this.lens = grown;
    }
    this.lens[key.length] = 1;
    return true;
  }

  find(path: string): RouteMatch | undefined {
    const ex = this.exact.get(path);
    if (ex !== undefined) return ex;
    const lens = this.lens;
    const prefixes = this.prefixes;
    let i = path.length;
    // The whole path as a key (request equals the rule path).
    if (i < lens.length && lens[i] === 1 && path.charCodeAt(i - 1) !== 47) {
      const e = prefixes.get(path);
      if (e !== undefined && e.equal !== undefined) return e.equal;
    }
    // Every shorter element prefix, longest first, ending at a "/".
    for (i = Math.min(i - 1, lens.length - 1); i >= 0; i--) {
      if (lens[i] !== 1 || path.charCodeAt(i) !== 47) continue;
      const e = prefixes.get(i === 0 ? '' : path.slice(0, i));
      if (e !== undefined && e.below !== undefined) return e.below;
    }
    return undefined;
  }
}
