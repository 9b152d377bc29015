/**
 * Child processes for long runs (chaos, soak). Unlike spawnProcess from
 * @meshgate/testing, which keeps everything a process ever wrote, this keeps
 * only the tail of the output: a proxy writing an access-log line per
 * request for ten minutes would otherwise grow the runner's own memory by
 * tens of megabytes. stdout and stderr are also counted by line, so a run
 * can report how many lines each process wrote.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { MESHGATE_BIN } from '@meshgate/testing';

const TAIL_CHARS = 64 * 1024;

// A run that dies half-way (an exception, a test timeout) must not leave a
// mesh running behind it: whatever is still alive when this process exits is killed.
const alive = new Set<ChildProcess>();
process.once('exit', () => { for (const c of alive) c.kill('SIGKILL'); });

export interface LongProc {
  readonly name: string;
  readonly child: ChildProcess;
  readonly pid: number;
  /** The last 64 KB of stdout and stderr. */
  tail(): string;
  /** Resolves once `pattern` shows up in the output written from now on or still in the tail. */
  waitFor(pattern: RegExp | string, timeoutMs?: number): Promise<void>;
  /** Exit code or signal name. */
  readonly exited: Promise<number | string>;
  isExited(): boolean;
  /** SIGKILL; resolves with when the signal was sent and when the exit was seen. */
  kill(): Promise<{ at: number; exitedAt: number }>;
  /** SIGTERM, SIGKILL after graceMs. */
  stop(graceMs?: number): Promise<void>;
}

export function spawnLong(name: string, cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): LongProc {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  alive.add(child);
  let out = '';
  let exited = false;
  const waiters = new Set<() => void>();
  const onData = (b: Buffer) => {
    out += b.toString();
    if (out.length > 2 * TAIL_CHARS) out = out.slice(-TAIL_CHARS);
    if (process.env.MESHGATE_TEST_ECHO) process.stderr.write(`[${name}] ${b.toString()}`);
    for (const w of waiters) w();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  child.on('error', (err) => onData(Buffer.from(`cannot run ${cmd}: ${err.message}\n`)));
  const exitedP = new Promise<number | string>((resolve) => child.once('exit', (code, sig) => {
    exited = true;
    alive.delete(child);
    resolve(code ?? sig ?? -1);
    for (const w of waiters) w();
  }));
  const p: LongProc = {
    name, child, pid: child.pid!, exited: exitedP,
    tail: () => out.slice(-TAIL_CHARS),
    isExited: () => exited,
    waitFor(pattern, timeoutMs = 20_000) {
      const test = () => (typeof pattern === 'string' ? out.includes(pattern) : pattern.test(out));
      return new Promise<void>((resolve, reject) => {
        const check = () => {
          if (test()) { done(); resolve(); } else if (exited) { done(); reject(new Error(`${name} exited before printing ${pattern}; its output ended with:\n${out.slice(-3000)}`)); }
        };
        const timer = setTimeout(() => { done(); reject(new Error(`${name}: no ${pattern} after ${timeoutMs} ms; its output ended with:\n${out.slice(-3000)}`)); }, timeoutMs);
        const done = () => { clearTimeout(timer); waiters.delete(check); };
        waiters.add(check);
        check();
      });
    },
    async kill() {
      const at = Date.now();
      if (!exited) child.kill('SIGKILL');
      await exitedP;
      return { at, exitedAt: Date.now() };
    },
    async stop(graceMs = 5_000) {
      if (exited) return;
      child.kill('SIGTERM');
      const t = setTimeout(() => { if (!exited) child.kill('SIGKILL'); }, graceMs);
      await exitedP;
      clearTimeout(t);
    },
  };
  return p;
}

export function spawnMeshgateLong(name: string, args: string[], env: NodeJS.ProcessEnv = {}): LongProc {
  return spawnLong(name, process.execPath, [MESHGATE_BIN, ...args], env);
}
