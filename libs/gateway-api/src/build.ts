// The Gateway API front end's half of a build: Gateways and their
// listeners, routes attached to them, their rules in the route model,
// BackendTLSPolicies on the backends, certificates, and every status.
import type { BackendConfig, FrontEndInput, FrontEndOutput, GatewayApiObject, ManifestError, ObjectHeader, ParentReference, RouteRule, TlsCertificate } from '@meshgate/ingress';
import { attachRoute, resolveKindConflicts, type Namespaces, type RouteAttachments } from './attach.ts';
import { classIsOurs, resolveGateways, type GatewayState } from './gateways.ts';
import { ingressOverlaps } from './overlaps.ts';
import type { Grants } from './references.ts';
import { gatewayObject, gatewayRef, identity, policyObject, routeObject, type RouteReport } from './report.ts';
import { fail, ok, type Stamp } from './status.ts';
import { applyPolicies, resolvePolicies } from './tls-policy.ts';
import { translateRoute } from './translate.ts';
import type { ParsedGatewayClass, ParsedReferenceGrant, ParsedRoute } from './types.ts';

/** metadata.generation of an object whose manifest does not say (the front end counts spec changes). */
export type GenerationOf = (h: ObjectHeader) => number;

export function buildGatewayApi(input: FrontEndInput, generationOf: GenerationOf): FrontEndOutput {
  const now = new Date(input.now).toISOString();
  const stamp = (h: ObjectHeader): Stamp => ({ generation: generationOf(h), now });
  const { objects, catalog } = input;
  const classes = new Map<string, ParsedGatewayClass | undefined>();
  const grants: Grants = { byNamespace: new Map() };
  for (const o of objects) {
    if (o.h.kind === 'GatewayClass') classes.set(o.h.name, o.ok ? (o.parsed as { value: ParsedGatewayClass }).value : undefined);
    if (o.h.kind === 'ReferenceGrant' && o.ok) {
      const list = grants.byNamespace.get(o.h.namespace as string) ?? [];
      list.push((o.parsed as { value: ParsedReferenceGrant }).value);
      grants.byNamespace.set(o.h.namespace as string, list);
    }
  }
  const gateways = resolveGateways(objects, classes, catalog, grants);
  const byId = new Map(gateways.map((g) => [g.id, g]));
  const nss = namespaces(input.observed);
  const routes: RouteAttachments[] = objects.filter((o) => (o.h.kind === 'HTTPRoute' || o.h.kind === 'GRPCRoute') && o.ok).map((o) => {
    const route = (o.parsed as { value: ParsedRoute }).value;
    return { h: o.h, route, parents: attachRoute(o.h, route, byId, nss) };
  });
  resolveKindConflicts(routes);
  const rules: RouteRule[] = [];
  const used = new Map<string, BackendConfig>();
  const backend: FrontEndInput['backend'] = (ns, svc, port) => {
    const b = input.backend(ns, svc, port);
    used.set(b.cfg.id, b.cfg);
    return b;
  };
  const reports: RouteReport[] = [];
  const servicesOf = new Map<GatewayState, Set<string>>();
  for (const r of routes) {
    const t = translateRoute(r.h, r.route, r.parents, { catalog, grants, backend });
    const allDropped = t.dropped.length > 0 && t.dropped.length === r.route.rules.length;
    if (allDropped) {
      for (const p of r.parents) {
        if (!p.accepted?.ok) continue;
        p.accepted = fail('UnsupportedValue', `no rule can be served: ${t.dropped.map((d) => `rule ${d.index}: ${d.why}`).join('; ')}`);
        p.attachments = [];
      }
    } else {
      rules.push(...t.rules);
    }
    for (const p of r.parents) {
      if (!p.accepted?.ok) continue;
      for (const l of new Set(p.attachments.map((a) => a.listener))) l.attachedRoutes++;
      for (const a of p.attachments) {
        const set = servicesOf.get(a.gateway) ?? new Set();
        for (const s of t.services) set.add(s);
        servicesOf.set(a.gateway, set);
      }
    }
    const partial = !allDropped && t.dropped.length > 0 ? `Dropped Rule(s): ${t.dropped.map((d) => `rule ${d.index}: ${d.why}`).join('; ')}` : undefined;
    reports.push({ h: r.h, route: r.route, parents: r.parents, resolvedRefs: t.problems[0] ?? ok('ResolvedRefs', 'all references resolved'), ...(partial ? { partiallyInvalid: partial } : {}) });
  }
  const policies = resolvePolicies(objects, input.observed.filter((h) => h.kind === 'ConfigMap'), catalog);
  applyPolicies(policies, used.values(), catalog);

  const report = statusReport({ objects, classes, gateways, reports, policies, servicesOf }, generationOf, stamp);
  return { rules, tls: certificates(gateways), warnings: warningsOf(report), ingressNotes: ingressOverlaps(input.ingressRules, rules), gatewayApi: { objects: report } };
}

interface Built {
  objects: FrontEndInput['objects'];
  classes: Map<string, ParsedGatewayClass | undefined>;
  gateways: GatewayState[];
  reports: RouteReport[];
  policies: ReturnType<typeof resolvePolicies>;
  /** The Services each Gateway's routes send to (BackendTLSPolicy ancestors). */
  servicesOf: Map<GatewayState, Set<string>>;
}

/** Every object with its status, sorted by kind, namespace and name. */
function statusReport(b: Built, generationOf: GenerationOf, stamp: (h: ObjectHeader) => Stamp): GatewayApiObject[] {
  const report: GatewayApiObject[] = [];
  for (const o of b.objects) {
    if (o.ok) continue;
    const first = o.h.report.first;
    report.push({ ...identity(o.h, generationOf(o.h)), status: {}, served: false, reason: `rejected: ${first ? `${first.field ? `${first.field}: ` : ''}${first.message}` : 'invalid'}`, details: '' });
  }
  for (const o of b.objects) {
    if (!o.ok) continue;
    if (o.h.kind === 'GatewayClass') report.push(classObject(o.h, b.classes.get(o.h.name), stamp(o.h)));
    if (o.h.kind === 'ReferenceGrant') report.push({ ...identity(o.h, generationOf(o.h)), status: {}, served: true, reason: 'valid', details: '' });
  }
  for (const g of b.gateways) report.push(gatewayObject(g, stamp(g.h)));
  for (const r of b.reports) report.push(routeObject(r, stamp(r.h)));
  for (const p of b.policies) {
    const ancestors: ParentReference[] = b.gateways.filter((g) => p.named.some((svc) => b.servicesOf.get(g)?.has(svc))).map(gatewayRef);
    report.push(policyObject(p, ancestors, stamp(p.h)));
  }
  return report.sort((x, y) => (key(x) < key(y) ? -1 : key(x) > key(y) ? 1 : 0));
}

function classObject(h: ObjectHeader, c: ParsedGatewayClass | undefined, s: Stamp): GatewayApiObject {
  const details = `controller ${c?.controllerName ?? '?'}`;
  if (!classIsOurs(c)) return { ...identity(h, s.generation), status: { conditions: [] }, served: false, reason: `controller ${c?.controllerName} is not meshgate's (meshgate.dev/gateway-controller)`, details };
  const accepted = c!.parametersRef ? fail('InvalidParameters', 'parametersRef is not supported by meshgate') : ok('Accepted', 'handled by meshgate');
  return { ...identity(h, s.generation), status: { conditions: [{ type: 'Accepted', status: accepted.ok ? 'True' : 'False', reason: accepted.reason, message: accepted.message, observedGeneration: s.generation, lastTransitionTime: s.now }] }, served: accepted.ok, reason: accepted.ok ? 'Accepted' : `${accepted.reason}: ${accepted.message}`, details };
}

function namespaces(observed: readonly ObjectHeader[]): Namespaces {
  const labels = new Map<string, Record<string, string>>();
  for (const h of observed) if (h.kind === 'Namespace') labels.set(h.name, h.labels);
  return { labels: (ns) => ({ ...labels.get(ns), 'kubernetes.io/metadata.name': ns }) };
}

function certificates(gateways: readonly GatewayState[]): TlsCertificate[] {
  const out = new Map<string, TlsCertificate>();
  for (const g of gateways) {
    if (!g.ours || !g.accepted.ok) continue;
    for (const l of g.listeners) {
      if (!l.programmed) continue;
      for (const c of l.certificates) {
        const prev = out.get(c.id);
        if (!prev) out.set(c.id, { ...c, hosts: [...c.hosts] });
        else if (c.hosts.length === 0 || prev.hosts.length === 0) prev.hosts = [];
        else for (const host of c.hosts) if (!prev.hosts.includes(host)) prev.hosts.push(host);
      }
    }
  }
  return [...out.values()];
}

/** Objects meshgate serves only in part, or not: warnings on them (shown by apply, lint and the config service log). */
function warningsOf(objects: readonly GatewayApiObject[]): ManifestError[] {
  return objects.filter((o) => o.kind !== 'GatewayClass' && o.reason !== 'Accepted' && o.reason !== 'Programmed' && o.reason !== 'valid' && !o.reason.startsWith('rejected: '))
    .map((o) => ({ file: o.file, ...(o.line !== undefined ? { line: o.line } : {}), kind: o.kind, ...(o.metadata.namespace ? { namespace: o.metadata.namespace } : {}), name: o.metadata.name, message: o.reason }));
}

function key(o: GatewayApiObject): string {
  return `${o.kind}\0${o.metadata.namespace ?? ''}\0${o.metadata.name}\0${o.file}`;
}
