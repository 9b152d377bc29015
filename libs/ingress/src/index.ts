// @meshgate/ingress: Kubernetes manifests -> validated, plain-data MeshConfig (the one route model).
export type {
  AnnotationFinding, AuthUsers, BackendConfig, BackendTlsSettings, BasicAuthPolicy, BuildOptions, ClientAuthConfig, ClientCertPolicy, DefaultBackendRule, EndpointConfig,
  ExternalAuthPolicy, IngressPolicy, IngressStatus, IpAccessPolicy, ManifestError, MeshConfig, PathType, RateLimitPolicy, RoutePathType, RouteRule, SourceFile, TlsCertificate,
} from './types.ts';
export type {
  CorsPolicy, HeaderModifier, HeaderValue, ListenerScope, PathModifier, RequestConditions, RouteFilter, RouteRetry, RouteTimeouts, ValueMatch, WeightedBackend,
} from './route-model.ts';
export type {
  Condition, GatewayApiKind, GatewayApiObject, GatewayApiStatus, GatewayClassStatusBody, GatewayStatusBody, ListenerStatus, ParentReference,
  PolicyAncestorStatus, PolicyStatusBody, RouteGroupKind, RouteParentStatus, RouteStatusBody,
} from './gateway-status.ts';
export { forbiddenHeader, headerModifierProblem, parseHeaderNames, parseHeaderValues } from './header-modifier.ts';
export { canonicalOrigin } from './cors-annotations.ts';
export { parseCidr, parseCidrList } from './cidr.ts';
export {
  DEFAULT_INGRESS_CLASS, HEALTH_PATH_ANNOTATION, MESHGATE_ANNOTATION_PREFIX, MESHGATE_CONTROLLER, NGINX_ANNOTATION_PREFIX, NGINX_CONTROLLER,
} from './types.ts';
export { NGINX_ANNOTATIONS, type AnnotationList, type NginxAnnotation } from './nginx-annotations.ts';
export { listManifestFiles, loadManifestDir, type ManifestListing, type ManifestReadCache } from './load-manifest-dir.ts';
export { formatManifestError } from './manifest-error.ts';
export { buildMeshConfig } from './build-mesh-config.ts';
export { canonicalPath } from './ingress-routes.ts';
export { BuildCache, type BuildCacheStats } from './build-cache.ts';
export { splitDocuments, type TextChunk } from './split-documents.ts';
// For front ends (another API's kinds read into the same model): the pieces every kind's validation uses.
export type { FrontEnd, FrontEndInput, FrontEndObject, FrontEndOutput } from './front-end.ts';
export type { ObjectHeader, Reporter } from './object-meta.ts';
export type { FieldPath, RawObject } from './parse-documents.ts';
export type { Catalog } from './resolve-backend.ts';
export type { ParsedService, ServicePort } from './parse-service.ts';
export type { ParsedSecret } from './parse-secret.ts';
export { asList, asObject, asString, describeValue } from './fields.ts';
export { checkDns1123Label, checkDns1123Subdomain, checkPortNumber } from './validate.ts';
export { backendId } from './resolve-backend.ts';
