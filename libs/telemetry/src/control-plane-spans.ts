import { ROOT_CONTEXT, trace, SpanStatusCode, type Span, type Attributes } from '@opentelemetry/api';
import type { Tracing } from './tracing.ts';

/**
 * Control-plane spans: the config service's build and publish, each node's
 * apply and each worker's compile are linked through a W3C traceparent that
 * travels in the snapshot messages, so one change shows its propagation to
 * every node as one trace in Jaeger.
 */
export function startLinkedSpan(tracing: Tracing | undefined, name: string, traceparent: string | undefined, attributes: Attributes = {}): Span | undefined {
  if (!tracing) return undefined;
  const parent = traceparent ? tracing.propagator.extract(ROOT_CONTEXT, { traceparent }, { get: (c, k) => c[k as 'traceparent'], keys: (c) => Object.keys(c) }) : ROOT_CONTEXT;
  return tracing.tracer.startSpan(name, { attributes }, parent);
}

/** A child of `parent` (same trace). */
export function startChildSpan(tracing: Tracing | undefined, name: string, parent: Span | undefined, attributes: Attributes = {}): Span | undefined {
  if (!tracing) return undefined;
  return tracing.tracer.startSpan(name, { attributes }, parent ? trace.setSpan(ROOT_CONTEXT, parent) : ROOT_CONTEXT);
}

/** The span's context as a traceparent header value (undefined without a span). */
export function traceparentOf(span: Span | undefined): string | undefined {
  if (!span) return undefined;
  const c = span.spanContext();
  return `00-${c.traceId}-${c.spanId}-${(c.traceFlags & 1) ? '01' : '00'}`;
}

/** Ends a span, marking it failed when `error` is given. */
export function endSpan(span: Span | undefined, error?: unknown): void {
  if (!span) return;
  if (error !== undefined) {
    span.recordException(error instanceof Error ? error : new Error(String(error)));
    span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
  }
  span.end();
}
