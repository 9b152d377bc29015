/**
 * For unit tests of filters and phases: a RequestContext on a recording
 * Downstream and a plain request, with no sockets or worker.
 */
import { Readable } from 'node:stream';
import type { IncomingHttpHeaders } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { UpstreamPools } from '@meshgate/upstream';
import { AccessLog } from '../access-log.ts';
import type { Downstream, IncomingRequest } from './downstream.ts';
import type { PipelineEnv } from './pipeline-env.ts';
import { RequestContext } from './request-context.ts';
import { compileRoute } from './compiled-route.ts';
import { defaultPolicy, type RoutePolicy } from '../route-policy.ts';
import { defaultPoolOptions } from '@meshgate/upstream';

/** What the client was sent. */
export class RecordingDownstream implements Downstream {
  headersSent = false;
  writableFinished = false;
  shouldKeepAlive = true;
  status = 0;
  headers: string[] = [];
  body = '';
  destroyed = false;
  readonly #listeners = new Map<string, () => void>();

  writeHead(status: number, headers: readonly string[]): void {
    this.status = status;
    this.headers = [...headers];
    this.headersSent = true;
  }

  write(chunk: Buffer): boolean {
    this.body += chunk.toString();
    return true;
  }

  end(chunk?: Buffer | string): void {
    if (chunk !== undefined) this.body += chunk.toString();
    this.writableFinished = true;
  }

  destroy(): void {
    this.destroyed = true;
  }

  once(event: 'close' | 'drain', fn: () => void): void {
    this.#listeners.set(event, fn);
  }

  /** The client goes away. */
  close(): void {
    this.#listeners.get('close')?.();
  }

  header(name: string): string | undefined {
    const i = this.headers.indexOf(name);
    return i < 0 ? undefined : this.headers[i + 1];
  }
}

export interface TestRequest {
  method?: string;
  url?: string;
  headers?: IncomingHttpHeaders;
  body?: string | Readable;
  encrypted?: boolean;
  remoteAddress?: string;
  /** The TLS connection (filters that read SNI or a client certificate). */
  tlsSocket?: TLSSocket;
}

export function testRequest(r: TestRequest = {}): IncomingRequest {
  const headers = r.headers ?? { host: 'example.com' };
  const rawHeaders = Object.entries(headers).flatMap(([k, v]) => (Array.isArray(v) ? v.flatMap((x) => [k, x]) : [k, String(v)]));
  const body = r.body === undefined ? null : typeof r.body === 'string' ? Readable.from([Buffer.from(r.body)]) : r.body;
  return {
    method: r.method ?? 'GET', url: r.url ?? '/', headers, rawHeaders, httpVersion: '1.1', httpVersionMajor: 1,
    body, get readableEnded() { return body === null || body.readableEnded; },
    encrypted: r.encrypted ?? r.tlsSocket !== undefined, remoteAddress: r.remoteAddress ?? '127.0.0.1', tlsSocket: r.tlsSocket,
    watchBody() {},
  };
}

export function testEnv(over: Partial<PipelineEnv> = {}): PipelineEnv {
  return {
    config: () => undefined, pools: new UpstreamPools(), accessLog: new AccessLog(false), nodeId: 'test', worker: 0, counters: {}, ...over,
  };
}

/** A context already through the route phase with `policy` (over the defaults). */
export function routedContext(r: TestRequest = {}, policy: Partial<RoutePolicy> = {}, env: Partial<PipelineEnv> = {}): { ctx: RequestContext; down: RecordingDownstream } {
  const down = new RecordingDownstream();
  const e = testEnv(env);
  const ctx = new RequestContext(e, testRequest(r), down);
  ctx.requestId = 'req-1';
  ctx.host = (ctx.req.headers.host as string | undefined) ?? '';
  ctx.originTarget = ctx.req.url;
  ctx.upstreamTarget = ctx.req.url;
  const cl = ctx.req.headers['content-length'];
  ctx.declaredLength = cl === undefined ? -1 : Number(cl);
  ctx.hasBody = ctx.req.body !== null;
  ctx.route = compileRoute({ ...defaultPolicy(defaultPoolOptions), ...policy }, { httpsPort: e.httpsPort });
  return { ctx, down };
}
