import type { GatewayApiKind, GatewayApiObject, MeshConfig } from '@meshgate/ingress';
import type { GatewayApiWhat } from '@meshgate/protocol';

const KIND: Record<GatewayApiWhat, GatewayApiKind> = {
  gatewayclasses: 'GatewayClass', gateways: 'Gateway', httproutes: 'HTTPRoute', grpcroutes: 'GRPCRoute', backendtlspolicies: 'BackendTLSPolicy',
};

export function isGatewayApiWhat(what: string): what is GatewayApiWhat {
  return Object.hasOwn(KIND, what);
}

/** `meshgate get gateways|httproutes|grpcroutes|...`: the objects of that kind, with upstream's status. */
export function gatewayApiView(mesh: MeshConfig | undefined, what: GatewayApiWhat): GatewayApiObject[] {
  return (mesh?.gatewayApi?.objects ?? []).filter((o) => o.kind === KIND[what]);
}
