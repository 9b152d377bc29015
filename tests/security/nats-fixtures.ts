/**
 * What the NATS security tests need that nats-server does not make for us:
 * nkeys and JWTs (operator, account, user; what `nsc` writes) from
 * node:crypto, and a throw-away CA with server and client certificates from
 * openssl. Nothing here is a mock: nats-server checks all of it.
 *
 * nkeys: base32 (RFC 4648, no padding) of prefix byte(s) + 32-byte ed25519
 * key + CRC-16/XMODEM (little endian). JWTs: ed25519-nkey signatures over
 * `header.payload`, issued by the operator (accounts) or account (users).
 */
import { createPrivateKey, createPublicKey, randomBytes, sign, type KeyObject } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const PREFIX = { operator: 14 << 3, account: 0, user: 20 << 3, seed: 18 << 3 } as const;
type Role = 'operator' | 'account' | 'user';

function crc16(bytes: Uint8Array): number {
  let crc = 0;
  for (const b of bytes) {
    crc ^= b << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
function base32(bytes: Uint8Array): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) { out += ALPHABET[(value >>> (bits - 5)) & 31]; bits -= 5; }
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31];
  return out;
}

function encode(prefix: number[], key: Uint8Array): string {
  const raw = new Uint8Array(prefix.length + key.length + 2);
  raw.set(prefix);
  raw.set(key, prefix.length);
  const c = crc16(raw.subarray(0, prefix.length + key.length));
  raw[raw.length - 2] = c & 0xff;
  raw[raw.length - 1] = c >> 8;
  return base32(raw);
}

export interface NKey {
  readonly role: Role;
  /** U..., A..., O...: what server configs and JWTs name. */
  readonly publicKey: string;
  /** SU..., SA..., SO...: the secret, what a client logs in with. */
  readonly seed: string;
  sign(data: Uint8Array): Uint8Array;
}

export function createNKey(role: Role): NKey {
  const seed32 = randomBytes(32);
  const priv: KeyObject = createPrivateKey({ key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed32]), format: 'der', type: 'pkcs8' });
  const pub32 = createPublicKey(priv).export({ format: 'der', type: 'spki' }).subarray(-32);
  const p = PREFIX[role];
  return {
    role,
    publicKey: encode([p], pub32),
    seed: encode([PREFIX.seed | (p >> 5), (p & 31) << 3], seed32),
    sign: (data) => new Uint8Array(sign(null, data, priv)),
  };
}

function jwt(issuer: NKey, subject: NKey, name: string, nats: Record<string, unknown>): string {
  const b64 = (s: string | Uint8Array) => Buffer.from(s).toString('base64url');
  const header = b64(JSON.stringify({ typ: 'JWT', alg: 'ed25519-nkey' }));
  const claims = { jti: randomBytes(16).toString('hex').toUpperCase(), iat: Math.floor(Date.now() / 1000), iss: issuer.publicKey, name, sub: subject.publicKey, nats: { ...nats, version: 2 } };
  const payload = b64(JSON.stringify(claims));
  return `${header}.${payload}.${b64(issuer.sign(new TextEncoder().encode(`${header}.${payload}`)))}`;
}

/** Publish/subscribe permissions as nats-server JWTs spell them. */
export interface JwtPermissions { pub?: { allow?: string[]; deny?: string[] }; sub?: { allow?: string[]; deny?: string[] }; resp?: { max: number; ttl: number } }

/**
 * An operator with one account (JetStream enabled) and a system account:
 * `serverConfig` goes into nats-server's config (operator mode, memory
 * resolver); `creds()` issues a user of the account, as a .creds file text.
 */
export function createOperator(): { serverConfig: string; creds(name: string, permissions?: JwtPermissions): string } {
  const operator = createNKey('operator');
  const account = createNKey('account');
  const system = createNKey('account');
  const unlimited = { subs: -1, data: -1, payload: -1, imports: -1, exports: -1, wildcards: true, conn: -1, leaf: -1 };
  const accountJwt = jwt(operator, account, 'MESH', { type: 'account', limits: { ...unlimited, mem_storage: -1, disk_storage: -1, streams: -1, consumer: -1 }, default_permissions: { pub: {}, sub: {} } });
  const systemJwt = jwt(operator, system, 'SYS', { type: 'account', limits: unlimited, default_permissions: { pub: {}, sub: {} } });
  const serverConfig = [
    `operator: ${jwt(operator, operator, 'OP', { type: 'operator' })}`,
    `system_account: ${system.publicKey}`,
    'resolver: MEMORY',
    `resolver_preload: { ${account.publicKey}: ${accountJwt}, ${system.publicKey}: ${systemJwt} }`,
  ].join('\n');
  return {
    serverConfig,
    creds(name, permissions = {}) {
      const user = createNKey('user');
      const token = jwt(account, user, name, { type: 'user', subs: -1, data: -1, payload: -1, pub: {}, sub: {}, ...permissions });
      return `-----BEGIN NATS USER JWT-----\n${token}\n------END NATS USER JWT------\n\n`
        + '************************* IMPORTANT *************************\nNKEY Seed printed below can be used to sign and prove identity.\n\n'
        + `-----BEGIN USER NKEY SEED-----\n${user.seed}\n------END USER NKEY SEED------\n`;
    },
  };
}

export interface Pki { ca: string; serverCert: string; serverKey: string; clientCert: string; clientKey: string; strangerCert: string; strangerKey: string }

/** A CA, a server certificate for 127.0.0.1/localhost, a client certificate it signed, and a self-signed stranger. */
export function createPki(dir: string): Pki {
  const f = (n: string) => path.join(dir, n);
  const ssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'ignore' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  ssl('req', '-x509', ...ec, '-keyout', f('ca.key'), '-out', f('ca.pem'), '-days', '2', '-subj', '/CN=meshgate test NATS CA');
  fs.writeFileSync(f('server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  fs.writeFileSync(f('client.ext'), 'extendedKeyUsage=clientAuth\n');
  for (const [name, ext] of [['server', 'server.ext'], ['client', 'client.ext']] as const) {
    ssl('req', ...ec, '-keyout', f(`${name}.key`), '-out', f(`${name}.csr`), '-subj', `/CN=meshgate-${name}`);
    ssl('x509', '-req', '-in', f(`${name}.csr`), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f(`${name}.pem`), '-days', '2', '-extfile', f(ext));
  }
  ssl('req', '-x509', ...ec, '-keyout', f('stranger.key'), '-out', f('stranger.pem'), '-days', '2', '-subj', '/CN=stranger');
  return { ca: f('ca.pem'), serverCert: f('server.pem'), serverKey: f('server.key'), clientCert: f('client.pem'), clientKey: f('client.key'), strangerCert: f('stranger.pem'), strangerKey: f('stranger.key') };
}
