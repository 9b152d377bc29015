import tls from 'node:tls';
import type { SnapshotContent } from '@meshgate/protocol';
import { tlsProfileOptions, type ProfileOptions } from './tls-profile.ts';

/**
 * Secure contexts of the certificates the newest store in this thread uses,
 * by PEMs and ticket keys: a snapshot that keeps its certificates (most do:
 * a route or endpoint change) builds no context again. `createSecureContext`
 * parses the key and certificate chain, about 0.5 ms per certificate, for
 * every certificate on every change otherwise. Module state, so one cache per
 * worker thread.
 */
let cachedContexts = new Map<string, tls.SecureContext>();

function contextFor(c: SnapshotContent['tls'][number], ticketKeys: Buffer | undefined, profile: ProfileOptions, used: Map<string, tls.SecureContext>): tls.SecureContext {
  const id = `${c.cert}\0${c.key}\0${ticketKeys ? ticketKeys.toString('base64') : ''}\0${profile.ciphers}`;
  let ctx = used.get(id) ?? cachedContexts.get(id);
  if (!ctx) {
    ctx = tls.createSecureContext({ cert: c.cert, key: c.key, ...profile });
    if (ticketKeys) (ctx as tls.SecureContext & { context: { setTicketKeys(k: Buffer): void } }).context.setTicketKeys(ticketKeys);
  }
  used.set(id, ctx);
  return ctx;
}

/**
 * Certificates by server name for SNI. Exact names first, then `*.` wildcards
 * of one label; no match (or no SNI) gets the default certificate: the first
 * one with no hosts, else the first one.
 */
export class TlsStore {
  readonly #exact = new Map<string, tls.SecureContext>();
  readonly #wildcard = new Map<string, tls.SecureContext>();
  readonly defaultContext: tls.SecureContext | undefined;
  /** The default certificate's PEMs: the server's own context, used when a client sends no SNI. */
  readonly defaultPem: { cert: string; key: string } | undefined;

  /**
   * `ticketKeys`: shared by every worker of the node, so a session ticket from one resumes on another.
   * `profile`: the TLS versions and ciphers of every context (tls-profile.ts; default intermediate).
   */
  constructor(certs: SnapshotContent['tls'], ticketKeys?: Buffer, profile: ProfileOptions = tlsProfileOptions()) {
    let fallback: [tls.SecureContext, SnapshotContent['tls'][number]] | undefined;
    let noHosts: typeof fallback;
    const used = new Map<string, tls.SecureContext>();
    for (const c of certs) {
      const ctx = contextFor(c, ticketKeys, profile, used);
      fallback ??= [ctx, c];
      if (c.hosts.length === 0) noHosts ??= [ctx, c];
      for (const h of c.hosts) {
        const host = h.toLowerCase();
        if (host.startsWith('*.')) { if (!this.#wildcard.has(host.slice(2))) this.#wildcard.set(host.slice(2), ctx); }
        else if (!this.#exact.has(host)) this.#exact.set(host, ctx);
      }
    }
    // Certificates no longer served are dropped with the old store.
    cachedContexts = used;
    const def = noHosts ?? fallback;
    this.defaultContext = def?.[0];
    this.defaultPem = def ? { cert: def[1].cert, key: def[1].key } : undefined;
  }

  get empty(): boolean { return this.defaultContext === undefined; }

  find(serverName: string | undefined): tls.SecureContext | undefined {
    if (!serverName) return this.defaultContext;
    const name = serverName.toLowerCase();
    const exact = this.#exact.get(name);
    if (exact) return exact;
    const dot = name.indexOf('.');
    if (dot > 0) {
      const wild = this.#wildcard.get(name.slice(dot + 1));
      if (wild) return wild;
    }
    return this.defaultContext;
  }
}
