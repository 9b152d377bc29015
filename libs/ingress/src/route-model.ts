// The parts of the one internal route model that Ingress alone never uses:
// request matches beyond host and path, weighted backends, filters,
// timeouts, retries and listener scope. A front end (Gateway API today)
// fills them; a RouteRule without them means exactly what an Ingress rule
// means. Everything here is plain data: it is msgpack-encoded into snapshots.

/** How a header or query parameter value is compared. */
export interface ValueMatch {
  /** Header names lowercase; query parameter names as written (case sensitive). */
  name: string;
  type: 'Exact' | 'RegularExpression';
  /** For RegularExpression: an ECMAScript pattern, matched against the whole value. */
  value: string;
}

/** Conditions a request must also meet, all of them. */
export interface RequestConditions {
  /** Upper case, e.g. 'GET'. */
  method?: string;
  /** The request's value of the header (repeated headers joined with ','). */
  headers?: ValueMatch[];
  /** The first value of the parameter in the query string, percent-decoded. */
  query?: ValueMatch[];
}

export interface HeaderValue {
  name: string;
  value: string;
}

/**
 * Header changes with the Gateway API's HTTPHeaderFilter semantics, applied
 * in this order: remove, set, add; matching ignores case. An IngressPolicy's
 * (requestHeaders, responseHeaders) has lower-case names, hop-by-hop and
 * proxy-owned ones refused (headerModifierProblem); a RequestHeaderModifier
 * or ResponseHeaderModifier filter keeps set and add names as written.
 */
export interface HeaderModifier {
  /** Every field of these names is removed; lower-case. */
  remove?: string[];
  /** Replaces the fields of that name (or adds one). */
  set?: HeaderValue[];
  /** Adds a field, keeping those the message has. */
  add?: HeaderValue[];
}

/** The path part of a redirect or rewrite. */
export interface PathModifier {
  type: 'ReplaceFullPath' | 'ReplacePrefixMatch';
  /** ReplacePrefixMatch replaces the rule's `path` (a Prefix), element-wise, trailing '/' ignored. */
  value: string;
}

/**
 * CORS, filled from ingress-nginx's enable-cors/cors-* annotations (their
 * defaults) into IngressPolicy.cors, or from the Gateway API's HTTPCORSFilter
 * (its defaults) into a CORS filter: the two differ only where the flags
 * below say.
 */
export interface CorsPolicy {
  /**
   * `*` (any origin), `null`, or `scheme://host[:port]`, the host possibly
   * starting with `*.`: lower-case without the default port from the
   * annotations, as written from the Gateway API (matching ignores both).
   */
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
  /** Access-Control-Max-Age of preflight answers, in seconds (the Gateway API's default is 5). */
  maxAgeSeconds: number;
  /**
   * With credentials allowed, a `*` (origin, methods, headers) is answered
   * with the request's own value (echo: the Gateway API's rule) or as `*`
   * (literal: ingress-nginx, which browsers then refuse for credentialed requests).
   */
  credentialedWildcard: 'echo' | 'literal';
}

/** One step applied to a matched request or its response, in list order. */
export type RouteFilter =
  | { type: 'RequestHeaderModifier'; modifier: HeaderModifier }
  | { type: 'ResponseHeaderModifier'; modifier: HeaderModifier }
  | {
    type: 'RequestRedirect';
    /** Absent: the request's scheme. */
    scheme?: 'http' | 'https';
    /** Absent: the request's host (without port). */
    hostname?: string;
    /** Absent: see the data plane notes (well-known port of `scheme`, else the listener's port). */
    port?: number;
    path?: PathModifier;
    statusCode: 301 | 302 | 303 | 307 | 308;
  }
  | { type: 'URLRewrite'; hostname?: string; path?: PathModifier }
  | {
    type: 'RequestMirror';
    /** BackendConfig id; '' when the reference is invalid (then nothing is mirrored). */
    backend: string;
    /** Share of requests mirrored, 0-100 (fractions allowed). */
    percent: number;
  }
  | { type: 'CORS'; cors: CorsPolicy };

/** One entry of a weighted backend group. */
export interface WeightedBackend {
  /** BackendConfig id; '' when the reference is invalid. */
  backend: string;
  /** Relative weight (0 = no traffic). */
  weight: number;
  /** Applied only when this backend is picked, after the rule's filters. */
  filters?: RouteFilter[];
  /**
   * Why the reference is invalid (missing Service, a kind meshgate cannot
   * send to, a cross-namespace reference without a grant): requests picked
   * for this entry get 500 (gRPC: status 14), never another backend.
   */
  invalid?: string;
}

export interface RouteTimeouts {
  /** Whole request, from receipt to the end of the response (504 after); 0 = none. */
  requestMs?: number;
  /** Each upstream attempt (504 after); 0 = none. */
  backendRequestMs?: number;
}

export interface RouteRetry {
  /** Retries after the first attempt. */
  attempts?: number;
  /** Response statuses that are retried (connection errors always are). */
  codes?: number[];
  /** Minimum wait between attempts. */
  backoffMs?: number;
}

/** Which listeners a rule belongs to. Absent: the proxy's own HTTP and HTTPS listeners, as for Ingress. */
export interface ListenerScope {
  /** Listener ports as declared: 80 is the proxy's --http, 443 its --https, others bound as declared (or mapped by --listener-ports). */
  ports: number[];
  /**
   * The listener's hostname ('' = none): on a port, a request is handled by
   * the one listener whose hostname matches its Host most precisely (exact,
   * then the longest `*.` suffix, then none), and by no other.
   */
  hostname: string;
}
