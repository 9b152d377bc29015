import net from 'node:net';
import tls from 'node:tls';

export interface RawResult {
  /** Every byte the proxy sent back (latin1). */
  raw: string;
  /** Status codes of the responses in `raw`, in order. */
  statuses: number[];
  /** The proxy closed the connection (false: still open when we stopped reading). */
  closed: boolean;
  /** A connection error (ECONNRESET...), if any. */
  error?: string;
}

export type Step = string | Buffer | { pauseMs: number };

/**
 * Writes `steps` to a fresh connection (strings are latin1, so any byte can be
 * sent), then reads until the proxy closes or stays quiet for `quietMs`
 * (or `maxMs` passes). No HTTP client library: the point is to send what a
 * library would refuse to.
 */
export async function rawExchange(port: number, steps: Step[], opts: { quietMs?: number; maxMs?: number; tls?: tls.ConnectionOptions; endAfterWrite?: boolean; localAddress?: string } = {}): Promise<RawResult> {
  const quietMs = opts.quietMs ?? 700;
  // localAddress: another loopback address (127.0.0.2) is another peer to the proxy.
  const from = opts.localAddress ? { localAddress: opts.localAddress } : {};
  const sock: net.Socket = opts.tls
    ? tls.connect({ port, host: '127.0.0.1', rejectUnauthorized: false, ...from, ...opts.tls })
    : net.connect({ port, host: '127.0.0.1', ...from });
  let raw = '';
  let closed = false;
  let error: string | undefined;
  let last = Date.now();
  sock.on('data', (b: Buffer) => { raw += b.toString('latin1'); last = Date.now(); });
  const ended = new Promise<void>((resolve) => sock.once('close', () => { closed = true; resolve(); }));
  sock.on('error', (e: NodeJS.ErrnoException) => { error = e.code ?? e.message; });
  await new Promise<void>((resolve) => {
    sock.once(opts.tls ? 'secureConnect' : 'connect', () => resolve());
    sock.once('error', () => resolve());
  });
  for (const s of steps) {
    if (closed) break;
    if (typeof s === 'object' && !Buffer.isBuffer(s)) await new Promise((r) => setTimeout(r, s.pauseMs));
    else sock.write(typeof s === 'string' ? Buffer.from(s, 'latin1') : s);
    last = Date.now();
  }
  if (opts.endAfterWrite) sock.end();
  const deadline = Date.now() + (opts.maxMs ?? 10_000);
  while (!closed && Date.now() - last < quietMs && Date.now() < deadline) {
    await Promise.race([ended, new Promise((r) => setTimeout(r, 50))]);
  }
  if (!closed) sock.destroy();
  return { raw, statuses: statusesOf(raw), closed, ...(error ? { error } : {}) };
}

export function statusesOf(raw: string): number[] {
  return [...raw.matchAll(/(?:^|\n)HTTP\/1\.[01] (\d{3}) /g)].map((m) => Number(m[1]));
}
