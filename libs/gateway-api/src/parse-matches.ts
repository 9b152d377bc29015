// HTTPRoute and GRPCRoute matches, read as upstream's CRD validates them and
// turned into the model's terms. A GRPCRoute method match becomes a path
// match on /service/method (gRPC's request path), as the spec defines it.
import { asList, asObject, asString, type FieldPath, type Reporter, type ValueMatch } from '@meshgate/ingress';
import { headerName, oneOf } from './parse-common.ts';
import type { MatchSpec } from './types.ts';

const PATH_CHARS = /^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|[%][0-9a-fA-F]{2})+$/;
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH'] as const;
const GRPC_SERVICE = /^\.?[a-z_][a-z_0-9]*(\.[a-z_][a-z_0-9]*)*$/i;
const GRPC_METHOD = /^[A-Za-z_][A-Za-z_0-9]*$/;

/** A pattern the proxy cannot compile: the rule is dropped with UnsupportedValue (the API server accepts any string). */
export function patternProblem(pattern: string): string | undefined {
  try {
    new RegExp(pattern);
    return undefined;
  } catch (err) {
    return `"${pattern}" is not an ECMAScript regular expression (${(err as Error).message.replace(/^Invalid regular expression: /, '')})`;
  }
}

export function parseHttpMatches(v: unknown, path: FieldPath, r: Reporter, problems: string[]): MatchSpec[] {
  const list = asList(v, path, r);
  if (list.length === 0) return [{ pathType: 'Prefix', path: '/', headers: [], query: [] }];
  if (list.length > 64) r.error(path, `at most 64 matches per rule, got ${list.length}`);
  return list.map((item, i) => {
    const p = [...path, i];
    const m = asObject(item, p, r) ?? {};
    const pm = asObject(m.path, [...p, 'path'], r) ?? {};
    const type = oneOf(pm.type, [...p, 'path', 'type'], r, ['Exact', 'PathPrefix', 'RegularExpression'] as const, 'PathPrefix') ?? 'PathPrefix';
    const value = asString(pm.value, [...p, 'path', 'value'], r) ?? '/';
    if (type === 'RegularExpression') {
      const bad = patternProblem(value);
      if (bad) problems.push(`path ${bad}`);
    } else {
      const bad = checkPath(value);
      if (bad) r.error([...p, 'path', 'value'], bad);
    }
    const method = oneOf(m.method, [...p, 'method'], r, METHODS);
    return {
      pathType: type === 'PathPrefix' ? 'Prefix' : type,
      path: value,
      headers: valueMatches(m.headers, [...p, 'headers'], r, problems, true),
      query: valueMatches(m.queryParams, [...p, 'queryParams'], r, problems, false),
      ...(method ? { method } : {}),
    };
  });
}

/** CEL rules on Exact and PathPrefix values. */
function checkPath(v: string): string | undefined {
  if (!v.startsWith('/')) return `path "${v}" must be an absolute path starting with "/"`;
  if (v.length > 1024) return 'path must be at most 1024 characters';
  for (const bad of ['//', '/./', '/../', '%2f', '%2F', '#']) if (v.includes(bad)) return `path "${v}" must not contain "${bad}"`;
  if (v.endsWith('/..') || v.endsWith('/.')) return `path "${v}" must not end with "/." or "/.."`;
  if (!PATH_CHARS.test(v)) return `path "${v}" may contain only letters, digits, -/._~!$&'()*+,;=:@ and %XX escapes`;
  return undefined;
}

/** Headers (names compared case-insensitively, lowercased) or query parameters (names as written): the first entry of a name counts. */
function valueMatches(v: unknown, path: FieldPath, r: Reporter, problems: string[], header: boolean): ValueMatch[] {
  const out: ValueMatch[] = [];
  const exact = new Set<string>();
  asList(v, path, r).forEach((item, i) => {
    const p = [...path, i];
    const o = asObject(item, p, r) ?? {};
    const type = oneOf(o.type, [...p, 'type'], r, ['Exact', 'RegularExpression'] as const, 'Exact') ?? 'Exact';
    const name = headerName(o.name, [...p, 'name'], r);
    const value = asString(o.value, [...p, 'value'], r);
    if (value === undefined || value === '') r.error([...p, 'value'], `required: the value to match (1-${header ? 4096 : 1024} characters)`);
    if (name === undefined || !value) return;
    if (exact.has(name)) return void r.error([...p, 'name'], `"${name}" is listed twice: each name once`);
    exact.add(name);
    const key = header ? name.toLowerCase() : name;
    if (out.some((x) => x.name === key)) return; // an equivalent name came first: ignored, as the spec says
    if (type === 'RegularExpression') {
      const bad = patternProblem(value);
      if (bad) problems.push(`${header ? 'header' : 'query parameter'} ${name}: ${bad}`);
    }
    out.push({ name: key, type, value });
  });
  return out;
}

export function parseGrpcMatches(v: unknown, path: FieldPath, r: Reporter, problems: string[]): MatchSpec[] {
  const list = asList(v, path, r);
  if (list.length === 0) return [{ pathType: 'Prefix', path: '/', headers: [], query: [], grpc: { service: 0, method: 0 } }];
  return list.map((item, i) => {
    const p = [...path, i];
    const m = asObject(item, p, r) ?? {};
    const headers = valueMatches(m.headers, [...p, 'headers'], r, problems, true);
    const mm = asObject(m.method, [...p, 'method'], r);
    if (!mm) return { pathType: 'Prefix', path: '/', headers, query: [], grpc: { service: 0, method: 0 } };
    const type = oneOf(mm.type, [...p, 'method', 'type'], r, ['Exact', 'RegularExpression'] as const, 'Exact') ?? 'Exact';
    const service = asString(mm.service, [...p, 'method', 'service'], r) || undefined;
    const method = asString(mm.method, [...p, 'method', 'method'], r) || undefined;
    if (!service && !method) r.error([...p, 'method'], "one or both of 'service' or 'method' must be specified");
    if (type === 'Exact') {
      if (service && !GRPC_SERVICE.test(service)) r.error([...p, 'method', 'service'], `service "${service}" must match ^(?i)\\.?[a-z_][a-z_0-9]*(\\.[a-z_][a-z_0-9]*)*$`);
      if (method && !GRPC_METHOD.test(method)) r.error([...p, 'method', 'method'], `method "${method}" must match ^[A-Za-z_][A-Za-z_0-9]*$`);
      return { ...grpcExact(service, method), headers, query: [] };
    }
    for (const x of [service, method]) {
      const bad = x ? patternProblem(x) : undefined;
      if (bad) problems.push(`method match ${bad}`);
    }
    return { pathType: 'RegularExpression', path: `/(?:${service ?? '[^/]+'})/(?:${method ?? '[^/]+'})`, headers, query: [], grpc: { service: 0, method: 0 } };
  });
}

function grpcExact(service: string | undefined, method: string | undefined): Omit<MatchSpec, 'headers' | 'query'> {
  const grpc = { service: service?.length ?? 0, method: method?.length ?? 0 };
  if (service && method) return { pathType: 'Exact', path: `/${service}/${method}`, grpc };
  if (service) return { pathType: 'Prefix', path: `/${service}`, grpc };
  if (!method) return { pathType: 'Prefix', path: '/', grpc }; // refused already: neither is set
  return { pathType: 'RegularExpression', path: `/[^/]+/${method.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`, grpc };
}
