// Shared fixtures for the ingress unit tests.
import { buildMeshConfig } from './build-mesh-config.ts';
import type { BuildOptions, MeshConfig } from './types.ts';

/** A valid Service "web" (port 80 -> 8080 named http) with Endpoints. */
export const WEB = `
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  ports: [{name: http, port: 80, targetPort: 8080}]
---
apiVersion: v1
kind: Endpoints
metadata: {name: web}
subsets:
- addresses: [{ip: 10.0.0.1}, {ip: 10.0.0.2}]
  ports: [{name: http, port: 8080}]
`;

export function build(files: Record<string, string>, opts?: BuildOptions): MeshConfig {
  return buildMeshConfig(Object.entries(files).map(([path, text]) => ({ path, text })), opts);
}

/** A v1 Ingress with the given spec body (YAML, indented 2). */
export function ingressV1(name: string, spec: string, meta = ''): string {
  return `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: ${name}
${meta}spec:
${spec}`;
}

/** `spec.rules` with one rule: `host`, path / (Prefix) to Service web port 80. */
export function hostRule(host: string): string {
  return `  rules:
  - host: ${host}
    http:
      paths:
      - path: /
        pathType: Prefix
        backend:
          service: {name: web, port: {number: 80}}
`;
}
