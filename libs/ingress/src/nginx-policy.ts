// The supported ingress-nginx annotations -> policy settings, with
// ingress-nginx's value syntax (Go booleans and integers, nginx sizes, nginx
// variables) and its precedence between annotations. An invalid value is a
// warning and the default is used, as ingress-nginx does.
import { ACCESS_TRANSLATE } from './access-annotations.ts';
import { formatBytes, parseGoBool, parseGoInt, parseSize } from './annotation-values.ts';
import { AUTH_NAMES, translateAuth } from './auth-annotations.ts';
import { CORS_TRANSLATE } from './cors-annotations.ts';
import { NGINX_HEADER_TRANSLATE } from './header-annotations.ts';
import type { PolicySettings, Sibling, Translation } from './ingress-policy.ts';
import { NGINX_ANNOTATION_PREFIX as P } from './types.ts';

type All = Readonly<Record<string, string>>;

const goBool = (v: string, yes: () => Translation, no: () => Translation): Translation => {
  const b = parseGoBool(v);
  return b === undefined ? { bad: 'write "true" or "false"' } : b ? yes() : no();
};

const seconds = (v: string, field: 'connectTimeoutMs' | 'responseTimeoutMs', what: string): Translation => {
  const n = parseGoInt(v);
  if (n === undefined || n <= 0) return { bad: 'write a whole number of seconds, such as "30" (no unit)' };
  return { settings: { [field]: n * 1000 }, note: `${what}: ${n} s` };
};

/** proxy_next_upstream conditions ingress-nginx accepts. */
const NEXT_UPSTREAM = /^((error|timeout|invalid_header|http_500|http_502|http_503|http_504|http_403|http_404|http_429|non_idempotent|off)\s?)+$/;

function nextUpstream(v: string): Translation {
  if (!NEXT_UPSTREAM.test(v)) return { bad: 'write conditions from error, timeout, invalid_header, http_500, http_502, http_503, http_504, http_403, http_404, http_429, non_idempotent, or off' };
  const tokens = v.split(/\s+/).filter(Boolean);
  if (tokens.includes('off')) return { settings: { attempts: 1 }, note: 'no retries' };
  const others = tokens.filter((t) => t !== 'error' && t !== 'timeout');
  const note = 'retries connect failures and timeouts on another endpoint (idempotent requests without a body)';
  if (others.length === 0) return { note };
  return { note, partial: `meshgate does not retry on ${others.join(', ')}: only connect failures, connect timeouts and reused connections that died, for idempotent requests without a body` };
}

/** nginx variables meshgate can hash by, and what they map to. */
function hashBy(v: string): Translation {
  const m = /^\$(?:\{([A-Za-z0-9_]+)\}|([A-Za-z0-9_]+))$/.exec(v);
  const name = m ? (m[1] ?? m[2]!) : undefined;
  const lower = name?.toLowerCase();
  let by: PolicySettings['hashBy'];
  if (lower === 'remote_addr' || lower === 'binary_remote_addr') by = { kind: 'client-ip', name: '' };
  else if (lower === 'request_uri') by = { kind: 'uri', name: '' };
  else if (lower?.startsWith('http_') && lower.length > 5) by = { kind: 'header', name: lower.slice(5).replace(/_/g, '-') };
  else if (lower?.startsWith('cookie_') && lower.length > 7) by = { kind: 'cookie', name: name!.slice(7) };
  if (!by) {
    return { refuse: `upstream-hash-by "${v}": meshgate hashes by one of $remote_addr, $binary_remote_addr, $request_uri, $http_NAME or $cookie_NAME alone; other keys (text, other variables, several together) are not implemented yet` };
  }
  const what = by.kind === 'client-ip' ? 'the client address' : by.kind === 'uri' ? 'the request target' : `${by.kind} ${by.name}`;
  return { settings: { loadBalance: 'consistent-hash', hashBy: by }, note: `consistent hashing by ${what}` };
}

function loadBalance(v: string, all: All): Translation {
  const alg = v.toLowerCase();
  const hashed = all[`${P}upstream-hash-by`] !== undefined;
  if (hashed && alg !== 'sticky_balanced' && alg !== 'sticky_persistent') return { note: 'no effect: upstream-hash-by takes precedence, as in ingress-nginx' };
  switch (alg) {
    case 'round_robin': return { settings: { loadBalance: 'round-robin' }, note: 'round-robin' };
    case 'ewma': return { settings: { loadBalance: 'least-request' }, note: 'least-request (fewest requests in flight: meshgate\'s nearest to EWMA)' };
    case 'chash':
    case 'chashsubset': return { bad: `"${v}" needs upstream-hash-by; without it meshgate uses round-robin` };
    case 'sticky_balanced':
    case 'sticky_persistent': return { refuse: `load-balance "${v}" is cookie affinity, which is not implemented yet` };
    default: return { bad: 'write round_robin or ewma' };
  }
}

const TRANSLATE: Record<string, (v: string, all: All) => Translation> = {
  'ssl-redirect': (v, all) => {
    if (parseGoBool(all[`${P}force-ssl-redirect`]?.trim() ?? '') === true) return { note: 'no effect: force-ssl-redirect is "true"' };
    return goBool(v, () => ({ settings: { sslRedirect: 'tls' }, note: 'plain HTTP gets a 308 to HTTPS when the Ingress has a tls section' }),
      () => ({ settings: { sslRedirect: 'never' }, note: 'no redirect to HTTPS' }));
  },
  'force-ssl-redirect': (v) => goBool(v, () => ({ settings: { sslRedirect: 'always' }, note: 'plain HTTP gets a 308 to HTTPS' }),
    () => ({ note: 'no effect: ssl-redirect decides' })),
  'preserve-trailing-slash': (v) => goBool(v, () => ({ settings: { redirectTrailingSlash: 'keep' }, note: 'the HTTPS redirect keeps a trailing slash' }),
    () => ({ settings: { redirectTrailingSlash: 'strip' }, note: 'the HTTPS redirect drops a trailing slash' })),
  'proxy-body-size': (v) => {
    const n = parseSize(v.replace(/\s/g, ''));
    if (n === undefined) return { bad: 'write a size such as 8m, 512k or 0 (no limit)' };
    return { settings: { maxBodyBytes: n }, note: n === 0 ? 'no request body limit' : `request bodies over ${formatBytes(n)} get 413` };
  },
  'proxy-connect-timeout': (v) => seconds(v, 'connectTimeoutMs', 'upstream connect timeout'),
  // nginx's proxy_read_timeout is the longest wait between two reads from the upstream: the response head, and a WebSocket's silence.
  'proxy-read-timeout': (v) => {
    const t = seconds(v, 'responseTimeoutMs', 'upstream response-headers timeout (504 after)');
    if (!t.settings) return t;
    return { settings: { ...t.settings, tunnelIdleTimeoutMs: t.settings.responseTimeoutMs! }, note: `${t.note}; also WebSocket tunnels' idle timeout` };
  },
  'proxy-next-upstream': (v) => nextUpstream(v),
  'proxy-next-upstream-tries': (v, all) => {
    if (all[`${P}proxy-next-upstream`]?.split(/\s+/).includes('off')) return { note: 'no effect: proxy-next-upstream is "off"' };
    const n = parseGoInt(v);
    if (n === undefined || n < 0) return { bad: 'write a whole number of tries, "0" for no limit' };
    return { settings: { attempts: n }, note: n === 0 ? 'each endpoint tried at most once' : `at most ${n} attempt(s), each on another endpoint` };
  },
  'load-balance': (v, all) => loadBalance(v, all),
  'upstream-hash-by': (v) => hashBy(v),
  'enable-access-log': (v) => goBool(v, () => ({ settings: { accessLog: true }, note: 'access log on' }),
    () => ({ settings: { accessLog: false }, note: 'no access-log lines for this Ingress' })),
  ...Object.fromEntries(AUTH_NAMES.map((n) => [n, (v: string, all: All) => translateAuth(n, v, all)])),
  ...withSiblings(ACCESS_TRANSLATE),
  ...withSiblings(CORS_TRANSLATE),
  ...NGINX_HEADER_TRANSLATE,
};

/** A family read under this prefix: its translations see their ingress-nginx siblings. */
function withSiblings(family: Record<string, (v: string, get: Sibling) => Translation>): Record<string, (v: string, all: All) => Translation> {
  return Object.fromEntries(Object.entries(family).map(([name, t]) => [name, (v: string, all: All) => t(v, (n) => all[P + n])]));
}

/** A supported ingress-nginx annotation (name without the prefix): its settings, or why not. */
export function translateNginx(name: string, raw: string, all: All): Translation {
  const t = TRANSLATE[name];
  if (!t) throw new Error(`nginx annotation ${name} is listed as supported but has no translation`);
  return t(raw.trim(), all);
}

/** ingress-nginx's defaults (its ConfigMap's) for what meshgate supports: an Ingress of class nginx starts from these. */
export const NGINX_DEFAULTS: Readonly<PolicySettings> = {
  maxBodyBytes: 1024 * 1024,
  connectTimeoutMs: 5_000,
  responseTimeoutMs: 60_000,
  attempts: 3,
  sslRedirect: 'tls',
  redirectTrailingSlash: 'strip',
};

export const SUPPORTED_NGINX: readonly string[] = Object.keys(TRANSLATE);
