// IP lists and rate limits, as ingress-nginx's annotations state them
// (whitelist/allowlist/denylist-source-range, limit-rps, limit-rpm,
// limit-connections, limit-burst-multiplier, limit-whitelist/allowlist),
// read the same under both prefixes: `meshgate.dev/<name>` is the twin of
// `nginx.ingress.kubernetes.io/<name>`. A value that would weaken access
// control when misread (a CIDR, a limit) refuses the Ingress, as
// ingress-nginx denies the location; a bad burst multiplier is a warning.
import { parseGoInt } from './annotation-values.ts';
import { parseCidrList } from './cidr.ts';
import type { Sibling, Translation } from './ingress-policy.ts';

const cidrs = (v: string, what: string, settings: (c: string[]) => Translation['settings'], note: string): Translation => {
  const r = parseCidrList(v);
  if ('error' in r) return { refuse: `${what}: ${r.error}; an unreadable list would let the wrong clients in` };
  return { settings: settings(r.cidrs), note: `${note}: ${r.cidrs.join(', ')}` };
};

const limit = (v: string, field: 'rps' | 'rpm' | 'connections', what: string): Translation => {
  const n = parseGoInt(v);
  if (n === undefined || n < 0) return { refuse: `limit-${field} "${v}" is not a whole number (0: no limit); an unreadable limit would not limit` };
  if (n === 0) return { note: 'no limit ("0")' };
  return { settings: { rateLimit: { [field]: n } }, note: `${what}: ${n}` };
};

/** Translations by name (without the prefix); `get` reads the others of the same prefix. */
export const ACCESS_TRANSLATE: Record<string, (v: string, get: Sibling) => Translation> = {
  'allowlist-source-range': (v) => cidrs(v, 'allowlist-source-range', (c) => ({ ipAccess: { allow: c } }), 'only clients from these addresses (others get 403)'),
  'whitelist-source-range': (v, get) => get('allowlist-source-range') !== undefined
    ? { note: 'no effect: allowlist-source-range (its new name) is set and wins' }
    : cidrs(v, 'whitelist-source-range', (c) => ({ ipAccess: { allow: c } }), 'only clients from these addresses (others get 403)'),
  'denylist-source-range': (v) => cidrs(v, 'denylist-source-range', (c) => ({ ipAccess: { deny: c } }), 'clients from these addresses get 403'),
  'limit-rps': (v) => limit(v, 'rps', 'requests per second per client address'),
  'limit-rpm': (v) => limit(v, 'rpm', 'requests per minute per client address'),
  'limit-connections': (v) => limit(v, 'connections', 'requests in progress at once per client address'),
  'limit-burst-multiplier': (v) => {
    const n = parseGoInt(v);
    if (n === undefined || n < 1) return { bad: 'write a whole number of 1 or more (5 by default)' };
    return { settings: { rateLimit: { burstMultiplier: n } }, note: `a burst of ${n} x the rate is let through at once` };
  },
  'limit-allowlist': (v) => cidrs(v, 'limit-allowlist', (c) => ({ rateLimit: { exempt: c } }), 'never rate limited'),
  'limit-whitelist': (v, get) => get('limit-allowlist') !== undefined
    ? { note: 'no effect: limit-allowlist (its new name) is set and wins' }
    : cidrs(v, 'limit-whitelist', (c) => ({ rateLimit: { exempt: c } }), 'never rate limited'),
};

/** meshgate's own: where a limit is counted, and the refusal's status. */
export const LIMIT_EXTRAS: Record<string, (v: string) => Translation> = {
  'limit-scope': (v) => v === 'node' || v === 'cluster'
    ? { settings: { rateLimit: { scope: v } }, note: v === 'cluster' ? 'the rate limits hold across every proxy node (shared over NATS)' : 'each proxy node counts on its own' }
    : { bad: 'write node or cluster' },
  'limit-status': (v) => {
    const n = parseGoInt(v);
    if (n === undefined || n < 400 || n > 599) return { bad: 'write a 4xx or 5xx status, such as 429 (503 by default)' };
    return { settings: { rateLimit: { status: n } }, note: `requests over a limit get ${n}` };
  },
};
