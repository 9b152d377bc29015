import type { MeshConfig } from '@meshgate/ingress';

/**
 * Per Ingress, the first snapshot version that holds it as it is now (its
 * rules, default backend and status), so `describe` can tell which nodes
 * serve it: those on that version or later. Versions seen before this
 * config service started count from the first one it saw.
 */
export class IngressVersions {
  readonly #since = new Map<string, { key: string; version: number }>();

  /** `version` is the latest snapshot, built from `mesh`. */
  observe(version: number, mesh: MeshConfig): void {
    if (version === 0) return;
    const rules = new Map<string, unknown[]>();
    for (const r of mesh.rules) {
      let list = rules.get(r.ingress);
      if (!list) rules.set(r.ingress, (list = []));
      list.push([r.host, r.path, r.pathType, r.backend, r.policy]);
    }
    const present = new Set<string>();
    for (const i of mesh.ingresses) {
      if (present.has(i.id)) continue;
      present.add(i.id);
      const def = mesh.defaultBackend?.ingress === i.id ? mesh.defaultBackend : undefined;
      const key = JSON.stringify([i.state, rules.get(i.id) ?? [], def ?? null]);
      const was = this.#since.get(i.id);
      if (was?.key !== key) this.#since.set(i.id, { key, version });
    }
    for (const id of this.#since.keys()) if (!present.has(id)) this.#since.delete(id);
  }

  since(id: string): number {
    return this.#since.get(id)?.version ?? 0;
  }
}
