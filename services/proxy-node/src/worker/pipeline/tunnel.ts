/**
 * WebSocket upgrades after the route and request-filter phases: the request
 * goes upstream through undici with the same Upgrade token; once the
 * endpoint answers 101 the two sockets are piped to each other. A non-101
 * answer is relayed as a plain response and the connection closed. Before
 * the 101 the client's socket is answered through SocketDownstream.
 */
import { STATUS_CODES } from 'node:http';
import type net from 'node:net';
import type { Duplex } from 'node:stream';
import { InvalidResponseError, isConnectError, type UpstreamError } from '@meshgate/upstream';
import type { H1Request } from '../h1-server.ts';
import type { Downstream } from './downstream.ts';
import { runRequestFilters } from './pipeline.ts';
import type { PipelineEnv } from './pipeline-env.ts';
import { RequestContext } from './request-context.ts';
import { crashed, finish, respond } from './respond.ts';
import { routeRequest } from './route-phase.ts';
import { forwardHeaders } from './upstream-request.ts';

/** A raw socket answered with one HTTP/1.1 response that closes it. */
export class SocketDownstream implements Downstream {
  readonly socket: Duplex;
  headersSent = false;
  writableFinished = false;
  shouldKeepAlive = false;
  #head = '';

  constructor(socket: Duplex) {
    this.socket = socket;
  }

  writeHead(status: number, headers: readonly string[]): void {
    let head = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n`;
    for (let i = 0; i < headers.length; i += 2) head += `${headers[i]}: ${headers[i + 1]}\r\n`;
    this.#head = `${head}connection: close\r\n\r\n`;
    this.headersSent = true;
  }

  write(chunk: Buffer): boolean {
    if (this.#head !== '') {
      this.socket.write(this.#head);
      this.#head = '';
    }
    return this.socket.write(chunk);
  }

  end(chunk?: Buffer | string): void {
    if (this.writableFinished) return;
    this.writableFinished = true;
    if (this.socket.destroyed) return;
    const body = chunk === undefined ? '' : typeof chunk === 'string' ? chunk : chunk.toString('latin1');
    this.socket.end(this.#head + body, 'latin1');
    this.#head = '';
  }

  destroy(): void {
    this.socket.destroy();
  }

  once(event: 'close' | 'drain', fn: () => void): void {
    this.socket.once(event, fn);
  }
}

export function handleUpgrade(env: PipelineEnv, req: H1Request, socket: Duplex, head: Buffer): void {
  socket.on('error', () => socket.destroy());
  const ctx = new RequestContext(env, req, new SocketDownstream(socket));
  try {
    if (routeRequest(ctx)) runRequestFilters(ctx, 0, () => new Tunnel(ctx, socket, head).attempt());
  } catch (err) {
    crashed(ctx, err);
  }
}

/** undici's dispatch handler for one upgrade attempt at a time. */
class Tunnel {
  readonly ctx: RequestContext;
  readonly socket: Duplex;
  readonly head: Buffer;
  readonly tried = new Set<string>();
  /** Ends the upstream request (given by undici when it connects). */
  abort: ((err: Error) => void) | undefined;

  constructor(ctx: RequestContext, socket: Duplex, head: Buffer) {
    this.ctx = ctx;
    this.socket = socket;
    this.head = head;
    ctx.headers = forwardHeaders(ctx, true);
  }

  attempt(): void {
    const ctx = this.ctx;
    const match = ctx.match!;
    const p = ctx.route!.policy;
    const set = (ctx.set ??= ctx.env.config()?.backends.get(match.backend));
    if (set === undefined) return respond(ctx, 503, `meshgate: backend ${match.backend} has no endpoints\n`);
    const ep = set.pick({ lb: p.lb === 'consistent-hash' ? 'round-robin' : p.lb, tried: this.tried, allDown: p.allDown });
    if (!ep) return respond(ctx, this.tried.size ? 502 : 503, `meshgate: no endpoint of ${match.backend} accepted the connection\n`);
    ctx.ep = ep;
    ctx.attempts++;
    this.tried.add(ep.id);
    ctx.env.pools.get(ep, p.connectTimeoutMs, p.idleTimeoutMs).dispatch({
      method: 'GET', path: ctx.upstreamTarget, headers: ctx.headers, upgrade: ctx.req.headers.upgrade ?? 'websocket',
      headersTimeout: p.responseTimeoutMs, bodyTimeout: 0,
    }, this);
  }

  onConnect(abort: (err: Error) => void): void {
    this.abort = abort;
    if (this.socket.destroyed) abort(new Error('client went away'));
  }

  onUpgrade(statusCode: number, raw: Buffer[], upstream: Duplex): void {
    const ctx = this.ctx;
    ctx.status = statusCode;
    let head = `HTTP/1.1 ${statusCode} ${STATUS_CODES[statusCode] ?? ''}\r\n`;
    for (let i = 0; i < raw.length; i += 2) head += `${raw[i]!.toString('latin1')}: ${raw[i + 1]!.toString('latin1')}\r\n`;
    this.socket.write(`${head}\r\n`);
    if (this.head.length) upstream.write(this.head);
    upstream.on('error', () => { upstream.destroy(); this.socket.destroy(); });
    this.socket.on('error', () => upstream.destroy());
    this.socket.on('close', () => upstream.destroy());
    upstream.on('close', () => this.socket.destroy());
    upstream.pipe(this.socket);
    this.socket.pipe(upstream);
    this.closeWhenIdle(upstream);
    ctx.ended = true;
    finish(ctx, statusCode);
  }

  /**
   * No byte either way for the tunnel idle timeout: both sides are closed
   * (ingress-nginx's proxy-read-timeout for WebSockets). The client socket's
   * own timer sees both directions: what it reads, and what it writes (the
   * upstream's bytes).
   */
  closeWhenIdle(upstream: Duplex): void {
    const ctx = this.ctx;
    const ms = ctx.route!.policy.tunnelIdleTimeoutMs ?? ctx.env.tunnelIdleTimeoutMs ?? 0;
    const client = this.socket as Duplex & Partial<Pick<net.Socket, 'setTimeout'>>;
    if (ms <= 0 || client.setTimeout === undefined) return;
    client.setTimeout(ms, () => {
      upstream.destroy();
      client.destroy();
    });
  }

  onHeaders(statusCode: number, raw: Buffer[]): boolean {
    if (statusCode > 599) {
      // No status to relay (as for plain requests): an upstream error, 502.
      this.abort?.(new InvalidResponseError(`status ${statusCode} is outside 100-599`));
      return false;
    }
    if (statusCode < 200) return true;
    this.ctx.status = statusCode;
    const out: string[] = [];
    for (let i = 0; i < raw.length; i += 2) {
      const k = raw[i]!.toString('latin1').toLowerCase();
      if (k === 'connection' || k === 'keep-alive' || k === 'transfer-encoding') continue;
      out.push(k, raw[i + 1]!.toString('latin1'));
    }
    this.ctx.down.writeHead(statusCode, out);
    return true;
  }

  onData(chunk: Buffer): boolean {
    this.ctx.bytesOut += chunk.length;
    return this.ctx.down.write(chunk);
  }

  onComplete(): void {
    this.ctx.ended = true;
    this.ctx.down.end();
    finish(this.ctx, this.ctx.status);
  }

  onError(err: UpstreamError): void {
    const ctx = this.ctx;
    if (isConnectError(err) && ctx.ep && ctx.set) {
      const ms = ctx.set.reportFailure(ctx.ep, 'connect');
      if (ms > 0) ctx.env.onEjected?.(ctx.ep.id, ctx.set.backendId, err.code, ms);
      if (this.tried.size < ctx.route!.policy.attempts && ctx.status === 0) return this.attempt();
    }
    if (ctx.status === 0) return respond(ctx, err.code === 'UND_ERR_HEADERS_TIMEOUT' ? 504 : 502, `meshgate: upgrade to ${ctx.match!.backend} failed (${err.code || err.message})\n`, err);
    this.socket.destroy();
    finish(ctx, ctx.status, err);
  }
}
