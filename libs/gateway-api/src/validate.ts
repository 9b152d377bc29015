// One Gateway API object checked on its own (the front end's `validate`):
// cached with the object's document, so it depends on nothing else.
import type { ObjectHeader } from '@meshgate/ingress';
import { parseGateway, parseGatewayClass } from './parse-gateway.ts';
import { parseBackendTlsPolicy, parseReferenceGrant } from './parse-policies.ts';
import { parseRoute } from './parse-routes.ts';
import type { Parsed } from './types.ts';

export function validateObject(h: ObjectHeader): Parsed | undefined {
  switch (h.kind) {
    case 'GatewayClass': return { kind: 'GatewayClass', value: parseGatewayClass(h) };
    case 'Gateway': return { kind: 'Gateway', value: parseGateway(h) };
    case 'HTTPRoute':
    case 'GRPCRoute':
      return { kind: 'Route', value: parseRoute(h) };
    case 'ReferenceGrant': return { kind: 'ReferenceGrant', value: parseReferenceGrant(h) };
    case 'BackendTLSPolicy': return { kind: 'BackendTLSPolicy', value: parseBackendTlsPolicy(h) };
    default: return undefined;
  }
}
