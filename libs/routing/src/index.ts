// @meshgate/routing: compiled Kubernetes Ingress route table and request path normalization.
export type { RouteMatch } from './host-routes.ts';
export { RouteTable, canonicalHost } from './route-table.ts';
export { ambiguousPath, normalizePath } from './normalize-path.ts';
