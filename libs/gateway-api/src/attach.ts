// Route attachment: for each parentRef, the Gateway's listeners selected by
// sectionName and port, allowed by their allowedRoutes (kinds, namespaces)
// and sharing a hostname with the route. Reasons are upstream's.
import type { ObjectHeader, ParentReference } from '@meshgate/ingress';
import type { GatewayState, ListenerState } from './gateways.ts';
import { effectiveHostnames } from './hostnames.ts';
import { selects } from './parse-common.ts';
import { fail, ok, type Outcome } from './status.ts';
import { GROUP, type ParentRef, type ParsedRoute } from './types.ts';

export interface Attachment {
  gateway: GatewayState;
  listener: ListenerState;
  /** Intersected hostnames ('' = any). */
  hostnames: string[];
}

export interface ParentOutcome {
  ref: ParentReference;
  /** undefined: a Gateway of another controller, which meshgate does not write status for. */
  accepted: Outcome | undefined;
  attachments: Attachment[];
}

export interface Namespaces {
  /** Labels by namespace, with kubernetes.io/metadata.name as the API server adds it. */
  labels(ns: string): Record<string, string>;
}

export function attachRoute(h: ObjectHeader, route: ParsedRoute, gateways: Map<string, GatewayState>, nss: Namespaces): ParentOutcome[] {
  return route.parentRefs.map((p) => attachOne(h, route, p, gateways, nss));
}

function attachOne(h: ObjectHeader, route: ParsedRoute, p: ParentRef, gateways: Map<string, GatewayState>, nss: Namespaces): ParentOutcome {
  const ns = p.namespace ?? (h.namespace as string);
  const ref: ParentReference = { group: p.group, kind: p.kind, namespace: ns, name: p.name, ...(p.sectionName ? { sectionName: p.sectionName } : {}), ...(p.port !== undefined ? { port: p.port } : {}) };
  const none = (o: Outcome): ParentOutcome => ({ ref, accepted: o, attachments: [] });
  if (p.group !== GROUP || p.kind !== 'Gateway') return none(fail('NoMatchingParent', `parent ${p.group || 'core'}/${p.kind} is not supported: routes attach to Gateways (group ${GROUP})`));
  const gw = gateways.get(`${ns}/${p.name}`);
  if (!gw) return none(fail('NoMatchingParent', `Gateway ${ns}/${p.name} not found`));
  if (!gw.ours) return { ref, accepted: undefined, attachments: [] };
  const relevant = gw.listeners.filter((l) => (p.sectionName === undefined || l.spec.name === p.sectionName) && (p.port === undefined || l.spec.port === p.port));
  if (relevant.length === 0) {
    const what = [p.sectionName !== undefined ? `named "${p.sectionName}"` : '', p.port !== undefined ? `on port ${p.port}` : ''].filter(Boolean).join(' and ');
    return none(fail('NoMatchingParent', `Gateway ${gw.id} has no listener ${what}`));
  }
  const allowed = relevant.filter((l) => l.supportedKinds.some((k) => k.kind === route.kind) && namespaceAllowed(l, gw, h.namespace as string, nss));
  if (allowed.length === 0) return none(fail('NotAllowedByListeners', `no listener of Gateway ${gw.id}${p.sectionName ? ` named "${p.sectionName}"` : ''} allows ${route.kind}s from namespace ${h.namespace} (see its allowedRoutes)`));
  const attachments = allowed.flatMap((l) => {
    const hostnames = effectiveHostnames(l.spec.hostname, route.hostnames);
    return hostnames.length > 0 ? [{ gateway: gw, listener: l, hostnames }] : [];
  });
  if (attachments.length === 0) return none(fail('NoMatchingListenerHostname', `none of the route's hostnames (${route.hostnames.join(', ')}) matches a listener hostname of Gateway ${gw.id}`));
  return { ref, accepted: ok('Accepted', `attached to listener(s) ${attachments.map((a) => a.listener.spec.name).join(', ')} of Gateway ${gw.id}`), attachments };
}

function namespaceAllowed(l: ListenerState, gw: GatewayState, routeNs: string, nss: Namespaces): boolean {
  const from = l.spec.namespaces.from;
  if (from === 'All') return true;
  if (from === 'Same') return routeNs === gw.h.namespace;
  if (from === 'Selector') return l.spec.namespaces.selector !== undefined && selects(l.spec.namespaces.selector, nss.labels(routeNs));
  return false;
}

export interface RouteAttachments {
  h: ObjectHeader;
  route: ParsedRoute;
  parents: ParentOutcome[];
}

/**
 * A listener serves either HTTPRoutes or GRPCRoutes for a hostname, never
 * both: of two routes of the two kinds whose hostnames overlap on one
 * listener, the older (then first by namespace/name) keeps it.
 */
export function resolveKindConflicts(routes: RouteAttachments[]): void {
  const byListener = new Map<ListenerState, { r: RouteAttachments; a: Attachment; p: ParentOutcome }[]>();
  for (const r of routes) {
    for (const p of r.parents) {
      for (const a of p.attachments) {
        const list = byListener.get(a.listener) ?? [];
        list.push({ r, a, p });
        byListener.set(a.listener, list);
      }
    }
  }
  for (const list of byListener.values()) {
    if (!list.some((x) => x.r.route.kind === 'GRPCRoute') || !list.some((x) => x.r.route.kind === 'HTTPRoute')) continue;
    list.sort((x, y) => older(x.r.h, y.r.h));
    for (let i = 0; i < list.length; i++) {
      const loser = list[i]!;
      const winner = list.slice(0, i).find((w) => w.r.route.kind !== loser.r.route.kind && overlaps(w.a.hostnames, loser.a.hostnames) && w.p.attachments.includes(w.a));
      if (!winner) continue;
      loser.p.attachments = loser.p.attachments.filter((a) => a !== loser.a);
      if (loser.p.attachments.length === 0) {
        loser.p.accepted = fail('NotAllowedByListeners', `${winner.r.route.kind} ${winner.r.h.namespace}/${winner.r.h.name} (older) already serves these hostnames on listener ${loser.a.listener.spec.name}: a listener serves HTTPRoutes or GRPCRoutes for a hostname, not both`);
      }
    }
  }
}

export function older(a: ObjectHeader, b: ObjectHeader): number {
  const ta = a.created ?? Number.MAX_SAFE_INTEGER;
  const tb = b.created ?? Number.MAX_SAFE_INTEGER;
  if (ta !== tb) return ta - tb;
  const ka = `${a.namespace}/${a.name}`;
  const kb = `${b.namespace}/${b.name}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

function overlaps(a: readonly string[], b: readonly string[]): boolean {
  return a.some((x) => b.some((y) => x === '' || y === '' || x === y || (x.startsWith('*.') && y.endsWith(x.slice(1))) || (y.startsWith('*.') && x.endsWith(y.slice(1)))));
}
