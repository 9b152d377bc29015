// Turns an Ingress backend reference (service + port) into a BackendConfig
// with concrete endpoints, following Kubernetes' port mapping.
import { endpointId } from './fields.ts';
import type { AddressGroup, EndpointPort, ParsedEndpoints, ParsedNode } from './parse-endpoints.ts';
import type { ParsedSecret } from './parse-secret.ts';
import type { ParsedService, ServicePort } from './parse-service.ts';
import type { BackendConfig, EndpointConfig } from './types.ts';

export interface Catalog {
  /** Valid Services by 'namespace/name'. */
  services: Map<string, ParsedService>;
  /** Services that exist but were rejected, by 'namespace/name'. */
  rejectedServices: Set<string>;
  /** Endpoints and EndpointSlices by 'namespace/serviceName'. */
  endpoints: Map<string, ParsedEndpoints[]>;
  nodes: ParsedNode[];
  secrets: Map<string, ParsedSecret>;
  /** Secrets that exist but were rejected: 'namespace/name' -> their first error, for the Ingress status. */
  rejectedSecrets: Map<string, string>;
  /** IngressClass name -> spec.controller. */
  classes: Map<string, string | undefined>;
  /** ConfigMap data by 'namespace/name' (custom-headers). */
  configMaps: Map<string, Record<string, string>>;
}

export function backendId(namespace: string, service: string, port: number | string): string {
  return `${namespace}/${service}:${port}`;
}

/**
 * `refError` reports against the Ingress field that names the backend
 * (missing Service or port); Service-level problems go to `serviceError`,
 * which the caller de-duplicates per Service.
 */
export function resolveBackend(
  namespace: string,
  service: string,
  port: number | string,
  cat: Catalog,
  refError: (msg: string) => void,
  serviceError: (svc: ParsedService, path: (string | number)[], msg: string) => void,
): BackendConfig {
  const key = `${namespace}/${service}`;
  const base: BackendConfig = { id: backendId(namespace, service, port), namespace, service, servicePort: port, endpoints: [], healthPath: '/', annotations: {} };
  const svc = cat.services.get(key);
  if (!svc) {
    refError(cat.rejectedServices.has(key)
      ? `Service ${key} is invalid (see its errors): requests to this backend get 503 until it is fixed`
      : `Service ${key} not found: add a Service named "${service}" in namespace "${namespace}" (requests to this backend get 503)`);
    return base;
  }
  base.healthPath = svc.healthPath;
  base.annotations = { ...svc.h.annotations };
  if (svc.type === 'ExternalName') {
    // No ports to map: the Ingress port is the port on the external name.
    const p = typeof port === 'number' ? port : svc.ports.find((sp) => sp.name === port)?.port;
    if (p === undefined) refError(`Service ${key} is ExternalName and has no port named "${port}": use port.number`);
    else if (svc.externalName) base.endpoints = [{ id: endpointId(svc.externalName, p), address: svc.externalName, port: p }];
    return base;
  }
  const sp = svc.ports.find((x) => (typeof port === 'number' ? x.port === port : x.name === port));
  if (!sp) {
    const have = svc.ports.map((x) => (x.name ? `${x.port} (${x.name})` : String(x.port))).join(', ') || 'none';
    refError(`Service ${key} has no port ${typeof port === 'number' ? port : `named "${port}"`}: its ports are ${have}`);
    return base;
  }
  const groups = cat.endpoints.get(key);
  if (groups && groups.length > 0) {
    base.endpoints = fromEndpoints(groups, svc, sp, serviceError);
    return base;
  }
  if ((svc.type === 'NodePort' || svc.type === 'LoadBalancer') && cat.nodes.length > 0) {
    if (sp.nodePort === undefined) {
      serviceError(svc, ['spec', 'ports', sp.index, 'nodePort'], `${svc.type} Service has no nodePort for port ${sp.port}: set it to the port the nodes listen on (Kubernetes would allocate one; meshgate cannot guess it)`);
      return base;
    }
    const eps: EndpointConfig[] = [];
    for (const n of cat.nodes) {
      if (n.internalIP) eps.push({ id: endpointId(n.internalIP, sp.nodePort), address: n.internalIP, port: sp.nodePort, node: n.h.name });
    }
    base.endpoints = dedupe(eps);
    return base;
  }
  serviceError(svc, [], svc.type === 'NodePort' || svc.type === 'LoadBalancer'
    ? 'has no Endpoints/EndpointSlice and there are no Node objects: add Endpoints, or Node objects with an InternalIP (requests get 503)'
    : 'has no Endpoints or EndpointSlice: add one listing the backend addresses, or make it a NodePort Service with Node objects (requests get 503)');
  return base;
}

function fromEndpoints(sources: ParsedEndpoints[], svc: ParsedService, sp: ServicePort, serviceError: (svc: ParsedService, path: (string | number)[], msg: string) => void): EndpointConfig[] {
  const eps: EndpointConfig[] = [];
  let matchedPort = false;
  for (const src of sources) {
    for (const g of src.groups) {
      const p = pickPort(g, svc, sp);
      if (p === undefined) continue;
      matchedPort = true;
      for (const a of g.addresses) eps.push({ id: endpointId(a.address, p.port), address: a.address, port: p.port, ...(a.node ? { node: a.node } : {}) });
    }
  }
  if (!matchedPort) {
    serviceError(svc, ['spec', 'ports', sp.index], `its Endpoints/EndpointSlices have no port matching Service port ${sp.port}${sp.name ? ` (name "${sp.name}")` : ''} / targetPort ${sp.targetPort}: give the endpoint port the Service port's name or the targetPort number`);
  }
  return dedupe(eps);
}

/**
 * Kubernetes names endpoint ports after the Service port; hand-written
 * Endpoints often match the targetPort instead, so both are accepted, and a
 * lone port matches a single-port Service.
 */
function pickPort(g: AddressGroup, svc: ParsedService, sp: ServicePort): EndpointPort | undefined {
  if (sp.name) {
    const byName = g.ports.find((p) => p.name === sp.name);
    if (byName) return byName;
  }
  const byTarget = g.ports.find((p) => (typeof sp.targetPort === 'number' ? p.port === sp.targetPort : p.name === sp.targetPort));
  if (byTarget) return byTarget;
  if (g.ports.length === 1 && svc.ports.length === 1 && !(sp.name && g.ports[0].name && g.ports[0].name !== sp.name)) return g.ports[0];
  return undefined;
}

function dedupe(eps: EndpointConfig[]): EndpointConfig[] {
  const seen = new Set<string>();
  return eps.filter((e) => (seen.has(e.id) ? false : (seen.add(e.id), true)));
}
