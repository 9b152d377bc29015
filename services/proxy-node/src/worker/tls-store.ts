import tls from 'node:tls';
import type { SnapshotContent } from '@meshgate/protocol';
import { tlsProfileOptions, type ProfileOptions } from './tls-profile.ts';
import type { ClientAuthHosts, ClientAuthProfile } from './filters/access-index.ts';
import { askForCertificate } from './filters/client-cert.ts';

/**
 * Secure contexts of the certificates the newest store in this thread uses,
 * by PEMs and ticket keys: a snapshot that keeps its certificates (most do:
 * a route or endpoint change) builds no context again. `createSecureContext`
 * parses the key and certificate chain, about 0.5 ms per certificate, for
 * every certificate on every change otherwise. Module state, so one cache per
 * worker thread.
 */
let cachedContexts = new Map<string, tls.SecureContext>();

function contextFor(c: SnapshotContent['tls'][number], ticketKeys: Buffer | undefined, profile: ProfileOptions, used: Map<string, tls.SecureContext>, ca?: string): tls.SecureContext {
  const id = `${c.cert}\0${c.key}\0${ticketKeys ? ticketKeys.toString('base64') : ''}\0${profile.ciphers}${ca !== undefined ? `\0${ca}` : ''}`;
  let ctx = used.get(id) ?? cachedContexts.get(id);
  if (!ctx) {
    ctx = tls.createSecureContext({ cert: c.cert, key: c.key, ...profile, ...(ca !== undefined ? { ca } : {}) });
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
  /** Hosts that ask for client certificates, and their contexts (with the profile's CAs) by the host's own context. */
  readonly #clientAuth: ClientAuthHosts | undefined;
  readonly #withCa = new Map<ClientAuthProfile, Map<tls.SecureContext, tls.SecureContext>>();

  constructor(certs: SnapshotContent['tls'], ticketKeys?: Buffer, profile: ProfileOptions = tlsProfileOptions(), clientAuth?: ClientAuthHosts) {
    let fallback: [tls.SecureContext, SnapshotContent['tls'][number]] | undefined;
    let noHosts: typeof fallback;
    const used = new Map<string, tls.SecureContext>();
    const pems = new Map<tls.SecureContext, SnapshotContent['tls'][number]>();
    for (const c of certs) {
      const ctx = contextFor(c, ticketKeys, profile, used);
      pems.set(ctx, c);
      fallback ??= [ctx, c];
      if (c.hosts.length === 0) noHosts ??= [ctx, c];
      for (const h of c.hosts) {
        const host = h.toLowerCase();
        if (host.startsWith('*.')) { if (!this.#wildcard.has(host.slice(2))) this.#wildcard.set(host.slice(2), ctx); }
        else if (!this.#exact.has(host)) this.#exact.set(host, ctx);
      }
    }
    const def = noHosts ?? fallback;
    this.defaultContext = def?.[0];
    this.#clientAuth = clientAuth;
    for (const p of clientAuth?.profiles ?? []) {
      if (p.verify === 'off' || p.ca === undefined) continue;
      const byBase = new Map<tls.SecureContext, tls.SecureContext>();
      for (const h of p.hosts) {
        const base = this.find(h.startsWith('*.') ? `x${h.slice(1)}` : h);
        const pem = base && pems.get(base);
        if (base && pem && !byBase.has(base)) byBase.set(base, contextFor(pem, ticketKeys, profile, used, p.ca));
      }
      this.#withCa.set(p, byBase);
    }
    // Certificates no longer served are dropped with the old store.
    cachedContexts = used;
    this.defaultPem = def ? { cert: def[1].cert, key: def[1].key } : undefined;
  }

  get empty(): boolean { return this.defaultContext === undefined; }

  /**
   * The SNI callback's answer: the context for `serverName`, with the CAs of
   * its client-certificate profile when it has one; `socket` is told to ask
   * for a certificate then (filters/client-cert.ts).
   */
  sni(serverName: string, socket: tls.TLSSocket | undefined): tls.SecureContext | undefined {
    const base = this.find(serverName);
    if (this.#clientAuth === undefined || socket === undefined) return base;
    const p = this.#clientAuth.find(serverName);
    askForCertificate(socket, p);
    return (p && base && this.#withCa.get(p)?.get(base)) ?? base;
  }

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
