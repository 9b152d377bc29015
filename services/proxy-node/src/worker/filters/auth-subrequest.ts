/**
 * The external-authentication subrequest (auth-url, as nginx's auth_request
 * sends it for ingress-nginx): the original request's method, URI and
 * headers, without its body, to the auth service through the worker's
 * upstream pools (the same keep-alive H1 connections as proxied requests).
 * Resolves with the auth service's status and headers (its body is read and
 * dropped), or with the error that kept it from answering.
 */
import type { Endpoint, ResponseHandler, H1Connection, UpstreamError } from '@meshgate/upstream';
import { appendForwarded, FORWARDED_HEADERS } from '../forwarded.ts';
import type { RequestContext } from '../pipeline/request-context.ts';
import { HOP_BY_HOP } from '../pipeline/upstream-request.ts';
import type { RoutePolicy } from '../route-policy.ts';

export type AuthResult = { status: number; headers: string[] } | { error: UpstreamError };

type ExternalAuth = NonNullable<RoutePolicy['externalAuth']>;

/** Request headers the subrequest does not pass on: the body's framing, the Host, and what the proxy sets itself. */
const NOT_PASSED = new Set(['content-length', 'host', 'x-request-id', 'x-original-url', 'x-original-method', 'x-original-uri', 'x-scheme', 'x-sent-from',
  'x-auth-request-redirect', 'x-forwarded-method', 'x-forwarded-uri', ...FORWARDED_HEADERS]);

const endpoints = new Map<string, Endpoint & { authority: string; path: string }>();

/** The auth service of an auth-url naming it by address or DNS name (not a Service): its endpoint, host and path. */
export function directAuthEndpoint(url: string): Endpoint & { authority: string; path: string } {
  let ep = endpoints.get(url);
  if (ep === undefined) {
    const u = new URL(url);
    const address = u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname;
    const port = u.port === '' ? 80 : Number(u.port);
    ep = { id: `auth-url ${address}:${port}`, address, port, authority: u.host, path: `${u.pathname}${u.search}` };
    endpoints.set(url, ep);
  }
  return ep;
}

class AuthExchange implements ResponseHandler {
  upstream: H1Connection | undefined;
  status = 0;
  headers: string[] = [];
  readonly #done: (r: AuthResult) => void;

  constructor(done: (r: AuthResult) => void) { this.#done = done; }

  onResponseHead(status: number, _text: string, headers: string[]): void {
    this.status = status;
    this.headers = headers;
  }

  onResponseData(): void {}

  onResponseEnd(): void { this.#done({ status: this.status, headers: this.headers }); }

  onResponseError(err: UpstreamError): void {
    // The head arrived and only the body failed: the verdict stands.
    if (this.status !== 0) this.#done({ status: this.status, headers: this.headers });
    else this.#done({ error: err });
  }
}

/** The subrequest's head (request line and header lines, without the blank line). */
export function authRequestHead(ctx: RequestContext, a: ExternalAuth, authority: string, path: string): string {
  const req = ctx.req;
  const h = req.headers;
  let head = `${a.method ?? 'GET'} ${path} HTTP/1.1\r\nhost: ${authority}\r\n`;
  const out: string[] = [];
  for (const k in h) {
    const v = h[k];
    if (v === undefined || k.charCodeAt(0) === 58 /* ':' */ || HOP_BY_HOP.has(k) || NOT_PASSED.has(k)) continue;
    if (typeof v === 'string') out.push(k, v);
    else for (const one of v) out.push(k, one);
  }
  appendForwarded(out, h, req.remoteAddress, ctx.scheme, ctx.host, ctx.env.trustedProxies);
  for (let i = 0; i < out.length; i += 2) head += `${out[i]}: ${out[i + 1]}\r\n`;
  const uri = ctx.originTarget;
  head += `x-original-url: ${ctx.scheme}://${ctx.host}${uri}\r\nx-original-method: ${req.method}\r\n`;
  // Traefik ForwardAuth's names for the same, which many auth services read.
  head += `x-forwarded-method: ${req.method}\r\nx-forwarded-uri: ${uri}\r\n`;
  if (a.method !== undefined) head += `x-original-uri: ${uri}\r\nx-scheme: ${ctx.scheme}\r\n`;
  head += `x-sent-from: meshgate\r\nx-request-id: ${ctx.requestId}\r\nx-auth-request-redirect: ${a.requestRedirect ?? uri}\r\n`;
  return head;
}

/** Sends the subrequest for `ctx` to `ep`. */
export function askAuthService(ctx: RequestContext, a: ExternalAuth, ep: Endpoint, authority: string, path: string): Promise<AuthResult> {
  const policy = ctx.route!.policy;
  const pool = ctx.env.pools.h1(ep, policy.connectTimeoutMs, policy.idleTimeoutMs);
  const head = authRequestHead(ctx, a, authority, path);
  return new Promise<AuthResult>((resolve) => {
    pool.dispatch({ method: a.method ?? 'GET', head, body: null, bodyLength: 0, headersTimeoutMs: policy.responseTimeoutMs }, new AuthExchange(resolve));
  });
}

/** All values of a response header (raw names, any case). */
export function headerValues(raw: readonly string[], lower: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) if (raw[i]!.length === lower.length && raw[i]!.toLowerCase() === lower) out.push(raw[i + 1]!);
  return out;
}
