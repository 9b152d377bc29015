import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { UsageError, type FlagSpecs, type FlagValue } from '../flags.ts';
import { commonFlags, natsSecurityFlags } from '../common.ts';

/**
 * The context file, like kubectl's kubeconfig: `meshgate up` writes where
 * its mesh is and how to reach it as an operator (NATS URL, the operator's
 * NATS login, the operator signing key), mode 0600 in its state dir, and
 * `apply`, `delete` and `get` use it when they are given no NATS URL and no
 * NATS login or TLS flag (flags and MESHGATE_* variables always win).
 */
export interface MeshContext {
  readonly kind: 'meshgate-context';
  readonly nats: string;
  readonly subjectPrefix: string;
  /** NATS login and TLS flags by name, as the CLI takes them: { 'nats-user': 'operator', 'nats-pass': '...' }. */
  readonly login: Readonly<Record<string, string>>;
  /** PEM private key apply/delete sign with (--operator-signing-key). */
  readonly operatorSigningKey?: string;
  /** Which `up` wrote it: a stopping `up` removes only its own. */
  readonly writer: string;
}

/** `meshgate up`'s --state-dir default, per user. */
export function defaultStateDir(): string {
  return path.join(os.tmpdir(), `meshgate-up-${os.userInfo().username}`);
}

export const CONTEXT_FILE = 'context.json';

export function defaultContextFile(): string {
  return path.join(defaultStateDir(), CONTEXT_FILE);
}

/** Writes `ctx` (without `writer`) to `file`, mode 0600, atomically; returns the writer id to remove it with. */
export function writeContext(file: string, ctx: Omit<MeshContext, 'kind' | 'writer'>): string {
  const writer = `${process.pid}-${randomBytes(6).toString('hex')}`;
  const tmp = `${file}.${writer}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify({ kind: 'meshgate-context', ...ctx, writer }, null, 2) + '\n', { mode: 0o600 });
  fs.renameSync(tmp, file);
  return writer;
}

/** Removes `file` if `writer` wrote it (another `up` on the same state dir may have written it since). */
export function removeContext(file: string, writer: string): void {
  try {
    if ((JSON.parse(fs.readFileSync(file, 'utf8')) as MeshContext).writer === writer) fs.rmSync(file, { force: true });
  } catch { /* gone already */ }
}

const { default: _natsDefault, ...natsFlag } = commonFlags.nats!;
const { default: _prefixDefault, ...prefixFlag } = commonFlags['subject-prefix']!;

/** commonFlags for apply/delete/get: --nats and --subject-prefix default to the context's, then to the usual. */
export const adminCommonFlags: FlagSpecs = {
  ...commonFlags,
  'nats': { ...natsFlag, help: 'NATS server URL(s), comma separated (default: the --context of meshgate up, else nats://127.0.0.1:4222)' },
  'subject-prefix': { ...prefixFlag, help: 'prefix of every NATS subject (default: the --context\'s, else meshgate)' },
  'context': { type: 'string', help: 'FILE written by meshgate up (NATS URL, operator login and signing key), used when no --nats or NATS login flag is given', default: defaultContextFile() },
};

const used = new WeakMap<object, string>();

/** The context file whose settings `flags` took (for error messages), if any. */
export function contextUsed(flags: Record<string, FlagValue | undefined>): string | undefined {
  return used.get(flags);
}

/** Fills `flags` from the context file when no NATS URL or login was given, then the defaults. */
export function applyContext(flags: Record<string, FlagValue | undefined>, cmd: string): void {
  const explicit = flags.nats !== undefined || Object.keys(natsSecurityFlags()).some((n) => flags[n] !== undefined);
  const file = flags.context as string | undefined;
  if (!explicit && file) {
    const ctx = readContext(file, file !== defaultContextFile(), cmd);
    if (ctx) {
      flags.nats = ctx.nats;
      for (const [n, v] of Object.entries(ctx.login)) flags[n] = v;
      flags['subject-prefix'] ??= ctx.subjectPrefix;
      if (ctx.operatorSigningKey) flags['operator-signing-key'] ??= ctx.operatorSigningKey;
      used.set(flags, file);
    }
  }
  flags.nats ??= _natsDefault;
  flags['subject-prefix'] ??= _prefixDefault;
}

function readContext(file: string, required: boolean, cmd: string): MeshContext | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if (!required && (err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new UsageError(`meshgate ${cmd}: --context: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}): give the context.json in the --state-dir of meshgate up`);
  }
  let ctx: MeshContext;
  try { ctx = JSON.parse(text) as MeshContext; } catch (err) {
    throw new UsageError(`meshgate ${cmd}: --context: ${file} is not JSON (${(err as Error).message}): remove it, or run meshgate up again to rewrite it`);
  }
  const known = new Set(Object.keys(natsSecurityFlags()));
  if (ctx?.kind !== 'meshgate-context' || typeof ctx.nats !== 'string' || typeof ctx.subjectPrefix !== 'string'
    || typeof ctx.login !== 'object' || Object.entries(ctx.login ?? {}).some(([n, v]) => !known.has(n) || typeof v !== 'string')) {
    throw new UsageError(`meshgate ${cmd}: --context: ${file} is not a meshgate context (kind, nats, subjectPrefix, login): remove it, or run meshgate up again to rewrite it`);
  }
  return ctx;
}
