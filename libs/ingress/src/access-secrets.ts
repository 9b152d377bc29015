// The Secrets the access policies of a build name, read into what the data
// plane needs: basic-authentication users (htpasswd hashes it can check) and
// client-certificate CA bundles, per host. Problems are reported against the
// Ingress, naming the Secret and the user, never a hash or a key.
import { X509Certificate } from 'node:crypto';
import type { ParsedSecret } from './parse-secret.ts';
import type { AuthUsers, BasicAuthPolicy, ClientAuthConfig, ClientCertPolicy } from './types.ts';

/** The hash formats the data plane verifies: bcrypt, SHA-1 ({SHA}) and Apache MD5 ($apr1$). */
const HASHES: readonly RegExp[] = [
  /^\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}$/,
  /^\{SHA\}[A-Za-z0-9+/]{27}=$/,
  /^\$apr1\$[./0-9A-Za-z]{0,8}\$[./0-9A-Za-z]{22}$/,
];

export const supportedHash = (h: string): boolean => HASHES.some((re) => re.test(h));

/** `user:hash` lines of an htpasswd file (blank lines and # comments skipped; nginx's optional `:comment` dropped). */
export function htpasswdLines(text: string): [string, string][] {
  const out: [string, string][] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const i = line.indexOf(':');
    if (i < 0) { out.push([line, '']); continue; }
    const rest = line.slice(i + 1);
    const j = rest.indexOf(':');
    out.push([line.slice(0, i), j < 0 ? rest : rest.slice(0, j)]);
  }
  return out;
}

type Note = (message: string) => void;

export interface SecretLookup {
  secrets: ReadonlyMap<string, ParsedSecret>;
  rejectedSecrets: ReadonlyMap<string, string>;
}

/** Collects what one build's policies need; `result()` goes into the MeshConfig. */
export class AccessSecrets {
  readonly #catalog: SecretLookup;
  readonly #users = new Map<string, AuthUsers>();
  readonly #reported = new Map<string, string[]>();
  readonly #clientAuth: ClientAuthConfig[] = [];
  /** host -> the Ingress whose client-certificate setting it has. */
  readonly #hostOwner = new Map<string, string>();

  constructor(catalog: SecretLookup) {
    this.#catalog = catalog;
  }

  /** The Secret, or why not (missing, rejected, another namespace). */
  #secret(ns: string, id: string, what: string): ParsedSecret | string {
    if (!id.startsWith(`${ns}/`)) return `${what} Secret ${id} is in another namespace: an Ingress reads Secrets of its own namespace (${ns})`;
    const s = this.#catalog.secrets.get(id);
    if (s) return s;
    const rejected = this.#catalog.rejectedSecrets.get(id);
    return rejected !== undefined ? `${what} Secret ${id} is invalid (${rejected})` : `${what} Secret ${id} not found`;
  }

  /** Basic authentication of an Ingress in `ns`: its users, or a problem (its requests then get 503). */
  basicAuth(ns: string, p: BasicAuthPolicy, note: Note): void {
    const seen = this.#reported.get(p.users);
    if (seen) { for (const m of seen) note(m); return; }
    const problems: string[] = [];
    this.#reported.set(p.users, problems);
    const problem = (m: string) => { problems.push(m); note(m); };
    const s = this.#secret(ns, p.secret, 'basic-authentication');
    if (typeof s === 'string') return problem(`${s}: requests get 503 until it is there`);
    let lines: [string, string][];
    if (p.secretType === 'auth-file') {
      const file = s.values.auth;
      if (file === undefined) return problem(`basic-authentication Secret ${p.secret} has no key "auth" (auth-secret-type auth-file: an htpasswd file, e.g. kubectl create secret generic ${p.secret.split('/')[1]} --from-file=auth): requests get 503`);
      lines = htpasswdLines(file);
    } else {
      lines = Object.keys(s.values).sort().map((u) => [u, s.values[u]!.trim()]);
    }
    const users: [string, string][] = [];
    for (const [user, hash] of lines) {
      if (supportedHash(hash)) users.push([user, hash]);
      else problem(`basic-authentication Secret ${p.secret}: user ${JSON.stringify(user)} has ${hash === '' ? 'no password hash' : 'a password hash meshgate cannot check'} (write bcrypt: htpasswd -B, {SHA}: htpasswd -s, or $apr1$: htpasswd -m); this user cannot log in`);
    }
    this.#users.set(p.users, { id: p.users, users });
  }

  /**
   * Client certificates for the hosts of Ingress `ingress` (in `ns`): per
   * host, the oldest Ingress's setting wins (the build goes oldest first), as
   * in ingress-nginx; a host already taken is a warning.
   */
  clientCert(ns: string, ingress: string, hosts: readonly string[], p: ClientCertPolicy, note: Note, warn: Note): void {
    const mine: string[] = [];
    for (const host of new Set(hosts)) {
      const owner = this.#hostOwner.get(host);
      if (owner === undefined) { this.#hostOwner.set(host, ingress); mine.push(host); }
      else if (owner !== ingress) warn(`host ${host} already asks for client certificates as Ingress ${owner} says (the oldest wins); this Ingress's auth-tls settings do not apply to it`);
    }
    if (mine.length === 0) return;
    const entry: ClientAuthConfig = { hosts: mine, ingress, verify: p.verify, depth: p.depth, passCertificate: p.passCertificate };
    if (p.errorPage !== undefined) entry.errorPage = p.errorPage;
    if (p.matchCn !== undefined) entry.matchCn = p.matchCn;
    const ca = this.#ca(ns, p.secret);
    if (typeof ca === 'string') note(`${ca}: requests to ${mine.join(', ')} get 403 until it is there`);
    else entry.ca = ca.pem;
    this.#clientAuth.push(entry);
  }

  #ca(ns: string, id: string): { pem: string } | string {
    const s = this.#secret(ns, id, 'client-certificate CA');
    if (typeof s === 'string') return s;
    const pem = s.values['ca.crt'];
    if (pem === undefined) return `client-certificate CA Secret ${id} has no key "ca.crt" (the PEM bundle of the CAs that sign client certificates)`;
    const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
    if (blocks.length === 0) return `client-certificate CA Secret ${id}: "ca.crt" holds no PEM certificate`;
    for (const [i, b] of blocks.entries()) {
      try { new X509Certificate(b); } catch { return `client-certificate CA Secret ${id}: certificate ${i + 1} of "ca.crt" does not parse`; }
    }
    return { pem: blocks.join('\n') + '\n' };
  }

  result(): { authUsers?: AuthUsers[]; clientAuth?: ClientAuthConfig[] } {
    const out: { authUsers?: AuthUsers[]; clientAuth?: ClientAuthConfig[] } = {};
    if (this.#users.size > 0) out.authUsers = [...this.#users.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    if (this.#clientAuth.length > 0) out.clientAuth = this.#clientAuth;
    return out;
  }
}
