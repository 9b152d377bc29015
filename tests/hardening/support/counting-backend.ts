import http from 'node:http';
import type net from 'node:net';

export interface SeenRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  rawHeaders: string[];
  body: string;
  /** The body arrived in full (false: the proxy aborted it mid-way). */
  complete: boolean;
}

/**
 * A backend that records every request it sees, and the raw bytes of every
 * connection, so a test can assert the proxy passed exactly the requests it
 * should (no smuggled second request, nothing for a request it refused).
 * Lenient parser: whatever the proxy forwards is recorded, not refused here.
 */
export class CountingBackend {
  readonly seen: SeenRequest[] = [];
  raw = '';
  #server: http.Server;
  port = 0;

  constructor() {
    this.#server = http.createServer({ insecureHTTPParser: true, requestTimeout: 0, headersTimeout: 60_000 }, (req, res) => {
      const rec: SeenRequest = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, rawHeaders: req.rawHeaders, body: '', complete: false };
      this.seen.push(rec);
      req.setEncoding('latin1');
      req.on('data', (c: string) => { rec.body += c; });
      req.on('end', () => {
        rec.complete = true;
        const body = `backend saw ${req.method} ${req.url} (${rec.body.length} body bytes)\n`;
        res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) });
        res.end(body);
      });
    });
    this.#server.on('connection', (s: net.Socket) => s.on('data', (b: Buffer) => { this.raw += b.toString('latin1'); }));
    this.#server.on('clientError', (_err, socket) => socket.destroy());
  }

  async start(): Promise<number> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.port = (this.#server.address() as net.AddressInfo).port;
    return this.port;
  }

  /** Everything seen since the last take (and the raw bytes), clearing both. */
  take(): { requests: SeenRequest[]; raw: string } {
    const out = { requests: this.seen.splice(0), raw: this.raw };
    this.raw = '';
    return out;
  }

  async stop(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
