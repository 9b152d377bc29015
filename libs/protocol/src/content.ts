import type { MeshConfig } from '@meshgate/ingress';

/**
 * What a snapshot carries: exactly what a data plane needs to route, and no
 * more (ingress statuses and manifest errors stay with the config service,
 * which answers `meshgate get` from them).
 */
export type SnapshotContent = Pick<MeshConfig, 'rules' | 'defaultBackend' | 'backends' | 'tls' | 'authUsers' | 'clientAuth'>;

export function snapshotContentOf(cfg: MeshConfig): SnapshotContent {
  const content: SnapshotContent = { rules: cfg.rules, backends: cfg.backends, tls: cfg.tls };
  if (cfg.defaultBackend) content.defaultBackend = cfg.defaultBackend;
  return withAccess(content, cfg);
}

/**
 * `content` with `from`'s access material (basic-authentication users,
 * client-certificate hosts), which travels like the certificates: a change
 * to it is a full snapshot, never a delta.
 */
export function withAccess(content: SnapshotContent, from: Pick<SnapshotContent, 'authUsers' | 'clientAuth'>): SnapshotContent {
  if (from.authUsers) content.authUsers = from.authUsers;
  if (from.clientAuth) content.clientAuth = from.clientAuth;
  return content;
}
