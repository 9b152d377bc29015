// `meshgate get gateways|httproutes|grpcroutes|gatewayclasses|backendtlspolicies`:
// a table with one reason per object, or (-o json) a kubectl-style List whose
// items carry upstream's status shape.
import type { GatewayApiObject } from '@meshgate/ingress';
import type { GatewayApiWhat } from '@meshgate/protocol';
import { table } from '../admin/table.ts';

export const GATEWAY_API_WHAT: readonly GatewayApiWhat[] = ['gatewayclasses', 'gateways', 'httproutes', 'grpcroutes', 'backendtlspolicies'];
export const GATEWAY_API_ALIASES: Record<string, GatewayApiWhat> = {
  gatewayclass: 'gatewayclasses', gc: 'gatewayclasses', gateway: 'gateways', gtw: 'gateways', httproute: 'httproutes', grpcroute: 'grpcroutes',
  backendtlspolicy: 'backendtlspolicies', btlspolicy: 'backendtlspolicies',
};

const LABEL: Record<GatewayApiWhat, string> = {
  gatewayclasses: 'GatewayClasses', gateways: 'Gateways', httproutes: 'HTTPRoutes', grpcroutes: 'GRPCRoutes', backendtlspolicies: 'BackendTLSPolicies',
};

export function renderGatewayApi(what: GatewayApiWhat, objects: readonly GatewayApiObject[]): string {
  if (objects.length === 0) return `No ${LABEL[what]}.\n`;
  return table(['NAMESPACE', 'NAME', 'SERVED', 'DETAILS', 'SOURCE', 'REASON'], objects.map((o) => [
    o.metadata.namespace ?? '', o.metadata.name, o.served ? 'yes' : 'no', o.details, `${o.file}${o.line !== undefined ? `:${o.line}` : ''}`, o.reason,
  ]));
}

/** kubectl get -o json's shape: items with apiVersion, kind, metadata and status; meshgate's summary beside them. */
export function gatewayApiJson(objects: readonly GatewayApiObject[]): unknown {
  return {
    apiVersion: 'v1', kind: 'List',
    items: objects.map((o) => ({
      apiVersion: o.apiVersion, kind: o.kind, metadata: o.metadata, status: o.status,
      meshgate: { served: o.served, reason: o.reason, file: o.file, ...(o.line !== undefined ? { line: o.line } : {}) },
    })),
  };
}
