// meshgate's own Ingress annotations (`meshgate.dev/*`) -> policy settings.
// A bad value is a warning and the default is used, so one typo never takes
// a route down.
import { ACCESS_TRANSLATE, LIMIT_EXTRAS } from './access-annotations.ts';
import { formatBytes, parseDuration, parseSize } from './annotation-values.ts';
import { CORS_TRANSLATE } from './cors-annotations.ts';
import { HEADER_TRANSLATE } from './header-annotations.ts';
import type { PolicySettings, Translation } from './ingress-policy.ts';
import { MESHGATE_ANNOTATION_PREFIX } from './types.ts';
import { AUTH_NAMES, translateAuth } from './auth-annotations.ts';

const M = MESHGATE_ANNOTATION_PREFIX;

export const MeshgateAnnotations = {
  loadBalance: `${M}load-balance`,
  hashBy: `${M}hash-by`,
  connectTimeout: `${M}connect-timeout`,
  responseTimeout: `${M}response-timeout`,
  idleTimeout: `${M}upstream-idle-timeout`,
  bodySize: `${M}proxy-body-size`,
  sslRedirect: `${M}ssl-redirect`,
  preserveTrailingSlash: `${M}preserve-trailing-slash`,
  retries: `${M}retries`,
  allDown: `${M}all-endpoints-down`,
  accessLog: `${M}access-log`,
  tunnelIdleTimeout: `${M}tunnel-idle-timeout`,
} as const;

/** The authentication annotations: ingress-nginx's names under meshgate.dev/ (auth-annotations.ts). */
const AUTH: Record<string, (v: string, all: Readonly<Record<string, string>>) => Translation> =
  Object.fromEntries(AUTH_NAMES.map((n) => [`${M}${n}`, (v: string, all: Readonly<Record<string, string>>) => translateAuth(n, v, all)]));

/** meshgate.dev annotations that belong on a Service, not an Ingress. */
const SERVICE_ONLY = new Set([`${M}health-path`, `${M}health-check`, `${M}health-status`]);

const LOAD_BALANCERS = ['round-robin', 'least-request', 'consistent-hash'] as const;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

const bool = (v: string, yes: Partial<PolicySettings>, no: Partial<PolicySettings>, what: [string, string]): Translation =>
  v === 'true' ? { settings: yes, note: what[0] } : v === 'false' ? { settings: no, note: what[1] } : { bad: 'write "true" or "false"' };

const duration = (v: string, field: 'connectTimeoutMs' | 'responseTimeoutMs' | 'idleTimeoutMs', what: string): Translation => {
  const ms = parseDuration(v);
  if (ms === undefined || ms <= 0) return { bad: 'write a duration such as 500ms, 5s or 1m' };
  return { settings: { [field]: ms }, note: `${what}: ${ms} ms` };
};

type All = Readonly<Record<string, string>>;

const TRANSLATE: Record<string, (v: string, all: All) => Translation> = {
  [MeshgateAnnotations.loadBalance]: (v) => (LOAD_BALANCERS as readonly string[]).includes(v)
    ? { settings: { loadBalance: v as PolicySettings['loadBalance'] }, note: `load balancing: ${v}` }
    : { bad: `write one of ${LOAD_BALANCERS.join(', ')}` },
  [MeshgateAnnotations.hashBy]: (v) => {
    const m = /^(header|cookie):(.+)$/.exec(v);
    if (m && HEADER_NAME.test(m[2]!)) {
      const kind = m[1] as 'header' | 'cookie';
      return { settings: { hashBy: { kind, name: kind === 'header' ? m[2]!.toLowerCase() : m[2]! } }, note: `consistent-hash key: ${kind} ${m[2]}` };
    }
    if (v === 'client-ip' || v === 'uri') return { settings: { hashBy: { kind: v, name: '' } }, note: `consistent-hash key: ${v === 'uri' ? 'the request target' : 'the client address'}` };
    return { bad: 'write header:NAME, cookie:NAME, client-ip or uri' };
  },
  [MeshgateAnnotations.connectTimeout]: (v) => duration(v, 'connectTimeoutMs', 'upstream connect timeout'),
  [MeshgateAnnotations.responseTimeout]: (v) => duration(v, 'responseTimeoutMs', 'upstream response-headers timeout (504 after)'),
  [MeshgateAnnotations.idleTimeout]: (v) => duration(v, 'idleTimeoutMs', 'idle upstream keep-alive connections closed after'),
  [MeshgateAnnotations.bodySize]: (v) => {
    const n = parseSize(v);
    if (n === undefined) return { bad: 'write a size such as 1m, 512k or 0 (no limit)' };
    return { settings: { maxBodyBytes: n }, note: n === 0 ? 'no request body limit' : `request bodies over ${formatBytes(n)} get 413` };
  },
  [MeshgateAnnotations.sslRedirect]: (v) => {
    if (v === 'true') return { settings: { sslRedirect: 'always' }, note: 'plain HTTP gets a 308 to HTTPS' };
    if (v === 'tls') return { settings: { sslRedirect: 'tls' }, note: 'plain HTTP gets a 308 to HTTPS when the Ingress has a tls section' };
    if (v === 'false') return { settings: { sslRedirect: 'never' }, note: 'no redirect to HTTPS' };
    return { bad: 'write "true", "tls" (only when the Ingress has tls) or "false"' };
  },
  [MeshgateAnnotations.preserveTrailingSlash]: (v) => bool(v, { redirectTrailingSlash: 'keep' }, { redirectTrailingSlash: 'strip' },
    ['the HTTPS redirect keeps a trailing slash', 'the HTTPS redirect drops a trailing slash']),
  [MeshgateAnnotations.retries]: (v) => {
    const n = Number(v);
    if (!/^\d+$/.test(v) || n > 10) return { bad: 'write a whole number of retries from 0 to 10' };
    return { settings: { attempts: n + 1 }, note: n === 0 ? 'no retries' : `up to ${n} retries on another endpoint` };
  },
  [MeshgateAnnotations.allDown]: (v) => v === 'panic' || v === 'try-all' || v === 'fail'
    ? { settings: { allDown: v }, note: `when no endpoint is healthy: ${v}` }
    : { bad: 'write panic, try-all or fail' },
  [MeshgateAnnotations.tunnelIdleTimeout]: (v) => {
    const ms = parseDuration(v);
    if (ms === undefined) return { bad: 'write a duration such as 60s, 1h or 0 (never)' };
    return { settings: { tunnelIdleTimeoutMs: ms }, note: ms === 0 ? 'WebSocket tunnels never time out' : `WebSocket tunnels close after ${ms} ms with no byte either way` };
  },
  [MeshgateAnnotations.accessLog]: (v) => bool(v, { accessLog: true }, { accessLog: false }, ['access log on', 'no access-log lines for this Ingress']),
  // Twins of ingress-nginx's IP lists, rate limits and CORS (the same names and values), and meshgate's own.
  ...Object.fromEntries([...Object.entries(ACCESS_TRANSLATE), ...Object.entries(CORS_TRANSLATE)]
    .map(([name, t]) => [M + name, (v: string, all: All) => t(v, (n) => all[M + n])])),
  ...Object.fromEntries([...Object.entries(LIMIT_EXTRAS), ...Object.entries(HEADER_TRANSLATE)].map(([name, t]) => [M + name, t])),
};

/** A `meshgate.dev/*` annotation of an Ingress: its settings, or a warning (bad value, unknown name). */
export function translateMeshgate(key: string, raw: string, all: All = {}): Translation & { unknown?: string } {
  const t = TRANSLATE[key];
  if (t) return t(raw.trim(), all);
  const auth = AUTH[key];
  if (auth) return auth(raw, all);
  if (SERVICE_ONLY.has(key)) return { unknown: `${key} is a Service annotation: put it on the Service; on an Ingress it does nothing` };
  return { unknown: `${key} is not a meshgate annotation (Ingress annotations: ${MESHGATE_INGRESS_ANNOTATIONS.join(', ')}); ignored` };
}

/** Every `meshgate.dev/` Ingress annotation. */
export const MESHGATE_INGRESS_ANNOTATIONS: readonly string[] = [...Object.keys(TRANSLATE), ...Object.keys(AUTH)];
