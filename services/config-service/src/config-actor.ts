import type { Behavior } from '@meshgate/actors';
import { buildMeshConfig, formatManifestError, loadManifestDir, type MeshConfig } from '@meshgate/ingress';
import { encodeSnapshot, snapshotContentOf, type SnapshotMessage, type Subjects } from '@meshgate/protocol';
import type { Transport } from '@meshgate/actors';
import type { Logger } from '@meshgate/telemetry';

export type ConfigMsg =
  | { type: 'config.v1.reload'; reason: string }
  | { type: 'config.v1.latest' }
  | { type: 'config.v1.status' };

export interface ConfigStatus {
  version: number;
  hash: string;
  manifests: string;
  ingresses: MeshConfig['ingresses'];
  errors: string[];
  backends: { id: string; endpoints: string[] }[];
}

export interface ConfigActorDeps {
  manifestsDir: string;
  ingressClass: string;
  transport: Transport;
  subjects: Subjects;
  log: Logger;
}

/**
 * The config actor: reads the manifests, builds the mesh config, and
 * publishes a new snapshot only when the routing content changed (equal hash:
 * dropped, like Traefik's configuration watcher). A manifest error rejects
 * that object only; an unreadable directory keeps the last good snapshot.
 */
export function configActor(deps: ConfigActorDeps): Behavior<ConfigMsg> {
  const { log } = deps;
  let latest: SnapshotMessage | undefined;
  let mesh: MeshConfig | undefined;
  let lastErrors = '';

  const reload = (reason: string) => {
    let cfg: MeshConfig;
    try {
      cfg = buildMeshConfig(loadManifestDir(deps.manifestsDir), { ingressClass: deps.ingressClass });
    } catch (err) {
      log.error('cannot read manifests; the last good snapshot stays live', { dir: deps.manifestsDir, error: (err as Error).message, version: latest?.version ?? 0 });
      return;
    }
    mesh = cfg;
    const errors = cfg.errors.map(formatManifestError);
    const errorsKey = errors.join('\n');
    if (errorsKey !== lastErrors) {
      for (const e of errors) log.warn('manifest rejected', { error: e });
      lastErrors = errorsKey;
    }
    // Versions keep increasing across restarts: never below the wall clock in ms.
    const version = Math.max((latest?.version ?? 0) + 1, Date.now());
    const snap = encodeSnapshot(snapshotContentOf(cfg), version);
    if (latest && snap.hash === latest.hash) return;
    latest = snap;
    deps.transport.publish(deps.subjects.snapshot, snap);
    log.info('snapshot published', {
      version, hash: snap.hash.slice(0, 12), bytes: snap.body.length, reason,
      rules: cfg.rules.length, backends: cfg.backends.length, certificates: cfg.tls.length, rejected: cfg.errors.length,
    });
  };

  return {
    start() { reload('start'); },
    receive(msg) {
      switch (msg.type) {
        case 'config.v1.reload': return reload(msg.reason);
        case 'config.v1.latest': return latest ?? { type: 'none' };
        case 'config.v1.status': {
          const status: ConfigStatus = {
            version: latest?.version ?? 0, hash: latest?.hash ?? '', manifests: deps.manifestsDir,
            ingresses: mesh?.ingresses ?? [], errors: mesh?.errors.map(formatManifestError) ?? [],
            backends: mesh?.backends.map((b) => ({ id: b.id, endpoints: b.endpoints.map((e) => e.id) })) ?? [],
          };
          return status;
        }
      }
    },
  };
}
