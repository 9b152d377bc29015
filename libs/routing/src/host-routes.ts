// The path rules of one host, compiled for allocation-light lookup.
import type { RoutePathType, RouteRule } from '@meshgate/ingress';

export interface RouteMatch {
  backend: string;
  ingress: string;
  host: string;
  path: string;
  pathType: RoutePathType | 'Default';
  /**
   * The whole rule, for rules with a listener scope (Gateway API): its
   * weighted backends, filters, timeouts and retry. Absent on Ingress matches.
   */
  rule?: RouteRule;
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

  /** Rules in the table (one per occupied slot). */
  size = 0;

  /** Returns false when an equivalent rule was already added (first wins), unless `replace`. */
  add(m: RouteMatch, path: string, replace = false): boolean {
    const { key, slot } = slotOf(m.pathType, path);
    const e = this.entry(key);
    if (e[slot] && !replace) return false;
    if (!e[slot]) this.size++;
    e[slot] = m;
    if (slot === 'exact') return true;
    derive(e);
    if (key.length >= this.lens.length) {
      const grown = new Uint8Array(key.length + 1);
      grown.set(this.lens);
      this.lens = grown;
    }
    this.lens[key.length] = 1;
    return true;
  }

  /**
   * Empties the slot of the rule with this type and (normalized) path.
   * Returns false when the slot was empty. A length stays marked in `lens`:
   * a lookup at it just misses.
   */
  remove(pathType: RouteMatch['pathType'], path: string): boolean {
    const { key, slot } = slotOf(pathType, path);
    const e = this.entries.get(key);
    if (!e || !e[slot]) return false;
    e[slot] = undefined;
    this.size--;
    derive(e);
    if (!e.exact && !e.prefix && !e.glob && !e.plain) this.entries.delete(key);
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

type Slot = 'exact' | 'prefix' | 'glob' | 'plain';

/** Where a rule lives: Exact by its path; Prefix-like ones by the element prefix without the trailing slash ('' is the root). */
function slotOf(pathType: RouteMatch['pathType'], path: string): { key: string; slot: Slot } {
  if (pathType === 'Exact') return { key: path, slot: 'exact' };
  const glob = pathType === 'ImplementationSpecific' && path.endsWith('/*');
  let key = glob ? path.slice(0, -2) : path;
  if (key.endsWith('/')) key = key.slice(0, -1);
  return { key, slot: pathType === 'Prefix' ? 'prefix' : glob ? 'glob' : 'plain' };
}

/** Same element depth: Prefix, then the ImplementationSpecific glob, then plain ImplementationSpecific. */
function derive(e: PathEntry): void {
  e.below = e.prefix ?? e.glob ?? e.plain;
  e.equal = e.prefix ?? e.plain;
}
