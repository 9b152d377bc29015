/**
 * The propagation bench's routes as Gateway API objects (`--kind httproute`):
 * a GatewayClass and a Gateway on port 80, the routes as HTTPRoutes of 100
 * PathPrefix matches each (upstream allows 128 per route), and each change a
 * one-path HTTPRoute, so a change is a route delta as with Ingresses.
 */
export function gatewayRoutes(routes: number, services: number): string {
  const head = `apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: { name: meshgate }
spec: { controllerName: meshgate.dev/gateway-controller }
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: bench }
spec:
  gatewayClassName: meshgate
  listeners: [{ name: http, protocol: HTTP, port: 80 }]
`;
  const docs: string[] = [head];
  for (let first = 0; first < routes; first += 100) {
    const rules: string[] = [];
    for (let r = first; r < Math.min(routes, first + 100); r += 10) {
      const matches = Array.from({ length: Math.min(10, routes - r) }, (_, k) => `{ path: { type: PathPrefix, value: /r${r + k} } }`).join(', ');
      rules.push(`  - matches: [${matches}]\n    backendRefs: [{ name: s${(r / 10) % services}, port: 80 }]`);
    }
    docs.push(`apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: { name: bench-${first / 100} }\nspec:\n  parentRefs: [{ name: bench }]\n  rules:\n${rules.join('\n')}\n`);
  }
  return docs.join('---\n');
}

export const gatewayChange = (i: number): string => `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: bench-change }
spec:
  parentRefs: [{ name: bench }]
  rules: [{ matches: [{ path: { type: PathPrefix, value: /change-${i} } }], backendRefs: [{ name: s0, port: 80 }] }]
`;
