/**
 * The recording backend of the differential fuzzer: raw TCP listeners, one
 * per (proxy, lane) and one "stray" per proxy (the default backend), that
 * frame what each proxy sent with the strict parser of http-parse.ts and
 * record every request, every request cut short and every byte string a
 * strict backend could not frame. Each request is answered with a small
 * response that echoes its tag (X-Fuzz-Echo), so a client can tell its own
 * answer from another's. Some answers, chosen by the tag (so both proxies
 * get the same), close the connection after them, with or without saying so,
 * as real backends do: that exercises each proxy's keep-alive pool.
 */
import net from 'node:net';
import { header, parseRequest } from './http-parse.ts';

export type ProxyName = 'meshgate' | 'nginx';
export const PROXIES: readonly ProxyName[] = ['meshgate', 'nginx'];

export interface SeenRequest {
  conn: number;
  tag?: string;
  method: string;
  target: string;
  host?: string;
  body: Buffer;
}

export interface PartialRequest { conn: number; tag?: string; method: string; target: string }
export interface Malformed { conn: number; reason: string; bytes: string }

export interface LaneRecord {
  complete: SeenRequest[];
  partial: PartialRequest[];
  malformed: Malformed[];
}

/** Lane of a tag `fz.<lane>.<case>.<r|s><n>`. */
export function laneOfTag(tag: string | undefined): number | undefined {
  const m = tag ? /^fz\.(\d+)\./.exec(tag) : null;
  return m ? Number(m[1]) : undefined;
}

export function tagHash(tag: string): number {
  let h = 2166136261;
  for (let i = 0; i < tag.length; i++) h = Math.imul(h ^ tag.charCodeAt(i), 16777619);
  return (h >>> 0) % 100;
}

const empty = (): LaneRecord => ({ complete: [], partial: [], malformed: [] });

export class RecordingBackend {
  /** Backend port of (proxy, lane); lane -1 is the stray (default) backend. */
  readonly ports = new Map<string, number>();
  /** Records by proxy and lane. Requests for no known lane go to lane -1. */
  #records = new Map<string, LaneRecord>();
  /** Last time any byte arrived, by proxy and lane. */
  #lastAt = new Map<string, number>();
  #servers: net.Server[] = [];
  #sockets = new Set<net.Socket>();
  #connIds = 0;

  static key(proxy: ProxyName, lane: number): string { return `${proxy}/${lane}`; }

  async start(lanes: number): Promise<void> {
    for (const proxy of PROXIES) {
      for (let lane = -1; lane < lanes; lane++) {
        const server = net.createServer((s) => this.#serve(s, proxy, lane));
        await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
        this.#servers.push(server);
        this.ports.set(RecordingBackend.key(proxy, lane), (server.address() as net.AddressInfo).port);
      }
    }
  }

  port(proxy: ProxyName, lane: number): number { return this.ports.get(RecordingBackend.key(proxy, lane))!; }

  /** What (proxy, lane) received since the last take. */
  take(proxy: ProxyName, lane: number): LaneRecord {
    const k = RecordingBackend.key(proxy, lane);
    const r = this.#records.get(k) ?? empty();
    this.#records.delete(k);
    return r;
  }

  /** Complete requests (proxy, lane) received since the last take (each is answered at once). */
  answered(proxy: ProxyName, lane: number): number { return this.#records.get(RecordingBackend.key(proxy, lane))?.complete.length ?? 0; }

  lastAt(proxy: ProxyName, lane: number): number { return this.#lastAt.get(RecordingBackend.key(proxy, lane)) ?? 0; }

  #sink(proxy: ProxyName, lane: number, tag: string | undefined): LaneRecord {
    const l = lane >= 0 ? lane : (laneOfTag(tag) ?? -1);
    const k = RecordingBackend.key(proxy, l);
    let r = this.#records.get(k);
    if (!r) this.#records.set(k, r = empty());
    this.#lastAt.set(k, Date.now());
    return r;
  }

  #serve(sock: net.Socket, proxy: ProxyName, lane: number): void {
    const conn = ++this.#connIds;
    this.#sockets.add(sock);
    sock.setNoDelay(true);
    let buf: Buffer = Buffer.alloc(0);
    let off = 0;
    let closing = false;
    let pending: Promise<void> = Promise.resolve();
    let head: { method: string; target: string; tag?: string } | undefined;
    sock.on('error', () => {});
    sock.on('close', () => {
      this.#sockets.delete(sock);
      if (head && !closing) this.#sink(proxy, lane, head.tag).partial.push({ conn, ...head });
    });
    sock.on('data', (b: Buffer) => {
      if (closing) return; // after a close was decided nothing more is read: a real backend would have gone
      buf = off === buf.length ? b : Buffer.concat([buf.subarray(off), b]);
      off = 0;
      this.#lastAt.set(RecordingBackend.key(proxy, lane), Date.now());
      for (;;) {
        const step = parseRequest(buf, off);
        if (step.kind === 'more') {
          head = step.head ? { method: step.head.method, target: step.head.target, ...tagOf(step.head.headers) } : undefined;
          return;
        }
        head = undefined;
        if (step.kind === 'error') {
          const t = /x-fuzz-tag: *([^\r\n]+)/i.exec(buf.toString('latin1', off, off + 4096))?.[1];
          this.#sink(proxy, lane, t).malformed.push({ conn, reason: step.reason, bytes: buf.toString('latin1', off, off + 600) });
          closing = true;
          pending = pending.then(() => { sock.end('HTTP/1.1 400 Bad Request\r\nX-Fuzz-Backend: refused\r\nContent-Length: 0\r\nConnection: close\r\n\r\n'); });
          return;
        }
        const req = step.req;
        off = req.end;
        const t = tagOf(req.headers).tag;
        const host = header(req.headers, 'host')[0];
        this.#sink(proxy, lane, t).complete.push({ conn, method: req.method, target: req.target, body: Buffer.from(req.body), ...(t ? { tag: t } : {}), ...(host !== undefined ? { host } : {}) });
        const h = t ? tagHash(t) : 50;
        const close = h < 4 ? 'announced' : h < 7 ? 'silent' : undefined;
        if (close) closing = true;
        const delay = Number(header(req.headers, 'x-fuzz-delay')[0] ?? 0);
        const answer = respond(req.method, t, close === 'announced');
        pending = pending.then(async () => {
          if (delay > 0) await new Promise((r) => setTimeout(r, Math.min(delay, 2_000)));
          if (sock.destroyed) return;
          sock.write(answer);
          if (close === 'announced') sock.end();
          else if (close === 'silent') setTimeout(() => sock.destroy(), 2);
        });
        if (closing) return;
      }
    });
  }

  async stop(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    await Promise.all(this.#servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  }
}

function tagOf(headers: [string, string][]): { tag?: string } {
  // A duplicated tag line may come joined into a list ("a, a"): the first one names the request.
  const t = header(headers, 'x-fuzz-tag')[0]?.split(',')[0].trim();
  return t ? { tag: t } : {};
}

function respond(method: string, tag: string | undefined, close: boolean): Buffer {
  const body = `ok ${tag ?? '-'}\n`;
  return Buffer.from(`HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\n${tag ? `X-Fuzz-Echo: ${tag}\r\n` : ''}${close ? 'Connection: close\r\n' : ''}\r\n${method === 'HEAD' ? '' : body}`, 'latin1');
}
