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
  /** The Ingress's `meshgate.dev/*` annotations (load balancing, timeouts, limits); absent when none. */
  annotations?: Record<string, string>;
}

export interface DefaultBackendRule {
  backend: string;
  ingress: string;
  /** As RouteRule.annotations. */
  annotations?: Record<string, string>;
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
}

export interface BuildOptions {
  /** IngressClass name served by meshgate; default 'meshgate'. */
  ingressClass?: string;
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
/** Annotations with this prefix are carried on RouteRule/DefaultBackendRule for the data plane. */
export const MESHGATE_ANNOTATION_PREFIX = 'meshgate.dev/';
