import net from 'node:net';

/** One request as the backend's own reading of the bytes framed it. */
export interface RawRequest {
  /** Connection number (1, 2, ... in accept order). */
  conn: number;
  method: string;
  path: string;
  /** Lower-case names; repeated headers joined with ', '. */
  headers: Record<string, string>;
  body: string;
}

/**
 * What to send back for `req` on `socket` (any bytes; end or destroy the
 * socket to close). `index` counts requests on that connection from 0.
 */
export type Responder = (req: RawRequest, socket: net.Socket, index: number) => void;

export const CRLF = '\r\n';

/** A well-formed keep-alive answer naming the request, so a client can tell whose response it got. */
export function okFor(req: RawRequest, extra = ''): string {
  const body = `backend saw ${req.method} ${req.path}`;
  return `HTTP/1.1 200 OK${CRLF}Content-Length: ${body.length}${CRLF}${extra}${CRLF}${body}`;
}

/**
 * A backend on a raw TCP socket (no HTTP library): it frames requests the
 * simplest way a server would (Content-Length, chunked, else no body),
 * records each, and answers through a scripted `respond`, so it can send
 * what no HTTP server library would: bad status lines, bytes on an idle
 * connection, a close at any moment. What it recorded is what a real
 * backend would have seen, smuggled requests included.
 */
export class RawBackend {
  readonly seen: RawRequest[] = [];
  /** Bytes received, per connection. */
  readonly raw: string[] = [];
  readonly sockets = new Set<net.Socket>();
  /** Connection numbers the other side (or the backend) closed. */
  readonly closed = new Set<number>();
  respond: Responder = (req, s) => s.write(okFor(req));
  /** Called for each new connection before anything is read (e.g. to close it at once). */
  onConnection: ((s: net.Socket, conn: number) => void) | undefined;
  port = 0;
  #server = net.createServer((s) => this.#accept(s));

  async start(): Promise<number> {
    await new Promise<void>((r) => this.#server.listen(0, '127.0.0.1', () => r()));
    this.port = (this.#server.address() as net.AddressInfo).port;
    return this.port;
  }

  /** Back to answering every request with okFor, no connection hook. */
  reset(): void {
    this.respond = (req, s) => s.write(okFor(req));
    this.onConnection = undefined;
  }

  /** The requests seen since the last take, clearing the record. */
  take(): RawRequest[] {
    return this.seen.splice(0);
  }

  /** Closes every connection (the pool's idle ones too). */
  dropAll(): void {
    for (const s of this.sockets) s.destroy();
  }

  async stop(): Promise<void> {
    this.dropAll();
    await new Promise<void>((r) => this.#server.close(() => r()));
  }

  #accept(s: net.Socket): void {
    const conn = this.raw.push('');
    this.sockets.add(s);
    s.on('close', () => { this.sockets.delete(s); this.closed.add(conn); });
    s.on('error', () => s.destroy());
    this.onConnection?.(s, conn);
    let buf = '';
    let index = 0;
    s.on('data', (d: Buffer) => {
      const text = d.toString('latin1');
      this.raw[conn - 1] += text;
      buf += text;
      for (;;) {
        const r = frame(buf);
        if (r === undefined) return;
        buf = buf.slice(r.used);
        const req = { conn, ...r.req };
        this.seen.push(req);
        if (!s.destroyed && s.writable) this.respond(req, s, index++);
      }
    });
  }
}

/** One request off the front of `buf`, or undefined when it is not complete yet. */
function frame(buf: string): { req: Omit<RawRequest, 'conn'>; used: number } | undefined {
  const end = buf.indexOf(CRLF + CRLF);
  if (end < 0) return undefined;
  const lines = buf.slice(0, end).split(CRLF);
  const [method = '', path = ''] = lines[0]!.split(' ');
  const headers: Record<string, string> = {};
  for (const l of lines.slice(1)) {
    const i = l.indexOf(':');
    const k = l.slice(0, i).trim().toLowerCase();
    const v = l.slice(i + 1).trim();
    headers[k] = headers[k] === undefined ? v : `${headers[k]}, ${v}`;
  }
  let at = end + 4;
  let body = '';
  if (/chunked/i.test(headers['transfer-encoding'] ?? '')) {
    for (;;) {
      const eol = buf.indexOf(CRLF, at);
      if (eol < 0) return undefined;
      const size = parseInt(buf.slice(at, eol), 16);
      if (size === 0) {
        const fin = buf.indexOf(CRLF + CRLF, eol);
        if (fin < 0 && buf.slice(eol, eol + 4) !== CRLF + CRLF) return undefined;
        return { req: { method, path, headers, body }, used: (fin < 0 ? eol : fin) + 4 };
      }
      if (buf.length < eol + 2 + size + 2) return undefined;
      body += buf.slice(eol + 2, eol + 2 + size);
      at = eol + 2 + size + 2;
    }
  }
  const len = Number(headers['content-length'] ?? 0);
  if (buf.length < at + len) return undefined;
  body = buf.slice(at, at + len);
  return { req: { method, path, headers, body }, used: at + len };
}
