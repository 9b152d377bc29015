/**
 * The nginx variables auth-signin and auth-cache-key may hold ($host,
 * $request_uri, $http_NAME, ...), compiled once per route into a list of
 * pieces so a request only concatenates.
 */
import type { RequestContext } from '../pipeline/request-context.ts';
import { basicCredentials } from './basic-auth.ts';

type Piece = string | ((ctx: RequestContext) => string);

const one = (v: string | string[] | undefined): string => (Array.isArray(v) ? v.join(', ') : v ?? '');
const hostOnly = (ctx: RequestContext) => {
  const h = ctx.host;
  const colon = h.lastIndexOf(':');
  return (colon >= 0 && h.indexOf(']') < colon ? h.slice(0, colon) : h).toLowerCase();
};
const query = (ctx: RequestContext) => { const i = ctx.originTarget.indexOf('?'); return i < 0 ? '' : ctx.originTarget.slice(i + 1); };

const VARIABLES: Record<string, (ctx: RequestContext) => string> = {
  host: hostOnly,
  http_host: (ctx) => one(ctx.req.headers.host) || ctx.host,
  best_http_host: (ctx) => one(ctx.req.headers.host) || ctx.host,
  scheme: (ctx) => ctx.scheme,
  pass_access_scheme: (ctx) => ctx.scheme,
  request_uri: (ctx) => ctx.originTarget,
  escaped_request_uri: (ctx) => encodeURIComponent(ctx.originTarget),
  uri: (ctx) => { const t = ctx.upstreamTarget; const i = t.indexOf('?'); return i < 0 ? t : t.slice(0, i); },
  args: query,
  is_args: (ctx) => (query(ctx) === '' ? '' : '?'),
  request_method: (ctx) => ctx.req.method,
  // The real client's, as ingress-nginx's with its forwarded headers believed (--trusted-proxies).
  remote_addr: (ctx) => ctx.clientAddress,
  remote_user: (ctx) => { const a = ctx.req.headers.authorization; return (a && basicCredentials(a)?.[0]) ?? ''; },
};

function variable(name: string): (ctx: RequestContext) => string {
  const lower = name.toLowerCase();
  const known = VARIABLES[lower];
  if (known) return known;
  if (lower.startsWith('http_')) { const h = lower.slice(5).replace(/_/g, '-'); return (ctx) => one(ctx.req.headers[h]); }
  if (lower.startsWith('cookie_')) {
    const c = name.slice(7);
    return (ctx) => {
      for (const part of one(ctx.req.headers.cookie).split(';')) {
        const eq = part.indexOf('=');
        if (eq > 0 && part.slice(0, eq).trim() === c) return part.slice(eq + 1).trim();
      }
      return '';
    };
  }
  // The config service refused other names; an empty value is nginx's for an unknown one.
  return () => '';
}

export type Template = (ctx: RequestContext) => string;

/** `text` with its $variables, as a function of the request. */
export function compileTemplate(text: string): Template {
  const pieces: Piece[] = [];
  let last = 0;
  for (const m of text.matchAll(/\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))/g)) {
    if (m.index > last) pieces.push(text.slice(last, m.index));
    pieces.push(variable(m[1] ?? m[2]!));
    last = m.index + m[0].length;
  }
  if (last < text.length) pieces.push(text.slice(last));
  return (ctx) => {
    let s = '';
    for (const p of pieces) s += typeof p === 'string' ? p : p(ctx);
    return s;
  };
}

/** ingress-nginx's buildAuthSignURL: the original URL in `param` (default rd) unless the sign-in URL sets it already. */
export function signinTemplate(signin: string, param = 'rd'): string {
  const q = signin.indexOf('?');
  if (q < 0) return `${signin}?${param}=$pass_access_scheme://$http_host$escaped_request_uri`;
  if (new URLSearchParams(signin.slice(q + 1)).get(param)) return signin;
  return `${signin}&${param}=$pass_access_scheme://$http_host$escaped_request_uri`;
}
