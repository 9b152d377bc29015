import { BuildCache, formatManifestError, type ManifestError, type MeshConfig, type SourceFile } from '@meshgate/ingress';
import { buildMeshConfigWithGatewayApi, gatewayApiFrontEnd } from '@meshgate/gateway-api';
import { msgpackCodec, type ApplyRequest, type ObjectResult } from '@meshgate/protocol';
import { mergeSources, splitObjects, type ObjectDoc } from './manifest-objects.ts';

export interface RejectedApply {
  resource: string;
  namespace?: string;
  key: string;
  errors: string[];
  at: number;
}

/** Objects sent with `meshgate apply` / `delete`, kept over the manifests directory. */
export interface AppliedState {
  objects: ObjectDoc[];
  /** Keys of directory objects hidden by `meshgate delete`. */
  deleted: string[];
  /** The last rejected apply per object: its previous version keeps serving. */
  rejected: RejectedApply[];
}

export const emptyApplied = (): AppliedState => ({ objects: [], deleted: [], rejected: [] });
export const encodeApplied = (s: AppliedState): Uint8Array => msgpackCodec.encode(s);
export const decodeApplied = (b: Uint8Array): AppliedState => ({ ...emptyApplied(), ...(msgpackCodec.decode(b) as AppliedState) });

/** Parses (or finds cached) every object of the directory: what an apply looks up to tell created from configured. */
export function indexObjects(dir: readonly SourceFile[]): void {
  for (const f of dir) splitObjects(f);
}

export function sourcesOf(dir: readonly SourceFile[], s: AppliedState): SourceFile[] {
  return mergeSources(dir, s.objects, new Set(s.deleted));
}

function errorsOf(cfg: MeshConfig, d: ObjectDoc, list: ManifestError[] = cfg.errors): ManifestError[] {
  return list.filter((e) => e.file === d.file && (
    (e.kind === d.kind && e.name === d.name && (e.namespace ?? undefined) === d.namespace)
    || (e.kind === undefined && e.line !== undefined && e.line >= d.line && e.line <= d.endLine)));
}

/**
 * Applies (or deletes) the request's objects one at a time over `state`,
 * like kubectl: each object gets its own outcome and errors, and one bad
 * object does not stop the others. An object that would be rejected by the
 * mesh build is not stored: the previous version (or none) keeps serving,
 * and the rejection is remembered for `meshgate get ingresses`.
 */
export function applyObjects(req: ApplyRequest, dir: readonly SourceFile[], state: AppliedState, build: (files: SourceFile[]) => MeshConfig): { state: AppliedState; results: ObjectResult[]; changed: boolean; built?: MeshConfig } {
  let s: AppliedState = { objects: [...state.objects], deleted: [...state.deleted], rejected: [...state.rejected] };
  const results: ObjectResult[] = [];
  let changed = false;
  /** The build of the current `s`, when the last step made one: the caller publishes it without building again. */
  let built: MeshConfig | undefined;
  const dirDocs = new Map<string, ObjectDoc>();
  for (const f of dir) for (const d of splitObjects(f)) dirDocs.set(d.key, d);

  for (const file of req.files) {
    const problems: { file: string; line: number; message: string }[] = [];
    const docs = splitObjects(file, problems);
    for (const p of problems) results.push({ resource: '', outcome: 'rejected', errors: [`${p.file}:${p.line}: ${p.message}`], warnings: [] });
    for (const d of docs) {
      const ns = d.namespace !== undefined ? { namespace: d.namespace } : {};
      const current = s.objects.find((o) => o.key === d.key) ?? (s.deleted.includes(d.key) ? undefined : dirDocs.get(d.key));
      if (req.action === 'delete') {
        if (!current) {
          results.push({ resource: d.resource, ...ns, outcome: 'not-found', errors: [`${d.resource}${d.namespace ? ` in namespace ${d.namespace}` : ''} not found`], warnings: [] });
          continue;
        }
        s = {
          objects: s.objects.filter((o) => o.key !== d.key),
          deleted: dirDocs.has(d.key) && !s.deleted.includes(d.key) ? [...s.deleted, d.key] : s.deleted,
          rejected: s.rejected.filter((r) => r.key !== d.key),
        };
        changed = true;
        built = undefined;
        results.push({ resource: d.resource, ...ns, outcome: 'deleted', errors: [], warnings: [] });
        continue;
      }
      const candidate: AppliedState = {
        objects: [...s.objects.filter((o) => o.key !== d.key), d],
        deleted: s.deleted.filter((k) => k !== d.key),
        rejected: s.rejected.filter((r) => r.key !== d.key),
      };
      const cfg = build(sourcesOf(dir, candidate));
      const errs = errorsOf(cfg, d).map(formatManifestError);
      const ingress = d.kind === 'Ingress' ? cfg.ingresses.find((i) => i.id === `${d.namespace}/${d.name}` && i.file === d.file) : undefined;
      // An Ingress is refused when the build rejects it; its notes (a missing
      // Service, a path another Ingress already serves) are warnings, as the
      // rest of it serves. Any other kind is refused on any error.
      const fatal = d.kind === 'Ingress' ? ingress?.state === 'rejected' : errs.length > 0;
      if (fatal) {
        const rej: RejectedApply = { resource: d.resource, ...ns, key: d.key, errors: errs.length ? errs : [ingress?.reason ?? 'rejected'], at: Date.now() };
        s = { ...s, rejected: [...s.rejected.filter((r) => r.key !== d.key), rej] };
        changed = true;
        results.push({ resource: d.resource, ...ns, outcome: 'rejected', errors: rej.errors, warnings: [] });
        continue;
      }
      const outcome = !current ? 'created' : current.canonical === d.canonical ? 'unchanged' : 'configured';
      const hadRejection = s.rejected.some((r) => r.key === d.key);
      if (outcome !== 'unchanged' || hadRejection || !s.objects.some((o) => o.key === d.key)) changed = true;
      s = candidate;
      built = cfg;
      // Other kinds' warnings: a Gateway API route not accepted or with an unresolved reference, as its status says.
      const others = d.kind === 'Ingress' ? [] : errorsOf(cfg, d, cfg.warnings).map(formatManifestError);
      results.push({ resource: d.resource, ...ns, outcome, errors: [], warnings: [...errs, ...(ingress?.warnings ?? []), ...others] });
    }
  }
  return { state: s, results, changed, ...(built ? { built } : {}) };
}

/**
 * The config service's build, Ingress and Gateway API: one cache across
 * builds, so a change re-parses and re-validates only what it touched, and
 * one Gateway API front end, which counts generations of objects whose
 * manifests carry none.
 */
export function defaultBuild(ingressClass: string, cache: BuildCache = new BuildCache()): (files: SourceFile[]) => MeshConfig {
  const frontEnd = gatewayApiFrontEnd();
  return (files) => buildMeshConfigWithGatewayApi(files, { ingressClass, cache }, frontEnd);
}
