// Public data model of @meshgate/ingress. Everything here is plain data
// (no classes, Maps or functions) because a MeshConfig is msgpack-encoded
// and shipped to other processes.

import type { BuildCache } from './build-cache.ts';
import type { FrontEnd } from './front-end.ts';
import type { GatewayApiStatus } from './gateway-status.ts';
import type { CorsPolicy, HeaderModifier, ListenerScope, RequestConditions, RouteFilter, RouteRetry, RouteTimeouts, WeightedBackend } from './route-model.ts';

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
/** A rule's path type: Ingress's, and RegularExpression (an ECMAScript pattern matched against the whole normalized path). */
export type RoutePathType = PathType | 'RegularExpression';

/**
 * One route rule. The first six fields are all an Ingress rule has; the
 * optional ones after them come from other front ends (route-model.ts) and,
 * when absent, change nothing.
 */
export interface RouteRule {
  /**
   * '' = any host; lowercase; may be a wildcard '*.example.com': one label
   * for a rule without `listener` (Ingress), one or more labels with one
   * (Gateway API).
   */
  host: string;
  path: string;
  pathType: RoutePathType;
  /** BackendConfig.id; with `backends`, its first valid entry (or '' when none is). */
  backend: string;
  /** 'namespace/name' of the Ingress the rule comes from ('Kind namespace/name' for other front ends). */
  ingress: string;
  /** What the data plane does for the Ingress's requests (from its annotations); absent: the proxy's defaults. */
  policy?: IngressPolicy;
  /** Unique in a snapshot; absent: the rule is keyed by host, path type and path (an Ingress rule). */
  id?: string;
  /** The listeners the rule is served on; absent: the proxy's --http and --https listeners. */
  listener?: ListenerScope;
  /** Conditions on method, headers and query, besides host and path. */
  conditions?: RequestConditions;
  /** Weighted backends (the request picks one by weight); absent: `backend`, alone. */
  backends?: WeightedBackend[];
  /** Filters applied in order to every request the rule matches. */
  filters?: RouteFilter[];
  timeouts?: RouteTimeouts;
  retry?: RouteRetry;
  /**
   * Rules of one listener and host that match the same request: the smallest
   * tuple wins (compared element by element, numbers as numbers, strings by
   * code unit). Set by the front end from its API's precedence rules.
   */
  precedence?: (number | string)[];
  /** Matched requests are gRPC: HTTP/2 upstream, and errors the proxy answers are gRPC statuses. */
  grpc?: boolean;
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
  /** Basic authentication (`auth-type: basic`); the users travel in MeshConfig.authUsers under `users`. */
  basicAuth?: BasicAuthPolicy;
  /** External authentication (`auth-url`): a subrequest decides every request. */
  externalAuth?: ExternalAuthPolicy;
  /** Client certificates (`auth-tls-*`); per host: the build turns it into MeshConfig.clientAuth. */
  clientCert?: ClientCertPolicy;
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

export interface BasicAuthPolicy {
  realm: string;
  /** The Secret, 'namespace/name' (the Ingress's namespace when the annotation names none). */
  secret: string;
  /** auth-file: key `auth` holds an htpasswd file; auth-map: each key is a user, its value the hash. */
  secretType: 'auth-file' | 'auth-map';
  /** The MeshConfig.authUsers entry: `secret#secretType`. */
  users: string;
}

export interface ExternalAuthPolicy {
  /** http URL of the auth service; its host is an IP address, a DNS name, or a Service `name.namespace.svc[.cluster.local]`. */
  url: string;
  /** GET unless set (nginx's subrequest method). */
  method?: string;
  /** Where a 401 is redirected, with nginx variables ($host, $scheme, $request_uri, $escaped_request_uri, ...). */
  signin?: string;
  /** The query parameter carrying the original URL to `signin` (default `rd`). */
  signinRedirectParam?: string;
  /** Headers of the auth response (lowercase) that replace the request's on the way upstream. */
  responseHeaders?: string[];
  /** X-Auth-Request-Redirect sent to the auth service (default: the request URI). */
  requestRedirect?: string;
  /** Cache key (nginx variables allowed); caching is on when set. */
  cacheKey?: string;
  /** What is cached and for how long: [statuses (empty: 200 301 302), ms] pairs, as proxy_cache_valid. */
  cacheDurations?: [number[], number][];
  /** The auth response's Set-Cookie also on error responses. */
  alwaysSetCookie?: boolean;
  /** The auth service's backend id when the URL names a Service (MeshConfig.backends). */
  backend?: string;
}

export interface ClientCertPolicy {
  /** The Secret whose `ca.crt` holds the CA bundle, 'namespace/name'. */
  secret: string;
  verify: 'on' | 'optional' | 'optional_no_ca' | 'off';
  depth: number;
  passCertificate: boolean;
  /** Where a request without a valid certificate is redirected (302) instead of 400. */
  errorPage?: string;
  /** A regular expression the certificate's subject DN must match, else 403. */
  matchCn?: string;
}

/** Basic-authentication users of one Secret, for the data plane. Never shown by `get` or `describe`. */
export interface AuthUsers {
  /** BasicAuthPolicy.users. */
  id: string;
  /** [user, hash] in file order: bcrypt, {SHA} or $apr1$ (others are refused at build time). */
  users: [string, string][];
}

/** Client certificates asked for on HTTPS connections to some hosts (auth-tls-*, per host as in ingress-nginx). */
export interface ClientAuthConfig {
  /** Lowercase; `*.` wildcards of one label. */
  hosts: string[];
  /** 'namespace/name' of the Ingress that set it: the oldest per host. */
  ingress: string;
  /** PEM bundle client certificates must chain to. Absent: the Secret is missing or unusable, and every request to these hosts gets 403, as in ingress-nginx. */
  ca?: string;
  verify: ClientCertPolicy['verify'];
  depth: number;
  passCertificate: boolean;
  errorPage?: string;
  matchCn?: string;
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
  /** TLS to the backend, from a Gateway API BackendTLSPolicy on its Service; absent: plain. */
  backendTls?: BackendTlsSettings;
}

/** How the proxy connects to a backend over TLS and checks its certificate. */
export interface BackendTlsSettings {
  /** SNI, and the name the certificate must carry unless `subjectAltNames` is given. */
  hostname: string;
  /** PEM CA bundles to verify against (from ConfigMaps' ca.crt); empty with `wellKnownCACertificates`. */
  caCertificates: string[];
  /** 'System': the platform's trusted CAs instead. */
  wellKnownCACertificates?: 'System';
  /** The certificate must carry one of these (instead of `hostname`). */
  subjectAltNames?: { type: 'Hostname' | 'URI'; value: string }[];
  /**
   * Set when a CA reference is invalid: connections must fail, and requests
   * to this backend get a 5xx, as the spec requires.
   */
  invalid?: string;
  /** 'namespace/name' of the policy, for logs. */
  policy: string;
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
  /** Basic-authentication users the policies name (absent: none). */
  authUsers?: AuthUsers[];
  /** Hosts that ask for client certificates (absent: none). */
  clientAuth?: ClientAuthConfig[];
  ingresses: IngressStatus[];
  errors: ManifestError[];
  /** Served anyway, but not as written: annotations ignored or unknown, bad values replaced by defaults. */
  warnings: ManifestError[];
  /** Gateway API objects and their status, when a Gateway API front end took part in the build. */
  gatewayApi?: GatewayApiStatus;
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
  /**
   * Front ends for more kinds (Gateway API): each reads its own objects
   * and adds rules, backends, certificates and statuses after the Ingresses.
   * Without one, its kinds are unknown kinds (errors).
   */
  frontEnds?: readonly FrontEnd[];
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
