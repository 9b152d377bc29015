// Ingress spec in its three apiVersions, normalized to one shape.
import { asIntOrString, asList, asObject, asString } from './fields.ts';
import type { ObjectHeader, Reporter } from './object-meta.ts';
import type { FieldPath } from './parse-documents.ts';
import type { PathType } from './types.ts';
import { checkDns1035Label, checkHost, checkIngressPath, checkPortName, checkPortNumber } from './validate.ts';

export interface BackendRef {
  service: string;
  port: number | string;
  field: FieldPath;
}

export interface IngressPath {
  host: string;
  path: string;
  pathType: PathType;
  backend: BackendRef;
  field: FieldPath;
}

export interface IngressTls {
  hosts: string[];
  secretName?: string;
  field: FieldPath;
}

export interface ParsedIngress {
  h: ObjectHeader;
  defaultBackend?: BackendRef;
  paths: IngressPath[];
  tls: IngressTls[];
}

export const CLASS_ANNOTATION = 'kubernetes.io/ingress.class';
const PATH_TYPES: readonly string[] = ['Exact', 'Prefix', 'ImplementationSpecific'];

/** The class an Ingress names (field or legacy annotation), if any. */
export function ingressClassOf(h: ObjectHeader): { name?: string; field: FieldPath } {
  const spec = h.raw.data.spec;
  const fieldName = spec && typeof spec === 'object' ? (spec as Record<string, unknown>).ingressClassName : undefined;
  const ann = h.annotations[CLASS_ANNOTATION];
  if (typeof fieldName === 'string' && fieldName !== '') {
    if (ann !== undefined && ann !== fieldName) {
      h.report.error(['metadata', 'annotations', CLASS_ANNOTATION], `annotation says "${ann}" but spec.ingressClassName says "${fieldName}": remove the annotation`);
    }
    return { name: fieldName, field: ['spec', 'ingressClassName'] };
  }
  if (ann !== undefined && ann !== '') return { name: ann, field: ['metadata', 'annotations', CLASS_ANNOTATION] };
  return { field: ['spec', 'ingressClassName'] };
}

export function parseIngress(h: ObjectHeader): ParsedIngress {
  const r = h.report;
  const v1 = h.apiVersion === 'networking.k8s.io/v1';
  const spec = asObject(h.raw.data.spec, ['spec'], r);
  const out: ParsedIngress = { h, paths: [], tls: [] };
  if (!spec) {
    r.error(['spec'], 'an Ingress needs a spec with rules or a default backend');
    return out;
  }
  if (spec.ingressClassName !== undefined && spec.ingressClassName !== null && typeof spec.ingressClassName !== 'string') {
    r.error(['spec', 'ingressClassName'], 'must be a string');
  }
  const dbKey = v1 ? 'defaultBackend' : 'backend';
  const otherKey = v1 ? 'backend' : 'defaultBackend';
  if (spec[otherKey] !== undefined) {
    r.error(['spec', otherKey], `"spec.${otherKey}" is not a field of ${h.apiVersion}: write spec.${dbKey}`);
  }
  if (spec[dbKey] !== undefined && spec[dbKey] !== null) out.defaultBackend = parseBackend(spec[dbKey], ['spec', dbKey], v1, r);

  const rules = asList(spec.rules, ['spec', 'rules'], r);
  if (rules.length === 0 && spec[dbKey] === undefined) {
    r.error(['spec'], `either spec.${dbKey} or spec.rules must be specified`);
  }
  rules.forEach((rule, i) => {
    const rp = ['spec', 'rules', i] as const;
    const ro = asObject(rule, rp, r);
    if (!ro) return;
    let host = '';
    const rawHost = asString(ro.host, [...rp, 'host'], r);
    if (rawHost !== undefined && rawHost !== '') {
      const m = checkHost(rawHost);
      if (m) r.error([...rp, 'host'], m);
      host = rawHost.toLowerCase();
    }
    const http = asObject(ro.http, [...rp, 'http'], r);
    if (!http) return; // a host with no http section only serves the default backend
    const paths = asList(http.paths, [...rp, 'http', 'paths'], r);
    if (paths.length === 0) r.error([...rp, 'http', 'paths'], 'required: at least one path (or remove "http")');
    paths.forEach((p, j) => {
      const pp = [...rp, 'http', 'paths', j] as const;
      const po = asObject(p, pp, r);
      if (!po) return;
      const rawType = asString(po.pathType, [...pp, 'pathType'], r);
      let pathType: PathType = 'ImplementationSpecific';
      if (rawType === undefined) {
        if (v1) r.error([...pp, 'pathType'], 'required in networking.k8s.io/v1: use Exact, Prefix or ImplementationSpecific');
      } else if (PATH_TYPES.includes(rawType)) pathType = rawType as PathType;
      else r.error([...pp, 'pathType'], `unsupported pathType "${rawType}": use Exact, Prefix or ImplementationSpecific`);
      let path = asString(po.path, [...pp, 'path'], r);
      if (path === undefined || path === '') {
        // Kubernetes: an empty path is allowed only for ImplementationSpecific and means every path.
        if (pathType !== 'ImplementationSpecific') r.error([...pp, 'path'], `required for pathType ${pathType}: a path starting with "/"`);
        path = '/';
      } else {
        const m = checkIngressPath(path, pathType);
        if (m) r.error([...pp, 'path'], m);
      }
      if (po.backend === undefined || po.backend === null) {
        r.error([...pp, 'backend'], v1 ? 'required: backend.service.name and backend.service.port' : 'required: backend.serviceName and backend.servicePort');
        return;
      }
      const backend = parseBackend(po.backend, [...pp, 'backend'], v1, r);
      if (backend) out.paths.push({ host, path, pathType, backend, field: pp });
    });
  });

  asList(spec.tls, ['spec', 'tls'], r).forEach((t, i) => {
    const tp = ['spec', 'tls', i] as const;
    const to = asObject(t, tp, r);
    if (!to) return;
    const hosts: string[] = [];
    asList(to.hosts, [...tp, 'hosts'], r).forEach((hst, j) => {
      if (typeof hst !== 'string') return r.error([...tp, 'hosts', j], 'must be a host name string');
      const m = checkHost(hst);
      if (m) return r.error([...tp, 'hosts', j], m);
      hosts.push(hst);
    });
    const secretName = asString(to.secretName, [...tp, 'secretName'], r);
    out.tls.push({ hosts, secretName: secretName || undefined, field: tp });
  });
  return out;
}

function parseBackend(v: unknown, path: FieldPath, v1: boolean, r: Reporter): BackendRef | undefined {
  const o = asObject(v, path, r);
  if (!o) return undefined;
  if (o.resource !== undefined) {
    r.error([...path, 'resource'], 'resource backends are not supported by meshgate: use a Service backend');
    return undefined;
  }
  if (v1) {
    if (o.serviceName !== undefined || o.servicePort !== undefined) {
      r.error([...path, o.serviceName !== undefined ? 'serviceName' : 'servicePort'], 'serviceName/servicePort are extensions/v1beta1 fields: in networking.k8s.io/v1 write service.name and service.port.number (or service.port.name)');
      return undefined;
    }
    const svc = asObject(o.service, [...path, 'service'], r);
    if (!svc) {
      r.error([...path, 'service'], 'required: service.name and service.port');
      return undefined;
    }
    const name = asString(svc.name, [...path, 'service', 'name'], r);
    if (!name) {
      r.error([...path, 'service', 'name'], 'required: the name of a Service in the Ingress namespace');
      return undefined;
    }
    const nm = checkDns1035Label(name);
    if (nm) r.error([...path, 'service', 'name'], nm);
    const port = asObject(svc.port, [...path, 'service', 'port'], r);
    if (!port) {
      r.error([...path, 'service', 'port'], 'required: port.number or port.name');
      return undefined;
    }
    const hasNum = port.number !== undefined && port.number !== null;
    const hasName = port.name !== undefined && port.name !== null && port.name !== '';
    if (hasNum === hasName) {
      r.error([...path, 'service', 'port'], hasNum ? 'set either port.number or port.name, not both' : 'required: port.number or port.name');
      return undefined;
    }
    if (hasNum) {
      const m = checkPortNumber(port.number);
      if (m) return void r.error([...path, 'service', 'port', 'number'], m);
      return { service: name, port: port.number as number, field: path };
    }
    const pn = asString(port.name, [...path, 'service', 'port', 'name'], r);
    if (pn === undefined) return undefined;
    const m = checkPortName(pn);
    if (m) return void r.error([...path, 'service', 'port', 'name'], m);
    return { service: name, port: pn, field: path };
  }
  if (o.service !== undefined) {
    r.error([...path, 'service'], 'service.name/service.port are networking.k8s.io/v1 fields: in v1beta1 write serviceName and servicePort, or change apiVersion to networking.k8s.io/v1');
    return undefined;
  }
  const name = asString(o.serviceName, [...path, 'serviceName'], r);
  if (!name) {
    r.error([...path, 'serviceName'], 'required: the name of a Service in the Ingress namespace');
    return undefined;
  }
  const nm = checkDns1035Label(name);
  if (nm) r.error([...path, 'serviceName'], nm);
  const port = asIntOrString(o.servicePort, [...path, 'servicePort'], r);
  if (port === undefined) {
    r.error([...path, 'servicePort'], 'required: the Service port number or name');
    return undefined;
  }
  const m = typeof port === 'number' ? checkPortNumber(port) : checkPortName(port);
  if (m) return void r.error([...path, 'servicePort'], m);
  return { service: name, port, field: path };
}
