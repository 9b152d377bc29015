// An attached route's rules in the one route model: one RouteRule per rule,
// match, listener hostname and intersected hostname, on the ports of the
// listeners it is served on, with the precedence tuple the spec defines.
import type { ListenerScope, ObjectHeader, RequestConditions, RouteFilter, RouteRule, WeightedBackend } from '@meshgate/ingress';
import type { ParentOutcome } from './attach.ts';
import { resolveRef, type BackendContext, type ResolvedRef } from './backends.ts';
import { fail, type Outcome } from './status.ts';
import type { FilterSpec, MatchSpec, ParsedRoute, RuleSpec } from './types.ts';

export interface Translated {
  rules: RouteRule[];
  /** ResolvedRefs problems, first first. */
  problems: Outcome[];
  /** Services the route sends to ('namespace/name'), for BackendTLSPolicy ancestors. */
  services: Set<string>;
  /** Rules dropped as written (UnsupportedValue), by index, with why. */
  dropped: { index: number; why: string }[];
}

export function translateRoute(h: ObjectHeader, route: ParsedRoute, parents: readonly ParentOutcome[], ctx: BackendContext): Translated {
  const out: Translated = { rules: [], problems: [], services: new Set(), dropped: [] };
  const resolve = (ref: Parameters<typeof resolveRef>[0]): ResolvedRef => {
    const r = resolveRef(ref, h, ctx);
    if (r.problem) out.problems.push(r.problem);
    if (r.service) out.services.add(r.service);
    return r;
  };
  // Where the route is served: listener hostname + intersected hostname -> ports.
  const scopes = new Map<string, { listener: string; host: string; ports: Set<number> }>();
  for (const p of parents) {
    for (const a of p.attachments) {
      if (!a.listener.programmed) continue;
      for (const host of a.hostnames) {
        const k = `${a.listener.spec.hostname}\0${host}`;
        const s = scopes.get(k) ?? { listener: a.listener.spec.hostname, host, ports: new Set() };
        s.ports.add(a.listener.spec.port);
        scopes.set(k, s);
      }
    }
  }
  route.rules.forEach((rule, ri) => {
    if (rule.unsupported) {
      out.dropped.push({ index: ri, why: rule.unsupported });
      return;
    }
    const action = ruleAction(rule, resolve, out);
    rule.matches.forEach((m, mi) => {
      for (const s of scopes.values()) out.rules.push(modelRule(h, route, rule, ri, m, mi, s, action));
    });
  });
  return out;
}

interface RuleAction {
  backend: string;
  backends: WeightedBackend[];
  filters: RouteFilter[];
}

function ruleAction(rule: RuleSpec, resolve: (ref: Parameters<typeof resolveRef>[0]) => ResolvedRef, out: Translated): RuleAction {
  let unsupported: string | undefined;
  const filters = translateFilters(rule.filters, resolve, (what) => (unsupported ??= what));
  const backends: WeightedBackend[] = rule.backendRefs.map((b) => {
    let bad: string | undefined;
    const bf = translateFilters(b.filters, resolve, (what) => (bad ??= what));
    const r = resolve(b);
    const invalid = r.problem ? `${r.problem.reason}: ${r.problem.message}` : bad ? `InvalidKind: ${bad} is not supported` : undefined;
    return { backend: invalid ? '' : r.backend, weight: b.weight, ...(bf.length && !invalid ? { filters: bf } : {}), ...(invalid ? { invalid } : {}) };
  });
  if (unsupported !== undefined) {
    // The filter must not be skipped: every request it would process gets 500.
    out.problems.push(fail('InvalidKind', `${unsupported} is not supported by meshgate: requests this rule matches get 500`));
    return { backend: '', backends: [{ backend: '', weight: 1, invalid: `InvalidKind: ${unsupported} is not supported` }], filters: [] };
  }
  return { backend: backends.find((b) => b.backend !== '' && b.weight > 0)?.backend ?? '', backends, filters };
}

function translateFilters(specs: readonly FilterSpec[], resolve: (ref: Parameters<typeof resolveRef>[0]) => ResolvedRef, unsupported: (what: string) => void): RouteFilter[] {
  const out: RouteFilter[] = [];
  for (const f of specs) {
    if (f.type === 'Unsupported') unsupported(f.what);
    else if (f.type === 'RequestMirror') out.push({ type: 'RequestMirror', backend: resolve(f.ref).backend, percent: f.percent });
    else out.push(f);
  }
  return out;
}

function modelRule(h: ObjectHeader, route: ParsedRoute, rule: RuleSpec, ri: number, m: MatchSpec, mi: number, s: { listener: string; host: string; ports: Set<number> }, a: RuleAction): RouteRule {
  const listener: ListenerScope = { ports: [...s.ports].sort((x, y) => x - y), hostname: s.listener };
  const conditions: RequestConditions = {
    ...(m.method ? { method: m.method } : {}),
    ...(m.headers.length ? { headers: m.headers } : {}),
    ...(m.query.length ? { query: m.query } : {}),
  };
  const id = `${route.kind}:${h.namespace}/${h.name}#${ri}.${mi}@${s.listener}/${s.host}`;
  const r: RouteRule = {
    host: s.host, path: m.path, pathType: m.pathType, backend: a.backend, ingress: `${route.kind} ${h.namespace}/${h.name}`,
    id, listener, backends: a.backends, precedence: precedence(h, route, ri, m, mi),
  };
  if (Object.keys(conditions).length > 0) r.conditions = conditions;
  if (a.filters.length > 0) r.filters = a.filters;
  if (rule.timeouts && Object.keys(rule.timeouts).length > 0) r.timeouts = rule.timeouts;
  if (rule.retry) r.retry = rule.retry;
  if (route.kind === 'GRPCRoute') r.grpc = true;
  return r;
}

/**
 * HTTPRoute: Exact path, then Prefix by length (RegularExpression, which the
 * spec leaves to implementations, between the two, by pattern length), then
 * a method match, then more header matches, then more query matches. GRPCRoute:
 * more characters of service, then of method, then more header matches.
 * Then the oldest route, then namespace/name, then rule and match order.
 */
function precedence(h: ObjectHeader, route: ParsedRoute, ri: number, m: MatchSpec, mi: number): (number | string)[] {
  const tail = [h.created ?? Number.MAX_SAFE_INTEGER, `${h.namespace}/${h.name}`, ri, mi];
  if (route.kind === 'GRPCRoute') return [-(m.grpc?.service ?? 0), -(m.grpc?.method ?? 0), -m.headers.length, ...tail];
  const cls = m.pathType === 'Exact' ? 0 : m.pathType === 'RegularExpression' ? 1 : 2;
  return [cls, -m.path.length, m.method ? 0 : 1, -m.headers.length, -m.query.length, ...tail];
}
