import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, waitForPort } from './free-port.ts';

/** A real nats-server child process on a free loopback port, with JetStream in a temp dir. */
export interface NatsServer {
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  /** What nats-server printed so far (empty with `verbose`, which inherits stdio). */
  log(): string;
  stop(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Path of the nats-server binary: $MESHGATE_NATS_SERVER if set ('none' means
 * do not use one), else PATH, else Debian's /usr/sbin (not on a normal
 * user's PATH); undefined when none is installed.
 */
export function findNatsServer(): string | undefined {
  const forced = process.env.MESHGATE_NATS_SERVER;
  if (forced) return forced === 'none' ? undefined : forced;
  const r = spawnSync('sh', ['-c', 'command -v nats-server'], { encoding: 'utf8' });
  const p = r.stdout.trim();
  if (r.status === 0 && p) return p;
  for (const c of ['/usr/sbin/nats-server', '/usr/bin/nats-server', '/usr/local/bin/nats-server']) {
    if (fs.existsSync(c)) return c;
  }
  return undefined;
}

export interface StartNatsOptions {
  port?: number;
  jetstream?: boolean;
  /** Extra lines for the server config file. */
  config?: string;
  /** Inherit stdio (for `meshgate up`); default: ignored. */
  verbose?: boolean;
  /** Own process group, so a terminal's Ctrl-C does not stop it before its clients. */
  detached?: boolean;
  /** Write the server config here instead of the temp dir (`meshgate up`'s state dir); removed at stop. */
  confFile?: string;
}

export async function startNatsServer(opts: StartNatsOptions = {}): Promise<NatsServer> {
  const bin = findNatsServer();
  if (!bin) throw new Error('nats-server is not installed: apt-get install -y nats-server (or download it from https://github.com/nats-io/nats-server/releases)');
  const port = opts.port ?? await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meshgate-nats-'));
  const conf = opts.confFile ?? path.join(dir, 'nats.conf');
  const lines = [
    `listen: 127.0.0.1:${port}`,
    opts.jetstream === false ? '' : `jetstream { store_dir: "${path.join(dir, 'js')}" }`,
    opts.config ?? '',
  ];
  // Mode 0600: the config may hold passwords (`authorization`).
  fs.writeFileSync(conf, lines.join('\n') + '\n', { mode: 0o600 });
  fs.chmodSync(conf, 0o600);
  const logFile = path.join(dir, 'nats.log');
  const logFd = fs.openSync(logFile, 'a');
  const child: ChildProcess = spawn(bin, ['-c', conf], { stdio: opts.verbose ? 'inherit' : ['ignore', logFd, logFd], detached: opts.detached ?? false });
  fs.closeSync(logFd);
  const log = () => { try { return fs.readFileSync(logFile, 'utf8'); } catch { return ''; } };
  let exited = false;
  let stopping = false;
  const exitedP = new Promise<void>((resolve) => child.once('exit', (code, signal) => {
    exited = true;
    // A server that dies under its clients explains a test's timeouts: say so where CI shows it.
    if (!stopping) process.stderr.write(`nats-server on port ${port} exited by itself (${signal ?? `code ${code}`}); its log:\n${log().slice(-4000)}\n`);
    resolve();
  }));
  try {
    await Promise.race([
      waitForPort(port, '127.0.0.1', 10_000),
      exitedP.then(() => { throw new Error(`nats-server exited during start-up (port ${port})`); }),
    ]);
  } catch (err) {
    stopping = true;
    child.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
    if (opts.confFile) fs.rmSync(opts.confFile, { force: true });
    throw err;
  }
  const stop = async () => {
    stopping = true;
    if (!exited) {
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exitedP;
      clearTimeout(t);
    }
    fs.rmSync(dir, { recursive: true, force: true });
    if (opts.confFile) fs.rmSync(opts.confFile, { force: true });
  };
  return { url: `nats://127.0.0.1:${port}`, port, pid: child.pid!, log, stop, [Symbol.asyncDispose]: stop };
}
