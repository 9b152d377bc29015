import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';

const ASSETS = path.join(import.meta.dirname, 'assets');
const FILES: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/app.css': { file: 'app.css', type: 'text/css; charset=utf-8' },
  '/dom.js': { file: 'dom.js', type: 'text/javascript; charset=utf-8' },
  '/charts.js': { file: 'charts.js', type: 'text/javascript; charset=utf-8' },
};
/** The page loads nothing from elsewhere and cannot be framed. */
const HEADERS = {
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};
/** A client this far behind is dropped (EventSource reconnects and starts from a fresh state). */
const MAX_BACKLOG_BYTES = 8 * 1024 * 1024;

export interface DashboardServerOptions {
  host: string;
  port: number;
  /** The whole state as JSON (a fresh read). */
  state(): Promise<string>;
  /** A client connected or left. */
  onClients?(count: number): void;
}

/**
 * The dashboard's HTTP listener: the page and its assets (read once from
 * the package), the state as JSON (/api/state), and server-sent events
 * (/api/events): the whole state first, then each section that changes.
 * Read-only: anything but GET and HEAD is refused.
 */
export class DashboardServer {
  readonly #o: DashboardServerOptions;
  readonly #clients = new Set<http.ServerResponse>();
  readonly #files = new Map<string, { body: Buffer; type: string }>();
  #server: http.Server | undefined;
  #ping: NodeJS.Timeout | undefined;
  url = '';

  constructor(o: DashboardServerOptions) {
    this.#o = o;
    for (const [route, f] of Object.entries(FILES)) this.#files.set(route, { body: fs.readFileSync(path.join(ASSETS, f.file)), type: f.type });
  }

  get clients(): number {
    return this.#clients.size;
  }

  async listen(): Promise<string> {
    const server = http.createServer((req, res) => void this.#handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`dashboard: ${(err as Error).message}\n`);
    }));
    this.#server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.#o.port, this.#o.host, () => { server.off('error', reject); resolve(); });
    });
    const a = server.address();
    const port = typeof a === 'object' && a ? a.port : this.#o.port;
    const host = this.#o.host === '0.0.0.0' || this.#o.host === '::' ? '127.0.0.1' : this.#o.host;
    this.url = `http://${host.includes(':') ? `[${host}]` : host}:${port}/`;
    // A comment every 15 s keeps idle connections (and proxies between) open.
    this.#ping = setInterval(() => this.#write(': ping\n\n'), 15_000);
    this.#ping.unref();
    return this.url;
  }

  async #handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { ...HEADERS, allow: 'GET, HEAD', 'content-type': 'text/plain' });
      res.end('the dashboard is read-only\n');
      return;
    }
    const url = (req.url ?? '/').split('?')[0]!;
    const file = this.#files.get(url === '/index.html' ? '/' : url);
    if (file) {
      res.writeHead(200, { ...HEADERS, 'content-type': file.type, 'content-length': file.body.length });
      res.end(req.method === 'HEAD' ? undefined : file.body);
    } else if (url === '/api/state') {
      const body = Buffer.from(await this.#o.state());
      res.writeHead(200, { ...HEADERS, 'content-type': 'application/json', 'content-length': body.length });
      res.end(req.method === 'HEAD' ? undefined : body);
    } else if (url === '/api/events') {
      await this.#subscribe(req, res);
    } else if (url === '/healthz') {
      res.writeHead(200, { ...HEADERS, 'content-type': 'text/plain' });
      res.end('ok\n');
    } else {
      res.writeHead(404, { ...HEADERS, 'content-type': 'text/plain' });
      res.end('not found\n');
    }
  }

  async #subscribe(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    res.writeHead(200, { ...HEADERS, 'content-type': 'text/event-stream', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    res.write(`retry: 1000\nevent: state\ndata: ${await this.#o.state()}\n\n`);
    this.#clients.add(res);
    this.#o.onClients?.(this.#clients.size);
    req.socket.setNoDelay(true);
    res.on('close', () => {
      this.#clients.delete(res);
      this.#o.onClients?.(this.#clients.size);
    });
  }

  /** Sends one event (its data is JSON, one line) to every client. */
  send(event: string, json: string): void {
    this.#write(`event: ${event}\ndata: ${json}\n\n`);
  }

  #write(text: string): void {
    for (const c of this.#clients) {
      if (c.writableLength > MAX_BACKLOG_BYTES) { c.destroy(); continue; }
      c.write(text);
    }
  }

  async close(): Promise<void> {
    clearInterval(this.#ping);
    for (const c of this.#clients) c.destroy();
    const s = this.#server;
    if (!s) return;
    await new Promise<void>((r) => { s.close(() => r()); s.closeAllConnections(); });
  }
}
