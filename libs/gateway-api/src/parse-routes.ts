// HTTPRoute and GRPCRoute, read as the API server would accept them.
import { asList, asObject, type FieldPath, type ObjectHeader, type Reporter } from '@meshgate/ingress';
import { parseFilters } from './parse-filters.ts';
import { parseGrpcMatches, parseHttpMatches } from './parse-matches.ts';
import { duration, hostname, integer, objectRef, parentRefs, sectionName } from './parse-common.ts';
import type { BackendRefSpec, ParsedRoute, RouteKind, RuleSpec } from './types.ts';

export function parseRoute(h: ObjectHeader): ParsedRoute {
  const r = h.report;
  const kind = h.kind as RouteKind;
  const spec = asObject(h.raw.data.spec, ['spec'], r) ?? {};
  const hosts = asList(spec.hostnames, ['spec', 'hostnames'], r);
  if (hosts.length > 16) r.error(['spec', 'hostnames'], `at most 16 hostnames, got ${hosts.length}`);
  const hostnames = hosts.flatMap((v, i) => {
    const s = hostname(v, ['spec', 'hostnames', i], r);
    return s ? [s] : [];
  });
  const raw = spec.rules === undefined || spec.rules === null ? [{}] : asList(spec.rules, ['spec', 'rules'], r);
  if (raw.length > 16) r.error(['spec', 'rules'], `at most 16 rules, got ${raw.length}`);
  const rules = raw.map((v, i) => parseRule(v, ['spec', 'rules', i], r, kind));
  const matches = rules.reduce((n, x) => n + x.matches.length, 0);
  if (matches > 128) r.error(['spec', 'rules'], `the total number of matches across all rules must be at most 128, got ${matches}`);
  const names = new Set<string>();
  for (const x of rules) {
    if (x.name === undefined) continue;
    if (names.has(x.name)) r.error([...x.field, 'name'], `rule name "${x.name}" is used twice: names must be unique within the route`);
    names.add(x.name);
  }
  return { kind, parentRefs: parentRefs(spec.parentRefs, ['spec', 'parentRefs'], r), hostnames, rules };
}

function parseRule(v: unknown, path: FieldPath, r: Reporter, kind: RouteKind): RuleSpec {
  const o = asObject(v, path, r) ?? {};
  const problems: string[] = [];
  const name = sectionName(o.name, [...path, 'name'], r);
  const matches = kind === 'HTTPRoute' ? parseHttpMatches(o.matches, [...path, 'matches'], r, problems) : parseGrpcMatches(o.matches, [...path, 'matches'], r, problems);
  const filters = parseFilters(o.filters, [...path, 'filters'], r, kind);
  const backendRefs = asList(o.backendRefs, [...path, 'backendRefs'], r).flatMap((b, i) => {
    const x = backendRef(b, [...path, 'backendRefs', i], r, kind);
    return x ? [x] : [];
  });
  if (asList(o.backendRefs, [...path, 'backendRefs'], r).length > 16) r.error([...path, 'backendRefs'], 'at most 16 backendRefs');
  const rule: RuleSpec = { ...(name ? { name } : {}), matches, filters, backendRefs, field: path };
  if (kind === 'HTTPRoute') httpOnly(o, rule, path, r);
  if (problems.length > 0) rule.unsupported = problems.join('; ');
  return rule;
}

/** Timeouts, retry and the CEL rules tying filters to matches and backends. */
function httpOnly(o: Record<string, unknown>, rule: RuleSpec, path: FieldPath, r: Reporter): void {
  const t = asObject(o.timeouts, [...path, 'timeouts'], r);
  if (t) {
    const requestMs = duration(t.request, [...path, 'timeouts', 'request'], r);
    const backendRequestMs = duration(t.backendRequest, [...path, 'timeouts', 'backendRequest'], r);
    if (requestMs !== undefined && backendRequestMs !== undefined && requestMs !== 0 && backendRequestMs > requestMs) {
      r.error([...path, 'timeouts'], 'backendRequest timeout cannot be longer than request timeout');
    }
    rule.timeouts = { ...(requestMs !== undefined ? { requestMs } : {}), ...(backendRequestMs !== undefined ? { backendRequestMs } : {}) };
  }
  const rt = asObject(o.retry, [...path, 'retry'], r);
  if (rt) {
    const attempts = integer(rt.attempts, [...path, 'retry', 'attempts'], r, 1, 2 ** 31 - 1);
    const codes = asList(rt.codes, [...path, 'retry', 'codes'], r).flatMap((c, i) => {
      const n = integer(c, [...path, 'retry', 'codes', i], r, 400, 599);
      return n === undefined ? [] : [n];
    });
    const backoffMs = duration(rt.backoff, [...path, 'retry', 'backoff'], r);
    rule.retry = { ...(attempts !== undefined ? { attempts } : {}), ...(codes.length ? { codes } : {}), ...(backoffMs !== undefined ? { backoffMs } : {}) };
  }
  if (rule.backendRefs.length > 0 && rule.filters.some((f) => f.type === 'RequestRedirect')) {
    r.error([...path, 'filters'], 'a RequestRedirect filter must not be used together with backendRefs: the redirect is the whole answer');
  }
  const prefixReplace = [...rule.filters, ...rule.backendRefs.flatMap((b) => b.filters)].some((f) => (f.type === 'RequestRedirect' || f.type === 'URLRewrite') && f.path?.type === 'ReplacePrefixMatch');
  if (prefixReplace && (rule.matches.length !== 1 || rule.matches[0]!.pathType !== 'Prefix')) {
    r.error([...path, 'matches'], 'a path.replacePrefixMatch needs exactly one PathPrefix match in the rule: it replaces that prefix');
  }
}

function backendRef(v: unknown, path: FieldPath, r: Reporter, kind: RouteKind): BackendRefSpec | undefined {
  const ref = objectRef(v, path, r, { group: '', kind: 'Service' });
  const o = (asObject(v, path, r) ?? {}) as Record<string, unknown>;
  const port = integer(o.port, [...path, 'port'], r, 1, 65535);
  if (ref && ref.group === '' && ref.kind === 'Service' && port === undefined) r.error([...path, 'port'], 'required for a Service reference: the Service port (a number)');
  const weight = integer(o.weight, [...path, 'weight'], r, 0, 1_000_000) ?? 1;
  const filters = parseFilters(o.filters, [...path, 'filters'], r, kind);
  if (!ref) return undefined;
  return { ...ref, ...(port !== undefined ? { port } : {}), weight, filters };
}
