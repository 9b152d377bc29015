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

/** RequestHeaderModifier / ResponseHeaderModifier. */
export interface HeaderModifier {
  /** Replace the header's values (case-insensitive name). */
  set?: HeaderValue[];
  /** Append a value (a further field of that name). */
  add?: HeaderValue[];
  /** Header names to drop, lowercase. */
  remove?: string[];
}

/** The path part of a redirect or rewrite. */
export interface PathModifier {
  type: 'ReplaceFullPath' | 'ReplacePrefixMatch';
  /** ReplacePrefixMatch replaces the rule's `path` (a Prefix), element-wise, trailing '/' ignored. */
  value: string;
}

export interface CorsPolicy {
  /** Origins as written ('*', 'https://a.example.com', 'https://*.example.com', with optional port). */
  allowOrigins: string[];
  allowMethods: string[];
  /** Lowercase header names, or ['*']. */
  allowHeaders: string[];
  exposeHeaders: string[];
  allowCredentials: boolean;
  /** Seconds; the spec's default is 5. */
  maxAge: number;
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
