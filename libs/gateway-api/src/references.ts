// ReferenceGrant: a cross-namespace reference is allowed only when a grant
// in the target's namespace names the referring kind and namespace.
import type { ParsedReferenceGrant } from './types.ts';

export interface Grants {
  /** Valid grants by namespace. */
  byNamespace: Map<string, ParsedReferenceGrant[]>;
}

export function referenceAllowed(g: Grants, from: { group: string; kind: string; namespace: string }, to: { group: string; kind: string; namespace: string; name: string }): boolean {
  if (from.namespace === to.namespace) return true;
  for (const grant of g.byNamespace.get(to.namespace) ?? []) {
    const fromOk = grant.from.some((f) => f.group === from.group && f.kind === from.kind && f.namespace === from.namespace);
    const toOk = grant.to.some((t) => t.group === to.group && t.kind === to.kind && (t.name === undefined || t.name === to.name));
    if (fromOk && toOk) return true;
  }
  return false;
}
