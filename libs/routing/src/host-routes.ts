// The path rules of one host, compiled for allocation-light lookup.
import type { PathType } from '@meshgate/ingress';

export interface RouteMatch {
  backend: string;
  ingress: string;
  host: string;
  path: string;
  pathType: PathType | 'Default';
}

/**
 * Everything keyed by one path string: the Exact rule for that path and the
 * Prefix-like rules whose (trailing-slash-stripped) path is that element
 * prefix. One Map per host keeps lookups to few memory touches.
 */
interface PathEntry {
  exact?: RouteMatch;
  prefix?: RouteMatch;
  glob?: RouteMatch;
  plain?: RouteMatch;
  /** Best Prefix-like rule when the request continues past the key with "/". */
  below?: RouteMatch;
  /** Best Prefix-like rule when the request path equals the key (a glob needs the "/"). */
  equal?: RouteMatch;
}

/**
 * Lookup is one Map hit for the whole path (Exact, or a Prefix equal to
 * it), then one Map hit per "/" of the request path, from the longest
 * element prefix to "/" — only at lengths some Prefix key actually has (a
 * byte per length) — so the cost depends on the request path's depth, never
 * on the number of rules.
 */
export class HostRoutes {
  private readonly entries = new Map<string, PathEntry>();
  private lens = new Uint8Array(1);

  private entry(key: string): PathEntry {
    let e = this.entries.get(key);
    if (!e) {
      // All slots present from the start: one hidden class for every entry.
      e = { exact: undefined, prefix: undefined, glob: undefined, plain: undefined, below: undefined, equal: undefined };
      this.entries.set(key, e);
    }
    return e;
  }

  /** Returns false when an equivalent rule was already added (first wins). */
  add(m: RouteMatch, path: string): boolean {
    if (m.pathType === 'Exact') {
      const e = this.entry(path);
      if (e.exact) return false;
      e.exact = m;
      return true;
    }
    const glob = m.pathType === 'ImplementationSpecific' && path.endsWith('/*');
    // Keys are element prefixes without the trailing slash; '' is the root.
    let key = glob ? path.slice(0, -2) : path;
    if (key.endsWith('/')) key = key.slice(0, -1);
    const e = this.entry(key);
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
    const entries = this.entries;
    const whole = entries.get(path);
    if (whole !== undefined) {
      if (whole.exact !== undefined) return whole.exact;
      // Prefix keys never end in "/", so this is the request equal to a Prefix path.
      if (whole.equal !== undefined) return whole.equal;
    }
    const lens = this.lens;
    // Every shorter element prefix, longest first, ending at a "/".
    for (let i = Math.min(path.length - 1, lens.length - 1); i >= 0; i--) {
      if (lens[i] !== 1 || path.charCodeAt(i) !== 47) continue;
      const e = entries.get(i === 0 ? '' : path.slice(0, i));
      if (e !== undefined && e.below !== undefined) return e.below;
    }
    return undefined;
  }
}
