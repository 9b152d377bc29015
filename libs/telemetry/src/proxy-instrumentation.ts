import dc from 'node:diagnostics_channel';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { LATENCY_BUCKETS, MetricsRegistry, labelValue, type MetricInfo } from './metrics-registry.ts';
import type { Tracing } from './tracing.ts';
import { CommonAttribute, RecordedSpan, fixedAttributes, newSpanId, randomHex, unsampledTraceparent, type FixedAttributes } from './request-spans.ts';
import { traceIdSampled } from './sampler.ts';
import {
  CHANNELS, type EndpointEjectedEvent, type RequestEndEvent, type RequestInfo, type RequestRoutedEvent, type TlsHandshakeEvent,
  type UpstreamEndEvent, type UpstreamEndpointInfo, type UpstreamStartEvent,
} from './request-events.ts';

/**
 * Subscribes to the data plane's diagnostics_channel events (published by
 * services/proxy-node/src/worker, contract in request-events.ts, only while someone
 * listens) and turns them into spans and metrics. The proxy knows nothing of
 * OpenTelemetry; this file knows nothing of sockets.
 */

export const PROXY_METRICS: Record<string, MetricInfo> = {
  meshgate_requests_total: { type: 'counter', help: 'Requests answered, by ingress, service and status class.' },
  meshgate_request_duration_seconds: { type: 'histogram', help: 'Time from request start to the end of the response.', buckets: LATENCY_BUCKETS },
  meshgate_upstream_duration_seconds: { type: 'histogram', help: 'Time from sending an upstream attempt to its response headers.', buckets: LATENCY_BUCKETS },
  meshgate_upstream_connect_errors_total: { type: 'counter', help: 'Upstream attempts that failed to connect.' },
  meshgate_upstream_retries_total: { type: 'counter', help: 'Upstream attempts retried on another endpoint.' },
  meshgate_endpoint_ejections_total: { type: 'counter', help: 'Passive ejections of an endpoint by a worker.' },
  meshgate_tls_handshakes_total: { type: 'counter', help: 'TLS handshakes completed, by resumption.' },
  meshgate_denied_total: { type: 'counter', help: 'Requests refused by an access rule, by reason (ip, rate, cors, auth, mtls).' },
};

/** Per matched rule, built once: label sets pre-rendered so a request's metrics allocate nothing. */
interface RouteState {
  route: string; ingress: string; service: string; backend: string; timing: string; byClass: string[]; serviceLabel: string;
  /** The route's span attributes, encoded once (tracing only). */
  spanAttrs?: FixedAttributes;
  /** Server span names by method: `GET /users/*`. */
  names?: Map<string, string>;
}
/** Per request, in ctx.store.telemetry: a class, so every request's state has one shape (fast property access). */
class ReqState {
  route: RouteState | undefined = undefined;
  /** The server span: only when the request is sampled. */
  span: RecordedSpan | undefined = undefined;
  /** The current upstream attempt's span and number (attempts are sequential). */
  attemptSpan: RecordedSpan | undefined = undefined;
  attempt = 0;
  /** Unsampled new trace: the traceparent (sampled flag off) sent upstream on every attempt. */
  unsampledParent: string | undefined = undefined;
  /** The client's tracestate belongs to a traceparent we did not continue (missing or invalid): not sent on. */
  dropTracestate = false;
  /** The first upstream attempt's span id, drawn with the server span's. */
  nextSpanId: string | undefined = undefined;
  /** Start of the current attempt. */
  upStart: number | undefined = undefined;
}

/** W3C traceparent, version 00 (and future versions' first four fields). */
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
const ZERO_TRACE = '00000000000000000000000000000000';
const ZERO_SPAN = '0000000000000000';
interface Parent { traceId: string; spanId: string; sampled: boolean }
function parseTraceparent(v: string): Parent | undefined {
  const m = TRACEPARENT.exec(v.trim());
  if (!m || m[1] === 'ff' || (m[1] === '00' && m[5] !== undefined) || m[2] === ZERO_TRACE || m[3] === ZERO_SPAN) return undefined;
  return { traceId: m[2]!, spanId: m[3]!, sampled: (parseInt(m[4]!, 16) & 1) === 1 };
}
/** Span attributes with few distinct values: encoded once per value. */
const METHOD = new CommonAttribute('http.request.method');
const SCHEME = new CommonAttribute('url.scheme');
const SERVER_ADDRESS = new CommonAttribute('server.address');
const CLIENT_ADDRESS = new CommonAttribute('client.address');
const PROTOCOL = new CommonAttribute('network.protocol.version');
const RESEND_COUNT = new CommonAttribute('http.request.resend_count');
const STATUS_CODE = new CommonAttribute('http.response.status_code');

const headerOne = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);

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
  const recorder = tracing?.spans;
  const plan = tracing?.sampling;
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
  const st = (ctx: RequestInfo): ReqState => (ctx.store.telemetry ??= new ReqState()) as ReqState;
  // Keyed by the event's `rule` (one object per rule and snapshot): dropped with the snapshot.
  const routeStates = new WeakMap<object, RouteState>();
  const routeState = (path: string, ingress: string, backend: string): RouteState => {
    const service = serviceOf(backend);
    return {
      route: path, ingress, service, backend, timing: labels(ingress, service, ''),
      byClass: ['0xx', '1xx', '2xx', '3xx', '4xx', '5xx'].map((c) => labels(ingress, service, c)),
      serviceLabel: `{service="${labelValue(service)}"}`,
    };
  };
  const routeAttrs = (rs: RouteState): FixedAttributes => (rs.spanAttrs ??= fixedAttributes({
    'http.route': rs.route, 'meshgate.ingress': rs.ingress, 'meshgate.service': rs.service, 'meshgate.backend': rs.backend,
  }));
  const serverNodeAttrs = fixedAttributes({ 'meshgate.node': opts.node, 'meshgate.worker': opts.worker });
  const clientNodeAttrs = fixedAttributes({ 'meshgate.node': opts.node });
  // Per upstream endpoint (bounded: cleared when it grows past the endpoints a worker plausibly has).
  const endpoints = new Map<string, FixedAttributes>();
  const endpointAttrs = (ep: UpstreamEndpointInfo): FixedAttributes => {
    let f = endpoints.get(ep.id);
    if (f === undefined) {
      if (endpoints.size >= 50_000) endpoints.clear();
      f = fixedAttributes({ 'server.address': ep.address, 'server.port': ep.port, 'network.peer.address': ep.address, 'network.peer.port': ep.port });
      endpoints.set(ep.id, f);
    }
    return f;
  };

  /**
   * The sampling decision, made here from the plan rather than by an SDK
   * Sampler: an unsampled request (99% of them at 1%) gets no span object,
   * no context, no attributes; it only passes a traceparent upstream with
   * the sampled flag off, so the backend does not record it either.
   */
  const onRequestStart = (ctx: RequestInfo): void => {
    const tp = headerOne(ctx.headers.traceparent);
    const parent = tp === undefined ? undefined : parseTraceparent(tp);
    const sampled = parent === undefined ? plan!.ratio >= 1 || (plan!.ratio > 0 && Math.random() < plan!.ratio)
      : plan!.parentBased ? parent.sampled : traceIdSampled(parent.traceId, plan!.ratio);
    if (!sampled) {
      if (parent === undefined) {
        const s = st(ctx);
        s.unsampledParent = unsampledTraceparent();
        if (ctx.headers.tracestate !== undefined) s.dropTracestate = true;
      }
      return; // a client's unsampled traceparent goes upstream as it came
    }
    const traceState = parent === undefined ? '' : headerOne(ctx.headers.tracestate) ?? '';
    if (parent === undefined && ctx.headers.tracestate !== undefined) st(ctx).dropTracestate = true;
    // The ids of the trace (when new), the server span and the first upstream attempt's span, from one random read.
    const ids = randomHex(parent === undefined ? 32 : 16);
    const at = parent === undefined ? 32 : 0;
    const span = new RecordedSpan(ctx.method, SpanKind.SERVER, parent?.traceId ?? ids.slice(0, 32), ids.slice(at, at + 16), parent?.spanId ?? '', traceState, ctx.startTime);
    span.fixed.push(serverNodeAttrs);
    span.setCommon(METHOD, ctx.method);
    span.attrs.push('url.path', ctx.path || ctx.target);
    span.setCommon(SCHEME, ctx.scheme);
    span.setCommon(SERVER_ADDRESS, ctx.host);
    span.setCommon(CLIENT_ADDRESS, ctx.remoteAddress);
    span.setCommon(PROTOCOL, ctx.httpVersion);
    span.attrs.push('meshgate.request_id', ctx.requestId);
    const s = st(ctx);
    s.span = span;
    s.nextSpanId = ids.slice(at + 16);
  };

  const handlers: [string, (m: unknown) => void][] = [
    [CHANNELS.requestStart, (m) => {
      if (recorder !== undefined) onRequestStart((m as { ctx: RequestInfo }).ctx);
    }],
    [CHANNELS.requestRouted, (m) => {
      const r = m as RequestRoutedEvent;
      const s = st(r.ctx);
      let rs = r.rule !== undefined ? routeStates.get(r.rule) : undefined;
      if (rs === undefined) {
        rs = routeState(r.path, r.ingress, r.backend);
        if (r.rule !== undefined) routeStates.set(r.rule, rs);
      }
      s.route = rs;
      if (s.span !== undefined) {
        s.span.fixed.push(routeAttrs(rs));
        const names = (rs.names ??= new Map());
        let name = names.get(r.ctx.method);
        if (name === undefined) {
          name = `${r.ctx.method} ${r.path}`;
          if (names.size < 64) names.set(r.ctx.method, name);
        }
        s.span.name = name;
      }
    }],
    [CHANNELS.upstreamStart, (m) => {
      const u = m as UpstreamStartEvent;
      const s = st(u.ctx);
      const now = performance.now();
      s.upStart = now;
      const server = s.span;
      if (server === undefined) {
        if (s.unsampledParent !== undefined) u.headers.traceparent = s.unsampledParent;
        if (s.dropTracestate === true) delete u.headers.tracestate;
        return;
      }
      const a = new RecordedSpan(u.ctx.method, SpanKind.CLIENT, server.traceId, s.nextSpanId ?? newSpanId(), server.spanId, server.traceState, now);
      s.nextSpanId = undefined;
      a.fixed.push(clientNodeAttrs, endpointAttrs(u.endpoint));
      if (s.route !== undefined) a.fixed.push(routeAttrs(s.route));
      a.setCommon(METHOD, u.ctx.method);
      a.attrs.push('url.full', `http://${u.endpoint.address}:${u.endpoint.port}${u.ctx.path}`);
      a.setCommon(RESEND_COUNT, u.attempt - 1);
      s.attemptSpan = a;
      s.attempt = u.attempt;
      u.headers.traceparent = a.traceparent();
      // tracestate: the client's is in u.headers already and goes on unchanged (with the trace it belongs to).
      if (s.dropTracestate === true) delete u.headers.tracestate;
    }],
    [CHANNELS.upstreamEnd, (m) => {
      const u = m as UpstreamEndEvent;
      const s = st(u.ctx);
      const now = performance.now();
      if (s.upStart !== undefined) registry.observe('meshgate_upstream_duration_seconds', s.route ? s.route.timing : '', (now - s.upStart) / 1000);
      if (u.connectFailed === true) registry.inc('meshgate_upstream_connect_errors_total', s.route ? s.route.serviceLabel : '');
      if (u.retried) registry.inc('meshgate_upstream_retries_total', s.route ? s.route.serviceLabel : '');
      const span = s.attemptSpan;
      if (span === undefined || s.attempt !== u.attempt) return;
      s.attemptSpan = undefined;
      if (u.statusCode !== undefined) span.setCommon(STATUS_CODE, u.statusCode);
      if (u.error) {
        span.recordException(u.error, now);
        span.attrs.push('error.type', u.error.code ?? u.error.name);
        span.statusCode = SpanStatusCode.ERROR;
        span.statusMessage = u.error.message;
      } else if (u.statusCode !== undefined && u.statusCode >= 500) {
        span.statusCode = SpanStatusCode.ERROR;
        span.attrs.push('error.type', String(u.statusCode));
      }
      recorder!.end(span, now);
    }],
    [CHANNELS.requestEnd, (m) => {
      const e = m as RequestEndEvent;
      const s = st(e.ctx);
      const now = performance.now();
      const c = Math.floor(e.statusCode / 100);
      const l = s.route !== undefined && c >= 0 && c <= 5 ? s.route.byClass[c]! : labels(s.route?.ingress ?? '', s.route?.service ?? '', `${c}xx`);
      registry.inc('meshgate_requests_total', l);
      if (e.deniedBy !== undefined) registry.inc('meshgate_denied_total', `{reason="${labelValue(e.deniedBy)}"}`);
      registry.observe('meshgate_request_duration_seconds', s.route ? s.route.timing : '', (now - e.ctx.startTime) / 1000);
      const span = s.span;
      if (span === undefined) return;
      s.span = undefined;
      if (s.attemptSpan !== undefined) { recorder!.end(s.attemptSpan, now); s.attemptSpan = undefined; } // an attempt cut short (client gone)
      span.setCommon(STATUS_CODE, e.statusCode);
      if (e.error) span.recordException(e.error, now);
      if (e.statusCode >= 500) {
        span.statusCode = SpanStatusCode.ERROR;
        if (e.error?.message) span.statusMessage = e.error.message;
        span.attrs.push('error.type', e.error?.code ?? String(e.statusCode));
      }
      recorder!.end(span, now);
    }],
    [CHANNELS.endpointEjected, (m) => {
      const e = m as EndpointEjectedEvent;
      registry.inc('meshgate_endpoint_ejections_total', `{service="${labelValue(serviceOf(e.backend))}"}`);
    }],
    [CHANNELS.tlsHandshake, (m) => {
      const h = m as TlsHandshakeEvent;
      registry.inc('meshgate_tls_handshakes_total', `{resumed="${h.resumed}",protocol="${labelValue(h.protocol ?? '')}"}`);
    }],
  ];
  for (const [name, fn] of handlers) dc.subscribe(name, fn);
  return {
    registry,
    close() { for (const [name, fn] of handlers) dc.unsubscribe(name, fn); },
  };
}
