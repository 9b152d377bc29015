// backendRefs (and RequestMirror's) resolved to the model's backends: a
// Service port in the route's namespace, or in another one a ReferenceGrant
// opens. An invalid reference keeps its weight and says why, so the data
// plane answers 500 for its share.
import type { Catalog, FrontEndInput, ObjectHeader } from '@meshgate/ingress';
import { referenceAllowed, type Grants } from './references.ts';
import { fail, type Outcome } from './status.ts';
import { GROUP, type ObjectRef } from './types.ts';

export interface ResolvedRef {
  /** BackendConfig id, or '' when the reference is invalid. */
  backend: string;
  /** ResolvedRefs=False reason and message, when invalid. */
  problem?: Outcome;
  /** 'namespace/service' of a valid Service reference. */
  service?: string;
}

export interface BackendContext {
  catalog: Catalog;
  grants: Grants;
  backend: FrontEndInput['backend'];
}

export function resolveRef(ref: ObjectRef & { port?: number }, route: ObjectHeader, ctx: BackendContext): ResolvedRef {
  const ns = ref.namespace ?? (route.namespace as string);
  const id = `${ns}/${ref.name}`;
  if (ref.group !== '' || ref.kind !== 'Service') {
    return { backend: '', problem: fail('InvalidKind', `backendRef ${ref.group ? `${ref.group}/` : ''}${ref.kind} ${ref.name} is not supported: meshgate sends to Services (group "", kind Service)`) };
  }
  if (!referenceAllowed(ctx.grants, { group: GROUP, kind: route.kind, namespace: route.namespace as string }, { group: '', kind: 'Service', namespace: ns, name: ref.name })) {
    return { backend: '', problem: fail('RefNotPermitted', `Service ${id} is in another namespace and no ReferenceGrant there allows ${route.kind}s of namespace ${route.namespace} to use it`) };
  }
  const svc = ctx.catalog.services.get(id);
  if (!svc) {
    return { backend: '', problem: fail('BackendNotFound', ctx.catalog.rejectedServices.has(id) ? `Service ${id} is invalid (see its errors)` : `Service ${id} not found`) };
  }
  const port = ref.port!;
  if (svc.type !== 'ExternalName' && !svc.ports.some((p) => p.port === port)) {
    return { backend: '', problem: fail('BackendNotFound', `Service ${id} has no port ${port}: its ports are ${svc.ports.map((p) => p.port).join(', ') || 'none'}`) };
  }
  return { backend: ctx.backend(ns, ref.name, port).cfg.id, service: id };
}
