/**
 * HTTP/1.1 Upgrade (WebSocket) pass-through: the request is routed like any
 * other, sent upstream by undici with the same Upgrade token, and once the
 * endpoint answers 101 the two sockets are piped to each other. A non-101
 * answer is relayed as a plain response and the connection closed.
 */
import http from 'node:http';
import type { Duplex } from 'node:stream';
import { normalizePath } from '@meshgate/routing';
import { isConnectError, type EndpointSet, type UpstreamEndpoint } from '@meshgate/upstream';
import { forwardHeaders, originTarget, validHost, type ProxyContext } from './proxy-handler.ts';
import { newRequestId } from './ids.ts';
import type { RoutePolicy } from './route-policy.ts';

export function createUpgradeHandler(ctx: ProxyContext) {
  return function upgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    new UpgradeExchange(ctx, req, socket, head).start();
  };
}

class UpgradeExchange {
  readonly ctx: ProxyContext;
  readonly req: http.IncomingMessage;
  readonly socket: Duplex;
  readonly head: Buffer;
  readonly started = performance.now();
  readonly h2 = false;
  host = '';
  /** Absolute-form target: `host` is its authority and replaces the Host header upstream. */
  absolute = false;
  requestId = '';
  set: EndpointSet | undefined;
  policy: RoutePolicy | undefined;
  ep: UpstreamEndpoint | undefined;
  tried = new Set<string>();
  headers: string[] = [];
  path = '';
  status = 0;
  backend = '';
  ingress = '';
  logged = false;

  constructor(ctx: ProxyContext, req: http.IncomingMessage, socket: Duplex, head: Buffer) {
    this.ctx = ctx;
    this.req = req;
    this.socket = socket;
    this.head = head;
    socket.on('error', () => socket.destroy());
  }

  scheme(): string { return (this.req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http'; }

  start(): void {
    const h = this.req.headers;
    this.host = h.host ?? '';
    this.requestId = typeof h['x-request-id'] === 'string' ? h['x-request-id'] : newRequestId();
    const cfg = this.ctx.config();
    if (!cfg) return this.reply(503, 'meshgate: no configuration applied yet\n');
    // Absolute-form (RFC 9112 3.2.2): routed by its authority, sent upstream in origin-form.
    const target = normalizePath(originTarget(this, this.req.url ?? ''));
    if (!target) return this.reply(400, 'meshgate: malformed request target\n');
    // As for plain requests (proxy-handler.ts): a name or IP literal and a port that exists, or 400.
    if (!validHost(this.host)) return this.reply(400, 'meshgate: invalid Host header\n');
    const match = cfg.routes.find(this.host, target.path);
    if (!match) return this.reply(404, 'meshgate: no ingress rule matches this host and path\n');
    this.backend = match.backend;
    this.ingress = match.ingress;
    this.policy = cfg.policies.get(match.ingress) ?? cfg.defaultPolicy;
    this.set = cfg.backends.get(match.backend);
    if (!this.set) return this.reply(503, `meshgate: backend ${match.backend} has no endpoints\n`);
    this.path = target.query ? `${target.path}?${target.query}` : target.path;
    this.headers = forwardHeaders(this);
    this.attempt();
  }

  attempt(): void {
    const p = this.policy!;
    const ep = this.set!.pick({ lb: p.lb === 'consistent-hash' ? 'round-robin' : p.lb, tried: this.tried, allDown: p.allDown });
    if (!ep) return this.reply(this.tried.size ? 502 : 503, `meshgate: no endpoint of ${this.backend} accepted the connection\n`);
    this.ep = ep;
    this.tried.add(ep.id);
    this.ctx.pools.get(ep, p.connectTimeoutMs, p.idleTimeoutMs).dispatch({
      method: 'GET', path: this.path, headers: this.headers, upgrade: this.req.headers.upgrade ?? 'websocket',
      headersTimeout: p.responseTimeoutMs, bodyTimeout: 0,
    }, this);
  }

  onConnect(abort: (err: Error) => void): void {
    if (this.socket.destroyed) abort(new Error('client went away'));
  }

  onUpgrade(statusCode: number, raw: Buffer[], upstream: Duplex): void {
    this.status = statusCode;
    let head = `HTTP/1.1 ${statusCode} ${http.STATUS_CODES[statusCode] ?? ''}\r\n`;
    for (let i = 0; i < raw.length; i += 2) head += `${raw[i]!.toString('latin1')}: ${raw[i + 1]!.toString('latin1')}\r\n`;
    this.socket.write(head + '\r\n');
    if (this.head.length) upstream.write(this.head);
    upstream.on('error', () => { upstream.destroy(); this.socket.destroy(); });
    this.socket.on('error', () => upstream.destroy());
    this.socket.on('close', () => upstream.destroy());
    upstream.on('close', () => this.socket.destroy());
    upstream.pipe(this.socket);
    this.socket.pipe(upstream);
    this.log(statusCode);
  }

  onHeaders(statusCode: number, raw: Buffer[]): boolean {
    if (statusCode < 200) return true;
    this.status = statusCode;
    let head = `HTTP/1.1 ${statusCode} ${http.STATUS_CODES[statusCode] ?? ''}\r\n`;
    for (let i = 0; i < raw.length; i += 2) {
      const k = raw[i]!.toString('latin1').toLowerCase();
      if (k === 'connection' || k === 'keep-alive' || k === 'transfer-encoding') continue;
      head += `${k}: ${raw[i + 1]!.toString('latin1')}\r\n`;
    }
    this.socket.write(head + 'connection: close\r\n\r\n');
    return true;
  }

  onData(chunk: Buffer): boolean { return this.socket.write(chunk); }

  onComplete(): void {
    this.socket.end();
    this.log(this.status);
  }

  onError(err: Error & { code?: string }): void {
    const code = err.code ?? '';
    if (isConnectError(err) && this.ep && this.set) {
      const ms = this.set.reportFailure(this.ep, 'connect');
      if (ms > 0) this.ctx.onEjected?.(this.ep.id, this.set.backendId, code, ms);
      if (this.tried.size < this.policy!.attempts && this.status === 0) return this.attempt();
    }
    if (this.status === 0) return this.reply(code === 'UND_ERR_HEADERS_TIMEOUT' ? 504 : 502, `meshgate: upgrade to ${this.backend} failed (${code || err.message})\n`);
    this.socket.destroy();
    this.log(this.status);
  }

  reply(status: number, body: string): void {
    if (!this.socket.destroyed) {
      this.socket.end(`HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nx-request-id: ${this.requestId}\r\nconnection: close\r\n\r\n${body}`);
    }
    this.log(status);
  }

  log(status: number): void {
    if (this.logged) return;
    this.logged = true;
    const c = this.ctx.counters;
    const cls = `${Math.floor(status / 100)}xx`;
    c[cls] = (c[cls] ?? 0) + 1;
    this.ctx.accessLog.write({
      time: new Date().toISOString(), node: this.ctx.nodeId, worker: this.ctx.worker, requestId: this.requestId,
      method: this.req.method, host: this.host, path: this.req.url, status, upgrade: this.req.headers.upgrade,
      ingress: this.ingress, backend: this.backend, upstream: this.ep?.id ?? '', attempts: this.tried.size,
      durationMs: Math.round((performance.now() - this.started) * 1000) / 1000,
    });
  }
}
