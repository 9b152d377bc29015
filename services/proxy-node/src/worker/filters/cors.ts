/**
 * CORS (the Ingress's cors: ingress-nginx's enable-cors and cors-*, or the
 * Gateway API's CORS filter). A preflight (OPTIONS with Origin and
 * Access-Control-Request-Method) is answered at the proxy: 204 with the
 * allowed methods, headers and max-age when its origin is allowed, 403 when
 * not (the Gateway API allows either answer; ingress-nginx would pass it to
 * the backend). Every other response to an allowed origin (the proxy's own
 * refusals and errors too) gets Access-Control-Allow-Origin, -Credentials and
 * -Expose-Headers, replacing the backend's; with origin `*` they go on every
 * response, as ingress-nginx sends them.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { CorsPolicy } from '../route-policy.ts';
import type { FilterFactory, Respond } from './filter.ts';
import { headerValue, setHeader } from './header-list.ts';

const PREFLIGHT_REFUSED: Respond = { kind: 'respond', status: 403, body: 'meshgate: CORS preflight from an origin this route does not allow\n', deniedBy: 'cors' };
const PREFLIGHT: Respond = { kind: 'respond', status: 204 };
const DEFAULT_PORT: Record<string, string> = { http: '80', https: '443' };

interface Origin { scheme: string; host: string; port: string }
/** `*.suffix` (or `*` alone) with its scheme and port. */
interface Wildcard extends Origin { suffix: string }

/** `scheme://host[:port]` in parts, lower-case, the default port dropped; undefined when it is not one. */
export function parseOrigin(o: string): Origin | undefined {
  const sep = o.indexOf('://');
  if (sep <= 0) return undefined;
  const scheme = o.slice(0, sep).toLowerCase();
  const rest = o.slice(sep + 3).toLowerCase();
  const colon = rest.lastIndexOf(':');
  const host = colon === -1 || rest.endsWith(']') ? rest : rest.slice(0, colon);
  let port = colon === -1 || rest.endsWith(']') ? '' : rest.slice(colon + 1);
  if (host === '' || !/^\d*$/.test(port) || /[/?#@\s]/.test(rest)) return undefined;
  if (port === DEFAULT_PORT[scheme]) port = '';
  return { scheme, host, port };
}

/** Which origins a policy allows, compiled once. */
export function originMatcher(c: CorsPolicy): (origin: string) => boolean {
  if (c.allowOrigins.includes('*')) return () => true;
  const exact = new Set<string>();
  const wild: Wildcard[] = [];
  for (const o of c.allowOrigins) {
    if (o === 'null') { exact.add('null'); continue; }
    const p = parseOrigin(o);
    if (p === undefined) continue;
    if (p.host === '*' || p.host.startsWith('*.')) wild.push({ ...p, suffix: p.host.slice(1) });
    else exact.add(`${p.scheme}://${p.host}${p.port ? `:${p.port}` : ''}`);
  }
  const oneLabel = c.wildcard === 'one-label';
  return (origin) => {
    // Browsers send origins as serialized here (lower-case, no default port): most match at once.
    if (exact.has(origin)) return true;
    if (origin === 'null') return false;
    const p = parseOrigin(origin);
    if (p === undefined) return false;
    if (exact.has(`${p.scheme}://${p.host}${p.port ? `:${p.port}` : ''}`)) return true;
    for (const w of wild) {
      if (w.scheme !== p.scheme || w.port !== p.port) continue;
      if (w.host === '*') return true;
      if (p.host.length <= w.suffix.length || !p.host.endsWith(w.suffix)) continue;
      const label = p.host.slice(0, p.host.length - w.suffix.length);
      if (!oneLabel || /^[a-z0-9-]+$/.test(label)) return true;
    }
    return false;
  };
}

const one = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);

export function isPreflight(method: string, h: IncomingHttpHeaders): boolean {
  return method === 'OPTIONS' && h.origin !== undefined && h['access-control-request-method'] !== undefined;
}

export const cors: FilterFactory = {
  name: 'cors',
  order: 70,
  compile(policy) {
    const c = policy.cors;
    if (c === undefined) return undefined;
    const allowed = originMatcher(c);
    const any = c.allowOrigins.includes('*');
    const echo = c.allowCredentials && c.credentialedWildcard === 'echo';
    const methods = c.allowMethods.join(', ');
    const headers = c.allowHeaders.join(', ');
    const expose = c.exposeHeaders.join(', ');
    const maxAge = String(c.maxAgeSeconds);
    return {
      name: 'cors',
      onRequest(ctx) {
        const h = ctx.req.headers;
        if (!isPreflight(ctx.req.method, h)) return undefined;
        return allowed(one(h.origin)!) ? PREFLIGHT : PREFLIGHT_REFUSED;
      },
      onResponse(ctx, status, out) {
        const h = ctx.req.headers;
        const origin = one(h.origin);
        let allowOrigin: string;
        if (any && !echo) allowOrigin = '*';
        else if (origin !== undefined && allowed(origin)) allowOrigin = origin;
        else return;
        if (expose !== '') setHeader(out, 'access-control-expose-headers', expose === '*' && echo ? exposedNames(out) : expose);
        setHeader(out, 'access-control-allow-origin', allowOrigin);
        if (allowOrigin !== '*') vary(out);
        if (c.allowCredentials) setHeader(out, 'access-control-allow-credentials', 'true');
        // The proxy's own answer to an allowed preflight.
        if (status !== 204 || ctx.ep !== undefined || !isPreflight(ctx.req.method, h)) return;
        const wantMethod = one(h['access-control-request-method']);
        const wantHeaders = one(h['access-control-request-headers']);
        const m = methods === '*' && echo ? wantMethod : methods;
        if (m !== undefined && m !== '') setHeader(out, 'access-control-allow-methods', m);
        const hs = headers === '*' && echo ? wantHeaders : headers;
        if (hs !== undefined && hs !== '') setHeader(out, 'access-control-allow-headers', hs);
        setHeader(out, 'access-control-max-age', maxAge);
      },
    };
  },
};

/** Caches must keep answers to different origins apart. */
function vary(out: string[]): void {
  const v = headerValue(out, 'vary');
  if (v === undefined) out.push('vary', 'Origin');
  else if (!/(^|,)\s*(origin|\*)\s*(,|$)/i.test(v)) setHeader(out, 'vary', `${v}, Origin`);
}

/** `*` cannot be used with credentials: the response's own header names instead. */
function exposedNames(out: readonly string[]): string {
  const names: string[] = [];
  for (let i = 0; i < out.length; i += 2) if (!out[i]!.startsWith('access-control-') && !names.includes(out[i]!)) names.push(out[i]!);
  return names.join(', ');
}
