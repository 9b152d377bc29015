// Gateways of meshgate's classes: which listeners can be served, with which
// certificates, and why not. All Gateways share the proxy nodes' ports, so
// listeners of different Gateways on one port are one set: the same port,
// protocol and hostname merge (their routes serve together); the same port
// with different protocols conflict.
import type { Catalog, FrontEndObject, ObjectHeader, RouteGroupKind, TlsCertificate } from '@meshgate/ingress';
import { referenceAllowed, type Grants } from './references.ts';
import { fail, ok, type Outcome } from './status.ts';
import { CONTROLLER_NAME, GROUP, type ParsedGateway, type ParsedGatewayClass, type ParsedListener } from './types.ts';

export interface ListenerState {
  spec: ParsedListener;
  accepted: Outcome;
  resolvedRefs: Outcome;
  conflicted?: Outcome;
  /** Served by the proxies: accepted, and its certificates and kinds usable. */
  programmed: boolean;
  supportedKinds: RouteGroupKind[];
  certificates: TlsCertificate[];
  attachedRoutes: number;
}

export interface GatewayState {
  h: ObjectHeader;
  spec: ParsedGateway;
  id: string;
  /** Its class is meshgate's (else it is listed, not served). */
  ours: boolean;
  classProblem?: string;
  accepted: Outcome;
  listeners: ListenerState[];
}

const ROUTE_KINDS: Record<string, string[]> = { HTTP: ['HTTPRoute', 'GRPCRoute'], HTTPS: ['HTTPRoute', 'GRPCRoute'] };

export function classIsOurs(c: ParsedGatewayClass | undefined): boolean {
  return c?.controllerName === CONTROLLER_NAME;
}

export function resolveGateways(objects: readonly FrontEndObject[], classes: Map<string, ParsedGatewayClass | undefined>, catalog: Catalog, grants: Grants): GatewayState[] {
  const out: GatewayState[] = [];
  for (const o of objects) {
    if (o.h.kind !== 'Gateway' || !o.ok) continue;
    const spec = (o.parsed as { value: ParsedGateway }).value;
    const id = `${o.h.namespace}/${o.h.name}`;
    const cls = classes.get(spec.className);
    const ours = classIsOurs(cls);
    const classProblem = !classes.has(spec.className)
      ? `GatewayClass "${spec.className}" not found: add one with spec.controllerName ${CONTROLLER_NAME}`
      : cls === undefined ? `GatewayClass "${spec.className}" is invalid (see its errors)`
        : ours ? undefined : `GatewayClass "${spec.className}" belongs to controller "${cls.controllerName}", not ${CONTROLLER_NAME}`;
    const listeners = spec.listeners.map((l) => resolveListener(l, o.h, catalog, grants));
    out.push({ h: o.h, spec, id, ours, ...(classProblem ? { classProblem } : {}), accepted: ok('Accepted', ''), listeners });
  }
  markConflicts(out.filter((g) => g.ours));
  for (const g of out) g.accepted = gatewayAccepted(g);
  return out;
}

function resolveListener(l: ParsedListener, h: ObjectHeader, catalog: Catalog, grants: Grants): ListenerState {
  let accepted = ok('Accepted', 'the listener is valid');
  if (l.protocol !== 'HTTP' && l.protocol !== 'HTTPS') {
    accepted = fail('UnsupportedProtocol', `protocol ${l.protocol} is not supported: meshgate serves HTTP and HTTPS listeners`);
  } else if (l.port === 80 && l.protocol !== 'HTTP') {
    accepted = fail('PortUnavailable', "port 80 is the proxy's plain HTTP listener (--http): an HTTPS listener needs port 443 or another port");
  } else if (l.port === 443 && l.protocol !== 'HTTPS') {
    accepted = fail('PortUnavailable', "port 443 is the proxy's HTTPS listener (--https): a plain HTTP listener needs port 80 or another port");
  }
  const supported = ROUTE_KINDS[l.protocol] ?? [];
  const asked = l.kinds ?? supported.map((kind) => ({ group: GROUP, kind }));
  const supportedKinds = asked.filter((k) => k.group === GROUP && supported.includes(k.kind)).map((k) => ({ group: k.group, kind: k.kind }));
  const badKinds = asked.filter((k) => !(k.group === GROUP && supported.includes(k.kind)));
  const problems: Outcome[] = [];
  if (badKinds.length > 0) problems.push(fail('InvalidRouteKinds', `route kind(s) ${badKinds.map((k) => `${k.group}/${k.kind}`).join(', ')} cannot attach to a ${l.protocol} listener: use HTTPRoute or GRPCRoute`));
  const certificates: TlsCertificate[] = [];
  if (l.protocol === 'HTTPS') {
    for (const ref of l.certificateRefs) {
      const r = certificate(ref, l, h, catalog, grants);
      if ('cert' in r) certificates.push(r);
      else problems.push(r);
    }
    if (l.certificateRefs.length === 0) problems.push(fail('InvalidCertificateRef', 'an HTTPS listener needs tls.certificateRefs naming a kubernetes.io/tls Secret'));
  }
  const resolvedRefs = problems[0] ?? ok('ResolvedRefs', 'all references resolved');
  const programmed = accepted.ok && supportedKinds.length > 0 && (l.protocol !== 'HTTPS' || certificates.length > 0);
  return { spec: l, accepted, resolvedRefs, programmed, supportedKinds, certificates, attachedRoutes: 0 };
}

function certificate(ref: ParsedListener['certificateRefs'][number], l: ParsedListener, h: ObjectHeader, catalog: Catalog, grants: Grants): TlsCertificate | Outcome {
  const ns = ref.namespace ?? (h.namespace as string);
  const id = `${ns}/${ref.name}`;
  if (ref.group !== '' || ref.kind !== 'Secret') return fail('InvalidCertificateRef', `certificateRef ${ref.group || 'core'}/${ref.kind} ${ref.name}: only Secrets (group "", kind Secret) are supported`);
  if (!referenceAllowed(grants, { group: GROUP, kind: 'Gateway', namespace: h.namespace as string }, { group: '', kind: 'Secret', namespace: ns, name: ref.name })) {
    return fail('RefNotPermitted', `Secret ${id} is in another namespace and no ReferenceGrant there allows Gateways of namespace ${h.namespace} to use it`);
  }
  const s = catalog.secrets.get(id);
  if (!s) {
    const rejected = catalog.rejectedSecrets.get(id);
    return fail('InvalidCertificateRef', rejected !== undefined ? `Secret ${id} is invalid: ${rejected}` : `Secret ${id} not found`);
  }
  if (!s.tls) return fail('InvalidCertificateRef', `Secret ${id} has type "${s.type}": it must be kubernetes.io/tls with tls.crt and tls.key`);
  return { id, hosts: l.hostname ? [l.hostname] : [], cert: s.tls.cert, key: s.tls.key };
}

/** One port, one protocol: listeners of another protocol on a port already taken are conflicted, all of them. */
function markConflicts(gateways: GatewayState[]): void {
  const byPort = new Map<number, ListenerState[]>();
  for (const g of gateways) {
    for (const l of g.listeners) {
      if (!l.accepted.ok) continue;
      const list = byPort.get(l.spec.port) ?? [];
      list.push(l);
      byPort.set(l.spec.port, list);
    }
  }
  for (const [port, list] of byPort) {
    const protocols = new Set(list.map((l) => l.spec.protocol));
    if (protocols.size < 2) continue;
    for (const l of list) {
      l.conflicted = fail('ProtocolConflict', `port ${port} has listeners of protocols ${[...protocols].join(' and ')}: one port serves one protocol`);
      l.accepted = fail('ProtocolConflict', l.conflicted.message);
      l.programmed = false;
    }
  }
}

function gatewayAccepted(g: GatewayState): Outcome {
  if (!g.ours) return fail('Pending', g.classProblem ?? '');
  if (g.spec.parametersRef) return fail('InvalidParameters', 'infrastructure.parametersRef is not supported by meshgate');
  if (g.spec.addresses > 0) return fail('UnsupportedAddress', "spec.addresses is not supported: a Gateway's listeners are served on every proxy node's own addresses");
  const good = g.listeners.filter((l) => l.accepted.ok).length;
  if (good === 0) return fail('ListenersNotValid', 'no listener is valid (see status.listeners)');
  if (good < g.listeners.length) return ok('ListenersNotValid', `${g.listeners.length - good} of ${g.listeners.length} listeners are not valid (see status.listeners); the others are served`);
  return ok('Accepted', 'the Gateway is served by meshgate');
}
