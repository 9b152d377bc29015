// Every ingress-nginx annotation (`nginx.ingress.kubernetes.io/<name>`) and
// what meshgate does with it, as data: the build classifies with it, and
// docs/ingress-nginx.md is rendered from it (nginx-doc.ts). Names from
// ingress-nginx controller-v1.15.1 (testdata/ingress-nginx-annotations.txt).
//
// supported: ingress-nginx's semantics and defaults, mapped onto the data plane;
// ignored:   served anyway, with a warning (tuning with no meaning here);
// refused:   the Ingress is rejected, naming the annotation: snippets always,
//            access control until it is implemented, and anything that would
//            change which requests reach which backend, or what they carry,
//            until it is implemented. Refusing is safe; serving them wrong is not.
import { parseGoBool } from './annotation-values.ts';

export type AnnotationList = 'supported' | 'ignored' | 'refused';

export interface NginxAnnotation {
  /** The name after `nginx.ingress.kubernetes.io/`. */
  readonly name: string;
  readonly list: AnnotationList;
  /** Section of the migration guide. */
  readonly group: string;
  /** What meshgate does with it (supported), or why it is ignored or refused. */
  readonly why: string;
  /** supported: the `meshgate.dev/` annotation that does the same. */
  readonly meshgate?: string;
  /** refused: when it changes nothing after all (the Ingress is served), said in words and as a check. */
  readonly harmless?: { readonly when: string; readonly test: (value: string, all: Readonly<Record<string, string>>) => boolean };
}

const P = 'nginx.ingress.kubernetes.io/';
const isFalse = (v: string) => parseGoBool(v.trim()) === false;
const isTrue = (v: string | undefined) => v !== undefined && parseGoBool(v.trim()) === true;
const off: NginxAnnotation['harmless'] = { when: 'set to "false"', test: isFalse };
/** nginx's own "off" for a directive. */
const nginxOff: NginxAnnotation['harmless'] = { when: 'set to "off"', test: (v) => v.trim() === 'off' };
/** A setting that only matters when `switchName` is "true". */
const unless = (switchName: string): NginxAnnotation['harmless'] => ({ when: `\`${switchName}\` is not "true"`, test: (_v, all) => !isTrue(all[P + switchName]) });
/** A setting that only matters when `other` is set. */
const without = (other: string): NginxAnnotation['harmless'] => ({ when: `without \`${other}\``, test: (_v, all) => all[P + other] === undefined });
const protocolOf = (all: Readonly<Record<string, string>>) => (all[`${P}backend-protocol`] ?? 'HTTP').trim().toUpperCase();
const unlessTlsBackend: NginxAnnotation['harmless'] = {
  when: '`backend-protocol` is not HTTPS or GRPCS (nginx uses it only for TLS upstreams)',
  test: (_v, all) => !['HTTPS', 'GRPCS'].includes(protocolOf(all)),
};
const unlessFcgi: NginxAnnotation['harmless'] = { when: '`backend-protocol` is not FCGI', test: (_v, all) => protocolOf(all) !== 'FCGI' };

type Row = [name: string, why?: string, harmless?: NginxAnnotation['harmless']];
const rows = (list: AnnotationList, group: string, why: string, rs: Row[]): NginxAnnotation[] =>
  rs.map(([name, w, harmless]) => ({ name, list, group, why: w ?? why, ...(harmless ? { harmless } : {}) }));
const supported = (group: string, name: string, meshgate: string, why: string): NginxAnnotation => ({ name, list: 'supported', group, why, meshgate });

const REDIRECTS = 'Redirects and TLS';
const TIMEOUTS = 'Timeouts, retries and body size';
const BALANCING = 'Load balancing and affinity';
const LOGS = 'Logging and tracing';
const ROUTING = 'Paths, rewrites, redirects and backends';
const CANARY = 'Canary';
const ACCESS = 'Access control';
const UPSTREAM = 'Upstream protocol and upstream TLS';
const HEADERS = 'Headers and cookies';
const TUNING = 'Buffers and connection tuning';
const SNIPPETS = 'Snippets';

/** The authentication annotations meshgate implements (auth-annotations.ts), with what each does. */
const AUTH_SUPPORTED: [string, string][] = [
  ['auth-type', '"basic": HTTP basic authentication against an htpasswd Secret (bcrypt, {SHA} and $apr1$ hashes; others refused at apply time, naming the user); 401 with `WWW-Authenticate: Basic realm="..."`; the Authorization header is not sent upstream. "digest" is refused'],
  ['auth-secret', 'the Secret of basic authentication (`name` or `namespace/name`, same namespace only); missing or unreadable: 503, as ingress-nginx'],
  ['auth-secret-type', '"auth-file" (default: key `auth` holds an htpasswd file) or "auth-map" (each key a user, its value the hash)'],
  ['auth-realm', 'the realm of the `WWW-Authenticate` challenge'],
  ['auth-url', 'external authentication: each request is first sent (method, URI and headers, no body; X-Original-URL, X-Original-Method, X-Forwarded-*) to this http URL; 2xx passes, 401 and 403 are answered, anything else, a timeout or an unreachable service is 500. A Service name (`name.namespace.svc.cluster.local`) goes to its endpoints; https is refused (not yet)'],
  ['auth-method', 'the method of the auth subrequest (default GET)'],
  ['auth-signin', 'a 401 from the auth service becomes a 302 to this URL (nginx variables $host, $scheme, $request_uri, $escaped_request_uri, ...) with `rd=` the original URL'],
  ['auth-signin-redirect-param', 'the name of the `rd` parameter'],
  ['auth-response-headers', 'these headers of a 2xx auth response replace the request\'s on the way upstream (absent: removed)'],
  ['auth-request-redirect', 'the X-Auth-Request-Redirect sent to the auth service (default: the request URI)'],
  ['auth-cache-key', 'auth responses are cached per Ingress and key (nginx variables allowed), for auth-cache-duration'],
  ['auth-cache-duration', 'what is cached for how long, such as "200 202 401 5m" (the default)'],
  ['auth-always-set-cookie', "the auth response's Set-Cookie is added to every response, not only to successful ones"],
  ['auth-tls-secret', "HTTPS connections to the Ingress's hosts ask for a client certificate signed by a CA in the Secret's `ca.crt`; per host (the oldest Ingress wins); a request whose Host needs one on a connection whose SNI did not ask for it gets 421; a missing Secret: 403"],
  ['auth-tls-verify-client', '"on" (default: 400 without a valid certificate), "optional" (400 only for an invalid one), "optional_no_ca" (any certificate passes; the result goes upstream), "off"'],
  ['auth-tls-verify-depth', 'how many intermediate CAs a client chain may have (default 1)'],
  ['auth-tls-error-page', 'a request the certificate check refuses is redirected (302) here instead of getting 400'],
  ['auth-tls-pass-certificate-to-upstream', '"true": the client certificate goes upstream URL-escaped in `ssl-client-cert`; `ssl-client-verify`, `ssl-client-subject-dn` and `ssl-client-issuer-dn` always do'],
  ['auth-tls-match-cn', 'a regular expression ("CN=...") the certificate\'s subject DN must match, else 403'],
];

const NOT_YET_ACCESS = 'access control is not implemented yet: serving this Ingress would let through requests ingress-nginx refuses';
const NOT_YET_ROUTING = 'not implemented yet: serving this Ingress without it would send requests elsewhere than ingress-nginx does';
const NOT_YET_UPSTREAM = 'upstream protocols other than HTTP/1.1 are not implemented yet';
const BUFFERS = 'meshgate streams bodies with backpressure: it has no buffers to size';
const TRACING = 'tracing is mesh-wide (OTEL_* environment variables); the client\'s traceparent is always continued';

export const NGINX_ANNOTATIONS: readonly NginxAnnotation[] = [
  supported(REDIRECTS, 'ssl-redirect', 'meshgate.dev/ssl-redirect: "tls"',
    'plain HTTP gets a 308 to HTTPS when the Ingress has a `tls` section; on by default for class nginx, as in ingress-nginx ("false" turns it off: `meshgate.dev/ssl-redirect: "false"`)'),
  supported(REDIRECTS, 'force-ssl-redirect', 'meshgate.dev/ssl-redirect: "true"', 'plain HTTP gets a 308 to HTTPS even without a `tls` section'),
  supported(REDIRECTS, 'preserve-trailing-slash', 'meshgate.dev/preserve-trailing-slash',
    'the HTTPS redirect keeps a trailing `/` of the path; ingress-nginx (and class nginx here) drops it by default, meshgate\'s own default keeps it'),
  ...rows('ignored', REDIRECTS, '', [
    ['use-port-in-redirects', 'meshgate\'s redirects name its HTTPS listener\'s port whenever that is not 443'],
    ['relative-redirects', 'meshgate\'s own redirects are absolute, and it does not rewrite the upstream\'s'],
    ['ssl-ciphers', 'TLS settings are mesh-wide (`--tls-profile`, Mozilla intermediate by default), not per host'],
    ['ssl-prefer-server-ciphers', 'TLS settings are mesh-wide (`--tls-profile`), not per host'],
    ['http2-push-preload', 'HTTP/2 server push is not supported (browsers dropped it)'],
  ]),
  ...rows('refused', REDIRECTS, '', [
    ['ssl-passthrough', 'TLS passthrough to the backend is not implemented: meshgate would terminate TLS the backend expects to see', off],
  ]),

  supported(TIMEOUTS, 'proxy-body-size', 'meshgate.dev/proxy-body-size', 'request bodies larger than this get 413; "0" means no limit; class nginx default 1m'),
  supported(TIMEOUTS, 'proxy-connect-timeout', 'meshgate.dev/connect-timeout', 'seconds to connect to an endpoint; class nginx default 5'),
  supported(TIMEOUTS, 'proxy-read-timeout', 'meshgate.dev/response-timeout',
    'seconds to wait for the response headers (504 after); nginx also applies it between two reads of the body, meshgate does not; class nginx default 60'),
  supported(TIMEOUTS, 'proxy-next-upstream', 'meshgate.dev/retries: "0"',
    '"off" turns retries off (the meshgate.dev equivalent is for "off"); "error" and "timeout" are what meshgate retries (connect failures and timeouts, a reused connection that died), for idempotent requests without a body; other conditions (http_502, non_idempotent, ...) are not retried and warn'),
  supported(TIMEOUTS, 'proxy-next-upstream-tries', 'meshgate.dev/retries', 'attempts per request, each on another endpoint (`meshgate.dev/retries` counts the retries: tries - 1); "0" means each endpoint once; class nginx default 3'),
  ...rows('ignored', TIMEOUTS, '', [
    ['proxy-send-timeout', 'meshgate has no per-write timeout towards the upstream; a stalled request body is bounded by the client body timeout'],
    ['proxy-next-upstream-timeout', 'retries are bounded by the number of tries and the connect timeout'],
  ]),

  supported(BALANCING, 'load-balance', 'meshgate.dev/load-balance',
    '"round_robin" is round-robin; "ewma" maps to least-request (fewest requests in flight, of two picked at random: the nearest meshgate has); "chash" needs `upstream-hash-by`; "sticky_balanced" and "sticky_persistent" are refused (cookie affinity)'),
  supported(BALANCING, 'upstream-hash-by', 'meshgate.dev/hash-by',
    'consistent hashing (`meshgate.dev/load-balance: consistent-hash` with `meshgate.dev/hash-by`) by one nginx variable: `$remote_addr` or `$binary_remote_addr` (client-ip), `$request_uri` (uri), `$http_NAME` (header:NAME), `$cookie_NAME` (cookie:NAME); any other key (text, other variables, several together) is refused'),
  ...rows('ignored', BALANCING, 'each key maps to one endpoint, not to a subset of endpoints: stickier than asked', [['upstream-hash-by-subset'], ['upstream-hash-by-subset-size']]),
  ...rows('ignored', BALANCING, '', [['service-upstream', 'meshgate balances over the Service\'s endpoints itself: there is no cluster IP to send to']]),
  ...rows('refused', BALANCING, `cookie affinity is ${NOT_YET_ROUTING}`, [
    ['affinity'], ['affinity-mode', undefined, without('affinity')], ['affinity-canary-behavior', undefined, without('affinity')],
    ...['change-on-failure', 'conditional-samesite-none', 'domain', 'expires', 'max-age', 'name', 'path', 'samesite', 'secure']
      .map((s): Row => [`session-cookie-${s}`, undefined, without('affinity')]),
  ]),

  supported(LOGS, 'enable-access-log', 'meshgate.dev/access-log', '"false": requests to this Ingress write no access-log line'),
  ...rows('ignored', LOGS, TRACING, [['enable-opentelemetry'], ['opentelemetry-trust-incoming-span'], ['opentelemetry-operation-name']]),
  ...rows('ignored', LOGS, 'meshgate does no rewrites yet', [['enable-rewrite-log']]),

  ...rows('refused', ROUTING, NOT_YET_ROUTING, [
    ['rewrite-target'], ['use-regex', undefined, off], ['app-root'], ['server-alias'], ['from-to-www-redirect', undefined, off],
    ['permanent-redirect'], ['permanent-redirect-code', undefined, without('permanent-redirect')],
    ['temporal-redirect'], ['temporal-redirect-code', undefined, without('temporal-redirect')],
    ['default-backend'], ['custom-http-errors'],
    ['mirror-target', 'request mirroring is not implemented yet'],
    ['mirror-host', 'request mirroring is not implemented yet', without('mirror-target')],
    ['mirror-request-body', 'request mirroring is not implemented yet', without('mirror-target')],
  ]),
  ...rows('ignored', ROUTING, '', [['disable-proxy-intercept-errors', 'it matters only with `custom-http-errors` (refused); meshgate passes upstream errors through']]),

  ...rows('refused', CANARY, `canary routing is ${NOT_YET_ROUTING}`, [
    ['canary', undefined, off],
    ...['by-header', 'by-header-value', 'by-header-pattern', 'by-cookie', 'weight', 'weight-total'].map((s): Row => [`canary-${s}`, undefined, unless('canary')]),
  ]),

  ...AUTH_SUPPORTED.map(([name, why]) => supported(ACCESS, name, `meshgate.dev/${name}`, why)),
  ...rows('ignored', ACCESS, 'meshgate keeps keep-alive connections to the auth service itself (the proxy\'s upstream pools)', [
    ['auth-keepalive'], ['auth-keepalive-requests'], ['auth-keepalive-timeout'], ['auth-keepalive-share-vars', 'the auth subrequest shares no nginx variables: there are none'],
  ]),
  supported(ACCESS, 'allowlist-source-range', 'meshgate.dev/allowlist-source-range',
    'only clients whose address is in these CIDRs (IPv4 and IPv6) are served, others get 403; the address is the real client\'s (`--trusted-proxies`); a list that does not parse refuses the Ingress'),
  supported(ACCESS, 'whitelist-source-range', 'meshgate.dev/allowlist-source-range', 'the old name of `allowlist-source-range` (which wins when both are set)'),
  supported(ACCESS, 'denylist-source-range', 'meshgate.dev/denylist-source-range', 'clients whose address is in these CIDRs get 403; checked before the allowlist'),
  supported(ACCESS, 'limit-rps', 'meshgate.dev/limit-rps',
    'requests per second per client address, with a burst of rps x `limit-burst-multiplier` at once; over it: 503 (`meshgate.dev/limit-status` changes it); counted per proxy node as ingress-nginx counts per instance, or across the mesh with `meshgate.dev/limit-scope: cluster` (docs/access-control.md)'),
  supported(ACCESS, 'limit-rpm', 'meshgate.dev/limit-rpm', 'requests per minute per client address, as `limit-rps`; both apply when both are set'),
  supported(ACCESS, 'limit-connections', 'meshgate.dev/limit-connections', 'requests in progress at once per client address (nginx counts requests being processed, as here); over it: 503'),
  supported(ACCESS, 'limit-burst-multiplier', 'meshgate.dev/limit-burst-multiplier', 'the burst of `limit-rps` and `limit-rpm`: rate x this (default 5)'),
  supported(ACCESS, 'limit-allowlist', 'meshgate.dev/limit-allowlist', 'client CIDRs that are never rate limited'),
  supported(ACCESS, 'limit-whitelist', 'meshgate.dev/limit-allowlist', 'the old name of `limit-allowlist` (which wins when both are set)'),
  supported(ACCESS, 'enable-cors', 'meshgate.dev/enable-cors',
    'CORS with ingress-nginx\'s defaults: a preflight (OPTIONS with Origin and Access-Control-Request-Method) from an allowed origin is answered 204 at the proxy, one from another origin gets 403; other responses to an allowed origin carry Access-Control-Allow-Origin, -Credentials and -Expose-Headers'),
  supported(ACCESS, 'cors-allow-origin', 'meshgate.dev/cors-allow-origin',
    'origins, comma-separated: `scheme://host[:port]`, `https://*.example.com` (one label), `null`, or `*` (the default); an allowed origin is echoed; entries ingress-nginx skips are skipped with a warning'),
  supported(ACCESS, 'cors-allow-methods', 'meshgate.dev/cors-allow-methods', 'preflight answers\' Access-Control-Allow-Methods; default GET, PUT, POST, DELETE, PATCH, OPTIONS'),
  supported(ACCESS, 'cors-allow-headers', 'meshgate.dev/cors-allow-headers', 'preflight answers\' Access-Control-Allow-Headers; default DNT, Keep-Alive, User-Agent, X-Requested-With, If-Modified-Since, Cache-Control, Content-Type, Range, Authorization'),
  supported(ACCESS, 'cors-expose-headers', 'meshgate.dev/cors-expose-headers', 'Access-Control-Expose-Headers on responses; default none'),
  supported(ACCESS, 'cors-allow-credentials', 'meshgate.dev/cors-allow-credentials', 'Access-Control-Allow-Credentials: true (the default) or left out; with origin `*`, `*` is sent as ingress-nginx does, which browsers refuse for credentialed requests'),
  supported(ACCESS, 'cors-max-age', 'meshgate.dev/cors-max-age', 'preflight answers\' Access-Control-Max-Age, seconds; default 1728000'),
  ...rows('refused', ACCESS, NOT_YET_ACCESS, [
    ['satisfy'],
    ['auth-proxy-set-headers', 'headers for the auth service from a ConfigMap are not implemented yet'],
    ['enable-global-auth', 'global external authentication (from the controller ConfigMap) is not implemented', off],
    ['limit-rate', 'response bandwidth limits are not implemented yet'], ['limit-rate-after', 'response bandwidth limits are not implemented yet', without('limit-rate')],
    ['enable-modsecurity', 'the ModSecurity web application firewall is not available in meshgate', off],
    ['enable-owasp-core-rules', 'the ModSecurity web application firewall is not available in meshgate', off],
    ['modsecurity-transaction-id', 'the ModSecurity web application firewall is not available in meshgate', unless('enable-modsecurity')],
  ]),

  ...rows('refused', UPSTREAM, NOT_YET_UPSTREAM, [
    ['backend-protocol', `${NOT_YET_UPSTREAM}: only "HTTP" (the default) is served`, { when: 'set to "HTTP"', test: (v) => v.trim().toUpperCase() === 'HTTP' }],
    ...['secret', 'ciphers', 'name', 'protocols', 'verify', 'verify-depth', 'server-name'].map((s): Row => [`proxy-ssl-${s}`, 'TLS to upstreams is not implemented yet', unlessTlsBackend]),
    ['fastcgi-index', 'FastCGI upstreams are not implemented', unlessFcgi],
    ['fastcgi-params-configmap', 'FastCGI upstreams are not implemented', unlessFcgi],
  ]),

  supported(HEADERS, 'x-forwarded-prefix', 'meshgate.dev/request-headers-set: "X-Forwarded-Prefix: /p"', 'requests sent upstream carry `X-Forwarded-Prefix` with this value; empty: none'),
  supported(HEADERS, 'custom-headers', 'meshgate.dev/response-headers-set',
    'every entry of the ConfigMap (`name` or `namespace/name`, the Ingress\'s namespace) is set on responses, the proxy\'s own answers included; a missing ConfigMap, or an entry that is not a header or names a hop-by-hop one, rejects the Ingress (ingress-nginx answers 503 instead); there is no `global-allowed-response-headers`: the Ingress author decides'),
  ...rows('refused', HEADERS, '', [
    ['upstream-vhost', 'setting the Host sent upstream is not implemented yet: a virtual-hosted backend would answer for another site'],
    ['proxy-cookie-domain', 'rewriting Set-Cookie domains is not implemented yet', nginxOff],
    ['proxy-cookie-path', 'rewriting Set-Cookie paths is not implemented yet', nginxOff],
    ['proxy-redirect-from', 'rewriting the upstream\'s Location headers is not implemented yet', nginxOff],
    ['proxy-redirect-to', 'rewriting the upstream\'s Location headers is not implemented yet', without('proxy-redirect-from')],
  ]),

  ...rows('ignored', TUNING, BUFFERS, [
    ['client-body-buffer-size'], ['proxy-buffering'], ['proxy-buffers-number'], ['proxy-buffer-size'], ['proxy-busy-buffers-size'], ['proxy-max-temp-file-size'],
    ['proxy-request-buffering', 'meshgate streams the request body upstream as it arrives (nginx\'s "off"); it cannot buffer it first'],
    ['proxy-http-version', 'meshgate speaks HTTP/1.1 with keep-alive to upstreams'],
    ['connection-proxy-header', 'meshgate manages upstream connections (keep-alive) itself'],
  ]),

  ...rows('refused', SNIPPETS, 'raw nginx configuration: meshgate never runs snippets (there is no nginx inside, and configuration written by Ingress authors is how CVE-2021-25742 exposed the controller\'s credentials)', [
    ['configuration-snippet'], ['server-snippet'], ['stream-snippet'], ['auth-snippet'], ['modsecurity-snippet'],
  ]),
];

/** Ingress annotations by full key. */
export const NGINX_BY_KEY: ReadonlyMap<string, NginxAnnotation> = new Map(NGINX_ANNOTATIONS.map((a) => [P + a.name, a]));
