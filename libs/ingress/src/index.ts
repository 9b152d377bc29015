// @meshgate/ingress: Kubernetes manifests -> validated, plain-data MeshConfig.
export type {
  AnnotationFinding, BackendConfig, BuildOptions, CorsPolicy, DefaultBackendRule, EndpointConfig, HeaderModifier, HeaderValue, IngressPolicy,
  IngressStatus, IpAccessPolicy, ManifestError, MeshConfig, PathType, RateLimitPolicy, RouteRule, SourceFile, TlsCertificate,
} from './types.ts';
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
