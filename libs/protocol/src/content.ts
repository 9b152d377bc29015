import type { MeshConfig } from '@meshgate/ingress';

/**
 * What a snapshot carries: exactly what a data plane needs to route, and no
 * more (ingress statuses and manifest errors stay with the config service,
 * which answers `meshgate get` from them).
 */
export type SnapshotContent = Pick<MeshConfig, 'rules' | 'defaultBackend' | 'backends' | 'tls'>;

export function snapshotContentOf(cfg: MeshConfig): SnapshotContent {
  const content: SnapshotContent = { rules: cfg.rules, backends: cfg.backends, tls: cfg.tls };
  if (cfg.defaultBackend) content.defaultBackend = cfg.defaultBackend;
  return content;
}
