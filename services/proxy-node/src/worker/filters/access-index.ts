/**
 * The snapshot's access material, compiled once per snapshot for the
 * filters and the TLS store: basic-authentication users by Secret, and the
 * client-certificate profile of each host (one object per Ingress setting,
 * shared by the SNI context and the filter, so a connection's profile can be
 * compared with the Host's by identity).
 */
import { X509Certificate } from 'node:crypto';
import type { SnapshotContent } from '@meshgate/protocol';

type ClientAuthConfig = NonNullable<SnapshotContent['clientAuth']>[number];

export interface ClientAuthProfile extends ClientAuthConfig {
  /** The CA bundle, parsed (empty when the Secret is missing: every request gets 403). */
  readonly caCerts: readonly X509Certificate[];
  readonly matchRe: RegExp | undefined;
}

/** Client-certificate profiles by host: exact names, then `*.` wildcards of one label. */
export class ClientAuthHosts {
  readonly #exact = new Map<string, ClientAuthProfile>();
  readonly #wildcard = new Map<string, ClientAuthProfile>();
  readonly profiles: readonly ClientAuthProfile[];

  constructor(configs: readonly ClientAuthConfig[]) {
    const profiles: ClientAuthProfile[] = [];
    for (const c of configs) {
      const caCerts = c.ca ? (c.ca.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? []).map((b) => new X509Certificate(b)) : [];
      const p: ClientAuthProfile = { ...c, caCerts, matchRe: c.matchCn !== undefined ? new RegExp(c.matchCn) : undefined };
      profiles.push(p);
      for (const h of c.hosts) {
        if (h.startsWith('*.')) { if (!this.#wildcard.has(h.slice(2))) this.#wildcard.set(h.slice(2), p); }
        else if (!this.#exact.has(h)) this.#exact.set(h, p);
      }
    }
    this.profiles = profiles;
  }

  /** The profile of a server name or Host header (a port and letter case do not count). */
  find(host: string): ClientAuthProfile | undefined {
    let name = host;
    const colon = name.lastIndexOf(':');
    if (colon >= 0 && name.indexOf(']') < colon) name = name.slice(0, colon);
    const exact = this.#exact.get(name) ?? this.#exact.get(name = name.toLowerCase());
    if (exact !== undefined) return exact;
    const dot = name.indexOf('.');
    return dot > 0 ? this.#wildcard.get(name.slice(dot + 1)) : undefined;
  }
}

export class AccessIndex {
  /** AuthUsers id -> user -> hash (the first line of a user wins, as in nginx). */
  readonly users: ReadonlyMap<string, ReadonlyMap<string, string>>;
  readonly clientAuth: ClientAuthHosts | undefined;

  constructor(content: Pick<SnapshotContent, 'authUsers' | 'clientAuth'>) {
    const users = new Map<string, Map<string, string>>();
    for (const u of content.authUsers ?? []) {
      const m = new Map<string, string>();
      for (const [user, hash] of u.users) if (!m.has(user)) m.set(user, hash);
      users.set(u.id, m);
    }
    this.users = users;
    this.clientAuth = content.clientAuth?.length ? new ClientAuthHosts(content.clientAuth) : undefined;
  }

  /** An index of the content, or undefined when it has no access material (the common case). */
  static of(content: Pick<SnapshotContent, 'authUsers' | 'clientAuth'>): AccessIndex | undefined {
    return content.authUsers?.length || content.clientAuth?.length ? new AccessIndex(content) : undefined;
  }
}
