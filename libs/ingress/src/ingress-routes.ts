// An Ingress's own part of a build: its parse and its would-be route rules,
// which depend on nothing but the Ingress itself, cached per object (see
// collect-objects.ts) so a build of 10,000 unchanged paths does not validate
// and re-create them.
import type { ObjectMemo } from './collect-objects.ts';
import { analyzeAnnotations, resolvePolicy } from './ingress-policy.ts';
import type { PolicySettings } from './ingress-policy.ts';
import { makeReporter } from './object-meta.ts';
import type { ObjectHeader } from './object-meta.ts';
import type { FieldPath } from './parse-documents.ts';
import { parseIngress } from './parse-ingress.ts';
import type { BackendRef, ParsedIngress } from './parse-ingress.ts';
import { backendId } from './resolve-backend.ts';
import type { AnnotationFinding, IngressPolicy, ManifestError, RouteRule } from './types.ts';

export interface RouteCandidate {
  /** Host, type and canonical path: candidates with equal keys match the same requests. */
  key: string;
  /** Backend id. */
  backend: string;
  ref: BackendRef;
  field: FieldPath;
  /** 'namespace/name' of the Ingress. */
  ingress: string;
  /** The rule as published, when this candidate wins its key (shared between builds: plain data, never changed). */
  rule: RouteRule;
}

/** What an Ingress is served with, for one flavour of defaults. */
interface Served {
  routes: RouteCandidate[];
  /** `{ policy }`, or `{}` when there is nothing to change (keeps rules small). */
  policy: { policy?: IngressPolicy };
}

interface CachedParse {
  parsed: ParsedIngress;
  /** What parseIngress reported, and the annotations that refuse the Ingress, replayed into each build's error list. */
  errors: ManifestError[];
  /** Annotation warnings, positioned like errors. */
  warnings: ManifestError[];
  findings: AnnotationFinding[];
  settings: PolicySettings;
  /** By flavour ('nginx' gets ingress-nginx's defaults): built on first use. */
  served: { nginx?: Served; meshgate?: Served };
}

export interface IngressParse extends Served {
  parsed: ParsedIngress;
  warnings: ManifestError[];
  findings: AnnotationFinding[];
  /** custom-headers: the ConfigMap named, for the build to resolve (custom-headers.ts). */
  responseHeadersFrom?: string;
}

/**
 * Parses `h` (or takes the parse cached in its memo) and reports its errors
 * through `h.report`. `nginx`: the Ingress is of an ingress-nginx class and
 * starts from ingress-nginx's defaults.
 */
export function parseIngressRoutes(h: ObjectHeader, memo: ObjectMemo | undefined, nginx = false): IngressParse {
  let c = memo?.ingress as CachedParse | undefined;
  if (!c) {
    const errors: ManifestError[] = [];
    const report = makeReporter(h.raw, errors, h.kind, h.namespace, h.name);
    const parsed = parseIngress({ ...h, report });
    const a = analyzeAnnotations(h.annotations);
    const at = (annotation: string): FieldPath => ['metadata', 'annotations', annotation];
    for (const r of a.refusals) report.error(at(r.annotation), r.message);
    const warnings: ManifestError[] = [];
    const warn = makeReporter(h.raw, warnings, h.kind, h.namespace, h.name);
    for (const w of a.warnings) warn.error(at(w.annotation), w.message);
    c = { parsed, errors, warnings, findings: a.findings, settings: a.settings, served: {} };
    if (memo) memo.ingress = c;
  }
  h.report.replay(c.errors);
  const flavour = nginx ? 'nginx' : 'meshgate';
  const served = c.served[flavour] ??= serve(h, c, nginx);
  const from = c.settings.responseHeadersFrom;
  return { parsed: c.parsed, warnings: c.warnings, findings: c.findings, ...served, ...(from !== undefined ? { responseHeadersFrom: from } : {}) };
}

function serve(h: ObjectHeader, c: CachedParse, nginx: boolean): Served {
  const id = `${h.namespace}/${h.name}`;
  const p = resolvePolicy(c.settings, { nginx, hasTls: c.parsed.tls.length > 0, namespace: h.namespace as string });
  const policy = p ? { policy: p } : {};
  const routes = c.parsed.paths.map((q): RouteCandidate => {
    const backend = backendId(h.namespace as string, q.backend.service, q.backend.port);
    return {
      key: `${q.host}\0${q.pathType}\0${canonicalPath(q.path, q.pathType)}`, backend, ref: q.backend, field: q.field, ingress: id,
      rule: { host: q.host, path: q.path, pathType: q.pathType, backend, ingress: id, ...policy },
    };
  });
  return { routes, policy };
}

/** Paths that match the same requests share a key: Prefix ignores a trailing slash. */
export function canonicalPath(path: string, pathType: string): string {
  if (pathType === 'Exact' || path.endsWith('/*')) return path;
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
}
