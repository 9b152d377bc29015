import net from 'node:net';
import { statusAllowed, type CheckSpec } from './check-spec.ts';

export interface ProbeTarget {
  readonly id: string;
  readonly address: string;
  readonly port: number;
  readonly check: CheckSpec;
}

export interface ProbeResult { ok: boolean; reason: string }

const USER_AGENT = 'meshgate-health-agent';
/** A status line longer than this is not HTTP. */
const MAX_HEAD = 1024;

/**
 * One active check on a fresh connection (a probe must see a dead listener,
 * not a pooled socket that happens to still be open), within timeoutMs.
 *
 * HTTP checks speak just enough HTTP/1.1 on a raw socket to read the status
 * line, then reset the connection, as HAProxy's checks do: no parser, no
 * agent, no TIME_WAIT left behind on the agent's side, which is what lets one
 * agent keep thousands of probes a second on schedule. TCP checks succeed on
 * connect and reset at once.
 */
export function probe(t: ProbeTarget, timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    let settled = false;
    const socket = net.connect({ host: t.address, port: t.port, noDelay: true });
    const settle = (r: ProbeResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      // A socket still connecting is destroyed (resetAndDestroy would wait for
      // the connect, which never comes on a black-holed address).
      if (socket.connecting) socket.destroy();
      else if (!socket.destroyed) socket.resetAndDestroy();
      resolve(r);
    };
    const timer = setTimeout(() => settle({ ok: false, reason: `timeout after ${timeoutMs} ms` }), timeoutMs);
    let connected = false;
    socket.once('connect', () => { connected = true; });
    socket.on('error', (err: NodeJS.ErrnoException) => settle({ ok: false, reason: `${connected ? 'read' : 'connect'} ${err.code ?? err.message}` }));
    socket.on('close', () => settle({ ok: false, reason: 'connection closed before a status line' }));
    const check = t.check;
    if (check.kind === 'tcp') {
      socket.once('connect', () => settle({ ok: true, reason: 'TCP connect' }));
      return;
    }
    socket.once('connect', () => {
      socket.write(`GET ${check.path} HTTP/1.1\r\nHost: ${hostHeader(t)}\r\nUser-Agent: ${USER_AGENT}\r\nAccept: */*\r\nConnection: close\r\n\r\n`);
    });
    let head = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      head += chunk;
      const eol = head.indexOf('\r\n');
      if (eol < 0) {
        if (head.length > MAX_HEAD) settle({ ok: false, reason: 'no HTTP status line in the first 1 KiB' });
        return;
      }
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(head.slice(0, eol));
      if (!m) return settle({ ok: false, reason: `not an HTTP response: ${JSON.stringify(head.slice(0, Math.min(eol, 40)))}` });
      const code = Number(m[1]);
      settle(statusAllowed(check.status, code)
        ? { ok: true, reason: `HTTP ${code}` }
        : { ok: false, reason: `HTTP ${code} (healthy: ${check.statusText})` });
    });
  });
}

function hostHeader(t: ProbeTarget): string {
  return t.address.includes(':') ? `[${t.address}]:${t.port}` : `${t.address}:${t.port}`;
}
