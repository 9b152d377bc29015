/**
 * Hostile backends, against meshgate alone: each answers a request the way
 * the client asked for it by its tag (plan), from a catalogue of what a
 * broken or malicious backend sends: out-of-range and garbled status lines,
 * contradictory framing, early closes and resets, extra bytes after the
 * answer, bytes on an idle kept-alive connection, a slow drip, huge heads.
 * "Ghost" responses carry a tag no client sent: a client that ever sees one
 * got a response that was not its own.
 */
import net from 'node:net';
import type { Prng } from '../hardening/fuzz/prng.ts';
import { header, parseRequest } from './http-parse.ts';

type Act = (io: Io) => Promise<void> | void;

interface Io {
  tag: string;
  method: string;
  r: Prng;
  write(s: string | Buffer): void;
  end(s?: string): void;
  destroy(): void;
  reset(): void;
  sleep(ms: number): Promise<void>;
  ghost(): string;
}

let ghosts = 0;
const ok = (tag: string, status = '200 OK', extra = '', body = `ok ${tag}\n`) => `HTTP/1.1 ${status}\r\nX-Fuzz-Echo: ${tag}\r\nContent-Length: ${body.length}\r\n${extra}\r\n${body}`;
const ghostResponse = () => { const g = `ghost.${++ghosts}`; return ok(g); };

const STATUS_CODES = ['000', '099', '100', '101', '102', '103', '199', '200', '204', '205', '299', '304', '399', '404', '499', '500', '599', '600', '999', '1000', '20', '-1', 'abc', ' 200', '2000', '2OO'];
const STATUS_LINES = ['HTTP/1.1200 OK', 'HTTP/2 200 OK', 'ICY 200 OK', 'HTTP/1.1 200', 'HTTP/1.1 200 OK ', 'http/1.1 200 ok', 'HTTP/0.9 200 OK', 'HTTP/1.2 200 OK', 'HTTP/1.1 200 O\x00K', 'HTTP/1.1  200 OK', ' HTTP/1.1 200 OK', 'HTTP/1.1 2000 OK'];

export const BEHAVIOURS: Record<string, Act> = {
  normal: (io) => io.write(ok(io.tag)),
  'status-random': (io) => io.write(ok(io.tag, `${io.r.pick(STATUS_CODES)} ${io.r.pick(['OK', '', 'X', 'Wat\tever', '\xff'])}`)),
  'status-line-garbled': (io) => { const b = `ok ${io.tag}\n`; io.write(`${io.r.pick(STATUS_LINES)}\r\nX-Fuzz-Echo: ${io.tag}\r\nContent-Length: ${b.length}\r\n\r\n${b}`); },
  'bare-lf': (io) => io.write(ok(io.tag).replace(/\r\n/g, '\n')),
  'no-length-close': (io) => { io.write(`HTTP/1.1 200 OK\r\nX-Fuzz-Echo: ${io.tag}\r\n\r\nok ${io.tag}\n`); io.end(); },
  'http10-no-length': (io) => { io.write(`HTTP/1.0 200 OK\r\nX-Fuzz-Echo: ${io.tag}\r\n\r\nok ${io.tag}\n`); io.end(); },
  'cl-and-te': (io) => io.write(`HTTP/1.1 200 OK\r\nX-Fuzz-Echo: ${io.tag}\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n`),
  'cl-dup-diff': (io) => io.write(`HTTP/1.1 200 OK\r\nX-Fuzz-Echo: ${io.tag}\r\nContent-Length: 3\r\nContent-Length: 40\r\n\r\nabc${ghostResponse()}`),
  'cl-list': (io) => io.write(`HTTP/1.1 200 OK\r\nX-Fuzz-Echo: ${io.tag}\r\nContent-Length: 3, 3\r\n\r\nabc`),
  'cl-neg': (io) => io.write(`HTTP/1.1 200 OK\r\nX-Fuzz-Echo: ${io.tag}\r\nContent-Length: -3\r\n\r\nabc`),
  'cl-short': (io) => io.write(`HTTP/1.1 200 OK\r\nX-Fuzz-Echo: ${io.tag}\r\nContent-Length: 2\r\n\r\nok${ghostResponse()}`),
  'cl-long-close': (io) => { io.write(`HTTP/1.1 200 OK\r\nX-Fuzz-Echo: ${io.tag}\r\nContent-Length: 100\r\n\r\nonly a few`); io.end(); },
  'cl-huge-close': (io) => { io.write(`HTTP/1.1 200 OK\r\nX-Fuzz-Echo: ${io.tag}\r\nContent-Length: 99999999999999999999\r\n\r\nabc`); io.end(); },
  'chunked-bad-size': (io) => io.write(`HTTP/1.1 200 OK\r\nX-Fuzz-Echo: ${io.tag}\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n`),
  'chunked-overflow': (io) => io.write(`HTTP/1.1 200 OK\r\nX-Fuzz-Echo: ${io.tag}\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\nabc\r\n0\r\n\r\n`),
  'chunked-no-end-close': (io) => { io.write(`HTTP/1.1 200 OK\r\nX-Fuzz-Echo: ${io.tag}\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n`); io.end(); },
  'chunked-then-ghost': (io) => io.write(`HTTP/1.1 200 OK\r\nX-Fuzz-Echo: ${io.tag}\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n${ghostResponse()}`),
  'te-identity': (io) => { io.write(`HTTP/1.1 200 OK\r\nX-Fuzz-Echo: ${io.tag}\r\nTransfer-Encoding: identity\r\n\r\nabc`); io.end(); },
  'te-gzip-only': (io) => { io.write(`HTTP/1.1 200 OK\r\nX-Fuzz-Echo: ${io.tag}\r\nTransfer-Encoding: gzip\r\n\r\nabc`); io.end(); },
  'close-before-answer': (io) => io.destroy(),
  'reset-before-answer': (io) => io.reset(),
  'close-mid-head': (io) => { io.write(`HTTP/1.1 200 OK\r\nX-Fuzz-Echo: ${io.tag}\r\nContent-Le`); io.destroy(); },
  'close-mid-body': (io) => { io.write(`HTTP/1.1 200 OK\r\nX-Fuzz-Echo: ${io.tag}\r\nContent-Length: 50\r\n\r\nhalf`); io.destroy(); },
  'reset-mid-body': async (io) => { io.write(`HTTP/1.1 200 OK\r\nX-Fuzz-Echo: ${io.tag}\r\nContent-Length: 50\r\n\r\nhalf`); await io.sleep(2); io.reset(); },
  'extra-response': (io) => io.write(ok(io.tag) + ghostResponse()),
  'extra-garbage': (io) => io.write(`${ok(io.tag)}\x00\x01garbage\r\n\r\n`),
  'idle-response': async (io) => { io.write(ok(io.tag)); await io.sleep(1 + io.r.int(30)); io.write(ghostResponse()); },
  'idle-garbage': async (io) => { io.write(ok(io.tag)); await io.sleep(1 + io.r.int(30)); io.write('HTTP/1.1 600 Nope\r\n\r\n'); },
  'idle-close': async (io) => { io.write(ok(io.tag)); await io.sleep(io.r.int(5)); io.destroy(); },
  drip: async (io) => { const s = ok(io.tag); for (let i = 0; i < s.length; i += 1 + io.r.int(8)) { io.write(s.slice(i, i + 1 + io.r.int(8))); await io.sleep(io.r.int(3)); } },
  'drip-then-close': async (io) => { const s = ok(io.tag); io.write(s.slice(0, 20)); await io.sleep(20); io.write(s.slice(20, 40)); io.destroy(); },
  'huge-header': (io) => io.write(ok(io.tag, '200 OK', `X-Huge: ${'h'.repeat(80_000)}\r\n`)),
  'many-headers': (io) => io.write(ok(io.tag, '200 OK', Array.from({ length: 2_000 }, (_, i) => `X-H${i}: ${i}\r\n`).join(''))),
  'header-bad-chars': (io) => io.write(ok(io.tag, '200 OK', io.r.pick(['X-A: a\rb\r\n', 'X-A: a\x00b\r\n', 'X A: b\r\n', 'X-A\r\n', ' folded\r\n', 'Set-Cookie: a=b\r\n Set-Cookie: c=d\r\n']))),
  interim: (io) => io.write(`HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n${ok(io.tag)}`),
  'interim-only-close': (io) => { io.write('HTTP/1.1 100 Continue\r\n\r\n'); io.end(); },
  'switching-protocols': (io) => io.write('HTTP/1.1 101 Switching Protocols\r\nConnection: upgrade\r\nUpgrade: foo\r\n\r\n\x00\x01tunnel bytes'),
  'connection-close-header': (io) => { io.write(ok(io.tag, '200 OK', 'Connection: close\r\n')); io.end(); },
  'keep-alive-lie': (io) => io.write(ok(io.tag, '200 OK', 'Connection: keep-alive\r\nKeep-Alive: timeout=1\r\n')),
  'no-content-with-body': (io) => io.write(`HTTP/1.1 204 No Content\r\nX-Fuzz-Echo: ${io.tag}\r\nContent-Length: 5\r\n\r\nhello`),
  'not-modified-with-body': (io) => io.write(`HTTP/1.1 304 Not Modified\r\nX-Fuzz-Echo: ${io.tag}\r\n\r\n${ghostResponse()}`),
  'head-with-body': (io) => io.write(ok(io.tag)),
  delay: async (io) => { await io.sleep(20 + io.r.int(200)); io.write(ok(io.tag)); },
};
export const BEHAVIOUR_NAMES = Object.keys(BEHAVIOURS);

export class HostileBackend {
  readonly ports: number[] = [];
  /** What to do for each request tag (set by the client before it sends). */
  readonly plans = new Map<string, { behaviour: string; r: Prng }>();
  #servers: net.Server[] = [];
  #sockets = new Set<net.Socket>();

  async start(lanes: number): Promise<void> {
    for (let i = 0; i < lanes; i++) {
      const server = net.createServer((s) => this.#serve(s));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      this.#servers.push(server);
      this.ports.push((server.address() as net.AddressInfo).port);
    }
  }

  #serve(sock: net.Socket): void {
    this.#sockets.add(sock);
    sock.on('close', () => this.#sockets.delete(sock));
    sock.on('error', () => {});
    let buf: Buffer = Buffer.alloc(0);
    let chain: Promise<void> = Promise.resolve();
    sock.on('data', (b: Buffer) => {
      buf = Buffer.concat([buf, b]);
      for (;;) {
        const step = parseRequest(buf, 0);
        if (step.kind === 'more') return;
        if (step.kind === 'error') { sock.destroy(); return; }
        buf = buf.subarray(step.req.end);
        const tag = header(step.req.headers, 'x-fuzz-tag')[0] ?? 'untagged';
        const plan = this.plans.get(tag);
        this.plans.delete(tag);
        const act = BEHAVIOURS[plan?.behaviour ?? 'normal'];
        const io: Io = {
          tag, method: step.req.method, r: plan?.r ?? ({ int: () => 0, pick: <T>(x: readonly T[]) => x[0], next: () => 0 } as unknown as Prng),
          write: (s) => { if (!sock.destroyed) sock.write(typeof s === 'string' ? Buffer.from(s, 'latin1') : s); },
          end: (s) => { if (sock.destroyed) return; if (s === undefined) sock.end(); else sock.end(Buffer.from(s, 'latin1')); },
          destroy: () => sock.destroy(),
          reset: () => { if (!sock.destroyed) sock.resetAndDestroy(); },
          sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
          ghost: ghostResponse,
        };
        chain = chain.then(() => act(io)).catch(() => {});
      }
    });
  }

  async stop(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    await Promise.all(this.#servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  }
}
