/**
 * Small Kubernetes manifests for tests: a Service whose Endpoints are
 * loopback ports, and a networking.k8s.io/v1 Ingress. Joined with `---`
 * they make a manifests directory's file.
 */

/** A Service (port 80, named http) with Endpoints at `address` on each of `ports`. */
export function serviceManifest(name: string, ports: readonly number[], address = '127.0.0.1'): string {
  const subsets = ports.map((p) => `  - addresses: [{ ip: ${address} }]\n    ports: [{ name: http, port: ${p} }]`).join('\n');
  return `apiVersion: v1
kind: Service
metadata: { name: ${name} }
spec: { ports: [{ name: http, port: 80 }] }
---
apiVersion: v1
kind: Endpoints
metadata: { name: ${name} }
subsets:
${subsets}
`;
}

/** An Ingress routing each Prefix path to a service's port 80; `{ '': svc }` alone makes a default backend. */
export function ingressManifest(name: string, paths: Record<string, string>, host?: string): string {
  const backend = (svc: string) => `{ service: { name: ${svc}, port: { number: 80 } } }`;
  const entries = Object.entries(paths).filter(([p]) => p !== '');
  const def = paths[''];
  return `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: { name: ${name} }
spec:
${def ? `  defaultBackend: ${backend(def)}\n` : ''}${entries.length ? `  rules:
  - ${host ? `host: ${host}\n    ` : ''}http:
      paths:
${entries.map(([p, svc]) => `      - { path: ${p}, pathType: Prefix, backend: ${backend(svc)} }`).join('\n')}
` : ''}`;
}

/** Joins manifests into one multi-document YAML file. */
export function manifestFile(...docs: string[]): string {
  return docs.join('---\n');
}
