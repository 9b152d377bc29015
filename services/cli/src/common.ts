import fs from 'node:fs';
import type { KeyObject } from 'node:crypto';
import {
  DeferredKvStore, DeferredTransport, loadNatsSecurity, NatsConnectError, NatsKvStore, NatsSecurityError, NatsTransport,
  type KvStore, type NatsConnectReason, type NatsSecurity, type Transport,
} from '@meshgate/actors';
import { loadSigningKey, loadTrustKey, msgpackCodec, subjects } from '@meshgate/protocol';
import { envName, UsageError } from './flags.ts';
import { createLogger, type Logger, type LogLevel } from '@meshgate/telemetry';
import type { FlagSpecs, FlagValue } from './flags.ts';

/** Flags every long-running command shares. */
export const commonFlags: FlagSpecs = {
  'nats': { type: 'string', help: 'NATS server URL(s), comma separated', default: 'nats://127.0.0.1:4222', env: ['MESHGATE_NATS_URL', 'MESHGATE_NATS'] },
  ...natsSecurityFlags(),
  'subject-prefix': { type: 'string', help: 'prefix of every NATS subject (several meshes on one NATS)', default: 'meshgate' },
  'log-level': { type: 'level', help: 'debug|info|warn|error|silent', default: 'info' },
  'help': { type: 'bool', help: 'show this help', short: 'h' },
};

/**
 * How to log in to NATS (one of user/password, token, nkey seed file, creds
 * file) and TLS to NATS. Shared by every command that connects, including
 * apply/delete/get. Prefer the environment for secrets (MESHGATE_NATS_PASS,
 * MESHGATE_NATS_TOKEN): a command line is visible in `ps`.
 */
export function natsSecurityFlags(): FlagSpecs {
  return {
    'nats-user': { type: 'string', help: 'NATS user name (with --nats-pass)' },
    'nats-pass': { type: 'string', help: 'NATS password (prefer the environment variable: command lines show in ps)' },
    'nats-token': { type: 'string', help: 'NATS token (prefer the environment variable)' },
    'nats-nkey': { type: 'string', help: 'FILE holding an nkey user seed (SU...) to log in to NATS with' },
    'nats-creds': { type: 'string', help: 'FILE: NATS user credentials (JWT and seed, as nsc generate creds writes)' },
    'nats-tls-ca': { type: 'string', help: 'FILE: PEM CA that signed the NATS servers\' certificates (TLS to NATS)' },
    'nats-tls-cert': { type: 'string', help: 'FILE: PEM client certificate for NATS (mutual TLS, with --nats-tls-key)' },
    'nats-tls-key': { type: 'string', help: 'FILE: PEM private key of --nats-tls-cert' },
  };
}

/** Reads and checks the NATS credential and TLS files; a bad one is a UsageError (exit 2) naming its flag. */
export function natsSecurityFrom(flags: Record<string, FlagValue | undefined>): NatsSecurity {
  const str = (n: string) => flags[n] as string | undefined;
  try {
    return loadNatsSecurity({
      user: str('nats-user'), pass: str('nats-pass'), token: str('nats-token'),
      nkeyFile: str('nats-nkey'), credsFile: str('nats-creds'),
      tlsCaFile: str('nats-tls-ca'), tlsCertFile: str('nats-tls-cert'), tlsKeyFile: str('nats-tls-key'),
    });
  } catch (err) {
    if (err instanceof NatsSecurityError) throw new UsageError(`--nats-${err.option}: ${err.message}`);
    throw err;
  }
}

/** A failure the user fixes outside meshgate (NATS refused us): main() prints the message alone and exits 1. */
export class FatalError extends Error {
  readonly code = 'MESHGATE_FATAL';
}

const NATS_FLAG_HINTS: Record<NatsConnectReason, string> = {
  'auth': 'check --nats-user/--nats-pass, --nats-token, --nats-nkey or --nats-creds (or their MESHGATE_NATS_* variables)',
  'tls-untrusted-server': 'give the CA that signed the server certificate with --nats-tls-ca',
  'tls-client-refused': 'the server wants a client certificate it trusts: --nats-tls-cert and --nats-tls-key',
  'tls-unsupported': 'the server does not speak TLS: drop the --nats-tls-* flags or enable TLS on the server',
  'tls': 'check --nats-tls-ca, --nats-tls-cert and --nats-tls-key',
  'unreachable': 'is it running? (--nats URL or MESHGATE_NATS_URL)',
};

/** One line: what NATS said and which flag to fix. */
export function natsConnectMessage(err: NatsConnectError): string {
  return `${err.message}: ${NATS_FLAG_HINTS[err.reason]}`;
}

/**
 * The security flags as given, to pass on to child processes (`meshgate up`):
 * file paths as flags, the password and token in the environment (a command
 * line is visible to every user in `ps`).
 */
export function natsSecurityArgs(flags: Record<string, FlagValue | undefined>): { args: string[]; env: Record<string, string> } {
  const args: string[] = [];
  const env: Record<string, string> = {};
  for (const n of Object.keys(natsSecurityFlags())) {
    const v = flags[n];
    if (v === undefined) continue;
    if (n === 'nats-pass' || n === 'nats-token') env[envName(n)] = String(v);
    else args.push(`--${n}`, String(v));
  }
  return { args, env };
}

export function loggerFor(service: string, flags: Record<string, FlagValue | undefined>): Logger {
  return createLogger(service, { level: flags['log-level'] as LogLevel });
}

export async function connectNats(flags: Record<string, FlagValue | undefined>, name: string, log: Logger): Promise<NatsTransport> {
  const servers = String(flags.nats).split(',').map((s) => s.trim()).filter(Boolean);
  const security = natsSecurityFrom(flags);
  let t: NatsTransport;
  try {
    t = await NatsTransport.connect({
      servers, name, codec: msgpackCodec, security,
      // nats.js reads an explicit undefined as NaN; half a second keeps catch-up after an outage quick.
      reconnectTimeWaitMs: 500,
      onConnectRetry: (err, attempt) => { if (attempt === 1 || attempt % 20 === 0) log.warn('waiting for NATS', { error: natsConnectMessage(err), attempt }); },
    });
  } catch (err) {
    if (err instanceof NatsConnectError) throw new FatalError(natsConnectMessage(err), { cause: err });
    throw err;
  }
  log.info('connected to NATS', { servers, security: security.describe });
  t.onStatus((s) => {
    if (s.type === 'disconnect' || s.type === 'reconnect') log.warn(`nats ${s.type}`, { servers });
    // Permission violations (a publish this NATS user may not make) and auth
    // errors: say so, they mean the NATS users and meshgate disagree.
    if (s.type === 'error') log.error('nats error', { error: String((s.data as { error?: unknown })?.error ?? s.data) });
  });
  return t;
}

/**
 * The JetStream KV bucket holding the durable latest snapshot, or undefined
 * (with a warning) when the server has no JetStream: the mesh still works,
 * without durability. The config service opens it as the writer (creates
 * it); proxies and agents as readers (bind only: their NATS users may not
 * create streams, and the bucket may not exist yet).
 */
export async function openStore(t: NatsTransport, prefix: string, log: Logger, mode: 'writer' | 'reader' = 'writer', replicas = 1): Promise<KvStore | undefined> {
  const bucket = subjects(prefix).kvBucket;
  try {
    return await NatsKvStore.open(t.connection, bucket, { mode, replicas });
  } catch (err) {
    log.warn('no JetStream KV: snapshots are not kept durably (start nats-server with -js)', { bucket, error: (err as Error).message });
    return undefined;
  }
}

/**
 * A transport and store usable at once, connected in the background: a
 * proxy starts serving its last-known-good snapshot while NATS is down.
 */
export function connectNatsDeferred(flags: Record<string, FlagValue | undefined>, name: string, log: Logger): { transport: DeferredTransport; store: DeferredKvStore } {
  const transport = new DeferredTransport();
  const store = new DeferredKvStore();
  // Checked now: a bad credential or TLS file is a usage error (exit 2), not a log line.
  natsSecurityFrom(flags);
  const attempt = (): void => {
    connectNats(flags, name, log).then(async (t) => {
      const kv = await openStore(t, String(flags['subject-prefix'] ?? 'meshgate'), log, 'reader');
      if (kv) store.attach(kv);
      transport.attach(t);
    }, (err) => {
      // NATS refused us (credentials, TLS): keep serving what we have, say why, and try again later
      // (the NATS side may be what gets fixed).
      log.error('cannot connect to NATS; serving the last-known-good snapshot meanwhile, retrying in 5 s', { error: (err as Error).message });
      setTimeout(attempt, 5_000).unref();
    });
  };
  attempt();
  return { transport, store };
}

function readKeyFile(flag: string, file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`--${flag}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}): give the path of a PEM file`);
  }
}

/** An Ed25519 private key from the PEM file named by --<flag> (--signing-key, --operator-signing-key). */
export function signingKeyFrom(flags: Record<string, FlagValue | undefined>, flag = 'signing-key'): KeyObject | undefined {
  const f = flags[flag] as string | undefined;
  if (!f) return undefined;
  try { return loadSigningKey(readKeyFile(flag, f), `--${flag} ${f}`); } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError((err as Error).message);
  }
}

export function trustKeyFrom(flags: Record<string, FlagValue | undefined>): KeyObject | undefined {
  const f = flags['trust-key'] as string | undefined;
  return f ? publicKeyFile('trust-key', f) : undefined;
}

function publicKeyFile(flag: string, file: string): KeyObject {
  try { return loadTrustKey(readKeyFile(flag, file), `--${flag} ${file}`); } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError((err as Error).message);
  }
}

/** Ed25519 public keys from --<flag> FILE[,FILE] (several agents' or operators' keys); none when not given. */
export function trustKeysFrom(flags: Record<string, FlagValue | undefined>, flag: string): KeyObject[] {
  const list = flags[flag] as string | undefined;
  if (!list) return [];
  const files = list.split(',').map((f) => f.trim()).filter(Boolean);
  if (files.length === 0) throw new UsageError(`--${flag}: expects FILE or FILE,FILE,... (PEM public keys), got '${list}'`);
  return files.map((f) => publicKeyFile(flag, f));
}

/** Runs until SIGINT/SIGTERM, then stops `what` and exits 0. */
export function stopOnSignal(log: Logger, stop: () => Promise<void>): void {
  let stopping = false;
  const onSignal = (sig: string) => {
    if (stopping) { log.warn('second signal: exiting now'); process.exit(1); }
    stopping = true;
    log.info('stopping', { signal: sig });
    const hard = setTimeout(() => { log.error('stop took too long: exiting'); process.exit(1); }, 15_000);
    hard.unref();
    stop().then(() => process.exit(0), (err) => { log.error('stop failed', { error: String(err) }); process.exit(1); });
  };
  process.once('SIGINT', () => onSignal('SIGINT'));
  process.once('SIGTERM', () => onSignal('SIGTERM'));
  // Started by `meshgate up` in its own process group: if `up` dies without
  // stopping us (kill -9), stop on our own rather than linger as an orphan.
  if (process.env.MESHGATE_EXIT_WITH_PARENT === '1') {
    const parent = process.ppid;
    const t = setInterval(() => { if (process.ppid !== parent) onSignal('parent exited'); }, 500);
    t.unref();
  }
}

export type { Transport };
