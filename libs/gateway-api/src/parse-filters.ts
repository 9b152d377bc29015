// HTTPRoute and GRPCRoute filters, read as upstream's CRD validates them.
import { asList, asObject, asString, type CorsPolicy, type FieldPath, type PathModifier, type Reporter } from '@meshgate/ingress';
import { bool, headerModifier, headerName, hostname, integer, objectRef, oneOf } from './parse-common.ts';
import type { FilterSpec, RouteKind } from './types.ts';

const HTTP_FILTERS = ['RequestHeaderModifier', 'ResponseHeaderModifier', 'RequestMirror', 'RequestRedirect', 'URLRewrite', 'ExtensionRef', 'CORS', 'ExternalAuth'] as const;
const GRPC_FILTERS = ['RequestHeaderModifier', 'ResponseHeaderModifier', 'RequestMirror', 'ExtensionRef'] as const;
/** The field that carries each filter type's settings. */
const FIELD: Record<string, string> = {
  RequestHeaderModifier: 'requestHeaderModifier', ResponseHeaderModifier: 'responseHeaderModifier', RequestMirror: 'requestMirror',
  RequestRedirect: 'requestRedirect', URLRewrite: 'urlRewrite', ExtensionRef: 'extensionRef', CORS: 'cors', ExternalAuth: 'externalAuth',
};
const ORIGIN = /(^\*$)|(^(http(s)?):\/\/(((\*\.)?([a-zA-Z0-9-]+\.)*[a-zA-Z0-9-]+|\*)(:([0-9]{1,5}))?)$)/;
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH', '*'] as const;

export function parseFilters(v: unknown, path: FieldPath, r: Reporter, kind: RouteKind): FilterSpec[] {
  const allowed: readonly string[] = kind === 'HTTPRoute' ? HTTP_FILTERS : GRPC_FILTERS;
  const out: FilterSpec[] = [];
  const counts = new Map<string, number>();
  asList(v, path, r).forEach((item, i) => {
    const p = [...path, i];
    const f = asObject(item, p, r) ?? {};
    const type = oneOf(f.type, [...p, 'type'], r, allowed);
    if (f.type === undefined) r.error([...p, 'type'], `required: one of ${allowed.join(', ')}`);
    if (type === undefined) return;
    for (const [t, field] of Object.entries(FIELD)) {
      if (t !== type && f[field] !== undefined && f[field] !== null) r.error([...p, field], `filter.${field} must not be set when the filter type is ${type}`);
    }
    const body = f[FIELD[type]!];
    if (body === undefined || body === null) return void r.error([...p, FIELD[type]!], `required for filter type ${type}`);
    counts.set(type, (counts.get(type) ?? 0) + 1);
    if (counts.get(type)! > 1 && type !== 'RequestMirror' && type !== 'ExtensionRef') r.error(p, `${type} filter cannot be repeated`);
    const spec = parseOne(type, body, [...p, FIELD[type]!], r);
    if (spec) out.push(spec);
  });
  if (counts.has('RequestRedirect') && counts.has('URLRewrite')) r.error(path, 'may specify either a RequestRedirect or a URLRewrite filter, but not both');
  return out;
}

function parseOne(type: string, body: unknown, p: FieldPath, r: Reporter): FilterSpec | undefined {
  switch (type) {
    case 'RequestHeaderModifier':
    case 'ResponseHeaderModifier':
      return { type, modifier: headerModifier(body, p, r) };
    case 'RequestRedirect': return redirect(body, p, r);
    case 'URLRewrite': {
      const o = asObject(body, p, r) ?? {};
      const host = hostname(o.hostname, [...p, 'hostname'], r, false);
      const mod = o.path === undefined || o.path === null ? undefined : pathModifier(o.path, [...p, 'path'], r);
      return { type, ...(host ? { hostname: host } : {}), ...(mod ? { path: mod } : {}) };
    }
    case 'RequestMirror': return mirror(body, p, r);
    case 'CORS': return { type, cors: cors(body, p, r) };
    default:
      return { type: 'Unsupported', what: type === 'ExtensionRef' ? `ExtensionRef filter ${describeRef(body)}` : 'ExternalAuth filter', field: p };
  }
}

function describeRef(body: unknown): string {
  const o = (body ?? {}) as Record<string, unknown>;
  return `${String(o.kind ?? '?')} ${String(o.name ?? '?')}${o.group ? ` (group ${String(o.group)})` : ''}`;
}

function redirect(body: unknown, p: FieldPath, r: Reporter): FilterSpec {
  const o = asObject(body, p, r) ?? {};
  const scheme = oneOf(o.scheme, [...p, 'scheme'], r, ['http', 'https'] as const);
  const host = hostname(o.hostname, [...p, 'hostname'], r, false);
  const port = integer(o.port, [...p, 'port'], r, 1, 65535);
  const mod = o.path === undefined || o.path === null ? undefined : pathModifier(o.path, [...p, 'path'], r);
  const code = o.statusCode ?? 302;
  if (![301, 302, 303, 307, 308].includes(code as number)) r.error([...p, 'statusCode'], `statusCode ${String(code)} is not one of 301, 302, 303, 307, 308`);
  return {
    type: 'RequestRedirect', statusCode: code as 301 | 302 | 303 | 307 | 308,
    ...(scheme ? { scheme } : {}), ...(host ? { hostname: host } : {}), ...(port !== undefined ? { port } : {}), ...(mod ? { path: mod } : {}),
  };
}

function pathModifier(v: unknown, p: FieldPath, r: Reporter): PathModifier | undefined {
  const o = asObject(v, p, r) ?? {};
  const type = oneOf(o.type, [...p, 'type'], r, ['ReplaceFullPath', 'ReplacePrefixMatch'] as const);
  if (o.type === undefined) r.error([...p, 'type'], 'required: ReplaceFullPath or ReplacePrefixMatch');
  const full = asString(o.replaceFullPath, [...p, 'replaceFullPath'], r);
  const prefix = asString(o.replacePrefixMatch, [...p, 'replacePrefixMatch'], r);
  if (type === 'ReplaceFullPath' && full === undefined) r.error([...p, 'replaceFullPath'], 'required when type is ReplaceFullPath');
  if (type === 'ReplacePrefixMatch' && prefix === undefined) r.error([...p, 'replacePrefixMatch'], 'required when type is ReplacePrefixMatch');
  if (full !== undefined && type !== 'ReplaceFullPath') r.error([...p, 'type'], 'type must be ReplaceFullPath when replaceFullPath is set');
  if (prefix !== undefined && type !== 'ReplacePrefixMatch') r.error([...p, 'type'], 'type must be ReplacePrefixMatch when replacePrefixMatch is set');
  const value = type === 'ReplaceFullPath' ? full : prefix;
  if (value !== undefined && value.length > 1024) r.error(p, 'the replacement must be at most 1024 characters');
  return type && value !== undefined ? { type, value } : undefined;
}

function mirror(body: unknown, p: FieldPath, r: Reporter): FilterSpec | undefined {
  const o = asObject(body, p, r) ?? {};
  const ref = objectRef(o.backendRef, [...p, 'backendRef'], r, { group: '', kind: 'Service' });
  const b = (asObject(o.backendRef, [...p, 'backendRef'], r) ?? {}) as Record<string, unknown>;
  const port = integer(b.port, [...p, 'backendRef', 'port'], r, 1, 65535);
  if (ref && ref.group === '' && ref.kind === 'Service' && port === undefined) r.error([...p, 'backendRef', 'port'], 'required for a Service reference: the Service port');
  const pct = integer(o.percent, [...p, 'percent'], r, 0, 100);
  const frac = asObject(o.fraction, [...p, 'fraction'], r);
  if (pct !== undefined && frac) r.error(p, 'only one of percent or fraction may be given');
  let percent = pct ?? 100;
  if (frac) {
    const num = integer(frac.numerator, [...p, 'fraction', 'numerator'], r, 0, 2 ** 31 - 1) ?? 0;
    const den = integer(frac.denominator, [...p, 'fraction', 'denominator'], r, 1, 2 ** 31 - 1) ?? 100;
    if (num > den) r.error([...p, 'fraction'], 'numerator must be less than or equal to denominator');
    percent = (num / den) * 100;
  }
  return ref ? { type: 'RequestMirror', ref: { ...ref, ...(port !== undefined ? { port } : {}) }, percent } : undefined;
}

function cors(body: unknown, p: FieldPath, r: Reporter): CorsPolicy {
  const o = asObject(body, p, r) ?? {};
  const list = (key: string, check: (s: string, at: FieldPath) => string | undefined) => {
    const out = asList(o[key], [...p, key], r).flatMap((v, i) => {
      const s = asString(v, [...p, key, i], r);
      const x = s === undefined ? undefined : check(s, [...p, key, i]);
      return x === undefined ? [] : [x];
    });
    if (out.includes('*') && out.length > 1) r.error([...p, key], `${key} cannot contain '*' alongside other values`);
    return out;
  };
  const allowOrigins = list('allowOrigins', (s, at) => (ORIGIN.test(s) && s.length <= 253 ? s : void r.error(at, `"${s}" is not an origin: write "*", or scheme://host[:port] with http or https (the host may start with "*.")`)));
  const allowMethods = list('allowMethods', (s, at) => ((METHODS as readonly string[]).includes(s) ? s : void r.error(at, `"${s}" is not one of ${METHODS.join(', ')}`)));
  const header = (s: string, at: FieldPath) => (s === '*' ? s : headerName(s, at, r)?.toLowerCase());
  const maxAge = integer(o.maxAge, [...p, 'maxAge'], r, 1, 2 ** 31 - 1) ?? 5;
  // The Gateway API's rules where ingress-nginx differs: `*.` spans labels, and with credentials a `*` is answered with the request's own value.
  return {
    allowOrigins, wildcard: 'any-labels', allowMethods, allowHeaders: list('allowHeaders', header), exposeHeaders: list('exposeHeaders', header),
    allowCredentials: bool(o.allowCredentials, [...p, 'allowCredentials'], r) ?? false, maxAgeSeconds: maxAge, credentialedWildcard: 'echo',
  };
}
