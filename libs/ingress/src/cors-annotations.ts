// CORS as ingress-nginx's enable-cors and cors-* annotations state it, with
// its defaults (internal/ingress/annotations/cors), read the same under
// `meshgate.dev/`: enable-cors builds the whole CorsPolicy from its
// siblings; each cors-* annotation only checks its own value (so a warning
// names it). Lists are split on commas here rather than matched with
// ingress-nginx's nested regular expressions, which backtrack without end
// on some inputs in JavaScript.
import { parseGoBool, parseGoInt } from './annotation-values.ts';
import type { Sibling, Translation } from './ingress-policy.ts';
import type { CorsPolicy } from './route-model.ts';

export const NGINX_CORS_DEFAULTS = {
  methods: ['GET', 'PUT', 'POST', 'DELETE', 'PATCH', 'OPTIONS'],
  headers: ['DNT', 'Keep-Alive', 'User-Agent', 'X-Requested-With', 'If-Modified-Since', 'Cache-Control', 'Content-Type', 'Range', 'Authorization'],
  maxAgeSeconds: 1728000,
} as const;

/** An allowed origin as ingress-nginx accepts one: `scheme://host[:port]` (host possibly `*.`-prefixed), `*` or `null`. */
const ORIGIN = /^([a-z][a-z0-9+.-]*):\/\/((?:\*\.)?[A-Za-z0-9\-.]+)(?::(\d{1,5}))?$/;
const DEFAULT_PORT: Record<string, string> = { http: '80', https: '443' };

/** `scheme://host[:port]` lower-case, without the scheme's default port (browsers send none). */
export function canonicalOrigin(o: string): string | undefined {
  if (o === '*' || o === 'null') return o;
  const m = ORIGIN.exec(o);
  if (!m) return undefined;
  const [, scheme, host, port] = m as unknown as [string, string, string, string | undefined];
  const p = port === undefined || port === DEFAULT_PORT[scheme] ? '' : `:${Number(port)}`;
  return `${scheme}://${host.toLowerCase()}${p}`;
}

/** cors-allow-origin: the origins, `*` alone when it is listed (as ingress-nginx); entries it would skip are skipped with a warning. */
export function parseOrigins(v: string): { origins: string[]; skipped: string[] } | { error: string } {
  const entries = v.split(',').map((s) => s.trim()).filter(Boolean);
  if (entries.length === 0) return { origins: ['*'], skipped: [] };
  const origins: string[] = [];
  const skipped: string[] = [];
  for (const e of entries) {
    if (e === '*') return { origins: ['*'], skipped: [] };
    const c = canonicalOrigin(e);
    if (c === undefined) skipped.push(e);
    else if (!origins.includes(c)) origins.push(c);
  }
  if (origins.length === 0) return { error: `no valid origin in "${v}": write scheme://host[:port] (the host may start with "*."), null, or *` };
  return { origins, skipped };
}

const list = (v: string, item: RegExp): string[] | undefined => {
  const xs = v.split(',').map((s) => s.trim()).filter(Boolean);
  return xs.length > 0 && xs.every((x) => item.test(x)) ? xs : undefined;
};
const METHOD = /^[A-Za-z]+$/;
const HEADER = /^[A-Za-z0-9_-]+$/;
const EXPOSE = /^(?:[A-Za-z0-9_-]+|\*)$/;

/** The CORS policy of an Ingress whose enable-cors is true, from its cors-* siblings (ingress-nginx's defaults for what is unset or invalid). */
export function corsPolicy(get: Sibling): CorsPolicy {
  const origins = parseOrigins(get('cors-allow-origin')?.trim() ?? '');
  const credentials = parseGoBool(get('cors-allow-credentials')?.trim() ?? '');
  const maxAge = parseGoInt(get('cors-max-age')?.trim() ?? '');
  return {
    allowOrigins: 'error' in origins ? [] : origins.origins,
    wildcard: 'one-label',
    allowMethods: list(get('cors-allow-methods') ?? '', METHOD) ?? [...NGINX_CORS_DEFAULTS.methods],
    allowHeaders: list(get('cors-allow-headers') ?? '', HEADER) ?? [...NGINX_CORS_DEFAULTS.headers],
    exposeHeaders: list(get('cors-expose-headers') ?? '', EXPOSE) ?? [],
    allowCredentials: credentials ?? true,
    maxAgeSeconds: maxAge ?? NGINX_CORS_DEFAULTS.maxAgeSeconds,
    credentialedWildcard: 'literal',
  };
}

const needsEnable = (get: Sibling): Translation | undefined =>
  parseGoBool(get('enable-cors')?.trim() ?? '') === true ? undefined : { note: 'no effect: enable-cors is not "true"' };

const checked = (ok: boolean, note: string, bad: string) => (get: Sibling): Translation => needsEnable(get) ?? (ok ? { note } : { bad });

/** Translations by name (without the prefix). */
export const CORS_TRANSLATE: Record<string, (v: string, get: Sibling) => Translation> = {
  'enable-cors': (v, get) => {
    const b = parseGoBool(v);
    if (b === undefined) return { bad: 'write "true" or "false"' };
    if (!b) return { note: 'CORS off' };
    const o = parseOrigins(get('cors-allow-origin')?.trim() ?? '');
    if ('error' in o) return { refuse: `cors-allow-origin: ${o.error}` };
    return { settings: { cors: corsPolicy(get) }, note: `preflights answered at the proxy (204); origins ${o.origins.join(', ')}` };
  },
  'cors-allow-origin': (v, get) => {
    const skip = needsEnable(get);
    if (skip) return skip;
    const o = parseOrigins(v);
    if ('error' in o) return { note: 'see enable-cors' };
    const note = o.origins[0] === '*' ? 'any origin' : `allowed origins: ${o.origins.join(', ')}`;
    return o.skipped.length ? { note, partial: `skipped, as ingress-nginx does: ${o.skipped.join(', ')} (write scheme://host[:port])` } : { note };
  },
  'cors-allow-methods': (v, get) => checked(list(v, METHOD) !== undefined, 'methods of preflight answers', 'write methods separated by commas, such as "GET, POST"; the default is used')(get),
  'cors-allow-headers': (v, get) => checked(list(v, HEADER) !== undefined, 'headers of preflight answers', 'write header names separated by commas; the default is used')(get),
  'cors-expose-headers': (v, get) => checked(list(v, EXPOSE) !== undefined, 'Access-Control-Expose-Headers on responses', 'write header names (or *) separated by commas')(get),
  'cors-allow-credentials': (v, get) => checked(parseGoBool(v) !== undefined, `Access-Control-Allow-Credentials ${parseGoBool(v) === false ? 'off' : 'on'}`, 'write "true" or "false"; the default (true) is used')(get),
  'cors-max-age': (v, get) => checked(parseGoInt(v) !== undefined, 'Access-Control-Max-Age of preflight answers', 'write whole seconds; the default (1728000) is used')(get),
};
