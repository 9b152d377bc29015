// Authentication annotations -> policy settings: basic authentication
// (auth-type, auth-secret, auth-secret-type, auth-realm), external
// authentication (auth-url and its family) and client certificates
// (auth-tls-*), with ingress-nginx's syntax and defaults. Each setting spans
// several annotations: the one that switches it on (auth-type, auth-url,
// auth-tls-secret) builds the whole setting from its siblings, and each
// sibling is checked on its own so a problem names the annotation at fault.
import { parseGoBool, parseGoInt } from './annotation-values.ts';
import type { Sibling, Translation } from './ingress-policy.ts';
import type { ClientCertPolicy, ExternalAuthPolicy } from './types.ts';

/** One annotation's own check: its value, or why it is not valid (a warning) or refuses the Ingress. */
interface Parsed<T> { value?: T; bad?: string; refuse?: string }

/** Secret references as ingress-nginx takes them: `name` or `namespace/name`. */
const SECRET_REF = /^(?:[a-z0-9](?:[-a-z0-9.]{0,251}[a-z0-9])?\/)?[a-z0-9](?:[-a-z0-9.]{0,251}[a-z0-9])?$/;
const METHOD = /^(GET|HEAD|POST|PUT|PATCH|DELETE|CONNECT|OPTIONS|TRACE)$/;
const HEADER = /^[a-zA-Z\d\-_]+$/;
const PARAM = /^[A-Za-z0-9_.~-]+$/;
/** nginx variables the data plane expands in auth-signin and auth-cache-key. */
const VARIABLE = /\$(\{?)([A-Za-z_][A-Za-z0-9_]*)\}?/g;
export const AUTH_VARIABLES = ['host', 'http_host', 'best_http_host', 'scheme', 'pass_access_scheme', 'request_uri', 'escaped_request_uri', 'uri', 'args', 'is_args', 'request_method', 'remote_addr', 'remote_user'];
/** A Service by its cluster DNS name. */
const SERVICE_HOST = /^([a-z0-9](?:[-a-z0-9]*[a-z0-9])?)\.([a-z0-9](?:[-a-z0-9]*[a-z0-9])?)\.svc(?:\.cluster\.local)?\.?$/;

function unknownVariables(v: string): string[] {
  const out: string[] = [];
  for (const m of v.matchAll(VARIABLE)) {
    const name = m[2]!.toLowerCase();
    if (!AUTH_VARIABLES.includes(name) && !name.startsWith('http_') && !name.startsWith('cookie_')) out.push(`$${m[2]}`);
  }
  return out;
}

const withVariables = (v: string): Parsed<string> => {
  const unknown = unknownVariables(v);
  return unknown.length ? { bad: `meshgate does not know ${unknown.join(', ')} (it expands $${AUTH_VARIABLES.join(', $')}, $http_NAME and $cookie_NAME)` } : { value: v };
};

const secretRef = (name: string, v: string | undefined): Parsed<string> => {
  const s = v?.trim() ?? '';
  if (s === '') return { refuse: `needs ${name}: the Secret to read` };
  return SECRET_REF.test(s) ? { value: s } : { refuse: `${name} "${s}" is not a Secret name: write name or namespace/name` };
};

// ---- basic authentication

export const basicParts = {
  'auth-secret': (v: string) => secretRef('auth-secret', v),
  'auth-secret-type': (v: string): Parsed<'auth-file' | 'auth-map'> => {
    const t = v.trim();
    return t === 'auth-file' || t === 'auth-map' ? { value: t } : { refuse: `auth-secret-type "${t}": write auth-file (key "auth" holds an htpasswd file) or auth-map (each key a user)` };
  },
  // nginx puts it in `WWW-Authenticate: Basic realm="..."`: a quote or line break would break the header.
  'auth-realm': (v: string): Parsed<string> => (/["\\\r\n]/.test(v) ? { refuse: 'auth-realm may not hold quotes, backslashes or line breaks' } : { value: v }),
};

/** auth-type: "basic" builds the whole setting; "digest" and others are refused. */
export function basicAuth(type: string, get: Sibling): Translation {
  const t = type.trim();
  if (t === 'digest') return { refuse: 'auth-type "digest" (HTTP digest authentication) is not implemented: use "basic", or auth-url' };
  if (t !== 'basic') return { refuse: `auth-type "${t}": write "basic"` };
  const secret = basicParts['auth-secret'](get('auth-secret') ?? '');
  if (secret.refuse) return { refuse: `auth-type "basic" ${secret.refuse}` };
  const st = get('auth-secret-type');
  const secretType = st === undefined ? { value: 'auth-file' as const } : basicParts['auth-secret-type'](st);
  if (secretType.refuse) return { refuse: secretType.refuse };
  const realm = basicParts['auth-realm'](get('auth-realm') ?? '');
  if (realm.refuse) return { refuse: realm.refuse };
  return {
    settings: { basicAuth: { realm: realm.value!, secret: secret.value!, secretType: secretType.value!, users: '' } },
    note: `basic authentication against the users of Secret ${secret.value} (${secretType.value}); 401 without valid credentials`,
  };
}

// ---- external authentication

const cacheDurations = (v: string): Parsed<[number[], number][]> => {
  const out: [number[], number][] = [];
  for (const part of v.split(',').map((s) => s.trim()).filter(Boolean)) {
    const codes: number[] = [];
    let ms = 0;
    for (const el of part.split(/\s+/)) {
      const d = /^(\d+)(ms|s|m|h|d)$/.exec(el);
      if (/^\d{3}$/.test(el) && ms === 0) codes.push(Number(el));
      else if (d) ms += Number(d[1]) * { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[d[2] as 'ms'];
      else return { refuse: `auth-cache-duration "${part}": write status codes then a time, such as "200 202 401 5m" (several separated by commas)` };
    }
    if (ms === 0) return { refuse: `auth-cache-duration "${part}" has no time, such as 5m` };
    out.push([codes, ms]);
  }
  return { value: out };
};

export const externalParts = {
  'auth-method': (v: string): Parsed<string> => (METHOD.test(v.trim()) ? { value: v.trim() } : { refuse: `auth-method "${v}" is not an HTTP method (GET, HEAD, POST, ...)` }),
  'auth-signin': (v: string) => withVariables(v.trim()),
  'auth-signin-redirect-param': (v: string): Parsed<string> => (PARAM.test(v.trim()) ? { value: v.trim() } : { bad: 'write a query parameter name such as rd' }),
  'auth-response-headers': (v: string): Parsed<string[]> => {
    const names = v.split(',').map((s) => s.trim()).filter(Boolean);
    const badName = names.find((n) => !HEADER.test(n));
    return badName !== undefined ? { refuse: `auth-response-headers: "${badName}" is not a header name` } : { value: names.map((n) => n.toLowerCase()) };
  },
  'auth-request-redirect': (v: string): Parsed<string> => (/[\r\n]/.test(v) ? { refuse: 'auth-request-redirect may not hold line breaks' } : { value: v.trim() }),
  'auth-cache-key': (v: string) => withVariables(v.trim()),
  'auth-cache-duration': cacheDurations,
  'auth-always-set-cookie': (v: string): Parsed<boolean> => {
    const b = parseGoBool(v.trim());
    return b === undefined ? { bad: 'write "true" or "false"' } : { value: b };
  },
};

/** The auth service's URL: http only; a Service's cluster DNS name goes to that Service's endpoints. */
function authUrl(v: string): Parsed<{ url: string; backend?: string }> {
  if (v.includes('$')) return { refuse: `auth-url "${v}": nginx variables in auth-url are not supported; write the URL of the auth service` };
  let u: URL;
  try { u = new URL(v); } catch { return { refuse: `could not parse auth-url "${v}": write an http:// URL` }; }
  if (u.protocol === 'https:') return { refuse: `auth-url "${v}": an https auth service is not implemented yet (TLS to upstreams); use its http:// address` };
  if (u.protocol !== 'http:' || u.hostname === '' || u.username !== '' || u.password !== '') return { refuse: `auth-url "${v}": write an http:// URL with a host and no user` };
  const svc = SERVICE_HOST.exec(u.hostname);
  const port = u.port === '' ? 80 : Number(u.port);
  return { value: { url: u.href, ...(svc ? { backend: `${svc[2]}/${svc[1]}:${port}` } : {}) } };
}

/** auth-url builds the whole setting from its siblings; auth-snippet stays refused on its own. */
export function externalAuth(url: string, get: Sibling): Translation {
  const u = authUrl(url.trim());
  if (u.refuse) return { refuse: u.refuse };
  const p: ExternalAuthPolicy = { url: u.value!.url, ...(u.value!.backend ? { backend: u.value!.backend } : {}) };
  const take = <K extends keyof typeof externalParts>(name: K): ReturnType<(typeof externalParts)[K]>['value'] | null => {
    const raw = get(name);
    if (raw === undefined) return undefined;
    const r = externalParts[name](raw);
    return r.refuse !== undefined ? null : r.value;
  };
  const method = take('auth-method');
  const headers = take('auth-response-headers');
  const cacheFor = take('auth-cache-duration');
  if (method === null || headers === null || cacheFor === null || take('auth-request-redirect') === null) {
    return { refuse: 'auth-url is refused with its invalid sibling annotations (see their errors)' };
  }
  if (method) p.method = method;
  if (headers?.length) p.responseHeaders = headers;
  const signin = take('auth-signin');
  if (signin) p.signin = signin;
  const param = take('auth-signin-redirect-param');
  if (param) p.signinRedirectParam = param;
  const redirect = take('auth-request-redirect');
  if (redirect) p.requestRedirect = redirect;
  const key = take('auth-cache-key');
  if (key) {
    p.cacheKey = key;
    p.cacheDurations = cacheFor?.length ? cacheFor : [[[200, 202, 401], 300_000]];
  }
  if (take('auth-always-set-cookie')) p.alwaysSetCookie = true;
  const where = p.backend ? `the endpoints of Service ${p.backend}` : p.url;
  return { settings: { externalAuth: p }, note: `every request is first sent to ${where}: 2xx passes, 401 and 403 are answered${p.signin ? ' (401 redirects to auth-signin)' : ''}, anything else is 500` };
}

// ---- client certificates

export const tlsParts = {
  'auth-tls-verify-client': (v: string): Parsed<ClientCertPolicy['verify']> => {
    const t = v.trim();
    return t === 'on' || t === 'off' || t === 'optional' || t === 'optional_no_ca' ? { value: t } : { bad: 'write on, off, optional or optional_no_ca; "on" is used' };
  },
  'auth-tls-verify-depth': (v: string): Parsed<number> => {
    const n = parseGoInt(v.trim());
    return n === undefined || n < 0 ? { bad: 'write a whole number; 1 is used' } : { value: n === 0 ? 1 : n };
  },
  'auth-tls-pass-certificate-to-upstream': (v: string): Parsed<boolean> => {
    const b = parseGoBool(v.trim());
    return b === undefined ? { bad: 'write "true" or "false"' } : { value: b };
  },
  'auth-tls-error-page': (v: string): Parsed<string> => (/^(https?:\/\/[A-Za-z0-9\-.]+(:\d+)?)?(\/[A-Za-z0-9\-_.]+)*\/?$/.test(v.trim()) && v.trim() !== ''
    ? { value: v.trim() } : { refuse: `auth-tls-error-page "${v}": write a URL or a path` }),
  'auth-tls-match-cn': (v: string): Parsed<string> => {
    const t = v.trim();
    if (!t.startsWith('CN=')) return { refuse: `auth-tls-match-cn "${t}" must start with "CN="` };
    try { new RegExp(t); } catch { return { refuse: `auth-tls-match-cn "${t}" is not a valid regular expression` }; }
    return { value: t };
  },
};

/** auth-tls-secret builds the whole setting (verify "on" and depth 1 by default, as ingress-nginx). */
export function clientCert(secret: string, get: Sibling): Translation {
  const s = secretRef('auth-tls-secret', secret);
  if (s.refuse) return { refuse: s.refuse };
  const p: ClientCertPolicy = { secret: s.value!, verify: 'on', depth: 1, passCertificate: false };
  const verify = get('auth-tls-verify-client');
  if (verify !== undefined) p.verify = tlsParts['auth-tls-verify-client'](verify).value ?? 'on';
  const depth = get('auth-tls-verify-depth');
  if (depth !== undefined) p.depth = tlsParts['auth-tls-verify-depth'](depth).value ?? 1;
  const pass = get('auth-tls-pass-certificate-to-upstream');
  if (pass !== undefined) p.passCertificate = tlsParts['auth-tls-pass-certificate-to-upstream'](pass).value ?? false;
  for (const [name, field] of [['auth-tls-error-page', 'errorPage'], ['auth-tls-match-cn', 'matchCn']] as const) {
    const raw = get(name);
    if (raw === undefined) continue;
    const r = tlsParts[name](raw);
    if (r.refuse) return { refuse: `auth-tls-secret is refused with its invalid ${name}` };
    p[field] = r.value!;
  }
  return { settings: { clientCert: p }, note: `HTTPS connections to this Ingress's hosts ask for a client certificate signed by a CA of Secret ${s.value} (ca.crt); verify ${p.verify}, depth ${p.depth}` };
}

/** What a sibling annotation does on its own: nothing without its switch; its own value checked. */
export function siblingNote(name: string, value: string, parse: ((v: string) => Parsed<unknown>) | undefined, switchName: string, on: boolean): Translation {
  if (!on) return { note: `no effect without ${switchName}` };
  const r = parse?.(value);
  if (r?.refuse) return { refuse: r.refuse };
  if (r?.bad) return { bad: r.bad };
  return { note: `part of ${switchName}` };
}

/** The auth-* annotations one switch governs, for the tables. */
export const AUTH_FAMILIES = {
  basic: { switch: 'auth-type', parts: basicParts },
  external: { switch: 'auth-url', parts: externalParts },
  tls: { switch: 'auth-tls-secret', parts: tlsParts },
} as const;

/** Which family a sibling belongs to. */
export function familyOf(name: string): keyof typeof AUTH_FAMILIES | undefined {
  for (const [k, f] of Object.entries(AUTH_FAMILIES)) if (name in f.parts) return k as keyof typeof AUTH_FAMILIES;
  return undefined;
}

const SWITCHES: Record<string, (v: string, get: Sibling) => Translation> = { 'auth-type': basicAuth, 'auth-url': externalAuth, 'auth-tls-secret': clientCert };

/** Every authentication annotation by its name without prefix. */
export const AUTH_NAMES: readonly string[] = [...Object.keys(SWITCHES), ...Object.values(AUTH_FAMILIES).flatMap((f) => Object.keys(f.parts))];

/**
 * An authentication annotation (name without prefix) of an Ingress whose
 * annotations are `all`: siblings are read under either prefix, meshgate.dev first.
 */
export function translateAuth(name: string, value: string, all: Readonly<Record<string, string>>): Translation {
  const get: Sibling = (n) => all[`meshgate.dev/${n}`] ?? all[`nginx.ingress.kubernetes.io/${n}`];
  const sw = SWITCHES[name];
  if (sw) return sw(value, get);
  const family = familyOf(name);
  if (!family) throw new Error(`${name} is not an authentication annotation`);
  const f = AUTH_FAMILIES[family];
  return siblingNote(name, value, (f.parts as Record<string, (v: string) => Parsed<unknown>>)[name], f.switch, get(f.switch) !== undefined);
}
