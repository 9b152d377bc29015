// The Gateway API rules of one listener and one route hostname, indexed by
// path: a request is looked up by its whole path (Exact), by each of its
// element prefixes (Prefix) and against the regular expressions, and of the
// rules whose conditions also hold, the one first in precedence wins.
import type { RouteRule, ValueMatch } from '@meshgate/ingress';
import type { RouteMatch } from './host-routes.ts';
import { normalizePath } from './normalize-path.ts';
import { comparePrecedence } from './precedence.ts';
import { queryParam, type RequestView } from './request-view.ts';

interface ValueTest {
  name: string;
  exact: string | undefined;
  re: RegExp | undefined;
}

interface CompiledRule {
  readonly id: string;
  readonly match: RouteMatch;
  readonly precedence: readonly (number | string)[] | undefined;
  readonly method: string | undefined;
  readonly headers: ValueTest[] | undefined;
  readonly query: ValueTest[] | undefined;
  readonly pathRe: RegExp | undefined;
  /** The list it sits in (kept sorted, first in precedence first), and that list's key. */
  readonly slot: 'exact' | 'prefix' | 'regex';
  readonly key: string;
}

/** Patterns compiled once per table, kept across patches. */
export type RegexCache = Map<string, RegExp | null>;

/**
 * Each list is kept in precedence order as rules come and go (a patch
 * touches one list, not the group), so a change costs a binary search and
 * a splice whatever the number of rules.
 */
export class RuleGroup {
  readonly #rules = new Map<string, CompiledRule>();
  readonly #exact = new Map<string, CompiledRule[]>();
  readonly #prefix = new Map<string, CompiledRule[]>();
  #lens = new Uint8Array(1);
  readonly #regex: CompiledRule[] = [];
  readonly #cache: RegexCache;
  readonly #host: string;

  constructor(cache: RegexCache, host: string) {
    this.#cache = cache;
    this.#host = host;
  }

  get size(): number {
    return this.#rules.size;
  }

  set(id: string, rule: RouteRule): void {
    this.delete(id);
    const c = this.#compile(id, rule);
    this.#rules.set(id, c);
    const list = this.#list(c, true)!;
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (order(list[mid]!, c) < 0) lo = mid + 1;
      else hi = mid;
    }
    list.splice(lo, 0, c);
    if (c.slot === 'prefix' && c.key.length >= this.#lens.length) {
      const grown = new Uint8Array(c.key.length + 1);
      grown.set(this.#lens);
      this.#lens = grown;
    }
    if (c.slot === 'prefix') this.#lens[c.key.length] = 1;
  }

  delete(id: string): void {
    const c = this.#rules.get(id);
    if (!c) return;
    this.#rules.delete(id);
    const list = this.#list(c, false)!;
    list.splice(list.indexOf(c), 1);
    if (list.length === 0 && c.slot !== 'regex') (c.slot === 'exact' ? this.#exact : this.#prefix).delete(c.key);
  }

  #list(c: CompiledRule, create: boolean): CompiledRule[] | undefined {
    if (c.slot === 'regex') return this.#regex;
    const m = c.slot === 'exact' ? this.#exact : this.#prefix;
    let list = m.get(c.key);
    if (!list && create) m.set(c.key, (list = []));
    return list;
  }

  find(path: string, req: RequestView | undefined): RouteMatch | undefined {
    let best = first(this.#exact.get(path), path, req, undefined);
    const whole = this.#prefix.get(path);
    if (whole !== undefined) best = first(whole, path, req, best) ?? best;
    const lens = this.#lens;
    for (let i = Math.min(path.length - 1, lens.length - 1); i >= 0; i--) {
      if (lens[i] !== 1 || path.charCodeAt(i) !== 47) continue;
      const list = this.#prefix.get(i === 0 ? '' : path.slice(0, i));
      if (list !== undefined) best = first(list, path, req, best) ?? best;
    }
    if (this.#regex.length > 0) best = first(this.#regex, path, req, best) ?? best;
    return best?.match;
  }

  #compile(id: string, r: RouteRule): CompiledRule {
    const c = r.conditions;
    const slot = r.pathType === 'RegularExpression' ? 'regex' : r.pathType === 'Exact' ? 'exact' : 'prefix';
    const path = normalized(r.path);
    return {
      id,
      match: { backend: r.backend, ingress: r.ingress, host: this.#host, path: r.path, pathType: r.pathType, rule: r },
      precedence: r.precedence,
      method: c?.method,
      headers: c?.headers?.length ? c.headers.map((h) => this.#test({ ...h, name: h.name.toLowerCase() })) : undefined,
      query: c?.query?.length ? c.query.map((q) => this.#test(q)) : undefined,
      pathRe: slot === 'regex' ? this.#re(r.path) ?? NEVER : undefined,
      slot,
      key: slot === 'exact' ? path : slot === 'prefix' ? prefixKey(path) : '',
    };
  }

  #test(v: ValueMatch): ValueTest {
    return v.type === 'RegularExpression' ? { name: v.name, exact: undefined, re: this.#re(v.value) ?? NEVER } : { name: v.name, exact: v.value, re: undefined };
  }

  /** The whole value must match; a pattern that does not compile matches nothing (the front end refuses it first). */
  #re(pattern: string): RegExp | undefined {
    let re = this.#cache.get(pattern);
    if (re === undefined) {
      try {
        re = new RegExp(`^(?:${pattern})$`);
      } catch {
        re = null;
      }
      this.#cache.set(pattern, re);
    }
    return re ?? undefined;
  }
}

/** Precedence order: the smaller tuple first, then the id (so equal tuples still have one order). */
function order(a: CompiledRule, b: CompiledRule): number {
  return comparePrecedence(a.precedence, b.precedence) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

const NEVER = /(?!)/;

/** The first rule of `list` (in precedence order), before `best` if given, whose conditions hold. */
function first(list: CompiledRule[] | undefined, path: string, req: RequestView | undefined, best: CompiledRule | undefined): CompiledRule | undefined {
  if (list === undefined) return undefined;
  for (let i = 0; i < list.length; i++) {
    const c = list[i]!;
    if (best !== undefined && order(c, best) >= 0) return undefined;
    if (holds(c, path, req)) return c;
  }
  return undefined;
}

function holds(c: CompiledRule, path: string, req: RequestView | undefined): boolean {
  if (c.pathRe !== undefined && !c.pathRe.test(path)) return false;
  if (c.method !== undefined && req?.method !== c.method) return false;
  if (c.headers !== undefined) {
    if (req === undefined) return false;
    for (const t of c.headers) if (!passes(t, req.header(t.name))) return false;
  }
  if (c.query !== undefined) {
    if (req === undefined) return false;
    for (const t of c.query) if (!passes(t, queryParam(req.query, t.name))) return false;
  }
  return true;
}

function passes(t: ValueTest, v: string | undefined): boolean {
  if (v === undefined) return false;
  return t.re !== undefined ? t.re.test(v) : v === t.exact;
}

function push(m: Map<string, CompiledRule[]>, key: string, c: CompiledRule): void {
  const list = m.get(key);
  if (list) list.push(c);
  else m.set(key, [c]);
}

/** Rule paths get the same normalization as requests. */
function normalized(path: string): string {
  return normalizePath(path)?.path ?? path;
}

/** A Prefix path's key: without its trailing '/' ('' for '/'). */
function prefixKey(path: string): string {
  return path.endsWith('/') ? path.slice(0, -1) : path;
}
