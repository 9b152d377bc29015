import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The `meshgate` CLI entry of this checkout. */
export const MESHGATE_BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../services/cli/bin/meshgate.js');

export interface Proc {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Everything written to stdout and stderr so far. */
  output(): string;
  /** Resolves when `pattern` shows up in the output (rejects on exit or timeout). */
  waitFor(pattern: RegExp | string, timeoutMs?: number): Promise<void>;
  /** Resolves with the exit code (or signal name) once the process ended. */
  exited: Promise<number | string>;
  /** SIGTERM, then SIGKILL after graceMs; resolves when it is gone. */
  stop(graceMs?: number): Promise<void>;
  kill(signal?: NodeJS.Signals): void;
}

/**
 * Runs `node meshgate.js ...args` with this Node (v24) and captures its output.
 * `nodeFlags`: flags for node itself (V8's too, which NODE_OPTIONS refuses), before the CLI's path.
 */
export function spawnMeshgate(args: string[], opts: { env?: NodeJS.ProcessEnv; echo?: boolean; nodeFlags?: string[] } = {}): Proc {
  return spawnProcess(process.execPath, [...(opts.nodeFlags ?? []), MESHGATE_BIN, ...args], opts);
}

export function spawnProcess(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; echo?: boolean } = {}): Proc {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...opts.env } });
  let out = '';
  const waiters = new Set<() => void>();
  const onData = (b: Buffer) => {
    out += b.toString();
    if (opts.echo || process.env.MESHGATE_TEST_ECHO) process.stderr.write(b);
    for (const w of waiters) w();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, sig) => { resolve(code ?? sig ?? -1); for (const w of waiters) w(); }));
  let isExited = false;
  void exited.then(() => { isExited = true; });
  return {
    child,
    pid: child.pid!,
    output: () => out,
    exited,
    kill: (signal = 'SIGTERM') => { if (!isExited) child.kill(signal); },
    waitFor(pattern, timeoutMs = 20_000) {
      const test = () => (typeof pattern === 'string' ? out.includes(pattern) : pattern.test(out));
      return new Promise<void>((resolve, reject) => {
        const check = () => {
          if (test()) { done(); resolve(); }
          else if (isExited) { done(); reject(new Error(`process exited before printing ${pattern}; output:\n${out.slice(-3000)}`)); }
        };
        const timer = setTimeout(() => { done(); reject(new Error(`timed out after ${timeoutMs} ms waiting for ${pattern}; output:\n${out.slice(-3000)}`)); }, timeoutMs);
        const done = () => { clearTimeout(timer); waiters.delete(check); };
        waiters.add(check);
        check();
      });
    },
    async stop(graceMs = 8_000) {
      if (isExited) return;
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(t);
    },
  };
}

/**
 * Resolves once a spawned `meshgate config-service` says it started, so its
 * KV bucket exists. Against a fresh nats-server, start proxies and health
 * agents after this: Debian's nats-server 2.9.10 can crash (a nil pointer in
 * jsMsgGetRequest, exit 2) when a reader's get races the bucket's creation
 * (docs/security.md). On failure the error carries the service's output.
 */
export async function configServiceStarted(config: Proc, timeoutMs = 30_000): Promise<void> {
  await config.waitFor(/config service started/, timeoutMs).catch((err: unknown) => {
    throw new Error(`${(err as Error).message}\nconfig service:\n${config.output().slice(-2000)}`);
  });
}
