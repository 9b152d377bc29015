// @meshgate/routing: the compiled route table (Ingress and Gateway API rules) and request path normalization.
export type { RouteMatch } from './host-routes.ts';
export { RouteTable, canonicalHost, INGRESS_PORTS } from './route-table.ts';
export { ambiguousPath, normalizePath } from './normalize-path.ts';
export { queryParam, type RequestView } from './request-view.ts';
export { comparePrecedence } from './precedence.ts';
