// Status of every Gateway API object in upstream's shape, with meshgate's
// one-line summary: what `meshgate get gateways|httproutes|grpcroutes` shows.
import type { Condition, GatewayApiKind, GatewayApiObject, ListenerStatus, ObjectHeader, ParentReference, RouteParentStatus } from '@meshgate/ingress';
import type { ParentOutcome } from './attach.ts';
import type { GatewayState } from './gateways.ts';
import { condition, type Outcome, type Stamp } from './status.ts';
import type { PolicyState } from './tls-policy.ts';
import { CONTROLLER_NAME, GROUP, type ParsedRoute } from './types.ts';

export function identity(h: ObjectHeader, gen: number): Pick<GatewayApiObject, 'apiVersion' | 'kind' | 'metadata' | 'file' | 'line'> {
  return {
    apiVersion: h.apiVersion, kind: h.kind as GatewayApiKind,
    metadata: { name: h.name, ...(h.namespace !== undefined ? { namespace: h.namespace } : {}), generation: gen, ...(h.created !== undefined ? { creationTimestamp: new Date(h.created).toISOString() } : {}) },
    file: h.raw.file, ...(h.raw.line !== undefined ? { line: h.raw.line } : {}),
  };
}

export function gatewayObject(g: GatewayState, s: Stamp): GatewayApiObject {
  const listenersText = g.spec.listeners.map((l) => `${l.name} ${l.protocol}/${l.port}${l.hostname ? ` ${l.hostname}` : ''}`).join(', ');
  const details = `class ${g.spec.className}; listeners: ${listenersText}`;
  if (!g.ours) return { ...identity(g.h, s.generation), status: { conditions: [], listeners: [] }, served: false, reason: g.classProblem ?? 'not meshgate\'s', details };
  const programmed = g.accepted.ok && g.listeners.some((l) => l.programmed);
  const conditions: Condition[] = [
    condition('Accepted', g.accepted, s),
    condition('Programmed', programmed ? { ok: true, reason: 'Programmed', message: 'served on every proxy node' } : { ok: false, reason: 'Invalid', message: g.accepted.ok ? 'no listener can be served (see status.listeners)' : g.accepted.message }, s),
  ];
  const listeners: ListenerStatus[] = g.listeners.map((l) => ({
    name: l.spec.name, supportedKinds: l.supportedKinds, attachedRoutes: l.attachedRoutes,
    conditions: [
      condition('Accepted', l.accepted, s),
      condition('ResolvedRefs', l.resolvedRefs, s),
      condition('Programmed', l.programmed ? { ok: true, reason: 'Programmed', message: `served on port ${l.spec.port}` } : { ok: false, reason: 'Invalid', message: !l.accepted.ok ? l.accepted.message : l.resolvedRefs.message }, s),
      condition('Conflicted', l.conflicted ?? { ok: false, reason: 'NoConflicts', message: 'no conflicts' }, s, l.conflicted ? 'True' : 'False'),
    ],
  }));
  const bad = g.listeners.find((l) => !l.programmed);
  const reason = !g.accepted.ok ? said('Accepted', g.accepted)
    : bad ? `listener ${bad.spec.name}: ${!bad.accepted.ok ? said('Accepted', bad.accepted) : said('ResolvedRefs', bad.resolvedRefs)}` : 'Programmed';
  return { ...identity(g.h, s.generation), status: { conditions, listeners }, served: programmed, reason, details };
}

export interface RouteReport {
  h: ObjectHeader;
  route: ParsedRoute;
  parents: ParentOutcome[];
  resolvedRefs: Outcome;
  /** "Dropped Rule ..." when some rules cannot be served. */
  partiallyInvalid?: string;
}

export function routeObject(r: RouteReport, s: Stamp): GatewayApiObject {
  const parents: RouteParentStatus[] = r.parents.filter((p) => p.accepted !== undefined).map((p) => ({
    parentRef: p.ref, controllerName: CONTROLLER_NAME,
    conditions: [
      condition('Accepted', p.accepted!, s),
      condition('ResolvedRefs', r.resolvedRefs, s),
      ...(r.partiallyInvalid && p.accepted!.ok ? [condition('PartiallyInvalid', { ok: true, reason: 'UnsupportedValue', message: r.partiallyInvalid }, s)] : []),
    ],
  }));
  const served = r.parents.some((p) => p.accepted?.ok && p.attachments.some((a) => a.listener.programmed));
  const badParent = r.parents.find((p) => p.accepted && !p.accepted.ok);
  const reason = r.parents.length === 0 ? 'no parentRefs: name a Gateway in spec.parentRefs'
    : parents.length === 0 ? 'no parent Gateway is of a meshgate GatewayClass'
      : badParent ? said('Accepted', badParent.accepted!)
        : !r.resolvedRefs.ok ? said('ResolvedRefs', r.resolvedRefs)
          : r.partiallyInvalid ?? (served ? 'Accepted' : 'Accepted, but no listener it attaches to is programmed');
  const details = `hostnames: ${r.route.hostnames.join(', ') || '*'}; parents: ${r.parents.map((p) => refText(p.ref)).join(', ') || '-'}`;
  return { ...identity(r.h, s.generation), status: { parents }, served, reason, details };
}

export function policyObject(p: PolicyState, ancestors: ParentReference[], s: Stamp): GatewayApiObject {
  const conditions = [condition('Accepted', p.accepted, s), condition('ResolvedRefs', p.resolvedRefs, s)];
  const reason = !p.accepted.ok ? said('Accepted', p.accepted) : !p.resolvedRefs.ok ? said('ResolvedRefs', p.resolvedRefs)
    : ancestors.length === 0 ? 'Accepted; no route of a meshgate Gateway sends to its targets yet' : 'Accepted';
  return {
    ...identity(p.h, s.generation),
    status: { ancestors: ancestors.map((a) => ({ ancestorRef: a, controllerName: CONTROLLER_NAME, conditions })) },
    served: p.accepted.ok, reason, details: `targets: ${p.spec.targetRefs.map((t) => `${t.kind} ${t.name}${t.sectionName ? `:${t.sectionName}` : ''}`).join(', ')}; hostname ${p.spec.hostname}`,
  };
}

export function gatewayRef(g: GatewayState): ParentReference {
  return { group: GROUP, kind: 'Gateway', namespace: g.h.namespace as string, name: g.h.name };
}

/** A failed condition as one line: "ResolvedRefs=False BackendNotFound: Service default/x not found". */
function said(type: string, o: Outcome): string {
  return `${type}=${o.ok ? 'True' : 'False'} ${o.reason}: ${o.message}`;
}

function refText(p: ParentReference): string {
  return `${p.kind === 'Gateway' ? '' : `${p.kind} `}${p.namespace ? `${p.namespace}/` : ''}${p.name}${p.sectionName ? `/${p.sectionName}` : ''}${p.port !== undefined ? `:${p.port}` : ''}`;
}
