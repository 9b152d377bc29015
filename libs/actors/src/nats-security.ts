// How a meshgate process proves who it is to NATS and protects the link:
// the four authentication methods nats-server knows (user/password, token,
// nkey, JWT creds) and TLS (server verification with a CA, client
// certificates for mutual TLS). Files are read and checked here, before any
// connection, so a bad file is one clear error naming the option instead of
// a reconnect loop (nats.js would only find out at the handshake).
import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import {
  credsAuthenticator, nkeyAuthenticator, nkeys,
  type Authenticator, type ConnectionOptions,
} from '@nats-io/transport-node';

/** What the user gave; every field optional (no auth, no TLS: plain NATS). */
export interface NatsSecurityFiles {
  user?: string;
  pass?: string;
  token?: string;
  /** File holding an nkey user seed (SU...), as `nk -gen user` or `nsc` writes it. */
  nkeyFile?: string;
  /** A .creds file: user JWT plus its nkey seed (`nsc generate creds`). */
  credsFile?: string;
  /** PEM CA bundle that signed the server's certificate. */
  tlsCaFile?: string;
  /** PEM client certificate (mutual TLS) and its key. */
  tlsCertFile?: string;
  tlsKeyFile?: string;
}

/** Checked, ready to connect with; holds secrets: never log it. */
export interface NatsSecurity {
  user?: string;
  pass?: string;
  token?: string;
  nkeySeed?: Uint8Array;
  creds?: Uint8Array;
  tls?: { ca?: string; cert?: string; key?: string };
  /** For logs: which method and whether TLS, no secret. */
  readonly describe: string;
}

/** A bad security option; `option` is its name without dashes' prefix ('nkey', 'tls-cert', ...). */
export class NatsSecurityError extends Error {
  readonly code = 'MESHGATE_NATS_SECURITY';
  readonly option: string;
  constructor(option: string, message: string) {
    super(message);
    this.name = 'NatsSecurityError';
    this.option = option;
  }
}

function readFile(option: string, file: string, what: string): string {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new NatsSecurityError(option, `cannot read ${file} (${code}): give the path of ${what}`);
  }
  if (text.trim() === '') throw new NatsSecurityError(option, `${file} is empty: expected ${what}`);
  return text;
}

/** The seed's key pair; the seed must be a user seed (SU...). */
function userKeyPair(option: string, file: string, seed: string): ReturnType<typeof nkeys.fromSeed> {
  let kp;
  try {
    kp = nkeys.fromSeed(new TextEncoder().encode(seed));
  } catch (err) {
    throw new NatsSecurityError(option, `${file} does not hold a valid nkey seed (${(err as Error).message}): expected one line starting with SU (nk -gen user, or nsc)`);
  }
  const pub = kp.getPublicKey();
  if (!pub.startsWith('U')) throw new NatsSecurityError(option, `${file} holds a${pub.startsWith('A') ? 'n account' : pub.startsWith('O') ? 'n operator' : ' non-user'} seed: NATS clients log in with a user seed (SU...)`);
  return kp;
}

export function readNkeySeed(file: string, option = 'nkey'): Uint8Array {
  const text = readFile(option, file, 'an nkey user seed file');
  // nsc and nk files may hold comments or the public key too: take the seed line.
  const seed = text.split(/\r?\n/).map((l) => l.trim()).find((l) => /^S[A-Z]/.test(l));
  if (!seed) throw new NatsSecurityError(option, `${file} holds no nkey seed: expected a line starting with SU (a seed), not a public key (U...)`);
  userKeyPair(option, file, seed);
  return new TextEncoder().encode(seed);
}

const CREDS_BLOCK = /-{3,}[^\n]*-{3,}\r?\n([\s\S]+?)\r?\n\s*-{3,}[^\n]*-{3,}/g;

export function readCreds(file: string, option = 'creds', now = Date.now()): Uint8Array {
  const text = readFile(option, file, 'a NATS .creds file (user JWT and nkey seed)');
  const blocks = [...text.matchAll(CREDS_BLOCK)].map((m) => m[1]!.trim());
  if (blocks.length < 2) throw new NatsSecurityError(option, `${file} is not a NATS .creds file: expected a "BEGIN NATS USER JWT" block and a "BEGIN USER NKEY SEED" block (nsc generate creds)`);
  const [jwt, seed] = blocks as [string, string];
  const parts = jwt.split('.');
  let claims: { exp?: number; nats?: { type?: string } };
  try {
    if (parts.length !== 3) throw new Error(`${parts.length} parts`);
    claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8'));
  } catch (err) {
    throw new NatsSecurityError(option, `${file}: the JWT block is not a JWT (${(err as Error).message})`);
  }
  if (claims.nats?.type !== undefined && claims.nats.type !== 'user') throw new NatsSecurityError(option, `${file}: the JWT is an ${claims.nats.type} JWT: a client needs a user JWT`);
  if (typeof claims.exp === 'number' && claims.exp * 1000 < now) {
    throw new NatsSecurityError(option, `${file}: the user JWT expired on ${new Date(claims.exp * 1000).toISOString()}: issue new credentials (nsc generate creds)`);
  }
  userKeyPair(option, file, seed);
  return new TextEncoder().encode(text);
}

function readCertificates(option: string, file: string): { text: string; certs: X509Certificate[] } {
  const text = readFile(option, file, 'a PEM certificate file');
  const pems = text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g);
  if (!pems) throw new NatsSecurityError(option, `${file} holds no PEM certificate ("-----BEGIN CERTIFICATE-----")`);
  const certs = pems.map((pem) => {
    try { return new X509Certificate(pem); } catch (err) {
      throw new NatsSecurityError(option, `${file}: a certificate does not parse (${(err as Error).message})`);
    }
  });
  return { text, certs };
}

function checkValidity(option: string, file: string, cert: X509Certificate, now: number): void {
  if (Date.parse(cert.validTo) < now) throw new NatsSecurityError(option, `${file}: the certificate expired on ${new Date(cert.validTo).toISOString()}`);
  if (Date.parse(cert.validFrom) > now) throw new NatsSecurityError(option, `${file}: the certificate is not valid before ${new Date(cert.validFrom).toISOString()}`);
}

/** Reads and checks every file; throws NatsSecurityError naming the option at fault. */
export function loadNatsSecurity(f: NatsSecurityFiles, now = Date.now()): NatsSecurity {
  const methods = [
    f.user !== undefined || f.pass !== undefined ? 'user' : '', f.token !== undefined ? 'token' : '',
    f.nkeyFile !== undefined ? 'nkey' : '', f.credsFile !== undefined ? 'creds' : '',
  ].filter(Boolean);
  if (methods.length > 1) throw new NatsSecurityError(methods[1]!, `give one way to log in to NATS, not ${methods.join(' and ')}`);
  if (f.pass !== undefined && f.user === undefined) throw new NatsSecurityError('user', 'a NATS password needs a user name too');
  if (f.user !== undefined && f.pass === undefined) throw new NatsSecurityError('pass', `NATS user ${f.user} needs a password`);
  const out: { -readonly [K in keyof NatsSecurity]: NatsSecurity[K] } = { describe: '' };
  if (f.user !== undefined) { out.user = f.user; out.pass = f.pass!; }
  if (f.token !== undefined) out.token = f.token;
  if (f.nkeyFile !== undefined) out.nkeySeed = readNkeySeed(f.nkeyFile);
  if (f.credsFile !== undefined) out.creds = readCreds(f.credsFile, 'creds', now);
  if (f.tlsCertFile !== undefined && f.tlsKeyFile === undefined) throw new NatsSecurityError('tls-key', 'a TLS client certificate needs its private key too');
  if (f.tlsKeyFile !== undefined && f.tlsCertFile === undefined) throw new NatsSecurityError('tls-cert', 'a TLS client key needs its certificate too');
  if (f.tlsCaFile !== undefined || f.tlsCertFile !== undefined) {
    const tls: { ca?: string; cert?: string; key?: string } = {};
    if (f.tlsCaFile !== undefined) {
      tls.ca = readCertificates('tls-ca', f.tlsCaFile).text;
    }
    if (f.tlsCertFile !== undefined) {
      const { text: certPem, certs: [leaf] } = readCertificates('tls-cert', f.tlsCertFile);
      checkValidity('tls-cert', f.tlsCertFile, leaf!, now);
      const keyPem = readFile('tls-key', f.tlsKeyFile!, 'a PEM private key file');
      let key: KeyObject;
      try { key = createPrivateKey(keyPem); } catch (err) {
        throw new NatsSecurityError('tls-key', `${f.tlsKeyFile} is not a PEM private key (${(err as Error).message})`);
      }
      if (!leaf!.checkPrivateKey(key)) throw new NatsSecurityError('tls-key', `${f.tlsKeyFile} is not the key of the certificate in ${f.tlsCertFile}`);
      tls.cert = certPem;
      tls.key = keyPem;
    }
    out.tls = tls;
  }
  const method = methods[0] ?? 'none';
  out.describe = `auth ${method === 'user' ? `user ${f.user}` : method}${out.tls ? `, tls${out.tls.cert ? ' with client certificate' : ''}` : ''}`;
  return out;
}

/** nats.js connection options for `s` (no secret leaves this object except into the connection). */
export function natsConnectionOptions(s: NatsSecurity | undefined): Partial<ConnectionOptions> {
  if (!s) return {};
  const o: Partial<ConnectionOptions> = {};
  if (s.user !== undefined) { o.user = s.user; o.pass = s.pass; }
  if (s.token !== undefined) o.token = s.token;
  let auth: Authenticator | undefined;
  if (s.nkeySeed) auth = nkeyAuthenticator(s.nkeySeed);
  if (s.creds) auth = credsAuthenticator(s.creds);
  if (auth) o.authenticator = auth;
  if (s.tls) o.tls = { ...(s.tls.ca ? { ca: s.tls.ca } : {}), ...(s.tls.cert ? { cert: s.tls.cert, key: s.tls.key } : {}) };
  return o;
}

/** Why a first connection failed: what to fix (see NatsConnectError.hint). */
export type NatsConnectReason = 'auth' | 'tls-untrusted-server' | 'tls-client-refused' | 'tls-unsupported' | 'tls' | 'unreachable';

/**
 * The first connection failed for a reason waiting will not fix (credentials
 * refused, TLS misconfigured: `fatal`), or the server is not reachable (yet).
 * `message` says what happened and `hint` what to fix; neither holds a secret.
 */
export class NatsConnectError extends Error {
  readonly code = 'MESHGATE_NATS_CONNECT';
  readonly fatal: boolean;
  readonly reason: NatsConnectReason;
  readonly hint: string;
  constructor(reason: NatsConnectReason, message: string, hint: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'NatsConnectError';
    this.reason = reason;
    this.fatal = reason !== 'unreachable';
    this.hint = hint;
  }
}

const TLS_CODES = /^(ERR_SSL|ERR_TLS|UNABLE_TO_|DEPTH_ZERO|SELF_SIGNED|CERT_|ERR_OSSL)/;

const HINTS: Record<NatsConnectReason, string> = {
  'auth': 'check the NATS user and password, token, nkey seed or creds',
  'tls-untrusted-server': 'the server certificate is not signed by a CA this client trusts: give the CA that signed it',
  'tls-client-refused': 'the server wants a client certificate it trusts: give a client certificate and key',
  'tls-unsupported': 'the server does not speak TLS: drop the TLS options or enable TLS on the server',
  'tls': 'check the TLS certificates on both sides',
  'unreachable': 'is nats-server running there?',
};

/** Classifies a nats.js connect() failure (see NatsConnectError). */
export function explainConnectError(err: unknown, servers: string, security: NatsSecurity | undefined): NatsConnectError {
  const e = err as { name?: string; code?: string; message?: string };
  const how = security?.describe ?? 'auth none';
  // OpenSSL's text ("40CD...:error:0A000412:SSL routines:ssl3_read_bytes:ssl/tls alert bad certificate:../deps/...") -> its reason.
  const raw = String(e?.message ?? err).split('\n')[0]!.replace(/; if the root CA.*$/, '');
  const msg = /:SSL routines:[^:]*:([^:]+)/.exec(raw)?.[1] ?? raw;
  const code = String(e?.code ?? '');
  let reason: NatsConnectReason;
  if (e?.name === 'AuthorizationError' || e?.name === 'UserAuthenticationExpiredError') reason = 'auth';
  else if (/does not support 'tls'/.test(msg)) reason = 'tls-unsupported';
  else if (/VERIFY|SELF_SIGNED|ISSUER|DEPTH_ZERO/.test(code)) reason = 'tls-untrusted-server';
  else if (/BAD_CERTIFICATE|CERTIFICATE_REQUIRED|UNKNOWN_CA|HANDSHAKE_FAILURE/i.test(`${code} ${msg}`)) reason = 'tls-client-refused';
  else if (TLS_CODES.test(code) || /\bssl\b|\btls\b/i.test(msg)) reason = 'tls';
  else reason = 'unreachable';
  const what = reason === 'auth' ? `NATS at ${servers} refused the credentials (${how}): ${msg}`
    : reason === 'unreachable' ? `cannot reach NATS at ${servers}: ${msg}`
      : `TLS to NATS at ${servers} failed (${how}): ${code ? `${code}: ` : ''}${msg}`;
  return new NatsConnectError(reason, what, HINTS[reason], { cause: err });
}
