// Public data model of @meshgate/ingress. Everything here is plain data
// (no classes, Maps or functions) because a MeshConfig is msgpack-encoded
// and shipped to other processes.

import type { BuildCache } from './build-cache.ts';

export interface SourceFile {
  path: string;
  text: string;
}

export interface ManifestError {
  file: string;
  line?: number;
  kind?: string;
  namespace?: string;
  name?: string;
  /** Field path such as `spec.rules[0].http.paths[1].path`. */
  field?: string;
  message: string;
}

export type PathType = 'Exact' | 'Prefix' | 'ImplementationSpecific';

export interface RouteRule {
  /** '' = any host; lowercase; may be a one-label wildcard '*.example.com'. */
  host: string;
  path: string;
  pathType: PathType;
  /** BackendConfig.id */
  backend: string;
  /** 'namespace/name' of the Ingress the rule comes from. */
  ingress: string;
  /** What the data plane does for the Ingress's requests (from its annotations); absent: the proxy's defaults. */
  policy?: IngressPolicy;
}

export interface DefaultBackendRule {
  backend: string;
  ingress: string;
  /** As RouteRule.policy. */
  policy?: IngressPolicy;
}

/**
 * Per-Ingress data-plane settings, translated from its annotations
 * (`meshgate.dev/*` or `nginx.ingress.kubernetes.io/*`): the data plane never
 * sees which API a setting came from. An absent field is the proxy's default.
 */
export interface IngressPolicy {
  loadBalance?: 'round-robin' | 'least-request' | 'consistent-hash';
  /** The consistent-hash key: a header (lowercase name), a cookie, the client address, or the request target as sent. */
  hashBy?: { kind: 'header' | 'cookie' | 'client-ip' | 'uri'; name: string };
  connectTimeoutMs?: number;
  /** Time to wait for the response headers (504 after). */
  responseTimeoutMs?: number;
  idleTimeoutMs?: number;
  /** Request bodies larger than this get 413; 0 = no limit. */
  maxBodyBytes?: number;
  /** Plain HTTP requests get a 308 to HTTPS. */
  sslRedirect?: boolean;
  /** That redirect drops a trailing '/' of the target (ingress-nginx's default) or keeps it. */
  redirectTrailingSlash?: 'keep' | 'strip';
  /** Upstream attempts per request (1 = no retry); 0 = each endpoint at most once, no other limit. */
  attempts?: number;
  allDown?: 'panic' | 'try-all' | 'fail';
  /** false: no access-log line for these requests. */
  accessLog?: boolean;
  /** WebSocket tunnels: ms with no byte either way before both sides close (0: never); unset: the proxy's --tunnel-idle-timeout. */
  tunnelIdleTimeoutMs?: number;
  /** IP allow and deny lists on the real client address (after --trusted-proxies): 403 when refused. */
  ipAccess?: IpAccessPolicy;
  /** Request rate and concurrency limits per client address. */
  rateLimit?: RateLimitPolicy;
  /** Cross-origin resource sharing: preflights answered at the proxy, CORS headers on responses. */
  cors?: CorsPolicy;
  /** Changes to the request headers sent upstream. */
  requestHeaders?: HeaderModifier;
  /** Changes to the response headers sent to the client (the proxy's own answers included). */
  responseHeaders?: HeaderModifier;
}

/**
 * ingress-nginx's denylist-source-range and whitelist-source-range: a client
 * in `deny` is refused; with `allow`, a client outside it is refused too.
 * CIDRs as `parseCidrs` (forwarded.ts) checks them: `10.0.0.0/8`, `2001:db8::/32`, `192.0.2.7`.
 */
export interface IpAccessPolicy {
  allow?: string[];
  deny?: string[];
}

/**
 * Limits per client address (the real one, after --trusted-proxies), as
 * ingress-nginx's limit-rps, limit-rpm and limit-connections: a request over
 * a limit gets `status`. Each rate has a burst of rate x burstMultiplier
 * requests let through at once (nginx `limit_req ... burst=N nodelay`).
 */
export interface RateLimitPolicy {
  /** Requests per second. */
  rps?: number;
  /** Requests per minute. */
  rpm?: number;
  /** Requests in progress at once. */
  connections?: number;
  /** Default 5 (ingress-nginx's). */
  burstMultiplier?: number;
  /** Client CIDRs never limited (limit-whitelist). */
  exempt?: string[];
  /** The refusal's status; default 503 (ingress-nginx's limit-req-status-code). */
  status?: number;
  /** node (default): each proxy node counts on its own, as each ingress-nginx instance does; cluster: the limit holds across every node. */
  scope?: 'node' | 'cluster';
}

/**
 * CORS, filled from ingress-nginx's enable-cors/cors-* annotations (their
 * defaults) or from the Gateway API's HTTPCORSFilter (its defaults): the two
 * differ only where the flags below say.
 */
export interface CorsPolicy {
  /** `*` (any origin), or `scheme://host[:port]` (lower-case, no default port), the host possibly starting with `*.`, or `null`. */
  allowOrigins: string[];
  /** What `*.` matches: one DNS label (ingress-nginx) or any number of labels (Gateway API). */
  wildcard: 'one-label' | 'any-labels';
  /** Preflight answer's Access-Control-Allow-Methods (`*`: any); empty: none. */
  allowMethods: string[];
  /** Preflight answer's Access-Control-Allow-Headers (`*`: any); empty: none. */
  allowHeaders: string[];
  /** Access-Control-Expose-Headers on responses; empty: none. */
  exposeHeaders: string[];
  allowCredentials: boolean;
  /** Access-Control-Max-Age of preflight answers, in seconds. */
  maxAgeSeconds: number;
  /**
   * With credentials allowed, a `*` (origin, methods, headers) is answered
   * with the request's own value (echo: the Gateway API's rule) or as `*`
   * (literal: ingress-nginx, which browsers then refuse for credentialed requests).
   */
  credentialedWildcard: 'echo' | 'literal';
}

/**
 * Header changes with the Gateway API's HTTPHeaderFilter semantics, applied
 * in this order: remove, set, add. Names are lower-case; matching ignores
 * case. Hop-by-hop and proxy-owned headers are refused (headerModifierProblem).
 */
export interface HeaderModifier {
  /** Every field of these names is removed. */
  remove?: string[];
  /** Replaces the fields of that name (or adds one). */
  set?: HeaderValue[];
  /** Adds a field, keeping those the message has. */
  add?: HeaderValue[];
}

export interface HeaderValue {
  name: string;
  value: string;
}

/** What meshgate does with one annotation of an Ingress (`meshgate lint`, `meshgate get ingresses -o json`). */
export interface AnnotationFinding {
  annotation: string;
  /** unknown: under a prefix meshgate reads, but not a name it knows (a warning). */
  outcome: 'supported' | 'ignored' | 'refused' | 'unknown';
  /** What it does, or why it is ignored or refused. */
  message: string;
}

export interface EndpointConfig {
  /** 'address:port' ('[v6]:port' for IPv6). */
  id: string;
  address: string;
  port: number;
  /** Node name for NodePort backends. */
  node?: string;
}

export interface BackendConfig {
  /** `${namespace}/${service}:${port}`, port as the Ingress names it (number or name). */
  id: string;
  namespace: string;
  service: string;
  servicePort: number | string;
  endpoints: EndpointConfig[];
  /** Service annotation meshgate.dev/health-path, default '/'. */
  healthPath: string;
  /** The Service's annotations. */
  annotations: Record<string, string>;
}

export interface TlsCertificate {
  /** 'namespace/secretName' */
  id: string;
  /** From the Ingress tls[].hosts; empty = default certificate. */
  hosts: string[];
  cert: string;
  key: string;
}

export interface IngressStatus {
  id: string;
  namespace: string;
  name: string;
  apiVersion: string;
  className?: string;
  state: 'served' | 'ignored' | 'rejected';
  reason?: string;
  /** Number of route rules this Ingress contributes. */
  rules: number;
  /** Annotations meshgate ignored (with why), unknown ones, bad values it replaced by the default: the Ingress is served regardless. */
  warnings?: string[];
  /** Each `meshgate.dev/*` and `nginx.ingress.kubernetes.io/*` annotation and what meshgate does with it; absent when none. */
  annotations?: AnnotationFinding[];
  file: string;
  line?: number;
}

export interface MeshConfig {
  rules: RouteRule[];
  defaultBackend?: DefaultBackendRule;
  backends: BackendConfig[];
  tls: TlsCertificate[];
  ingresses: IngressStatus[];
  errors: ManifestError[];
  /** Served anyway, but not as written: annotations ignored or unknown, bad values replaced by defaults. */
  warnings: ManifestError[];
}

export interface BuildOptions {
  /**
   * IngressClass names served by meshgate (a comma list in a string, or a
   * list); default 'meshgate'. Class `nginx` (or an IngressClass of
   * controller k8s.io/ingress-nginx) gets ingress-nginx's defaults.
   */
  ingressClass?: string | readonly string[];
  /** The time (ms since epoch) certificates in TLS Secrets must be valid at; default now. */
  now?: number;
  /**
   * What the previous build parsed and validated (a `BuildCache`): a config
   * service keeps one, so a change re-parses only the documents it touched.
   */
  cache?: BuildCache;
}

/** IngressClass controller value that marks a class as meshgate's. */
export const MESHGATE_CONTROLLER = 'meshgate.dev/ingress-controller';
export const DEFAULT_INGRESS_CLASS = 'meshgate';
export const HEALTH_PATH_ANNOTATION = 'meshgate.dev/health-path';
/** meshgate's own annotations: on an Ingress, translated into its IngressPolicy. */
export const MESHGATE_ANNOTATION_PREFIX = 'meshgate.dev/';
/** ingress-nginx's annotations: each is supported, ignored with a warning, or refused (nginx-annotations.ts). */
export const NGINX_ANNOTATION_PREFIX = 'nginx.ingress.kubernetes.io/';
/** IngressClass controller value of ingress-nginx: its Ingresses get ingress-nginx's defaults. */
export const NGINX_CONTROLLER = 'k8s.io/ingress-nginx';
