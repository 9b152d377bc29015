// GatewayClass and Gateway, read as the API server would accept them.
import { asList, asObject, asString, type ObjectHeader } from '@meshgate/ingress';
import { hostname, integer, labelSelector, objectRef, oneOf, required, sectionName } from './parse-common.ts';
import { GROUP, type ParsedGateway, type ParsedGatewayClass, type ParsedListener } from './types.ts';

const CONTROLLER = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/[A-Za-z0-9/\-._~%!$&'()*+,;=:]+$/;
const PROTOCOL = /^[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?$|[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/[A-Za-z0-9]+$/;

export function parseGatewayClass(h: ObjectHeader): ParsedGatewayClass {
  const r = h.report;
  const spec = asObject(h.raw.data.spec, ['spec'], r) ?? {};
  const controllerName = required(spec.controllerName, ['spec', 'controllerName'], r, 'the controller that implements the class, e.g. meshgate.dev/gateway-controller') ?? '';
  if (controllerName && !CONTROLLER.test(controllerName)) r.error(['spec', 'controllerName'], `"${controllerName}" is not a controller name (DOMAIN/PATH, e.g. meshgate.dev/gateway-controller)`);
  return { controllerName, parametersRef: spec.parametersRef !== undefined && spec.parametersRef !== null };
}

export function parseGateway(h: ObjectHeader): ParsedGateway {
  const r = h.report;
  const spec = asObject(h.raw.data.spec, ['spec'], r) ?? {};
  const className = required(spec.gatewayClassName, ['spec', 'gatewayClassName'], r, 'the name of a GatewayClass (meshgate serves classes of controller meshgate.dev/gateway-controller)') ?? '';
  const raw = asList(spec.listeners, ['spec', 'listeners'], r);
  if (raw.length === 0) r.error(['spec', 'listeners'], 'required: at least one listener (e.g. {name: http, port: 80, protocol: HTTP})');
  if (raw.length > 64) r.error(['spec', 'listeners'], `at most 64 listeners, got ${raw.length}`);
  const listeners = raw.flatMap((l, i) => {
    const x = parseListener(l, i, h);
    return x ? [x] : [];
  });
  checkUnique(listeners, h);
  const addresses = asList(spec.addresses, ['spec', 'addresses'], r).length;
  return { className, listeners, addresses, parametersRef: spec.infrastructure !== undefined && asObject(spec.infrastructure, ['spec', 'infrastructure'], r)?.parametersRef !== undefined };
}

function parseListener(v: unknown, i: number, h: ObjectHeader): ParsedListener | undefined {
  const r = h.report;
  const path = ['spec', 'listeners', i];
  const l = asObject(v, path, r);
  if (!l) return undefined;
  const name = sectionName(l.name, [...path, 'name'], r);
  if (l.name === undefined) r.error([...path, 'name'], 'required: a name for the listener, unique in the Gateway (routes select it with sectionName)');
  const port = integer(l.port, [...path, 'port'], r, 1, 65535);
  if (l.port === undefined) r.error([...path, 'port'], 'required: the port (80 is served on the proxy\'s --http listener, 443 on --https)');
  const protocol = required(l.protocol, [...path, 'protocol'], r, 'the protocol: HTTP or HTTPS') ?? '';
  if (protocol && !PROTOCOL.test(protocol)) r.error([...path, 'protocol'], `"${protocol}" is not a protocol name (HTTP, HTTPS, or DOMAIN/NAME)`);
  const host = hostname(l.hostname, [...path, 'hostname'], r) ?? '';
  const tls = asObject(l.tls, [...path, 'tls'], r);
  if (tls && ['HTTP', 'TCP', 'UDP'].includes(protocol)) r.error([...path, 'tls'], `tls must not be set for protocol ${protocol}`);
  if (host && ['TCP', 'UDP'].includes(protocol)) r.error([...path, 'hostname'], `hostname must not be set for protocol ${protocol}`);
  const mode = oneOf(tls?.mode, [...path, 'tls', 'mode'], r, ['Terminate', 'Passthrough'] as const, 'Terminate');
  if (protocol === 'HTTPS' && mode === 'Passthrough') r.error([...path, 'tls', 'mode'], 'tls mode must be Terminate for protocol HTTPS (Passthrough is for TLSRoute)');
  const certificateRefs = asList(tls?.certificateRefs, [...path, 'tls', 'certificateRefs'], r).flatMap((c, j) => {
    const ref = objectRef(c, [...path, 'tls', 'certificateRefs', j], r, { group: '', kind: 'Secret' });
    return ref ? [ref] : [];
  });
  const tlsOptions = asObject(tls?.options, [...path, 'tls', 'options'], r) !== undefined;
  if (tls && mode === 'Terminate' && certificateRefs.length === 0 && !tlsOptions) r.error([...path, 'tls', 'certificateRefs'], 'certificateRefs or options must be given when mode is Terminate: name a kubernetes.io/tls Secret');
  const allowed = asObject(l.allowedRoutes, [...path, 'allowedRoutes'], r) ?? {};
  const ns = asObject(allowed.namespaces, [...path, 'allowedRoutes', 'namespaces'], r) ?? {};
  const from = oneOf(ns.from, [...path, 'allowedRoutes', 'namespaces', 'from'], r, ['Same', 'All', 'Selector', 'None'] as const, 'Same') ?? 'Same';
  const selector = ns.selector !== undefined && ns.selector !== null ? labelSelector(ns.selector, [...path, 'allowedRoutes', 'namespaces', 'selector'], r) : undefined;
  if (from === 'Selector' && !selector) r.error([...path, 'allowedRoutes', 'namespaces', 'selector'], 'required when from is Selector: a label selector for the namespaces whose routes may attach');
  const kindsRaw = allowed.kinds;
  const kinds = kindsRaw === undefined || kindsRaw === null ? undefined : asList(kindsRaw, [...path, 'allowedRoutes', 'kinds'], r).flatMap((k, j) => {
    const o = asObject(k, [...path, 'allowedRoutes', 'kinds', j], r) ?? {};
    const kind = required(o.kind, [...path, 'allowedRoutes', 'kinds', j, 'kind'], r, 'a route kind, e.g. HTTPRoute');
    return kind ? [{ group: asString(o.group, [...path, 'allowedRoutes', 'kinds', j, 'group'], r) ?? GROUP, kind }] : [];
  });
  if (name === undefined || port === undefined || !protocol) return undefined;
  return { name, hostname: host, port, protocol, certificateRefs, tlsOptions, namespaces: { from, ...(selector ? { selector } : {}) }, ...(kinds ? { kinds } : {}), field: path };
}

/** CEL: listener names unique; port, protocol and hostname unique together. */
function checkUnique(listeners: ParsedListener[], h: ObjectHeader): void {
  const names = new Set<string>();
  const combos = new Set<string>();
  for (const l of listeners) {
    if (names.has(l.name)) h.report.error([...l.field, 'name'], `listener name "${l.name}" is used twice: names must be unique within the Gateway`);
    names.add(l.name);
    const k = `${l.port}\0${l.protocol}\0${l.hostname}`;
    if (combos.has(k)) h.report.error(l.field, `another listener already has port ${l.port}, protocol ${l.protocol} and hostname "${l.hostname}": the combination must be unique`);
    combos.add(k);
  }
}
