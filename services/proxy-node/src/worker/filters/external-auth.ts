/**
 * External authentication (auth-url; Traefik's ForwardAuth, Envoy's
 * ext_authz): each request is first asked of the auth service
 * (auth-subrequest.ts). As nginx's auth_request: a 2xx passes, with the
 * auth-response-headers replacing the request's on the way upstream; 401 and
 * 403 are answered (a 401 redirects to auth-signin when set, with rd= the
 * original URL); any other status, a timeout or an unreachable service is
 * 500, never a pass. The auth response's Set-Cookie reaches the client with
 * the upstream's response (successful statuses only, unless
 * auth-always-set-cookie). auth-cache-key caches the verdicts per route,
 * host and path, for auth-cache-duration.
 */
import type { Endpoint } from '@meshgate/upstream';
import type { RequestContext } from '../pipeline/request-context.ts';
import type { Filter, FilterFactory, Respond, Verdict } from './filter.ts';
import { askAuthService, directAuthEndpoint, headerValues, type AuthResult } from './auth-subrequest.ts';
import { compileTemplate, signinTemplate, type Template } from './auth-variables.ts';
import type { RoutePolicy } from '../route-policy.ts';

type ExternalAuth = NonNullable<RoutePolicy['externalAuth']>;

/** nginx's add_header without `always`: the statuses the auth cookie is added to. */
const COOKIE_STATUSES = new Set([200, 201, 204, 206, 301, 302, 303, 304, 307, 308]);
/** proxy_cache_valid without codes. */
const DEFAULT_CACHED = [200, 301, 302];
/** Cached verdicts per route; past it the oldest go first. */
export const AUTH_CACHE_SIZE = 4096;

/** What an auth response decides, kept for the cache. */
interface Decision {
  status: number;
  /** auth-response-headers: [lowercase name, value or undefined (removed)]. */
  copy: [string, string | undefined][];
  cookies: string[];
  /** WWW-Authenticate of a 401. */
  challenge: string[];
  expires: number;
}

/** Cookies for the response of a request that passed. */
const pendingCookies = new WeakMap<RequestContext, string[]>();

export const externalAuth: FilterFactory = {
  name: 'external-auth',
  order: 500,
  compile(policy) {
    const a = policy.externalAuth;
    return a === undefined ? undefined : new ExternalAuthFilter(a);
  },
};

class ExternalAuthFilter implements Filter {
  readonly name = 'external-auth';
  readonly #a: ExternalAuth;
  readonly #signin: Template | undefined;
  readonly #cacheKey: Template | undefined;
  readonly #cache = new Map<string, Decision>();
  readonly #direct: (Endpoint & { authority: string; path: string }) | undefined;
  readonly #authority: string;
  readonly #path: string;

  constructor(a: ExternalAuth) {
    this.#a = a;
    this.#signin = a.signin !== undefined ? compileTemplate(signinTemplate(a.signin, a.signinRedirectParam)) : undefined;
    this.#cacheKey = a.cacheKey !== undefined ? compileTemplate(a.cacheKey) : undefined;
    const u = new URL(a.url);
    this.#authority = u.host;
    this.#path = `${u.pathname}${u.search}`;
    this.#direct = a.backend === undefined ? directAuthEndpoint(a.url) : undefined;
  }

  onRequest(ctx: RequestContext): Verdict | Promise<Verdict> {
    let key: string | undefined;
    if (this.#cacheKey !== undefined) {
      key = `${ctx.host}\0${ctx.match?.path ?? ''}\0${this.#cacheKey(ctx)}`;
      const hit = this.#cache.get(key);
      if (hit !== undefined) {
        if (hit.expires > performance.now()) return this.#apply(ctx, hit);
        this.#cache.delete(key);
      }
    }
    const ep = this.#endpoint(ctx);
    if (ep === undefined) return deny(500, `meshgate: 500 Internal Server Error (the auth service ${this.#a.backend} has no endpoint)\n`);
    return askAuthService(ctx, this.#a, ep, this.#authority, this.#path).then((r) => this.#decide(ctx, r, key));
  }

  onResponse(ctx: RequestContext, status: number, headers: string[]): void {
    const cookies = pendingCookies.get(ctx);
    if (cookies === undefined || !(this.#a.alwaysSetCookie || COOKIE_STATUSES.has(status))) return;
    for (const c of cookies) headers.push('set-cookie', c);
  }

  #endpoint(ctx: RequestContext): Endpoint | undefined {
    if (this.#direct !== undefined) return this.#direct;
    const set = ctx.env.config()?.backends.get(this.#a.backend!);
    return set?.pick({ lb: 'round-robin', hashKey: undefined, tried: undefined, allDown: 'panic' });
  }

  #decide(ctx: RequestContext, r: AuthResult, key: string | undefined): Verdict {
    if ('error' in r) {
      return deny(500, `meshgate: 500 Internal Server Error (the auth service did not answer: ${r.error.code || r.error.message})\n`);
    }
    const d: Decision = { status: r.status, copy: [], cookies: headerValues(r.headers, 'set-cookie'), challenge: [], expires: 0 };
    if (r.status >= 200 && r.status < 300) {
      for (const name of this.#a.responseHeaders ?? []) d.copy.push([name, headerValues(r.headers, name)[0]]);
    } else if (r.status === 401) {
      d.challenge = headerValues(r.headers, 'www-authenticate');
    }
    if (key !== undefined) this.#remember(key, d);
    return this.#apply(ctx, d);
  }

  #remember(key: string, d: Decision): void {
    let ms = 0;
    for (const [codes, t] of this.#a.cacheDurations ?? []) {
      if ((codes.length === 0 ? DEFAULT_CACHED : codes).includes(d.status)) { ms = t; break; }
    }
    if (ms <= 0) return;
    d.expires = performance.now() + ms;
    if (this.#cache.size >= AUTH_CACHE_SIZE) this.#cache.delete(this.#cache.keys().next().value!);
    this.#cache.set(key, d);
  }

  #apply(ctx: RequestContext, d: Decision): Verdict {
    const s = d.status;
    if (s >= 200 && s < 300) {
      const h = ctx.req.headers;
      for (const [name, value] of d.copy) h[name] = value;
      if (d.cookies.length > 0) pendingCookies.set(ctx, d.cookies);
      return undefined;
    }
    const cookies: string[] = [];
    if (this.#a.alwaysSetCookie || (s === 401 && this.#signin !== undefined)) for (const c of d.cookies) cookies.push('set-cookie', c);
    if (s === 401 && this.#signin !== undefined) {
      return { kind: 'respond', status: 302, headers: ['location', this.#signin(ctx), ...cookies], body: 'meshgate: 302 Found (sign in first)\n', deniedBy: 'auth' };
    }
    if (s === 401) return deny(401, 'meshgate: 401 Authorization Required\n', [...d.challenge.flatMap((c) => ['www-authenticate', c]), ...cookies]);
    if (s === 403) return deny(403, 'meshgate: 403 Forbidden\n', cookies);
    return deny(500, `meshgate: 500 Internal Server Error (the auth service answered ${s}: only 2xx, 401 and 403 are verdicts)\n`, cookies);
  }
}

function deny(status: number, body: string, headers?: string[]): Respond {
  return headers !== undefined && headers.length > 0 ? { kind: 'respond', status, body, headers, deniedBy: 'auth' } : { kind: 'respond', status, body, deniedBy: 'auth' };
}
