// ReferenceGrant and BackendTLSPolicy, read as the API server would accept them.
import { asList, asObject, asString, type ObjectHeader } from '@meshgate/ingress';
import { hostname, objectRef, oneOf, required, sectionName } from './parse-common.ts';
import type { ParsedBackendTlsPolicy, ParsedReferenceGrant } from './types.ts';

export function parseReferenceGrant(h: ObjectHeader): ParsedReferenceGrant {
  const r = h.report;
  const spec = asObject(h.raw.data.spec, ['spec'], r) ?? {};
  const from = asList(spec.from, ['spec', 'from'], r).flatMap((v, i) => {
    const p = ['spec', 'from', i];
    const o = asObject(v, p, r) ?? {};
    const group = asString(o.group, [...p, 'group'], r);
    if (group === undefined) r.error([...p, 'group'], 'required: the API group of the referring kind ("gateway.networking.k8s.io" for routes and Gateways)');
    const kind = required(o.kind, [...p, 'kind'], r, 'the referring kind, e.g. HTTPRoute or Gateway');
    const namespace = required(o.namespace, [...p, 'namespace'], r, 'the namespace the references come from');
    return group !== undefined && kind && namespace ? [{ group, kind, namespace }] : [];
  });
  const to = asList(spec.to, ['spec', 'to'], r).flatMap((v, i) => {
    const p = ['spec', 'to', i];
    const o = asObject(v, p, r) ?? {};
    const group = asString(o.group, [...p, 'group'], r);
    if (group === undefined) r.error([...p, 'group'], 'required: the API group of the kind referred to ("" for Service and Secret)');
    const kind = required(o.kind, [...p, 'kind'], r, 'the kind referred to, e.g. Service or Secret');
    const name = asString(o.name, [...p, 'name'], r);
    return group !== undefined && kind ? [{ group, kind, ...(name ? { name } : {}) }] : [];
  });
  if (asList(spec.from, ['spec', 'from'], r).length === 0) r.error(['spec', 'from'], 'required: at least one {group, kind, namespace} that may refer here');
  if (asList(spec.to, ['spec', 'to'], r).length === 0) r.error(['spec', 'to'], 'required: at least one {group, kind} that may be referred to');
  return { from, to };
}

export function parseBackendTlsPolicy(h: ObjectHeader): ParsedBackendTlsPolicy {
  const r = h.report;
  const spec = asObject(h.raw.data.spec, ['spec'], r) ?? {};
  const targets = asList(spec.targetRefs, ['spec', 'targetRefs'], r);
  if (targets.length === 0) r.error(['spec', 'targetRefs'], 'required: the Service(s) the policy applies to, e.g. [{group: "", kind: Service, name: backend}]');
  const targetRefs = targets.flatMap((v, i) => {
    const p = ['spec', 'targetRefs', i];
    const o = asObject(v, p, r) ?? {};
    const group = asString(o.group, [...p, 'group'], r);
    if (group === undefined) r.error([...p, 'group'], 'required: "" for a Service');
    const kind = required(o.kind, [...p, 'kind'], r, 'the target kind (Service)');
    const name = required(o.name, [...p, 'name'], r, 'the target name');
    const section = sectionName(o.sectionName, [...p, 'sectionName'], r);
    return group !== undefined && kind && name ? [{ group, kind, name, ...(section ? { sectionName: section } : {}), field: p }] : [];
  });
  const val = asObject(spec.validation, ['spec', 'validation'], r) ?? {};
  if (spec.validation === undefined) r.error(['spec', 'validation'], 'required: how to validate the backend certificate (hostname and caCertificateRefs or wellKnownCACertificates)');
  const caCertificateRefs = asList(val.caCertificateRefs, ['spec', 'validation', 'caCertificateRefs'], r).flatMap((v, i) => {
    const ref = objectRef(v, ['spec', 'validation', 'caCertificateRefs', i], r, { group: '', kind: '' }, false);
    if (ref && (v as Record<string, unknown>).kind === undefined) r.error(['spec', 'validation', 'caCertificateRefs', i, 'kind'], 'required: the kind (ConfigMap)');
    return ref ? [ref] : [];
  });
  const wellKnown = asString(val.wellKnownCACertificates, ['spec', 'validation', 'wellKnownCACertificates'], r) || undefined;
  if (caCertificateRefs.length > 0 && wellKnown) r.error(['spec', 'validation'], 'must not contain both caCertificateRefs and wellKnownCACertificates');
  if (caCertificateRefs.length === 0 && !wellKnown) r.error(['spec', 'validation'], 'must specify either caCertificateRefs or wellKnownCACertificates');
  const host = hostname(val.hostname, ['spec', 'validation', 'hostname'], r, false);
  if (val.hostname === undefined) r.error(['spec', 'validation', 'hostname'], 'required: the name to send as SNI and to verify the backend certificate against');
  const subjectAltNames = asList(val.subjectAltNames, ['spec', 'validation', 'subjectAltNames'], r).flatMap((v, i) => {
    const p = ['spec', 'validation', 'subjectAltNames', i];
    const o = asObject(v, p, r) ?? {};
    const type = oneOf(o.type, [...p, 'type'], r, ['Hostname', 'URI'] as const);
    if (o.type === undefined) r.error([...p, 'type'], 'required: Hostname or URI');
    const value = type === 'Hostname' ? hostname(o.hostname, [...p, 'hostname'], r) : asString(o.uri, [...p, 'uri'], r);
    if (type && !value) r.error([...p, type === 'Hostname' ? 'hostname' : 'uri'], `required for type ${type}`);
    return type && value ? [{ type, value }] : [];
  });
  return { targetRefs, caCertificateRefs, ...(wellKnown ? { wellKnownCACertificates: wellKnown } : {}), hostname: host ?? '', subjectAltNames };
}
