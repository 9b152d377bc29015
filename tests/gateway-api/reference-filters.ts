// What the data plane must compute from a matched rule's filters, written
// as plain functions of the model (the spec's words, nothing more). The
// restated conformance cases check that the model carries all the data the
// expected request or response needs; the data plane's filters must give
// the same answers for the same vectors (docs/gateway-api.md).
import type { HeaderModifier, PathModifier, RouteFilter, RouteRule } from '@meshgate/ingress';

type Redirect = Extract<RouteFilter, { type: 'RequestRedirect' }>;

export interface Incoming {
  scheme: 'http' | 'https';
  /** Host header without port. */
  host: string;
  /** The Gateway listener port the request came in on (80 for the proxies' --http). */
  listenerPort: number;
  path: string;
  query: string;
}

/** The redirect's Location parts, and the status. The port is '' when it is the scheme's well-known one (then it is left out). */
export function redirectTo(f: Redirect, rule: RouteRule, req: Incoming): { status: number; scheme: string; host: string; port: string; path: string } {
  const scheme = f.scheme ?? req.scheme;
  const wellKnown = scheme === 'https' ? 443 : 80;
  const port = f.port ?? (f.scheme !== undefined ? wellKnown : req.listenerPort);
  return { status: f.statusCode, scheme, host: f.hostname ?? req.host, port: port === wellKnown ? '' : String(port), path: f.path ? modifyPath(f.path, rule.path, req.path) : req.path };
}

/** URLRewrite / redirect path: the full path replaced, or the matched Prefix replaced element-wise (the spec's table). */
export function modifyPath(m: PathModifier, matchedPrefix: string, path: string): string {
  if (m.type === 'ReplaceFullPath') return m.value;
  const prefix = matchedPrefix.length > 1 && matchedPrefix.endsWith('/') ? matchedPrefix.slice(0, -1) : matchedPrefix;
  let rest = prefix === '/' ? path : path.slice(prefix.length);
  if (rest !== '' && !rest.startsWith('/')) rest = `/${rest}`;
  const value = m.value.endsWith('/') ? m.value.slice(0, -1) : m.value;
  const out = value + rest;
  return out === '' ? '/' : out;
}

/** Header modifier on a header map (lowercase names; repeated values joined with ','). */
export function modifyHeaders(headers: Record<string, string>, m: HeaderModifier): Record<string, string> {
  const out = { ...headers };
  for (const h of m.set ?? []) out[h.name.toLowerCase()] = h.value;
  for (const h of m.add ?? []) {
    const k = h.name.toLowerCase();
    out[k] = out[k] !== undefined ? `${out[k]},${h.value}` : h.value;
  }
  for (const name of m.remove ?? []) delete out[name.toLowerCase()];
  return out;
}

/** The request the backend receives: rewrites and request header modifiers applied in filter order. */
export function upstreamRequest(rule: RouteRule, req: { host: string; path: string; headers: Record<string, string> }): { host: string; path: string; headers: Record<string, string> } {
  let { host, path, headers } = req;
  headers = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  for (const f of rule.filters ?? []) {
    if (f.type === 'RequestHeaderModifier') headers = modifyHeaders(headers, f.modifier);
    if (f.type === 'URLRewrite') {
      if (f.hostname) host = f.hostname;
      if (f.path) path = modifyPath(f.path, rule.path, path);
    }
  }
  return { host, path, headers };
}

/** The response the client receives from backend headers: response header modifiers in order. */
export function downstreamHeaders(rule: RouteRule, backendHeaders: Record<string, string>): Record<string, string> {
  let headers = Object.fromEntries(Object.entries(backendHeaders).map(([k, v]) => [k.toLowerCase(), v]));
  for (const f of rule.filters ?? []) if (f.type === 'ResponseHeaderModifier') headers = modifyHeaders(headers, f.modifier);
  return headers;
}
