import { asIntOrString, asList, asObject, asString } from './fields.ts';
import type { ObjectHeader } from './object-meta.ts';
import { HEALTH_PATH_ANNOTATION } from './types.ts';
import { checkDns1123Subdomain, checkPortName, checkPortNumber } from './validate.ts';

export interface ServicePort {
  index: number;
  name?: string;
  port: number;
  /** Defaults to `port`, as in Kubernetes. */
  targetPort: number | string;
  nodePort?: number;
  protocol: string;
}

export interface ParsedService {
  h: ObjectHeader;
  type: 'ClusterIP' | 'NodePort' | 'LoadBalancer' | 'ExternalName';
  ports: ServicePort[];
  externalName?: string;
  healthPath: string;
}

const TYPES = ['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName'] as const;

export function parseService(h: ObjectHeader): ParsedService {
  const r = h.report;
  const spec = asObject(h.raw.data.spec, ['spec'], r) ?? {};
  const typeRaw = asString(spec.type, ['spec', 'type'], r) ?? 'ClusterIP';
  let type: ParsedService['type'] = 'ClusterIP';
  if ((TYPES as readonly string[]).includes(typeRaw)) type = typeRaw as ParsedService['type'];
  else r.error(['spec', 'type'], `unsupported Service type "${typeRaw}": use ${TYPES.join(', ')}`);

  const ports: ServicePort[] = [];
  const rawPorts = asList(spec.ports, ['spec', 'ports'], r);
  const headless = spec.clusterIP === 'None';
  if (rawPorts.length === 0 && type !== 'ExternalName' && !headless) {
    r.error(['spec', 'ports'], 'a Service needs at least one port: add spec.ports with "port" (and "targetPort" if the pods listen elsewhere)');
  }
  const names = new Set<string>();
  const numbers = new Set<string>();
  rawPorts.forEach((p, i) => {
    const base = ['spec', 'ports', i] as const;
    const o = asObject(p, base, r);
    if (!o) return r.error(base, 'must be a mapping with "port"');
    const name = asString(o.name, [...base, 'name'], r);
    if (name !== undefined) {
      const m = checkPortName(name);
      if (m) r.error([...base, 'name'], m);
      else if (names.has(name)) r.error([...base, 'name'], `duplicate port name "${name}": port names must be unique`);
      names.add(name);
    } else if (rawPorts.length > 1) {
      r.error([...base, 'name'], 'required when a Service has more than one port: give each port a unique name');
    }
    if (o.port === undefined || o.port === null) return r.error([...base, 'port'], 'required: the port number the Service exposes (1-65535)');
    const pm = checkPortNumber(o.port);
    if (pm) return r.error([...base, 'port'], pm);
    const port = o.port as number;
    const protocol = asString(o.protocol, [...base, 'protocol'], r) ?? 'TCP';
    if (!['TCP', 'UDP', 'SCTP'].includes(protocol)) r.error([...base, 'protocol'], `unsupported protocol "${protocol}": use TCP, UDP or SCTP`);
    const key = `${protocol}/${port}`;
    if (numbers.has(key)) r.error([...base, 'port'], `duplicate port ${port}/${protocol}: each port number may appear once per protocol`);
    numbers.add(key);
    let targetPort = asIntOrString(o.targetPort, [...base, 'targetPort'], r) ?? port;
    if (typeof targetPort === 'number') {
      const tm = checkPortNumber(targetPort);
      if (tm) r.error([...base, 'targetPort'], tm);
    } else {
      const tm = checkPortName(targetPort);
      if (tm) r.error([...base, 'targetPort'], tm);
    }
    let nodePort: number | undefined;
    if (o.nodePort !== undefined && o.nodePort !== null && o.nodePort !== 0) {
      if (type !== 'NodePort' && type !== 'LoadBalancer') {
        r.error([...base, 'nodePort'], `nodePort may only be set when spec.type is NodePort or LoadBalancer (it is ${type})`);
      } else {
        const nm = checkPortNumber(o.nodePort);
        if (nm) r.error([...base, 'nodePort'], nm);
        else nodePort = o.nodePort as number;
      }
    }
    ports.push({ index: i, name, port, targetPort, nodePort, protocol });
  });

  let externalName: string | undefined;
  if (type === 'ExternalName') {
    externalName = asString(spec.externalName, ['spec', 'externalName'], r);
    if (externalName === undefined) r.error(['spec', 'externalName'], 'required for type ExternalName: the DNS name to forward to');
    else {
      const m = checkDns1123Subdomain(externalName.replace(/\.$/, ''));
      if (m) r.error(['spec', 'externalName'], m);
    }
  }

  let healthPath = '/';
  const hp = h.annotations[HEALTH_PATH_ANNOTATION];
  if (hp !== undefined) {
    if (!hp.startsWith('/')) r.error(['metadata', 'annotations', HEALTH_PATH_ANNOTATION], `health path "${hp}" must start with "/"`);
    else healthPath = hp;
  }
  return { h, type, ports, externalName, healthPath };
}
