/**
 * Basic authentication (auth-type basic): the Authorization header's user
 * and password against the htpasswd users of the Ingress's Secret. 401 with
 * `WWW-Authenticate: Basic realm="..."` otherwise; 503 when the Secret could
 * not be read (ingress-nginx's "location denied"). As nginx does, the
 * Authorization header is not sent upstream.
 *
 * Verified Authorization values are cached per compiled route (so dropped
 * with the snapshot that compiled it, when users change), keyed by a hash of
 * the value and compared in full on a hit: the allowed path of a returning
 * client hashes one header and compares one string, allocating nothing.
 */
import { checkPassword, TooManyChecksError } from './password-check.ts';
import type { FilterFactory, Respond } from './filter.ts';
import type { RequestContext } from '../pipeline/request-context.ts';

/** Verified credentials kept per route; past it the oldest go first. */
export const CREDENTIAL_CACHE_SIZE = 1024;

/** FNV-1a of a string's UTF-16 code units. */
export function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** Authorization values that passed, by their hash (a hit still compares the whole value). */
export class CredentialCache {
  readonly #byHash = new Map<number, string>();
  readonly #max: number;

  constructor(max = CREDENTIAL_CACHE_SIZE) { this.#max = max; }

  has(value: string): boolean { return this.#byHash.get(fnv1a(value)) === value; }

  add(value: string): void {
    const h = fnv1a(value);
    if (this.#byHash.size >= this.#max && !this.#byHash.has(h)) this.#byHash.delete(this.#byHash.keys().next().value!);
    this.#byHash.set(h, value);
  }

  get size(): number { return this.#byHash.size; }
}

/** `Basic base64(user:password)`: the user and password, or undefined. */
export function basicCredentials(header: string): [string, string] | undefined {
  if (header.length < 7 || header.charCodeAt(5) !== 32 || header.slice(0, 5).toLowerCase() !== 'basic') return undefined;
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  return i < 0 ? undefined : [decoded.slice(0, i), decoded.slice(i + 1)];
}

const BUSY: Respond = { kind: 'respond', status: 503, body: 'meshgate: too many password checks at once; try again\n', headers: ['retry-after', '1'], deniedBy: 'auth' };

export const basicAuth: FilterFactory = {
  name: 'basic-auth',
  order: 400,
  compile(policy, env) {
    const p = policy.basicAuth;
    if (p === undefined) return undefined;
    const users = env.access?.users.get(p.users);
    const unavailable: Respond = { kind: 'respond', status: 503, body: `meshgate: 503 Service Temporarily Unavailable (the basic-authentication Secret ${p.secret} is missing or unreadable)\n`, deniedBy: 'auth' };
    if (users === undefined) return { name: 'basic-auth', onRequest: () => unavailable };
    const challenge: Respond = { kind: 'respond', status: 401, body: 'meshgate: 401 Authorization Required\n', headers: ['www-authenticate', `Basic realm="${p.realm}"`], deniedBy: 'auth' };
    const cache = new CredentialCache();
    const pass = (ctx: RequestContext): undefined => {
      // nginx: proxy_set_header Authorization "" after auth_basic.
      ctx.req.headers.authorization = undefined;
      return undefined;
    };
    return {
      name: 'basic-auth',
      onRequest(ctx) {
        const header = ctx.req.headers.authorization;
        if (header === undefined) return challenge;
        if (cache.has(header)) return pass(ctx);
        const cred = basicCredentials(header);
        const hash = cred === undefined ? undefined : users.get(cred[0]);
        if (hash === undefined) return challenge;
        const ok = checkPassword(cred![1], hash);
        if (ok === true) { cache.add(header); return pass(ctx); }
        if (ok === false) return challenge;
        return ok.then(
          (yes) => { if (!yes) return challenge; cache.add(header); return pass(ctx); },
          (err: unknown) => { if (err instanceof TooManyChecksError) return BUSY; throw err; },
        );
      },
    };
  },
};
