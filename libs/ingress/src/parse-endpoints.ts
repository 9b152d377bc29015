// Endpoints (v1), EndpointSlice (discovery.k8s.io) and Node objects: the
// sources of backend addresses.
import { asList, asObject, asString, ipFamily } from './fields.ts';
import type { ObjectHeader, Reporter } from './object-meta.ts';
import type { FieldPath } from './parse-documents.ts';
import { checkDns1123Subdomain, checkPortName, checkPortNumber } from './validate.ts';

export interface EndpointPort {
  name?: string;
  port: number;
}

/** One group of addresses sharing ports (an Endpoints subset or an EndpointSlice). */
export interface AddressGroup {
  addresses: { address: string; node?: string }[];
  ports: EndpointPort[];
}

export interface ParsedEndpoints {
  h: ObjectHeader;
  /** The Service these addresses belong to (same namespace). */
  service: string;
  groups: AddressGroup[];
}

export interface ParsedNode {
  h: ObjectHeader;
  internalIP?: string;
}

export function parseEndpoints(h: ObjectHeader): ParsedEndpoints {
  const r = h.report;
  const groups: AddressGroup[] = [];
  asList(h.raw.data.subsets, ['subsets'], r).forEach((s, i) => {
    const base = ['subsets', i] as const;
    const o = asObject(s, base, r);
    if (!o) return;
    const addresses: AddressGroup['addresses'] = [];
    asList(o.addresses, [...base, 'addresses'], r).forEach((a, j) => {
      const ap = [...base, 'addresses', j] as const;
      const ao = asObject(a, ap, r);
      const ip = asString(ao?.ip, [...ap, 'ip'], r);
      if (ip === undefined) return r.error([...ap, 'ip'], 'required: the IP address of the endpoint');
      if (!ipFamily(ip)) return r.error([...ap, 'ip'], `"${ip}" must be an IP address (use an EndpointSlice with addressType FQDN for DNS names)`);
      addresses.push({ address: ip, node: asString(ao?.nodeName, [...ap, 'nodeName'], r) });
    });
    // notReadyAddresses are deliberately not used: Kubernetes does not route to them either.
    const ports = parsePorts(o.ports, [...base, 'ports'], r);
    groups.push({ addresses, ports });
  });
  return { h, service: h.name, groups };
}

export function parseEndpointSlice(h: ObjectHeader): ParsedEndpoints | undefined {
  const r = h.report;
  const d = h.raw.data;
  const service = h.labels['kubernetes.io/service-name'];
  if (!service) {
    r.error(['metadata', 'labels'], 'an EndpointSlice needs the label "kubernetes.io/service-name" naming its Service');
  }
  const addressType = asString(d.addressType, ['addressType'], r);
  if (addressType === undefined) r.error(['addressType'], 'required: IPv4, IPv6 or FQDN');
  else if (!['IPv4', 'IPv6', 'FQDN'].includes(addressType)) r.error(['addressType'], `unsupported addressType "${addressType}": use IPv4, IPv6 or FQDN`);
  const addresses: AddressGroup['addresses'] = [];
  asList(d.endpoints, ['endpoints'], r).forEach((e, i) => {
    const base = ['endpoints', i] as const;
    const o = asObject(e, base, r);
    if (!o) return;
    const list = asList(o.addresses, [...base, 'addresses'], r);
    if (list.length === 0) return r.error([...base, 'addresses'], 'required: at least one address');
    const cond = asObject(o.conditions, [...base, 'conditions'], r);
    // Kubernetes: a missing ready condition means ready.
    const ready = cond?.ready;
    if (ready !== undefined && ready !== null && typeof ready !== 'boolean') {
      r.error([...base, 'conditions', 'ready'], 'must be true or false');
    }
    const node = asString(o.nodeName, [...base, 'nodeName'], r);
    list.forEach((a, j) => {
      const ap = [...base, 'addresses', j] as const;
      if (typeof a !== 'string') return r.error(ap, 'must be a string address');
      const fam = ipFamily(a);
      if (addressType === 'IPv4' && fam !== 4) return r.error(ap, `"${a}" is not an IPv4 address (addressType is IPv4)`);
      if (addressType === 'IPv6' && fam !== 6) return r.error(ap, `"${a}" is not an IPv6 address (addressType is IPv6)`);
      if (addressType === 'FQDN') {
        const m = checkDns1123Subdomain(a);
        if (m) return r.error(ap, m);
      }
      if (ready !== false) addresses.push({ address: a, node });
    });
  });
  const ports = parsePorts(d.ports, ['ports'], r);
  if (!service) return undefined;
  return { h, service, groups: [{ addresses, ports }] };
}

function parsePorts(v: unknown, path: FieldPath, r: Reporter): EndpointPort[] {
  const out: EndpointPort[] = [];
  asList(v, path, r).forEach((p, i) => {
    const pp = [...path, i];
    const o = asObject(p, pp, r);
    if (!o) return;
    const name = asString(o.name, [...pp, 'name'], r) || undefined;
    if (name !== undefined) {
      const m = checkPortName(name);
      if (m) r.error([...pp, 'name'], m);
    }
    if (o.port === undefined || o.port === null) return r.error([...pp, 'port'], 'required: the port number the endpoints listen on');
    const m = checkPortNumber(o.port);
    if (m) return r.error([...pp, 'port'], m);
    const protocol = o.protocol ?? 'TCP';
    if (protocol !== 'TCP') return; // HTTP needs TCP; UDP/SCTP ports are simply not candidates
    out.push({ name, port: o.port as number });
  });
  return out;
}

export function parseNode(h: ObjectHeader): ParsedNode {
  const r = h.report;
  const status = asObject(h.raw.data.status, ['status'], r);
  let internalIP: string | undefined;
  asList(status?.addresses, ['status', 'addresses'], r).forEach((a, i) => {
    const ap = ['status', 'addresses', i] as const;
    const o = asObject(a, ap, r);
    const type = asString(o?.type, [...ap, 'type'], r);
    const address = asString(o?.address, [...ap, 'address'], r);
    if (type === 'InternalIP' && address !== undefined) {
      if (!ipFamily(address)) r.error([...ap, 'address'], `"${address}" must be an IP address`);
      else internalIP ??= address;
    }
  });
  return { h, internalIP };
}
