// Reads every object's header, drops duplicates and files each valid
// non-Ingress object into the Catalog the Ingresses are resolved against.
import type { BuildCache } from './build-cache.ts';
import type { FrontEnd, FrontEndObject, KindTable } from './front-end.ts';
import { makeReporter, readHeader } from './object-meta.ts';
import type { ObjectHeader } from './object-meta.ts';
import type { RawObject } from './parse-documents.ts';
import { parseEndpoints, parseEndpointSlice, parseNode } from './parse-endpoints.ts';
import type { ParsedEndpoints, ParsedNode } from './parse-endpoints.ts';
import { parseSecret } from './parse-secret.ts';
import type { ParsedSecret } from './parse-secret.ts';
import { parseService } from './parse-service.ts';
import type { ParsedService } from './parse-service.ts';
import type { Catalog } from './resolve-backend.ts';
import type { ManifestError } from './types.ts';
import { asObject, asString } from './fields.ts';

export interface Collected {
  catalog: Catalog;
  /** Ingress headers (not yet validated beyond metadata). */
  ingresses: ObjectHeader[];
  /** Each Ingress's memo: the build caches the Ingress's own parse there. */
  memos: Map<ObjectHeader, ObjectMemo>;
  /** Ingress duplicates: reported, shown as rejected. */
  duplicateIngresses: { h: ObjectHeader; reason: string }[];
  /** Each front end's own objects (duplicates dropped), and the objects it observes. */
  frontEnds: Map<FrontEnd, { objects: FrontEndObject[]; observed: ObjectHeader[] }>;
}

/** The front ends of a build, and their kinds as readHeader needs them. */
export interface FrontEnds {
  list: readonly FrontEnd[];
  table: KindTable;
}

/**
 * What validating one object on its own gave: it depends on nothing but the
 * object (and, for a Secret, the time its certificate was checked at), so a
 * build reuses it while the object's document is unchanged.
 */
export interface ObjectMemo {
  /** undefined: skipped (an ignored kind, or a header too broken to name the object). */
  h: ObjectHeader | undefined;
  /** Errors of the header (all errors when `h` is undefined). */
  headerErrors: ManifestError[];
  /** Errors of the kind's own fields (not reported for a duplicate, which is not read further). */
  bodyErrors: ManifestError[];
  parsed?: { kind: 'IngressClass'; controller: string | undefined }
    | { kind: 'Service'; service: ParsedService }
    | { kind: 'Endpoints'; endpoints: ParsedEndpoints | undefined }
    | { kind: 'Node'; node: ParsedNode }
    | { kind: 'Secret'; secret: ParsedSecret; checkedAt: number }
    | { kind: 'FrontEnd'; value: unknown }
    | { kind: 'ConfigMap'; data: Record<string, string> };
  /** An Ingress's own paths, backends and TLS, filled by the build (build-mesh-config.ts). */
  ingress?: unknown;
}

/** A Secret's certificate was checked against the clock: check it again when the clock has moved on by this much. */
const CERTIFICATE_RECHECK_MS = 60_000;

/** `now` (ms since epoch) is the time certificates in TLS Secrets must be valid at. */
export function collectObjects(raws: RawObject[], errors: ManifestError[], now: number = Date.now(), cache?: BuildCache, fe?: FrontEnds): Collected {
  const catalog: Catalog = { services: new Map(), rejectedServices: new Set(), endpoints: new Map(), nodes: [], secrets: new Map(), rejectedSecrets: new Map(), classes: new Map(), configMaps: new Map() };
  const out: Collected = { catalog, ingresses: [], memos: new Map(), duplicateIngresses: [], frontEnds: new Map((fe?.list ?? []).map((f) => [f, { objects: [], observed: [] }])) };
  const seen = new Map<string, RawObject>();
  for (const raw of raws) {
    const memo = memoOf(raw, now, cache, fe);
    if (!memo.h) {
      for (const e of memo.headerErrors) errors.push(e);
      continue;
    }
    // This build's header: errors found from here on (duplicates, references) go to this build's list.
    const observer = fe && memo.h.kind in fe.table.observes ? fe.list.find((f) => f.observes && memo.h!.kind in f.observes) : undefined;
    if (observer) out.frontEnds.get(observer)!.observed.push(memo.h);
    if (memo.parsed?.kind === 'ConfigMap') {
      // Observed (object-meta.ts): never reported, a duplicate included (the first one counts).
      const id = memo.h.namespace ? `${memo.h.namespace}/${memo.h.name}` : memo.h.name;
      if (!catalog.configMaps.has(id)) catalog.configMaps.set(id, memo.parsed.data);
      continue;
    }
    if (observer) continue;
    const h: ObjectHeader = { ...memo.h, report: makeReporter(raw, errors, memo.h.kind, memo.h.namespace, memo.h.name) };
    h.report.replay(memo.headerErrors);
    const id = h.namespace ? `${h.namespace}/${h.name}` : h.name;
    // EndpointSlices of one Service legitimately differ only by name; all kinds key on kind+name.
    const key = `${h.kind}\0${id}`;
    const first = seen.get(key);
    if (first) {
      const reason = `duplicate ${h.kind} ${id}: already defined at ${first.file}${first.line ? `:${first.line}` : ''}; this copy is ignored (rename it or delete one)`;
      makeReporter(raw, errors, h.kind, h.namespace, h.name).error(['metadata', 'name'], reason);
      if (h.kind === 'Ingress') out.duplicateIngresses.push({ h, reason });
      continue;
    }
    seen.set(key, raw);
    h.report.replay(memo.bodyErrors);
    const ok = h.report.count === 0;
    const p = memo.parsed;
    switch (p?.kind) {
      case undefined:
        if (h.kind === 'Ingress') {
          out.ingresses.push(h);
          out.memos.set(h, memo);
        }
        break;
      case 'IngressClass':
        if (ok) catalog.classes.set(h.name, p.controller);
        break;
      case 'Service':
        if (ok) catalog.services.set(id, { ...p.service, h });
        else catalog.rejectedServices.add(id);
        break;
      case 'Endpoints': {
        if (p.endpoints && ok) {
          const k = `${h.namespace}/${p.endpoints.service}`;
          const list = catalog.endpoints.get(k) ?? [];
          list.push({ ...p.endpoints, h });
          catalog.endpoints.set(k, list);
        }
        break;
      }
      case 'Node':
        if (ok) catalog.nodes.push({ ...p.node, h });
        break;
      case 'Secret':
        if (ok) catalog.secrets.set(id, { ...p.secret, h });
        else catalog.rejectedSecrets.set(id, h.report.first ? `${h.report.first.field ? `${h.report.first.field}: ` : ''}${h.report.first.message}` : 'rejected');
        break;
      case 'FrontEnd': {
        const owner = fe!.list.find((f) => h.kind in f.kinds)!;
        out.frontEnds.get(owner)!.objects.push({ h, parsed: p.value, ok });
        break;
      }
    }
  }
  return out;
}

/** The object's own validation: from the cache while its document is unchanged, else done now (and cached). */
function memoOf(raw: RawObject, now: number, cache: BuildCache | undefined, fe: FrontEnds | undefined): ObjectMemo {
  const hit = cache?.objects.get(raw) as ObjectMemo | undefined;
  if (hit && !(hit.parsed?.kind === 'Secret' && Math.abs(now - hit.parsed.checkedAt) > CERTIFICATE_RECHECK_MS)) {
    if (cache) cache.stats.reusedObjects++;
    return hit;
  }
  const memo = validateObject(raw, now, fe);
  if (cache) {
    cache.objects.set(raw, memo);
    cache.stats.validatedObjects++;
  }
  return memo;
}

function validateObject(raw: RawObject, now: number, fe: FrontEnds | undefined): ObjectMemo {
  const headerErrors: ManifestError[] = [];
  const h = readHeader(raw, headerErrors, fe?.table);
  if (!h) return { h: undefined, headerErrors, bodyErrors: [] };
  // The body's errors go to their own list (a duplicate reports only its header's).
  const bodyErrors: ManifestError[] = [];
  const own: ObjectHeader = { ...h, report: makeReporter(raw, bodyErrors, h.kind, h.namespace, h.name) };
  const memo: ObjectMemo = { h, headerErrors, bodyErrors };
  switch (h.kind) {
    case 'IngressClass': {
      const spec = asObject(raw.data.spec, ['spec'], own.report);
      const controller = asString(spec?.controller, ['spec', 'controller'], own.report);
      if (controller === undefined) own.report.error(['spec', 'controller'], 'required: the controller name, e.g. meshgate.dev/ingress-controller');
      memo.parsed = { kind: 'IngressClass', controller };
      break;
    }
    case 'Service':
      memo.parsed = { kind: 'Service', service: parseService(own) };
      break;
    case 'Endpoints':
    case 'EndpointSlice':
      memo.parsed = { kind: 'Endpoints', endpoints: h.kind === 'Endpoints' ? parseEndpoints(own) : parseEndpointSlice(own) };
      break;
    case 'Node': {
      const node = parseNode(own);
      if (headerErrors.length === 0 && own.report.count === 0 && !node.internalIP) own.report.error(['status', 'addresses'], 'has no InternalIP address: add {type: InternalIP, address: <ip>} to status.addresses so NodePort Services can use this node');
      memo.parsed = { kind: 'Node', node };
      break;
    }
    case 'Secret':
      memo.parsed = { kind: 'Secret', secret: parseSecret(own, now), checkedAt: now };
      break;
    case 'ConfigMap': {
      // Its data is its owner's business: only string entries are kept, nothing is reported.
      const data: Record<string, string> = {};
      const d = raw.data.data;
      if (d !== null && typeof d === 'object' && !Array.isArray(d)) for (const [k, v] of Object.entries(d)) if (typeof v === 'string') data[k] = v;
      memo.parsed = { kind: 'ConfigMap', data };
      break;
    }
    default: {
      const owner = fe?.list.find((f) => h.kind in f.kinds);
      if (owner) memo.parsed = { kind: 'FrontEnd', value: owner.validate(own) };
    }
  }
  return memo;
}
