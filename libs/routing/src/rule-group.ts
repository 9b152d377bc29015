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
  readonly match: RouteMatch;
  /** Position in precedence order within the group: lower wins. */
  rank: number;
  readonly method: string | undefined;
  readonly headers: ValueTest[] | undefined;
  readonly query: ValueTest[] | undefined;
  readonly pathRe: RegExp | undefined;
}

/** Patterns compiled once per table, kept across patches. */
export type RegexCache = Map<string, RegExp | null>;

export class RuleGroup {
  readonly #rules = new Map<string, RouteRule>();
  #exact = new Map<string, CompiledRule[]>();
  #prefix = new Map<string, CompiledRule[]>();
  #lens = new Uint8Array(1);
  #regex: CompiledRule[] = [];
  readonly #cache: RegexCache;

  constructor(cache: RegexCache) {
    this.#cache = cache;
  }

  get size(): number {
    return this.#rules.size;
  }

  set(id: string, rule: RouteRule): void {
    this.#rules.set(id, rule);
  }

  delete(id: string): void {
    this.#rules.delete(id);
  }

  /** Indexes the rules again, in precedence order (after set/delete). */
  rebuild(host: string): void {
    const sorted = [...this.#rules].sort(([ia, a], [ib, b]) => comparePrecedence(a.precedence, b.precedence) || (ia < ib ? -1 : ia > ib ? 1 : 0));
    this.#exact = new Map();
    this.#prefix = new Map();
    this.#regex = [];
    let maxLen = 0;
    const compiled = sorted.map(([, r], rank) => this.#compile(r, rank, host));
    for (const c of compiled) {
      const m = c.match;
      if (m.pathType === 'RegularExpression') this.#regex.push(c);
      else if (m.pathType === 'Exact') push(this.#exact, normalized(m.path), c);
      else {
        const key = prefixKey(normalized(m.path));
        push(this.#prefix, key, c);
        maxLen = Math.max(maxLen, key.length);
      }
    }
    this.#lens = new Uint8Array(maxLen + 1);
    for (const k of this.#prefix.keys()) this.#lens[k.length] = 1;
  }

  find(path: string, req: RequestView | undefined): RouteMatch | undefined {
    let best = first(this.#exact.get(path), path, req, Infinity);
    const whole = this.#prefix.get(path);
    if (whole !== undefined) best = first(whole, path, req, best?.rank ?? Infinity) ?? best;
    const lens = this.#lens;
    for (let i = Math.min(path.length - 1, lens.length - 1); i >= 0; i--) {
      if (lens[i] !== 1 || path.charCodeAt(i) !== 47) continue;
      const list = this.#prefix.get(i === 0 ? '' : path.slice(0, i));
      if (list !== undefined) best = first(list, path, req, best?.rank ?? Infinity) ?? best;
    }
    if (this.#regex.length > 0) best = first(this.#regex, path, req, best?.rank ?? Infinity) ?? best;
    return best?.match;
  }

  #compile(r: RouteRule, rank: number, host: string): CompiledRule {
    const c = r.conditions;
    return {
      match: { backend: r.backend, ingress: r.ingress, host, path: r.path, pathType: r.pathType, rule: r },
      rank,
      method: c?.method,
      headers: c?.headers?.length ? c.headers.map((h) => this.#test({ ...h, name: h.name.toLowerCase() })) : undefined,
      query: c?.query?.length ? c.query.map((q) => this.#test(q)) : undefined,
      pathRe: r.pathType === 'RegularExpression' ? this.#re(r.path) ?? NEVER : undefined,
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

const NEVER = /(?!)/;

/** The first rule of `list` (in rank order) ranked before `limit` whose conditions hold. */
function first(list: CompiledRule[] | undefined, path: string, req: RequestView | undefined, limit: number): CompiledRule | undefined {
  if (list === undefined) return undefined;
  for (let i = 0; i < list.length; i++) {
    const c = list[i]!;
    if (c.rank >= limit) return undefined;
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
