// Reads every object's header, drops duplicates and files each valid
// non-Ingress object into the Catalog the Ingresses are resolved against.
import { makeReporter, readHeader } from './object-meta.ts';
import type { ObjectHeader } from './object-meta.ts';
import type { RawObject } from './parse-documents.ts';
import { parseEndpoints, parseEndpointSlice, parseNode } from './parse-endpoints.ts';
import { parseSecret } from './parse-secret.ts';
import { parseService } from './parse-service.ts';
import type { Catalog } from './resolve-backend.ts';
import type { ManifestError } from './types.ts';
import { asObject, asString } from './fields.ts';

export interface Collected {
  catalog: Catalog;
  /** Ingress headers (not yet validated beyond metadata). */
  ingresses: ObjectHeader[];
  /** Ingress duplicates: reported, shown as rejected. */
  duplicateIngresses: { h: ObjectHeader; reason: string }[];
}

/** `now` (ms since epoch) is the time certificates in TLS Secrets must be valid at. */
export function collectObjects(raws: RawObject[], errors: ManifestError[], now: number = Date.now()): Collected {
  const catalog: Catalog = { services: new Map(), rejectedServices: new Set(), endpoints: new Map(), nodes: [], secrets: new Map(), rejectedSecrets: new Map(), classes: new Map() };
  const out: Collected = { catalog, ingresses: [], duplicateIngresses: [] };
  const seen = new Map<string, RawObject>();
  for (const raw of raws) {
    const h = readHeader(raw, errors);
    if (!h) continue;
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
    switch (h.kind) {
      case 'Ingress':
        out.ingresses.push(h);
        break;
      case 'IngressClass': {
        const spec = asObject(raw.data.spec, ['spec'], h.report);
        const controller = asString(spec?.controller, ['spec', 'controller'], h.report);
        if (controller === undefined) h.report.error(['spec', 'controller'], 'required: the controller name, e.g. meshgate.dev/ingress-controller');
        if (h.report.count === 0) catalog.classes.set(h.name, controller);
        break;
      }
      case 'Service': {
        const s = parseService(h);
        if (h.report.count === 0) catalog.services.set(id, s);
        else catalog.rejectedServices.add(id);
        break;
      }
      case 'Endpoints':
      case 'EndpointSlice': {
        const e = h.kind === 'Endpoints' ? parseEndpoints(h) : parseEndpointSlice(h);
        if (e && h.report.count === 0) {
          const k = `${h.namespace}/${e.service}`;
          const list = catalog.endpoints.get(k) ?? [];
          list.push(e);
          catalog.endpoints.set(k, list);
        }
        break;
      }
      case 'Node': {
        const n = parseNode(h);
        if (h.report.count > 0) break;
        if (!n.internalIP) h.report.error(['status', 'addresses'], 'has no InternalIP address: add {type: InternalIP, address: <ip>} to status.addresses so NodePort Services can use this node');
        else catalog.nodes.push(n);
        break;
      }
      case 'Secret': {
        const s = parseSecret(h, now);
        if (h.report.count === 0) catalog.secrets.set(id, s);
        else catalog.rejectedSecrets.set(id, h.report.first ? `${h.report.first.field ? `${h.report.first.field}: ` : ''}${h.report.first.message}` : 'rejected');
        break;
      }
    }
  }
  return out;
}
