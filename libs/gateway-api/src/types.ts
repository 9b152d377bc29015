// Gateway API objects as read from manifests: validated as the API server
// (CRD schema and CEL rules) would, defaults filled in, nothing resolved yet.
import type { CorsPolicy, FieldPath, HeaderModifier, PathModifier, ValueMatch } from '@meshgate/ingress';

export const GROUP = 'gateway.networking.k8s.io';
/** GatewayClass spec.controllerName that marks a class as meshgate's. */
export const CONTROLLER_NAME = 'meshgate.dev/gateway-controller';

/** The apiVersions upstream's standard channel serves, per kind (and BackendTLSPolicy v1alpha3 of earlier releases). */
export const KINDS: Record<string, readonly string[]> = {
  GatewayClass: [`${GROUP}/v1`, `${GROUP}/v1beta1`],
  Gateway: [`${GROUP}/v1`, `${GROUP}/v1beta1`],
  HTTPRoute: [`${GROUP}/v1`, `${GROUP}/v1beta1`],
  GRPCRoute: [`${GROUP}/v1`],
  ReferenceGrant: [`${GROUP}/v1`, `${GROUP}/v1beta1`],
  BackendTLSPolicy: [`${GROUP}/v1`, `${GROUP}/v1alpha3`],
};

export type RouteKind = 'HTTPRoute' | 'GRPCRoute';

export interface LabelSelector {
  matchLabels: Record<string, string>;
  matchExpressions: { key: string; operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'; values: string[] }[];
}

export interface ObjectRef {
  group: string;
  kind: string;
  name: string;
  namespace?: string;
  field: FieldPath;
}

export interface ParsedListener {
  name: string;
  /** '' = none. */
  hostname: string;
  port: number;
  protocol: string;
  certificateRefs: ObjectRef[];
  tlsOptions: boolean;
  namespaces: { from: 'Same' | 'All' | 'Selector' | 'None'; selector?: LabelSelector };
  /** undefined: the kinds the protocol supports. */
  kinds?: { group: string; kind: string }[];
  field: FieldPath;
}

export interface ParsedGatewayClass {
  controllerName: string;
  parametersRef: boolean;
}

export interface ParsedGateway {
  className: string;
  listeners: ParsedListener[];
  addresses: number;
  parametersRef: boolean;
}

export interface ParentRef {
  group: string;
  kind: string;
  namespace?: string;
  name: string;
  sectionName?: string;
  port?: number;
  field: FieldPath;
}

export interface BackendRefSpec extends ObjectRef {
  port?: number;
  weight: number;
  filters: FilterSpec[];
}

/** A filter as written; RequestMirror's reference is resolved at build time. */
export type FilterSpec =
  | { type: 'RequestHeaderModifier' | 'ResponseHeaderModifier'; modifier: HeaderModifier }
  | { type: 'RequestRedirect'; scheme?: 'http' | 'https'; hostname?: string; port?: number; path?: PathModifier; statusCode: 301 | 302 | 303 | 307 | 308 }
  | { type: 'URLRewrite'; hostname?: string; path?: PathModifier }
  | { type: 'RequestMirror'; ref: ObjectRef & { port?: number }; percent: number }
  | { type: 'CORS'; cors: CorsPolicy }
  /** ExtensionRef, ExternalAuth: not implemented; requests the filter would process get 500. */
  | { type: 'Unsupported'; what: string; field: FieldPath };

export interface MatchSpec {
  pathType: 'Exact' | 'Prefix' | 'RegularExpression';
  path: string;
  headers: ValueMatch[];
  query: ValueMatch[];
  method?: string;
  /** GRPCRoute: what the precedence rules count (characters of service and method). */
  grpc?: { service: number; method: number };
}

export interface RuleSpec {
  name?: string;
  matches: MatchSpec[];
  filters: FilterSpec[];
  backendRefs: BackendRefSpec[];
  timeouts?: { requestMs?: number; backendRequestMs?: number };
  retry?: { attempts?: number; codes?: number[]; backoffMs?: number };
  /** Why the rule cannot be served as written (a pattern that does not compile): the rule is dropped. */
  unsupported?: string;
  field: FieldPath;
}

export interface ParsedRoute {
  kind: RouteKind;
  parentRefs: ParentRef[];
  hostnames: string[];
  rules: RuleSpec[];
}

export interface ParsedReferenceGrant {
  from: { group: string; kind: string; namespace: string }[];
  to: { group: string; kind: string; name?: string }[];
}

export interface ParsedBackendTlsPolicy {
  targetRefs: { group: string; kind: string; name: string; sectionName?: string; field: FieldPath }[];
  caCertificateRefs: ObjectRef[];
  wellKnownCACertificates?: string;
  hostname: string;
  subjectAltNames: { type: 'Hostname' | 'URI'; value: string }[];
}

export type Parsed =
  | { kind: 'GatewayClass'; value: ParsedGatewayClass }
  | { kind: 'Gateway'; value: ParsedGateway }
  | { kind: 'Route'; value: ParsedRoute }
  | { kind: 'ReferenceGrant'; value: ParsedReferenceGrant }
  | { kind: 'BackendTLSPolicy'; value: ParsedBackendTlsPolicy };
