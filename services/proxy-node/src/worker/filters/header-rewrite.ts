/**
 * Header rewriting (the Ingress's requestHeaders and responseHeaders:
 * meshgate.dev/request-headers-*, response-headers-*, ingress-nginx's
 * custom-headers and x-forwarded-prefix, the Gateway API's
 * RequestHeaderModifier and ResponseHeaderModifier): remove, set, add, on
 * the headers sent upstream and on every response of the route (the proxy's
 * own answers too, as nginx's more_set_headers does). The model refused
 * hop-by-hop and proxy-owned names before they got here.
 */
import type { FilterFactory } from './filter.ts';
import { applyModifier } from './header-list.ts';

export const headerRewrite: FilterFactory = {
  name: 'header-rewrite',
  order: 80,
  compile(policy) {
    const req = policy.requestHeaders;
    const res = policy.responseHeaders;
    if (req === undefined && res === undefined) return undefined;
    return {
      name: 'header-rewrite',
      ...(req !== undefined ? { onUpstreamRequest: (_ctx, headers) => applyModifier(headers, req) } : {}),
      ...(res !== undefined ? { onResponse: (_ctx, _status, headers) => applyModifier(headers, res) } : {}),
    };
  },
};
