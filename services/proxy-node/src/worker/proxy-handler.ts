import type http from 'node:http';
import { randomBytes, randomUUID } from 'node:crypto';
import { normalizePath } from '@meshgate/routing';
import type { Endpoint, UpstreamPools } from '@meshgate/upstream';
import type { CompiledConfig } from './compiled-config.ts';
import type { AccessLog } from './access-log.ts';

/**
 * The request path, as named phases (Pingora style):
 *   1. parse    : node:http (llhttp) has parsed the request; normalise the target (400 if invalid)
 *   2. route    : host, then path, in the current compiled config (404 when nothing matches)
 *   3. select   : a healthy endpoint of the backend (503 when none is healthy)
 *   4. upstream : pooled keep-alive request; connect failures of requests without
 *                 a body are retried on another endpoint (502 when every try fails,
 *                 504 when the response headers do not come in time)
 *   5. respond  : stream the response back, minus hop-by-hop headers
 *   6. log      : one access-log line
 */

// RFC 9110 7.6.1 hop-by-hop headers, plus the ones a proxy must not forward.
const HOP_BY_HOP = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer',
  'upgrade', 'proxy-authenticate', 'proxy-authorization', 'http2-settings',
]);
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']);
const CONNECT_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_SOCKET']);
const MAX_ATTEMPTS = 3;

export interface ProxyContext {
  /** The current config; read once per request. */
  config(): CompiledConfig | undefined;
  readonly pools: UpstreamPools;
  readonly accessLog: AccessLog;
  readonly nodeId: string;
  readonly worker: number;
  /** Passive health: the worker saw this endpoint fail to connect. */
  onConnectFailure(ep: Endpoint, err: unknown): void;
  readonly counters: Record<string, number>;
}

type Upstream = { statusCode: number; headers: Record<string, string | string[] | undefined>; body: NodeJS.ReadableStream & { destroy(err?: Error): void } };

export function createProxyHandler(ctx: ProxyContext) {
  return function handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const started = performance.now();
    const cfg = ctx.config();
    const requestId = headerOne(req.headers['x-request-id']) ?? randomUUID();
    const log = { ingress: '', backend: '', upstream: '', attempts: 0 };
    const finish = (status: number, body: string) => {
      if (!res.headersSent) {
        res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body), 'x-request-id': requestId });
        res.end(body);
      } else {
        res.destroy();
      }
      done(status);
    };
    const done = (status: number) => {
      ctx.counters[`${Math.floor(status / 100)}xx`] = (ctx.counters[`${Math.floor(status / 100)}xx`] ?? 0) + 1;
      ctx.accessLog.write({
        time: new Date().toISOString(), node: ctx.nodeId, worker: ctx.worker, requestId,
        method: req.method, host: req.headers.host, path: req.url, status,
        ingress: log.ingress, backend: log.backend, upstream: log.upstream, attempts: log.attempts,
        durationMs: Math.round((performance.now() - started) * 1000) / 1000,
      });
    };

    if (!cfg) return finish(503, 'meshgate: no configuration applied yet\n');
    const target = normalizePath(req.url ?? '');
    if (!target) return finish(400, 'meshgate: malformed request target\n');
    const match = cfg.routes.find(req.headers.host ?? '', target.path);
    if (!match) return finish(404, 'meshgate: no ingress rule matches this host and path\n');
    log.ingress = match.ingress;
    log.backend = match.backend;
    const set = cfg.backends.get(match.backend);
    if (!set || !set.hasHealthy()) return finish(503, `meshgate: backend ${match.backend} has no healthy endpoint\n`);

    const headers = forwardHeaders(req, requestId);
    const path = target.query ? `${target.path}?${target.query}` : target.path;
    const hasBody = req.headers['content-length'] !== undefined ? req.headers['content-length'] !== '0' : req.headers['transfer-encoding'] !== undefined;
    const retryable = IDEMPOTENT.has(req.method ?? '') && !hasBody;
    const abort = new AbortController();
    res.on('close', () => { if (!res.writableFinished) abort.abort(); });
    const tried = new Set<string>();

    const attempt = (): void => {
      const ep = set.pick(tried);
      if (!ep) return finish(tried.size ? 502 : 503, tried.size ? `meshgate: could not connect to any endpoint of ${match.backend}\n` : `meshgate: backend ${match.backend} has no healthy endpoint\n`);
      tried.add(ep.id);
      log.attempts++;
      log.upstream = ep.id;
      ctx.pools.get(ep).request({
        method: req.method as 'GET',
        path,
        headers,
        body: hasBody ? req : null,
        signal: abort.signal,
      }).then((up: Upstream) => {
        res.writeHead(up.statusCode, responseHeaders(up.headers, requestId));
        up.body.on('error', () => res.destroy());
        res.on('close', () => up.body.destroy());
        up.body.pipe(res);
        res.on('finish', () => done(up.statusCode));
      }, (err: { code?: string; name?: string }) => {
        if (abort.signal.aborted) return done(499);
        if (CONNECT_ERRORS.has(err.code ?? '') && (!res.headersSent)) {
          ctx.onConnectFailure(ep, err);
          if (retryable && log.attempts < MAX_ATTEMPTS) return attempt();
          return finish(502, `meshgate: could not connect to ${match.backend} (${err.code})\n`);
        }
        if (err.code === 'UND_ERR_HEADERS_TIMEOUT') return finish(504, `meshgate: ${match.backend} did not answer in time\n`);
        return finish(502, `meshgate: upstream error from ${match.backend} (${err.code ?? err.name})\n`);
      });
    };
    attempt();
  };
}

function headerOne(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/** The client's headers minus hop-by-hop ones, plus X-Forwarded-*, X-Request-Id and traceparent. */
function forwardHeaders(req: http.IncomingMessage, requestId: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  const connectionTokens = new Set(String(req.headers.connection ?? '').toLowerCase().split(',').map((s) => s.trim()).filter(Boolean));
  for (const [k, v] of Object.entries(req.headers)) {
    if (v === undefined || HOP_BY_HOP.has(k) || connectionTokens.has(k)) continue;
    out[k] = v;
  }
  const clientIp = req.socket.remoteAddress ?? '';
  const prior = headerOne(req.headers['x-forwarded-for']);
  out['x-forwarded-for'] = prior ? `${prior}, ${clientIp}` : clientIp;
  out['x-forwarded-proto'] = (req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http';
  if (req.headers.host) out['x-forwarded-host'] = req.headers.host;
  out['x-request-id'] = requestId;
  if (!req.headers.traceparent) out.traceparent = `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01`;
  return out;
}

function responseHeaders(h: Upstream['headers'], requestId: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  const connectionTokens = new Set(String(h.connection ?? '').toLowerCase().split(',').map((s) => s.trim()).filter(Boolean));
  for (const [k, v] of Object.entries(h)) {
    if (v === undefined || HOP_BY_HOP.has(k) || connectionTokens.has(k)) continue;
    out[k] = v;
  }
  out['x-request-id'] ??= requestId;
  return out;
}
