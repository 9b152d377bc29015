// BackendTLSPolicy: TLS to a Service's backends, verified against CA
// bundles from ConfigMaps (ca.crt) or the system's CAs, by hostname or
// subjectAltNames. Of two policies on one Service and sectionName (or both
// on the whole Service) the older, then first by namespace/name, wins; the
// other is Conflicted. A policy naming a port wins over one for the Service.
import { X509Certificate } from 'node:crypto';
import type { BackendConfig, BackendTlsSettings, Catalog, FrontEndObject, ObjectHeader } from '@meshgate/ingress';
import { older } from './attach.ts';
import { fail, ok, type Outcome } from './status.ts';
import type { ParsedBackendTlsPolicy } from './types.ts';

export interface PolicyState {
  h: ObjectHeader;
  spec: ParsedBackendTlsPolicy;
  accepted: Outcome;
  resolvedRefs: Outcome;
  /** What backends of its targets get; undefined when not accepted. */
  settings?: BackendTlsSettings;
  /** 'namespace/service' and the port name (or '' for every port) it applies to. */
  targets: { service: string; section: string }[];
  /** Every Service its targetRefs name (for status ancestors, applied or not). */
  named: string[];
}

export function resolvePolicies(objects: readonly FrontEndObject[], configMaps: readonly ObjectHeader[], catalog: Catalog): PolicyState[] {
  const policies = objects.filter((o) => o.h.kind === 'BackendTLSPolicy' && o.ok).map((o) => o.h).sort(older);
  const taken = new Map<string, string>();
  return policies.map((h) => {
    const spec = (objects.find((o) => o.h === h)!.parsed as { value: ParsedBackendTlsPolicy }).value;
    const ns = h.namespace as string;
    const targets: PolicyState['targets'] = [];
    let accepted = ok('Accepted', 'the policy applies to its targets');
    for (const t of spec.targetRefs) {
      const svc = `${ns}/${t.name}`;
      if (t.group !== '' || t.kind !== 'Service') { accepted = fail('TargetNotFound', `target ${t.group || 'core'}/${t.kind} ${t.name}: only Services can be targeted`); continue; }
      const s = catalog.services.get(svc);
      if (!s) { accepted = fail('TargetNotFound', `Service ${svc} not found`); continue; }
      if (t.sectionName && !s.ports.some((p) => p.name === t.sectionName)) { accepted = fail('TargetNotFound', `Service ${svc} has no port named "${t.sectionName}"`); continue; }
      const key = `${svc}\0${t.sectionName ?? ''}`;
      const owner = taken.get(key);
      if (owner) { accepted = fail('Conflicted', `BackendTLSPolicy ${owner} (older, or first by namespace/name) already targets Service ${svc}${t.sectionName ? ` port ${t.sectionName}` : ''}`); continue; }
      taken.set(key, `${ns}/${h.name}`);
      targets.push({ service: svc, section: t.sectionName ?? '' });
    }
    const { resolvedRefs, cas, noValid } = caBundles(spec, ns, configMaps);
    if (accepted.ok && noValid) accepted = fail('NoValidCACertificate', resolvedRefs.message);
    if (accepted.ok && spec.wellKnownCACertificates && spec.wellKnownCACertificates !== 'System') accepted = fail('Invalid', `wellKnownCACertificates "${spec.wellKnownCACertificates}" is not supported: use System, or caCertificateRefs`);
    const settings: BackendTlsSettings = {
      hostname: spec.hostname, caCertificates: cas, policy: `${ns}/${h.name}`,
      ...(spec.wellKnownCACertificates === 'System' ? { wellKnownCACertificates: 'System' as const } : {}),
      ...(spec.subjectAltNames.length ? { subjectAltNames: spec.subjectAltNames } : {}),
      ...(!resolvedRefs.ok ? { invalid: resolvedRefs.message } : {}),
    };
    // A policy whose CA references are all invalid still applies: connections must fail (5xx), not go out in plain text.
    const applies = accepted.ok || accepted.reason === 'NoValidCACertificate';
    const named = spec.targetRefs.filter((t) => t.group === '' && t.kind === 'Service').map((t) => `${ns}/${t.name}`);
    return { h, spec, accepted, resolvedRefs, targets, named, ...(applies ? { settings } : {}) };
  });
}

function caBundles(spec: ParsedBackendTlsPolicy, ns: string, configMaps: readonly ObjectHeader[]): { resolvedRefs: Outcome; cas: string[]; noValid: boolean } {
  const cas: string[] = [];
  let problem: Outcome | undefined;
  for (const ref of spec.caCertificateRefs) {
    if (ref.group !== '' || ref.kind !== 'ConfigMap') { problem ??= fail('InvalidKind', `caCertificateRef ${ref.group || 'core'}/${ref.kind} ${ref.name}: only ConfigMaps with a ca.crt are supported`); continue; }
    const cm = configMaps.find((c) => c.namespace === ns && c.name === ref.name);
    const data = (cm?.raw.data.data ?? {}) as Record<string, unknown>;
    const pem = data['ca.crt'];
    if (!cm) { problem ??= fail('InvalidCACertificateRef', `ConfigMap ${ns}/${ref.name} not found`); continue; }
    if (typeof pem !== 'string' || !parsesAsCertificate(pem)) { problem ??= fail('InvalidCACertificateRef', `ConfigMap ${ns}/${ref.name} has no PEM certificate in data["ca.crt"]`); continue; }
    cas.push(pem);
  }
  return { resolvedRefs: problem ?? ok('ResolvedRefs', 'all references resolved'), cas, noValid: spec.caCertificateRefs.length > 0 && cas.length === 0 };
}

function parsesAsCertificate(pem: string): boolean {
  try {
    new X509Certificate(pem);
    return true;
  } catch {
    return false;
  }
}

/** Puts the policies' TLS settings on the backends of their target Service ports: a policy naming the port (sectionName) before one for the whole Service. */
export function applyPolicies(policies: readonly PolicyState[], backends: Iterable<BackendConfig>, catalog: Catalog): void {
  for (const b of backends) {
    const svc = `${b.namespace}/${b.service}`;
    const name = portName(catalog, svc, b.servicePort);
    const applies = (section: string) => policies.find((p) => p.settings && p.targets.some((t) => t.service === svc && t.section === section));
    const p = (name !== undefined ? applies(name) : undefined) ?? applies('');
    if (p) b.backendTls = p.settings;
  }
}

function portName(catalog: Catalog, svc: string, port: number | string): string | undefined {
  if (typeof port === 'string') return port;
  return catalog.services.get(svc)?.ports.find((p) => p.port === port)?.name;
}
