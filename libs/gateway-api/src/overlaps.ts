// Where an Ingress rule and a Gateway API rule claim the same host and path
// on the same port (80 or 443), requests the Gateway API rule matches go to
// it (docs/gateway-api.md): the Ingress's status says so.
import type { RouteRule } from '@meshgate/ingress';

export function ingressOverlaps(ingressRules: readonly RouteRule[], gatewayRules: readonly RouteRule[]): Map<string, string[]> {
  const claims = new Map<string, RouteRule[]>();
  for (const g of gatewayRules) {
    if (g.pathType === 'RegularExpression' || !g.listener!.ports.some((p) => p === 80 || p === 443)) continue;
    const k = `${g.host}\0${g.pathType}\0${trim(g.path, g.pathType)}`;
    const list = claims.get(k) ?? [];
    list.push(g);
    claims.set(k, list);
  }
  const notes = new Map<string, string[]>();
  if (claims.size === 0) return notes;
  for (const r of ingressRules) {
    const type = r.pathType === 'ImplementationSpecific' && !r.path.endsWith('/*') ? 'Prefix' : r.pathType;
    const hit = claims.get(`${r.host}\0${type}\0${trim(r.path, type)}`);
    if (!hit) continue;
    const by = [...new Set(hit.map((g) => g.ingress))].join(', ');
    const ports = [...new Set(hit.flatMap((g) => g.listener!.ports.filter((p) => p === 80 || p === 443)))].join(' and ');
    const list = notes.get(r.ingress) ?? [];
    list.push(`host "${r.host || '*'}" path "${r.path}" is also claimed by ${by} on port ${ports}: requests that match it go to the ${hit[0]!.grpc ? 'GRPCRoute' : 'HTTPRoute'}`);
    notes.set(r.ingress, list);
  }
  return notes;
}

function trim(path: string, type: string): string {
  return type !== 'Exact' && path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
}
