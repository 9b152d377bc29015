// An Ingress's annotations -> what meshgate does with each (findings),
// which ones reject it (refusals), which ones are only warnings, and the
// typed IngressPolicy the data plane gets. `meshgate.dev/*` and the
// supported `nginx.ingress.kubernetes.io/*` annotations set the same
// settings; where both set one, meshgate.dev wins (with a warning when they differ).
import { safeMessage } from './manifest-error.ts';
import { translateMeshgate } from './meshgate-annotations.ts';
import { NGINX_BY_KEY } from './nginx-annotations.ts';
import { NGINX_DEFAULTS, translateNginx } from './nginx-policy.ts';
import { MESHGATE_ANNOTATION_PREFIX, NGINX_ANNOTATION_PREFIX } from './types.ts';
import type { AnnotationFinding, IngressPolicy } from './types.ts';

/** Settings as annotations state them; `sslRedirect` is resolved against the Ingress's tls (resolvePolicy). */
export type PolicySettings = Omit<IngressPolicy, 'sslRedirect'> & {
  sslRedirect?: 'always' | 'tls' | 'never';
  /** custom-headers: the ConfigMap ('namespace/name') whose entries are set on responses; resolved by the build (custom-headers.ts). */
  responseHeadersFrom?: string;
};

/**
 * A sibling annotation's value by its name without prefix: the access
 * families read each other (authentication: `meshgate.dev/` first, then
 * ingress-nginx's; IP lists, limits and CORS: the same prefix).
 */
export type Sibling = (name: string) => string | undefined;

/** One annotation value, translated. */
export interface Translation {
  settings?: Partial<PolicySettings>;
  /** What it does here. */
  note?: string;
  /** The value is not valid: what to write instead (a warning; the default is used). */
  bad?: string;
  /** What of it meshgate does not do (a warning; the rest applies). */
  partial?: string;
  /** This value rejects the Ingress: why. */
  refuse?: string;
}

export interface AnnotationProblem {
  annotation: string;
  message: string;
}

export interface AnnotationAnalysis {
  findings: AnnotationFinding[];
  /** Each rejects the Ingress. */
  refusals: AnnotationProblem[];
  warnings: AnnotationProblem[];
  settings: PolicySettings;
}

const GUIDE = 'docs/ingress-nginx.md';

/** Reads every `meshgate.dev/*` and `nginx.ingress.kubernetes.io/*` annotation of an Ingress; others are not meshgate's business. */
export function analyzeAnnotations(all: Readonly<Record<string, string>>): AnnotationAnalysis {
  const out: AnnotationAnalysis = { findings: [], refusals: [], warnings: [], settings: {} };
  const nginx: Partial<Record<keyof PolicySettings, { key: string; value: unknown }>> = {};
  const mesh: typeof nginx = {};
  // As printable and as short as error messages: a finding is shown and logged like one.
  const finding = (annotation: string, outcome: AnnotationFinding['outcome'], message: string) =>
    out.findings.push({ annotation: safeMessage(annotation.length > 320 ? `${annotation.slice(0, 300)}... (cut)` : annotation), outcome, message: safeMessage(message) });
  const warn = (annotation: string, outcome: 'ignored' | 'unknown', message: string, warning = message) => {
    finding(annotation, outcome, message);
    out.warnings.push({ annotation, message: safeMessage(`${annotation}: ${warning}`) });
  };
  const apply = (key: string, t: Translation, into: typeof nginx) => {
    if (t.refuse !== undefined) {
      finding(key, 'refused', t.refuse);
      out.refusals.push({ annotation: key, message: safeMessage(`${key} is refused: ${t.refuse} (see ${GUIDE})`) });
      return;
    }
    if (t.bad !== undefined) return warn(key, 'ignored', `"${all[key]}" is not valid: ${t.bad}; the default is used`);
    finding(key, 'supported', t.note ?? '');
    if (t.partial !== undefined) out.warnings.push({ annotation: key, message: safeMessage(`${key}: ${t.partial}`) });
    for (const [f, value] of Object.entries(t.settings ?? {})) {
      const prev = into[f as keyof PolicySettings];
      // Several annotations fill one object setting (limit-rps and limit-rpm the rate limit): their fields add up.
      into[f as keyof PolicySettings] = prev && isRecord(prev.value) && isRecord(value) ? { key: prev.key, value: { ...prev.value, ...value } } : { key, value };
    }
  };

  for (const key of Object.keys(all).sort()) {
    const value = all[key]!;
    if (key.startsWith(MESHGATE_ANNOTATION_PREFIX)) {
      const t = translateMeshgate(key, value, all);
      if (t.unknown !== undefined) warn(key, 'unknown', t.unknown);
      else apply(key, t, mesh);
      continue;
    }
    if (!key.startsWith(NGINX_ANNOTATION_PREFIX)) continue;
    const entry = NGINX_BY_KEY.get(key);
    if (!entry) {
      warn(key, 'unknown', `not an ingress-nginx annotation meshgate knows (the names of controller v1.15, ${GUIDE}); ignored`);
    } else if (entry.list === 'supported') {
      apply(key, translateNginx(entry.name, value, all), nginx);
    } else if (entry.harmless?.test(value, all)) {
      finding(key, 'supported', `changes nothing here (${entry.harmless.when}), as in ingress-nginx`);
    } else if (entry.list === 'refused') {
      apply(key, { refuse: entry.why }, nginx);
    } else {
      warn(key, 'ignored', entry.why, `ignored: ${entry.why}`);
    }
  }

  for (const [f, v] of Object.entries(nginx)) {
    const m = mesh[f as keyof PolicySettings];
    if (m && isRecord(m.value) && isRecord(v.value)) {
      // Object settings merge field by field (ingress-nginx's limit-rps with meshgate.dev/limit-scope).
      for (const [k, mv] of Object.entries(m.value)) {
        if (k in v.value && JSON.stringify(v.value[k]) !== JSON.stringify(mv)) out.warnings.push({ annotation: v.key, message: `${v.key} and ${m.key} disagree on ${k}: ${m.key} wins` });
      }
      (out.settings as Record<string, unknown>)[f] = { ...v.value, ...m.value };
      continue;
    }
    if (m && JSON.stringify(m.value) !== JSON.stringify(v.value)) {
      out.warnings.push({ annotation: v.key, message: `${v.key} and ${m.key} disagree: ${m.key} wins` });
    }
    (out.settings as Record<string, unknown>)[f] = (m ?? v).value;
  }
  for (const [f, m] of Object.entries(mesh)) if (!(f in nginx)) (out.settings as Record<string, unknown>)[f] = m.value;
  return out;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The policy the data plane gets: the settings over the defaults of the
 * Ingress's flavour (class nginx: ingress-nginx's; otherwise the proxy's own,
 * left out). Undefined when there is nothing to change.
 */
export function resolvePolicy(settings: PolicySettings, ctx: { nginx: boolean; hasTls: boolean; namespace?: string }): IngressPolicy | undefined {
  const { sslRedirect, responseHeadersFrom: _resolvedByTheBuild, ...rest } = ctx.nginx ? { ...NGINX_DEFAULTS, ...settings } : settings;
  const p: IngressPolicy = { ...rest };
  if (sslRedirect !== undefined) p.sslRedirect = sslRedirect === 'always' || (sslRedirect === 'tls' && ctx.hasTls);
  // Secrets named without a namespace are the Ingress's own.
  const ns = ctx.namespace ?? 'default';
  const full = (ref: string) => (ref.includes('/') ? ref : `${ns}/${ref}`);
  if (p.basicAuth) {
    const secret = full(p.basicAuth.secret);
    p.basicAuth = { ...p.basicAuth, secret, users: `${secret}#${p.basicAuth.secretType}` };
  }
  if (p.clientCert) p.clientCert = { ...p.clientCert, secret: full(p.clientCert.secret) };
  return Object.keys(p).length > 0 ? p : undefined;
}
