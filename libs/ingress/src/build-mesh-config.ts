// Manifests -> MeshConfig: validation, IngressClass selection, conflict
// resolution between Ingresses, backend and TLS resolution.
import { AccessSecrets } from './access-secrets.ts';
import { collectObjects } from './collect-objects.ts';
import { kindTableOf } from './front-end.ts';
import { runFrontEnds } from './run-front-ends.ts';
import { CUSTOM_HEADERS_ANNOTATION, withConfigMapHeaders } from './custom-headers.ts';
import { formatManifestError } from './manifest-error.ts';
import type { ObjectHeader } from './object-meta.ts';
import { parseSourceFiles } from './parse-documents.ts';
import type { FieldPath } from './parse-documents.ts';
import { parseIngressRoutes } from './ingress-routes.ts';
import type { RouteCandidate } from './ingress-routes.ts';
import { ingressClassOf } from './parse-ingress.ts';
import type { BackendRef } from './parse-ingress.ts';
import { backendId, resolveBackend } from './resolve-backend.ts';
import type { Catalog } from './resolve-backend.ts';
import type { ParsedService } from './parse-service.ts';
import { DEFAULT_INGRESS_CLASS, MESHGATE_ANNOTATION_PREFIX, MESHGATE_CONTROLLER, NGINX_ANNOTATION_PREFIX, NGINX_CONTROLLER } from './types.ts';
import type { BackendConfig, BuildOptions, IngressStatus, ManifestError, MeshConfig, RouteRule, SourceFile, TlsCertificate } from './types.ts';

export function buildMeshConfig(files: SourceFile[], opts: BuildOptions = {}): MeshConfig {
  const configured = classList(opts.ingressClass);
  const errors: ManifestError[] = [];
  const warnings: ManifestError[] = [];
  const sorted = [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const table = kindTableOf(opts.frontEnds);
  const now = opts.now ?? Date.now();
  const collected = collectObjects(parseSourceFiles(sorted, errors, opts.cache), errors, now, opts.cache, table ? { list: opts.frontEnds!, table } : undefined);
  const { catalog, ingresses, memos, duplicateIngresses } = collected;
  catalog.nodes.sort((a, b) => cmp(a.h.name, b.h.name));

  const rules: RouteRule[] = [];
  const statuses: IngressStatus[] = [];
  const claimed = new Map<string, RouteCandidate>();
  let defaultBackend: MeshConfig['defaultBackend'];
  let defaultOwner = '';
  const backends = new Map<string, { cfg: BackendConfig; refErrors: string[] }>();
  const reportedService = new Set<string>();
  const tls = new Map<string, TlsCertificate>();
  const access = new AccessSecrets(catalog);

  const serviceError = (svc: ParsedService, path: (string | number)[], msg: string) => {
    const k = `${svc.h.namespace}/${svc.h.name}\0${path.join('.')}`;
    if (reportedService.has(k)) return;
    reportedService.add(k);
    svc.h.report.error(path, msg);
  };
  const backendFor = (ns: string, ref: BackendRef, id = backendId(ns, ref.service, ref.port)) => {
    let b = backends.get(id);
    if (!b) {
      const refErrors: string[] = [];
      b = { cfg: resolveBackend(ns, ref.service, ref.port, catalog, (m) => refErrors.push(m), serviceError), refErrors };
      backends.set(id, b);
    }
    return b;
  };

  // Oldest first, then namespace/name: the documented conflict winner order.
  for (const h of [...ingresses].sort(byPriority)) {
    const id = `${h.namespace}/${h.name}`;
    const status: IngressStatus = { id, namespace: h.namespace as string, name: h.name, apiVersion: h.apiVersion, state: 'served', rules: 0, file: h.raw.file };
    if (h.raw.line !== undefined) status.line = h.raw.line;
    statuses.push(status);
    const before = errors.length;
    const cls = ingressClassOf(h);
    if (cls.name !== undefined) status.className = cls.name;
    const { ignore: ignoreReason, nginx } = classOutcome(cls.name, catalog, configured);
    if (ignoreReason) {
      errors.length = before; // another controller's Ingress: not ours to judge
      status.state = 'ignored';
      status.reason = ignoreReason;
      continue;
    }
    const served = parseIngressRoutes(h, memos.get(h), nginx);
    const { parsed: ing, warnings: warned, findings } = served;
    let { routes, policy } = served;
    if (served.responseHeadersFrom !== undefined) {
      const r = withConfigMapHeaders(served.responseHeadersFrom, h.namespace as string, catalog, served);
      if ('error' in r) h.report.error(['metadata', 'annotations', CUSTOM_HEADERS_ANNOTATION], r.error);
      else ({ routes, policy } = r);
    }
    if (findings.length > 0) status.annotations = findings;
    // Client certificates are asked for per host (SNI): a rule for any host cannot have them.
    if (policy.policy?.clientCert && routes.some((c) => c.rule.host === '')) {
      h.report.error(['spec', 'rules'], 'auth-tls-secret: client certificates are asked for per host, and a rule without a host matches any: give every rule of this Ingress a host');
    }
    if (warned.length > 0) {
      warnings.push(...warned);
      status.warnings = warned.map(formatManifestError);
    }
    if (h.report.count > 0) {
      status.state = 'rejected';
      const first = h.report.first;
      status.reason = `${h.report.count} error(s)${first ? `, first: ${formatManifestError(first)}` : ''}`;
      continue;
    }
    const notes: string[] = [];
    const note = (field: FieldPath, msg: string) => {
      h.report.error(field, msg);
      notes.push(msg);
    };
    const refReported = new Set<string>();
    const shared = new Set<string>();
    const useBackend = (ref: BackendRef, id?: string) => {
      const b = backendFor(h.namespace as string, ref, id);
      if (!refReported.has(b.cfg.id)) {
        refReported.add(b.cfg.id);
        for (const m of b.refErrors) note(ref.field, m);
      }
      return b.cfg.id;
    };
    for (const c of routes) {
      const owner = claimed.get(c.key);
      if (owner && owner.backend === c.backend) {
        // Same route to the same backend (the seed's hello-ingress and
        // hello-ingress-tls do this): nothing conflicts, so no error.
        useBackend(c.ref, c.backend);
        shared.add(owner.ingress);
        if (owner.ingress !== id) status.rules++;
        continue;
      }
      if (owner) {
        const by = owner.ingress === id ? `an earlier path of this Ingress (${fieldString(owner.field)})` : `Ingress ${owner.ingress} (older, or same age and first by namespace/name)`;
        note(c.field, `host "${c.rule.host || '*'}" path "${c.rule.path}" (${c.rule.pathType}) is already served by ${by}; this path is ignored`);
        continue;
      }
      claimed.set(c.key, c);
      useBackend(c.ref, c.backend);
      rules.push(c.rule);
      status.rules++;
    }
    if (ing.defaultBackend) {
      if (defaultBackend) {
        note(ing.defaultBackend.field, `the default backend is already set by Ingress ${defaultOwner} (older, or same age and first by namespace/name); this one is ignored`);
      } else {
        defaultBackend = { backend: useBackend(ing.defaultBackend), ingress: id, ...policy };
        defaultOwner = id;
      }
    }
    for (const t of ing.tls) {
      if (!t.secretName) continue; // no secret: these hosts use the default certificate
      const sid = `${h.namespace}/${t.secretName}`;
      const s = catalog.secrets.get(sid);
      const field = [...t.field, 'secretName'];
      if (!s) {
        const rejected = catalog.rejectedSecrets.get(sid);
        // The Ingress stays served (HTTP, and HTTPS with the default certificate): one bad
        // certificate must not take routes down; its status says why TLS is not its own.
        note(field, rejected !== undefined ? `Secret ${sid} is invalid (${rejected}): HTTPS for these hosts uses the default certificate, if any` : `Secret ${sid} not found: create it with "kubectl create secret tls ${t.secretName} --cert=... --key=..." in namespace ${h.namespace}`);
        continue;
      }
      if (!s.tls) {
        note(field, `Secret ${sid} has type "${s.type}": HTTPS needs type kubernetes.io/tls with tls.crt and tls.key`);
        continue;
      }
      const prev = tls.get(sid);
      if (prev) for (const host of t.hosts) !prev.hosts.includes(host) && prev.hosts.push(host);
      else tls.set(sid, { id: sid, hosts: [...t.hosts], cert: s.tls.cert, key: s.tls.key });
    }
    const p = policy.policy;
    const annotationField = (name: string): FieldPath => ['metadata', 'annotations', h.annotations[`${MESHGATE_ANNOTATION_PREFIX}${name}`] !== undefined ? `${MESHGATE_ANNOTATION_PREFIX}${name}` : `${NGINX_ANNOTATION_PREFIX}${name}`];
    if (p?.basicAuth) access.basicAuth(h.namespace as string, p.basicAuth, (m) => note(annotationField('auth-secret'), m));
    if (p?.clientCert) {
      access.clientCert(h.namespace as string, id, routes.map((c) => c.rule.host), p.clientCert, (m) => note(annotationField('auth-tls-secret'), m),
        (m) => notes.push(m));
    }
    if (p?.externalAuth?.backend) {
      // The auth service named by its cluster DNS name: its endpoints come with the snapshot, health-checked like any backend's.
      const [ns, rest] = p.externalAuth.backend.split('/') as [string, string];
      const colon = rest.lastIndexOf(':');
      const ref: BackendRef = { service: rest.slice(0, colon), port: Number(rest.slice(colon + 1)), field: annotationField('auth-url') };
      const b = backendFor(ns, ref, p.externalAuth.backend);
      for (const m of b.refErrors) note(ref.field, `auth-url: ${m.replace(/ \(requests to this backend get 503\)$/, '')}: requests get 500 until it is there`);
    }
    for (const other of shared) if (other !== id) notes.push(`shares identical routes with Ingress ${other}`);
    if (warned.length > 0) notes.push(`${warned.length} annotation warning(s), first: ${warned[0]!.message}`);
    if (notes.length > 0) status.reason = notes.join('; ');
  }
  const more = runFrontEnds(collected.frontEnds, { catalog, backend: (ns, service, port) => backendFor(ns, { service, port, field: [] }), ingressRules: rules, now });
  for (const r of more.rules) rules.push(r);
  for (const t of more.tls) {
    const prev = tls.get(t.id);
    if (prev) for (const host of t.hosts) !prev.hosts.includes(host) && prev.hosts.push(host);
    else tls.set(t.id, { ...t, hosts: [...t.hosts] });
  }
  warnings.push(...more.warnings);
  for (const st of statuses) {
    const notes = more.ingressNotes.get(st.id);
    if (notes && st.state === 'served') st.reason = [st.reason, ...notes].filter(Boolean).join('; ');
  }
  for (const d of duplicateIngresses) {
    statuses.push({ id: `${d.h.namespace}/${d.h.name}`, namespace: d.h.namespace as string, name: d.h.name, apiVersion: d.h.apiVersion, state: 'rejected', reason: d.reason, rules: 0, file: d.h.raw.file, ...(d.h.raw.line !== undefined ? { line: d.h.raw.line } : {}) });
  }

  const out: MeshConfig = {
    rules,
    backends: [...backends.values()].map((b) => b.cfg).sort((a, b) => cmp(a.id, b.id)),
    tls: [...tls.values()],
    ingresses: statuses.sort((a, b) => cmp(a.id, b.id) || cmp(a.file, b.file)),
    errors: sortErrors(errors),
    warnings: sortErrors(warnings),
    ...access.result(),
  };
  if (defaultBackend) out.defaultBackend = defaultBackend;
  if (more.gatewayApi) out.gatewayApi = more.gatewayApi;
  return out;
}

/** `--ingress-class`: one name, a comma list, or a list; default meshgate's. */
function classList(v: BuildOptions['ingressClass']): readonly string[] {
  const list = (typeof v === 'string' ? v.split(',') : v ?? []).map((c) => c.trim()).filter(Boolean);
  return list.length > 0 ? list : [DEFAULT_INGRESS_CLASS];
}

/**
 * Whether meshgate serves an Ingress of class `name` (an Ingress without a
 * class is served), and whether with ingress-nginx's defaults: class `nginx`,
 * or an IngressClass of ingress-nginx's controller, among the configured ones.
 */
function classOutcome(name: string | undefined, cat: Catalog, configured: readonly string[]): { ignore?: string; nginx: boolean } {
  if (name === undefined) return { nginx: false };
  const controller = cat.classes.get(name);
  if (configured.includes(name)) return { nginx: name === 'nginx' || controller === NGINX_CONTROLLER };
  const serves = configured.map((c) => `"${c}"`).join(', ');
  if (!cat.classes.has(name)) {
    return { nginx: false, ignore: `ingress class "${name}" is not meshgate's (it serves ${serves}): to serve it, set ingressClassName "${configured[0]}" or add an IngressClass "${name}" with spec.controller ${MESHGATE_CONTROLLER}${name === 'nginx' ? ', or run the config service with --ingress-class nginx (a comma list is allowed: meshgate,nginx)' : ''}` };
  }
  if (controller === MESHGATE_CONTROLLER) return { nginx: false };
  const hint = controller === NGINX_CONTROLLER ? ` (to serve it with ingress-nginx's semantics, add "${name}" to --ingress-class)` : '';
  return { nginx: false, ignore: `IngressClass "${name}" belongs to controller "${controller}", not ${MESHGATE_CONTROLLER}${hint}` };
}

function byPriority(a: ObjectHeader, b: ObjectHeader): number {
  const ta = a.created ?? Number.POSITIVE_INFINITY;
  const tb = b.created ?? Number.POSITIVE_INFINITY;
  if (ta !== tb) return ta < tb ? -1 : 1;
  return cmp(`${a.namespace}/${a.name}`, `${b.namespace}/${b.name}`) || cmp(a.raw.file, b.raw.file);
}

function sortErrors(errors: ManifestError[]): ManifestError[] {
  return errors.map((e, i) => ({ e, i })).sort((x, y) => cmp(x.e.file, y.e.file) || (x.e.line ?? 0) - (y.e.line ?? 0) || x.i - y.i).map((x) => x.e);
}

function fieldString(p: FieldPath): string {
  return p.map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? s : `.${s}`)).join('');
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
