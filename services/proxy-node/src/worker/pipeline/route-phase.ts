/**
 * The route phase, one for HTTP/1, HTTP/2 and WebSocket: what the request is
 * (its id, the authority it is for, its target in origin-form and
 * normalised), whether it may be served at all (400 for a bad target or
 * Host), and the rule that serves it (404 when none), with that rule's
 * compiled policy and filters.
 */
import { ambiguousPath, normalizePath } from '@meshgate/routing';
import { channels, requestEventsWanted } from '@meshgate/telemetry';
import { newRequestId } from '../ids.ts';
import { h2HeaderExcess } from '../h2-limits.ts';
import type { RequestContext } from './request-context.ts';
import { respond } from './respond.ts';

/** False when the request was answered here. */
export function routeRequest(ctx: RequestContext): boolean {
  const req = ctx.req;
  const h = req.headers;
  const rid = h['x-request-id'];
  ctx.requestId = typeof rid === 'string' && rid !== '' ? rid : newRequestId();
  ctx.host = (ctx.h2 ? (h[':authority'] as string | undefined) ?? h.host : h.host) ?? '';
  ctx.originTarget = ctx.h2 ? req.url : originTarget(ctx, req.url);
  const target = normalizePath(ctx.originTarget);
  if (requestEventsWanted()) {
    ctx.info = {
      method: req.method, host: ctx.host, target: req.url, path: target?.path ?? '', headers: h,
      remoteAddress: req.remoteAddress, scheme: ctx.scheme, httpVersion: req.httpVersion,
      node: ctx.env.nodeId, worker: ctx.env.worker, requestId: ctx.requestId, startTime: ctx.started, store: {},
    };
    if (channels.requestStart.hasSubscribers) channels.requestStart.publish({ ctx: ctx.info });
  }
  ctx.down.once('close', ctx.onClientClose);

  const cfg = ctx.env.config();
  if (cfg === undefined) return refuse(ctx, 503, 'meshgate: no configuration applied yet\n');
  if (!target) return refuse(ctx, 400, 'meshgate: malformed request target\n');
  const bad = refusal(ctx, target.path);
  if (bad !== undefined) return refuse(ctx, bad[0], bad[1]);
  const match = cfg.routes.find(ctx.host, target.path);
  if (match === undefined) return refuse(ctx, 404, 'meshgate: no ingress rule matches this host and path\n');
  ctx.match = match;
  if (ctx.info !== undefined && channels.requestRouted.hasSubscribers) {
    channels.requestRouted.publish({ ctx: ctx.info, host: match.host, path: match.path, pathType: match.pathType, ingress: match.ingress, backend: match.backend, rule: match });
  }
  ctx.route = cfg.policies.get(match.ingress) ?? cfg.defaultPolicy;
  ctx.upstreamTarget = target.query ? `${target.path}?${target.query}` : target.path;
  readBodyFraming(ctx);
  return true;
}

/** Whether a body follows, and its declared length. */
function readBodyFraming(ctx: RequestContext): void {
  const h = ctx.req.headers;
  const cl = h['content-length'];
  ctx.declaredLength = cl === undefined ? -1 : Number(cl);
  ctx.hasBody = ctx.h2 ? ctx.req.body !== null : cl !== undefined ? cl !== '0' : h['transfer-encoding'] !== undefined;
}

/** What makes the request unfit to route, with its status, or undefined. */
function refusal(ctx: RequestContext, path: string): [number, string] | undefined {
  const { req, env } = ctx;
  const h = req.headers;
  if (ctx.h2 && env.maxHeaderSize !== undefined) {
    const excess = h2HeaderExcess(req.rawHeaders, env.maxHeaderSize);
    if (excess !== undefined) return [431, `meshgate: request header fields too large (${excess})\n`];
  }
  const ambiguous = env.strictPaths ? ambiguousPath(path) : undefined;
  if (ambiguous !== undefined) return [400, `meshgate: the path has ${ambiguous}, which servers resolve differently; refused (--path-strictness relaxed allows it)\n`];
  // Host as nginx checks it: one header, a name or IP literal, a port that exists.
  if (!validHost(ctx.host) || hostHeaderCount(req.rawHeaders) > 1) return [400, 'meshgate: invalid Host header\n'];
  // RFC 9113 8.3.1: a host header naming another authority than :authority is malformed (else routed by one, sent with the other).
  if (ctx.h2 && h.host !== undefined && h[':authority'] !== undefined && !sameAuthority(h[':authority'] as string, h.host, ctx.scheme)) {
    return [400, 'meshgate: the host header and :authority differ\n'];
  }
  return undefined;
}

/** The port a scheme implies, for comparing authorities. */
const DEFAULT_PORT = { http: ':80', https: ':443' } as const;

/** Two authorities name the same host and port (RFC 3986 6.2: the host's case and a default port do not count). */
export function sameAuthority(a: string, b: string, scheme: 'http' | 'https'): boolean {
  if (a === b) return true;
  const norm = (x: string) => {
    const l = x.toLowerCase();
    return l.endsWith(DEFAULT_PORT[scheme]) ? l.slice(0, -DEFAULT_PORT[scheme].length) : l;
  };
  return norm(a) === norm(b);
}

function refuse(ctx: RequestContext, status: number, body: string): false {
  respond(ctx, status, body);
  return false;
}

/** `http://` or `https://`, an authority without userinfo, then the path and query (RFC 9112 3.2.2, RFC 3986 3.2). */
const ABSOLUTE = /^https?:\/\/([^/?#@]+)([/?].*)?$/i;

/**
 * The target in origin-form. An absolute-form one (RFC 9112 3.2.2: MUST be
 * accepted) sets the request's host to its authority, which wins over Host.
 * A target that is neither stays as it is (normalizePath refuses it).
 */
export function originTarget(x: { host: string; absolute: boolean }, url: string): string {
  if (url.charCodeAt(0) === 47 /* / */) return url;
  const abs = absoluteForm(url);
  if (abs === null) return url;
  x.host = abs.authority;
  x.absolute = true;
  return abs.path;
}

/**
 * An absolute-form target split into its authority and origin-form (`/` when
 * the path is empty). null when it is not http(s), has no host, or carries
 * userinfo (`http://evil@example.com/`, an open-proxy trick: refused, 400).
 */
export function absoluteForm(target: string): { authority: string; path: string } | null {
  const m = ABSOLUTE.exec(target);
  if (m === null) return null;
  const rest = m[2];
  return { authority: m[1]!, path: rest === undefined ? '/' : rest.charCodeAt(0) === 63 /* ? */ ? `/${rest}` : rest };
}

const HOST = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-._~!$&'()*+,;=%]+)(?::(\d{1,5}))?$/;

/** An empty Host (HTTP/1.0) is allowed; otherwise reg-name or IP literal, optional port 0-65535. */
export function validHost(host: string): boolean {
  if (host === '') return true;
  const m = HOST.exec(host);
  return m !== null && (m[1] === undefined || Number(m[1]) <= 65535);
}

function hostHeaderCount(raw: readonly string[]): number {
  let n = 0;
  for (let i = 0; i < raw.length; i += 2) if (raw[i]!.length === 4 && raw[i]!.toLowerCase() === 'host') n++;
  return n;
}
