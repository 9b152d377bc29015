import dc from 'node:diagnostics_channel';
import type { IncomingHttpHeaders } from 'node:http';
import { trace, SpanKind, SpanStatusCode, ROOT_CONTEXT, type Span, type Context, type TextMapGetter } from '@opentelemetry/api';
import { LATENCY_BUCKETS, MetricsRegistry, labelValue, type MetricInfo } from './metrics-registry.ts';
import type { Tracing } from './tracing.ts';

/**
 * Subscribes to the data plane's diagnostics_channel events (published by
 * services/proxy-node/src/worker/request-events.ts, only while someone
 * listens) and turns them into spans and metrics. The proxy knows nothing of
 * OpenTelemetry; this file knows nothing of sockets.
 */

/** The event shapes of the request path (the channel names are the contract). */
export interface RequestInfo {
  method: string; host: string; target: string; path: string; headers: IncomingHttpHeaders;
  remoteAddress: string; scheme: 'http' | 'https'; httpVersion: string;
  node: string; worker: number; requestId: string; startTime: number;
  store: Record<string, unknown>;
}
interface Endpoint { id: string; address: string; port: number }
interface ErrorLike extends Error { code?: string }

export const CHANNELS = {
  requestStart: 'meshgate:request:start',
  requestRouted: 'meshgate:request:routed',
  upstreamStart: 'meshgate:upstream:start',
  upstreamEnd: 'meshgate:upstream:end',
  requestEnd: 'meshgate:request:end',
  endpointEjected: 'meshgate:endpoint:ejected',
  tlsHandshake: 'meshgate:tls:handshake',
} as const;

export const PROXY_METRICS: Record<string, MetricInfo> = {
  meshgate_requests_total: { type: 'counter', help: 'Requests answered, by ingress, service and status class.' },
  meshgate_request_duration_seconds: { type: 'histogram', help: 'Time from request start to the end of the response.', buckets: LATENCY_BUCKETS },
  meshgate_upstream_duration_seconds: { type: 'histogram', help: 'Time from sending an upstream attempt to its response headers.', buckets: LATENCY_BUCKETS },
  meshgate_upstream_connect_errors_total: { type: 'counter', help: 'Upstream attempts that failed to connect.' },
  meshgate_upstream_retries_total: { type: 'counter', help: 'Upstream attempts retried on another endpoint.' },
  meshgate_endpoint_ejections_total: { type: 'counter', help: 'Passive ejections of an endpoint by a worker.' },
  meshgate_tls_handshakes_total: { type: 'counter', help: 'TLS handshakes completed, by resumption.' },
};

const headerGetter: TextMapGetter<IncomingHttpHeaders> = {
  keys: (c) => Object.keys(c),
  get: (c, k) => c[k.toLowerCase()],
};

/** Per matched rule, built once: label sets pre-rendered so a request's metrics allocate nothing. */
interface RouteState { route: string; ingress: string; service: string; timing: string; byClass: string[]; serviceLabel: string }
interface ReqState {
  span?: Span; ctx?: Context; route?: RouteState;
  /** Spans per attempt (tracing only). */
  attempts?: Map<number, { span?: Span; start: number }>;
  /** Start of the current attempt (metrics only: no map per request). */
  upStart?: number;
}

const CONNECT_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_SOCKET']);

function serviceOf(backend: string): string {
  // backend ids are `namespace/service:port`
  const slash = backend.indexOf('/');
  const colon = backend.lastIndexOf(':');
  return backend.slice(slash + 1, colon > slash ? colon : undefined);
}

export interface ProxyInstrumentation {
  readonly registry: MetricsRegistry;
  close(): void;
}

export function instrumentProxy(opts: { tracing?: Tracing; node: string; worker: number }): ProxyInstrumentation {
  const { tracing } = opts;
  const registry = new MetricsRegistry(PROXY_METRICS);
  const labelCache = new Map<string, string>();
  const labels = (ingress: string, service: string, code: string) => {
    const k = `${ingress}\0${service}\0${code}`;
    let l = labelCache.get(k);
    if (!l) {
      l = `{ingress="${labelValue(ingress)}",service="${labelValue(service)}",code="${code}"}`;
      if (labelCache.size < 10_000) labelCache.set(k, l);
    }
    return l;
  };
  const st = (ctx: RequestInfo): ReqState => (ctx.store.telemetry ??= {}) as ReqState;
  // Keyed by the event's `rule` (one object per rule and snapshot): dropped with the snapshot.
  const routeStates = new WeakMap<object, RouteState>();
  const routeState = (path: string, ingress: string, backend: string): RouteState => {
    const service = serviceOf(backend);
    return {
      route: path, ingress, service, timing: labels(ingress, service, ''),
      byClass: ['0xx', '1xx', '2xx', '3xx', '4xx', '5xx'].map((c) => labels(ingress, service, c)),
      serviceLabel: `{service="${labelValue(service)}"}`,
    };
  };

  const handlers: [string, (m: unknown) => void][] = [
    [CHANNELS.requestStart, (m) => {
      if (!tracing) return;
      const { ctx } = m as { ctx: RequestInfo };
      const parent = tracing.propagator.extract(ROOT_CONTEXT, ctx.headers, headerGetter);
      const span = tracing.tracer.startSpan(ctx.method, {
        kind: SpanKind.SERVER,
        attributes: {
          'http.request.method': ctx.method,
          'url.path': ctx.path || ctx.target,
          'url.scheme': ctx.scheme,
          'server.address': ctx.host,
          'client.address': ctx.remoteAddress,
          'network.protocol.version': ctx.httpVersion,
          'meshgate.node': opts.node,
          'meshgate.worker': opts.worker,
          'meshgate.request_id': ctx.requestId,
        },
      }, parent);
      const s = st(ctx);
      s.span = span;
      s.ctx = trace.setSpan(parent, span);
    }],
    [CHANNELS.requestRouted, (m) => {
      const r = m as { ctx: RequestInfo; path: string; ingress: string; backend: string; rule?: object };
      const s = st(r.ctx);
      let rs = r.rule !== undefined ? routeStates.get(r.rule) : undefined;
      if (rs === undefined) {
        rs = routeState(r.path, r.ingress, r.backend);
        if (r.rule !== undefined) routeStates.set(r.rule, rs);
      }
      s.route = rs;
      if (s.span) {
        s.span.setAttributes({ 'http.route': r.path, 'meshgate.ingress': r.ingress, 'meshgate.service': s.route.service, 'meshgate.backend': r.backend });
        s.span.updateName(`${r.ctx.method} ${r.path}`);
      }
    }],
    [CHANNELS.upstreamStart, (m) => {
      const u = m as { ctx: RequestInfo; attempt: number; endpoint: Endpoint; headers: Record<string, string | string[]> };
      const s = st(u.ctx);
      if (!tracing || !s.ctx) {
        s.upStart = performance.now();
        return;
      }
      const a = { start: performance.now(), span: undefined as Span | undefined };
      (s.attempts ??= new Map()).set(u.attempt, a);
      a.span = tracing.tracer.startSpan(u.ctx.method, {
        kind: SpanKind.CLIENT,
        attributes: {
          'http.request.method': u.ctx.method,
          'server.address': u.endpoint.address,
          'server.port': u.endpoint.port,
          'network.peer.address': u.endpoint.address,
          'network.peer.port': u.endpoint.port,
          'url.full': `http://${u.endpoint.address}:${u.endpoint.port}${u.ctx.path}`,
          'http.request.resend_count': u.attempt - 1,
          'meshgate.node': opts.node,
          ...(s.route ? { 'http.route': s.route.route, 'meshgate.ingress': s.route.ingress, 'meshgate.service': s.route.service } : {}),
        },
      }, s.ctx);
      const carrier: Record<string, string> = {};
      tracing.propagator.inject(trace.setSpan(s.ctx, a.span), carrier, { set: (c, k, v) => { c[k] = v; } });
      for (const [k, v] of Object.entries(carrier)) u.headers[k] = v;
    }],
    [CHANNELS.upstreamEnd, (m) => {
      const u = m as { ctx: RequestInfo; attempt: number; statusCode?: number; error?: ErrorLike; retried: boolean };
      const s = st(u.ctx);
      const a = s.attempts?.get(u.attempt);
      const start = a ? a.start : s.upStart;
      if (start !== undefined) registry.observe('meshgate_upstream_duration_seconds', s.route ? s.route.timing : '', (performance.now() - start) / 1000);
      if (u.error && CONNECT_ERRORS.has(u.error.code ?? '')) registry.inc('meshgate_upstream_connect_errors_total', s.route ? s.route.serviceLabel : '');
      if (u.retried) registry.inc('meshgate_upstream_retries_total', s.route ? s.route.serviceLabel : '');
      const span = a?.span;
      if (!span) return;
      if (u.statusCode !== undefined) span.setAttribute('http.response.status_code', u.statusCode);
      if (u.error) {
        span.recordException(u.error);
        span.setAttribute('error.type', u.error.code ?? u.error.name);
        span.setStatus({ code: SpanStatusCode.ERROR, message: u.error.message });
      } else if (u.statusCode !== undefined && u.statusCode >= 500) {
        span.setStatus({ code: SpanStatusCode.ERROR });
        span.setAttribute('error.type', String(u.statusCode));
      }
      span.end();
    }],
    [CHANNELS.requestEnd, (m) => {
      const e = m as { ctx: RequestInfo; statusCode: number; error?: ErrorLike };
      const s = st(e.ctx);
      const c = Math.floor(e.statusCode / 100);
      const l = s.route !== undefined && c >= 0 && c <= 5 ? s.route.byClass[c]! : labels(s.route?.ingress ?? '', s.route?.service ?? '', `${c}xx`);
      registry.inc('meshgate_requests_total', l);
      registry.observe('meshgate_request_duration_seconds', s.route ? s.route.timing : '', (performance.now() - e.ctx.startTime) / 1000);
      const span = s.span;
      if (!span) return;
      span.setAttribute('http.response.status_code', e.statusCode);
      if (e.error) span.recordException(e.error);
      if (e.statusCode >= 500) {
        span.setStatus({ code: SpanStatusCode.ERROR, message: e.error?.message });
        span.setAttribute('error.type', e.error?.code ?? String(e.statusCode));
      }
      span.end();
    }],
    [CHANNELS.endpointEjected, (m) => {
      const e = m as { backend: string };
      registry.inc('meshgate_endpoint_ejections_total', `{service="${labelValue(serviceOf(e.backend))}"}`);
    }],
    [CHANNELS.tlsHandshake, (m) => {
      const h = m as { resumed: boolean; protocol?: string };
      registry.inc('meshgate_tls_handshakes_total', `{resumed="${h.resumed}",protocol="${labelValue(h.protocol ?? '')}"}`);
    }],
  ];
  for (const [name, fn] of handlers) dc.subscribe(name, fn);
  return {
    registry,
    close() { for (const [name, fn] of handlers) dc.unsubscribe(name, fn); },
  };
}
