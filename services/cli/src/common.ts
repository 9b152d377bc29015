import fs from 'node:fs';
import type { KeyObject } from 'node:crypto';
import { DeferredKvStore, DeferredTransport, NatsKvStore, NatsTransport, type KvStore, type Transport } from '@meshgate/actors';
import { loadSigningKey, loadTrustKey, msgpackCodec, subjects } from '@meshgate/protocol';
import { UsageError } from './flags.ts';
import { createLogger, type Logger, type LogLevel } from '@meshgate/telemetry';
import type { FlagSpecs, FlagValue } from './flags.ts';

/** Flags every long-running command shares. */
export const commonFlags: FlagSpecs = {
  'nats': { type: 'string', help: 'NATS server URL(s), comma separated', default: 'nats://127.0.0.1:4222', env: ['MESHGATE_NATS_URL', 'MESHGATE_NATS'] },
  'nats-user': { type: 'string', help: 'NATS user name' },
  'nats-pass': { type: 'string', help: 'NATS password' },
  'nats-token': { type: 'string', help: 'NATS token' },
  'subject-prefix': { type: 'string', help: 'prefix of every NATS subject (several meshes on one NATS)', default: 'meshgate' },
  'log-level': { type: 'level', help: 'debug|info|warn|error|silent', default: 'info' },
  'help': { type: 'bool', help: 'show this help', short: 'h' },
};

export function loggerFor(service: string, flags: Record<string, FlagValue | undefined>): Logger {
  return createLogger(service, { level: flags['log-level'] as LogLevel });
}

export async function connectNats(flags: Record<string, FlagValue | undefined>, name: string, log: Logger): Promise<NatsTransport> {
  const servers = String(flags.nats).split(',').map((s) => s.trim()).filter(Boolean);
  const t = await NatsTransport.connect({
    servers, name, codec: msgpackCodec,
    // nats.js reads an explicit undefined as NaN; half a second keeps catch-up after an outage quick.
    reconnectTimeWaitMs: 500,
    user: flags['nats-user'] as string | undefined,
    pass: flags['nats-pass'] as string | undefined,
    token: flags['nats-token'] as string | undefined,
  });
  t.onStatus((s) => {
    if (s.type === 'disconnect' || s.type === 'reconnect') log.warn(`nats ${s.type}`, { servers });
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
export async function openStore(t: NatsTransport, prefix: string, log: Logger, mode: 'writer' | 'reader' = 'writer'): Promise<KvStore | undefined> {
  const bucket = subjects(prefix).kvBucket;
  try {
    return await NatsKvStore.open(t.connection, bucket, { mode });
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
  connectNats(flags, name, log).then(async (t) => {
    const kv = await openStore(t, String(flags['subject-prefix'] ?? 'meshgate'), log, 'reader');
    if (kv) store.attach(kv);
    transport.attach(t);
  }, (err) => log.error('cannot connect to NATS', { error: String(err) }));
  return { transport, store };
}

function readKeyFile(flag: string, file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`--${flag}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}): give the path of a PEM file`);
  }
}

export function signingKeyFrom(flags: Record<string, FlagValue | undefined>): KeyObject | undefined {
  const f = flags['signing-key'] as string | undefined;
  if (!f) return undefined;
  try { return loadSigningKey(readKeyFile('signing-key', f), `--signing-key ${f}`); } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError((err as Error).message);
  }
}

export function trustKeyFrom(flags: Record<string, FlagValue | undefined>): KeyObject | undefined {
  const f = flags['trust-key'] as string | undefined;
  if (!f) return undefined;
  try { return loadTrustKey(readKeyFile('trust-key', f), `--trust-key ${f}`); } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError((err as Error).message);
  }
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
