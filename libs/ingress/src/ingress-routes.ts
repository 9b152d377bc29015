// An Ingress's own part of a build: its parse and its would-be route rules,
// which depend on nothing but the Ingress itself, cached per object (see
// collect-objects.ts) so a build of 10,000 unchanged paths does not validate
// and re-create them.
import type { ObjectMemo } from './collect-objects.ts';
import { makeReporter } from './object-meta.ts';
import type { ObjectHeader } from './object-meta.ts';
import type { FieldPath } from './parse-documents.ts';
import { parseIngress } from './parse-ingress.ts';
import type { BackendRef, ParsedIngress } from './parse-ingress.ts';
import { backendId } from './resolve-backend.ts';
import { MESHGATE_ANNOTATION_PREFIX } from './types.ts';
import type { ManifestError, RouteRule } from './types.ts';

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

export interface IngressParse {
  parsed: ParsedIngress;
  /** What parseIngress reported, replayed into each build's error list. */
  errors: ManifestError[];
  routes: RouteCandidate[];
  /** `{ annotations }` with the meshgate.dev/* annotations, or `{}`. */
  annotations: { annotations?: Record<string, string> };
}

/** Parses `h` (or takes the parse cached in its memo) and reports its errors through `h.report`. */
export function parseIngressRoutes(h: ObjectHeader, memo: ObjectMemo | undefined): IngressParse {
  let p = memo?.ingress as IngressParse | undefined;
  if (!p) {
    const errors: ManifestError[] = [];
    const parsed = parseIngress({ ...h, report: makeReporter(h.raw, errors, h.kind, h.namespace, h.name) });
    const id = `${h.namespace}/${h.name}`;
    const annotations = meshAnnotations(h.annotations);
    const routes = parsed.paths.map((q): RouteCandidate => {
      const backend = backendId(h.namespace as string, q.backend.service, q.backend.port);
      return {
        key: `${q.host}\0${q.pathType}\0${canonicalPath(q.path, q.pathType)}`, backend, ref: q.backend, field: q.field, ingress: id,
        rule: { host: q.host, path: q.path, pathType: q.pathType, backend, ingress: id, ...annotations },
      };
    });
    p = { parsed, errors, routes, annotations };
    if (memo) memo.ingress = p;
  }
  h.report.replay(p.errors);
  return p;
}

/** Paths that match the same requests share a key: Prefix ignores a trailing slash. */
export function canonicalPath(path: string, pathType: string): string {
  if (pathType === 'Exact' || path.endsWith('/*')) return path;
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
}

/** `{ annotations }` with the Ingress's meshgate.dev/* annotations, or `{}` when it has none (keeps rules small). */
function meshAnnotations(all: Record<string, string>): { annotations?: Record<string, string> } {
  let out: Record<string, string> | undefined;
  for (const k of Object.keys(all)) if (k.startsWith(MESHGATE_ANNOTATION_PREFIX)) (out ??= {})[k] = all[k]!;
  return out ? { annotations: out } : {};
}
