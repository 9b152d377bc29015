import { randomFillSync } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import zlib from 'node:zlib';
import { SpanKind, SpanStatusCode, TraceFlags, type Attributes, type AttributeValue, type HrTime } from '@opentelemetry/api';
import { ExportResultCode, TraceState } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';
import { epochOriginMs } from './clock.ts';

/**
 * The data plane's spans, recorded without the OpenTelemetry SDK's span
 * objects. At 100% sampling a proxy makes two spans per request (server and
 * upstream client), and the SDK's generic path (attribute validation twice,
 * context objects, then a two-pass protobuf serializer) cost about 40% of a
 * core's throughput. Here a span is one plain object with its attributes in
 * a flat array; the attributes that are the same for every request of a node
 * or a route are encoded once (FixedAttributes); a batch is encoded straight
 * into OTLP protobuf and POSTed off the request path. Control-plane spans
 * (a few per config change) still use the SDK's tracer.
 *
 * With a custom SpanExporter (tests: InMemorySpanExporter) the batch is
 * handed over as ReadableSpan objects instead, so tests see what an SDK span
 * would have shown.
 */

// ---------------------------------------------------------------- ids

const idPool = Buffer.allocUnsafe(8192);
let idOffset = idPool.length;
/** `bytes` random bytes as hex, from a pool refilled by one getrandom() per 8 KB. */
export function randomHex(bytes: number): string {
  if (idOffset + bytes > idPool.length) {
    randomFillSync(idPool);
    idOffset = 0;
  }
  const s = idPool.toString('hex', idOffset, idOffset + bytes);
  idOffset += bytes;
  return s;
}
export const newTraceId = (): string => randomHex(16);
export const newSpanId = (): string => randomHex(8);
/** A new trace's traceparent with the sampled flag off (one native call for both ids). */
export function unsampledTraceparent(): string {
  const h = randomHex(24);
  return `00-${h.slice(0, 32)}-${h.slice(32)}-00`;
}

// ---------------------------------------------------------------- spans

/** Attributes encoded once as OTLP KeyValue fields (span field 9), with the plain object for ReadableSpan. */
export interface FixedAttributes { readonly attributes: Attributes; readonly bytes: Buffer }

export interface SpanEvent { name: string; time: number; attributes: Attributes }

/** One span being recorded. Times are performance.now() milliseconds of this thread. */
export class RecordedSpan {
  name: string;
  readonly kind: SpanKind;
  readonly traceId: string;
  readonly spanId: string;
  /** '' for a root span. */
  readonly parentSpanId: string;
  readonly traceState: string;
  readonly start: number;
  end = 0;
  statusCode: SpanStatusCode = SpanStatusCode.UNSET;
  statusMessage = '';
  /** Keys and values alternating (no object per attribute); a key appears once, here or in `fixed`. */
  readonly attrs: (string | number | boolean)[] = [];
  /** Attributes encoded once: per node, per route, per endpoint, or a frequent key and value (see `setCommon`). */
  readonly fixed: FixedAttributes[] = [];
  events: SpanEvent[] | undefined = undefined;

  constructor(name: string, kind: SpanKind, traceId: string, spanId: string, parentSpanId: string, traceState: string, start: number) {
    this.name = name; this.kind = kind; this.traceId = traceId; this.spanId = spanId;
    this.parentSpanId = parentSpanId; this.traceState = traceState; this.start = start;
  }

  /** An attribute whose values repeat (see CommonAttribute). */
  setCommon(attr: CommonAttribute, value: string | number | boolean): void {
    const f = attr.get(value);
    if (f !== undefined) this.fixed.push(f);
    else this.attrs.push(attr.key, value);
  }

  /** The span's context as a W3C traceparent (always sampled: only sampled spans are recorded). */
  traceparent(): string { return `00-${this.traceId}-${this.spanId}-01`; }

  /** An `exception` event, as Span.recordException makes it. */
  recordException(err: Error & { code?: string }, time = performance.now()): void {
    (this.events ??= []).push({
      name: 'exception', time,
      attributes: { 'exception.type': err.code ?? err.name, 'exception.message': err.message, ...(err.stack ? { 'exception.stacktrace': err.stack } : {}) },
    });
  }
}

// ---------------------------------------------------------------- OTLP protobuf

const TWO32 = 4294967296;
/** performance.now() ms -> Unix ns, exactly, as two 32-bit halves (no BigInt per span). The origin: clock.ts. */
const originNs = BigInt(Math.round(epochOriginMs() * 1e6));
const originLo = Number(originNs & 0xffffffffn);
const originHi = Number(originNs >> 32n);

/** UTF-8 length; short ASCII strings (most attribute values) without a native call. */
function utf8Length(s: string): number {
  if (s.length > 64) return Buffer.byteLength(s);
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) >= 0x80) return Buffer.byteLength(s);
  return s.length;
}

/** KeyValue.key (tag, length, UTF-8), encoded once per attribute name. */
const keyCache = new Map<string, Buffer>();
function keyBytes(key: string): Buffer {
  let b = keyCache.get(key);
  if (b === undefined) {
    const k = Buffer.from(key);
    const w = new Writer();
    w.byte(0x0a);
    w.varint(k.length);
    w.raw(k);
    b = w.take();
    if (keyCache.size < 1_000) keyCache.set(key, b);
  }
  return b;
}

/** Hex digit values by char code. */
const HEX = new Uint8Array(128);
for (let i = 0; i < 10; i++) HEX[48 + i] = i;
for (let i = 0; i < 6; i++) { HEX[97 + i] = 10 + i; HEX[65 + i] = 10 + i; }

function varintSize(n: number): number {
  if (n < 0x80) return 1;
  if (n < 0x4000) return 2;
  let size = 1;
  for (; n >= 0x80; n = Math.floor(n / 0x80)) size++;
  return size;
}

/** A growable buffer with the few protobuf writes OTLP traces need. */
class Writer {
  buf: Buffer;
  pos = 0;
  constructor(size = 256) { this.buf = Buffer.allocUnsafe(size); }

  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }
  byte(b: number): void { this.ensure(1); this.buf[this.pos++] = b; }
  /** Non-negative integers below 2^53 (lengths, enums, small ints). */
  varint(n: number): void {
    this.ensure(10);
    while (n >= 0x80) {
      this.buf[this.pos++] = (n % 0x80) | 0x80;
      n = Math.floor(n / 0x80);
    }
    this.buf[this.pos++] = n;
  }
  raw(b: Uint8Array): void { this.ensure(b.length); this.buf.set(b, this.pos); this.pos += b.length; }
  /** Length-delimited field holding the bytes of a hex string. */
  hex(field: number, hex: string): void {
    const n = hex.length >> 1;
    this.ensure(2 + n);
    const buf = this.buf;
    let p = this.pos;
    buf[p++] = (field << 3) | 2;
    buf[p++] = n;
    // Ids are lowercase hex (ours, or checked by the traceparent parser): decoded here, not in a native call per id.
    for (let i = 0; i < hex.length; i += 2) buf[p++] = (HEX[hex.charCodeAt(i)]! << 4) | HEX[hex.charCodeAt(i + 1)]!;
    this.pos = p;
  }
  string(field: number, s: string): void {
    const n = utf8Length(s);
    this.varint((field << 3) | 2);
    this.varint(n);
    this.text(s, n);
  }
  /** `s` as UTF-8, `n` = utf8Length(s) bytes; short ASCII strings without a native call. */
  text(s: string, n: number): void {
    this.ensure(n);
    if (n === s.length && n <= 64) {
      const buf = this.buf;
      let p = this.pos;
      for (let i = 0; i < n; i++) buf[p++] = s.charCodeAt(i);
      this.pos = p;
    } else {
      this.pos += this.buf.write(s, this.pos, n, n === s.length ? 'latin1' : 'utf8');
    }
  }
  /** fixed64 Unix nanoseconds of a performance.now() time. */
  time(field: number, ms: number): void {
    const off = Math.round(ms * 1e6);
    let lo = originLo + (off % TWO32);
    let hi = originHi + Math.floor(off / TWO32);
    if (lo >= TWO32) { lo -= TWO32; hi += 1; }
    this.ensure(9);
    const buf = this.buf;
    const p = this.pos;
    buf[p] = (field << 3) | 1;
    buf[p + 1] = lo & 0xff; buf[p + 2] = (lo >>> 8) & 0xff; buf[p + 3] = (lo >>> 16) & 0xff; buf[p + 4] = lo >>> 24;
    buf[p + 5] = hi & 0xff; buf[p + 6] = (hi >>> 8) & 0xff; buf[p + 7] = (hi >>> 16) & 0xff; buf[p + 8] = hi >>> 24;
    this.pos = p + 9;
  }
  /** A KeyValue as `field` (9 in Span, 1 in Resource, 3 in Event). */
  attribute(field: number, key: string, value: AttributeValue | undefined): void {
    let v: string | number | boolean = typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? value : value === undefined || value === null ? '' : JSON.stringify(value);
    let av: number; // AnyValue's length
    let sLen = 0;
    let kind: 0 | 1 | 2 | 3; // string, bool, int, double
    if (typeof v === 'string') { sLen = utf8Length(v); av = 1 + varintSize(sLen) + sLen; kind = 0; }
    else if (typeof v === 'boolean') { av = 2; kind = 1; }
    else if (Number.isSafeInteger(v) && v >= 0) { av = 1 + varintSize(v); kind = 2; }
    else { av = 9; kind = 3; v = Number(v); }
    const kb = keyBytes(key);
    this.varint((field << 3) | 2);
    this.varint(kb.length + 1 + varintSize(av) + av);
    this.raw(kb);
    this.byte(0x12); // KeyValue.value
    this.varint(av);
    if (kind === 0) { this.byte(0x0a); this.varint(sLen); this.text(v as string, sLen); }
    else if (kind === 1) { this.byte(0x10); this.byte(v ? 1 : 0); }
    else if (kind === 2) { this.byte(0x18); this.varint(v as number); }
    else { this.byte(0x21); this.ensure(8); this.buf.writeDoubleLE(v as number, this.pos); this.pos += 8; }
  }
  attributes(field: number, attrs: Attributes): void {
    for (const k in attrs) if (attrs[k] !== undefined) this.attribute(field, k, attrs[k]);
  }
  /**
   * A nested message: its tag, then a 2-byte length placeholder (enough for
   * a span) filled in by end(); the body moves by a byte or two in the rare
   * case its length needs another size.
   */
  begin(field: number): number {
    this.varint((field << 3) | 2);
    this.ensure(2);
    this.pos += 2;
    return this.pos - 2;
  }
  end(at: number): void {
    const len = this.pos - at - 2;
    const size = varintSize(len);
    if (size !== 2) {
      this.ensure(size - 2);
      this.buf.copy(this.buf, at + size, at + 2, this.pos);
      this.pos += size - 2;
    }
    let n = len;
    for (let i = 0; i < size - 1; i++) { this.buf[at + i] = (n % 0x80) | 0x80; n = Math.floor(n / 0x80); }
    this.buf[at + size - 1] = n;
  }
  take(): Buffer { return Buffer.from(this.buf.subarray(0, this.pos)); }
}

/** Encodes `attrs` once as Span.attributes fields. */
export function fixedAttributes(attrs: Attributes): FixedAttributes {
  const w = new Writer();
  w.attributes(9, attrs);
  return { attributes: attrs, bytes: w.take() };
}

/**
 * An attribute whose values repeat (a method, a status code, a host): each
 * value's encoding is made once and reused, for the first 256 values; past
 * them a value is stored like any other.
 */
export class CommonAttribute {
  readonly key: string;
  private readonly values = new Map<string | number | boolean, FixedAttributes>();
  constructor(key: string) { this.key = key; }

  get(value: string | number | boolean): FixedAttributes | undefined {
    let f = this.values.get(value);
    if (f === undefined) {
      if (this.values.size >= 256) return undefined;
      f = fixedAttributes({ [this.key]: value });
      this.values.set(value, f);
    }
    return f;
  }
}

function writeSpan(w: Writer, s: RecordedSpan): void {
  w.hex(1, s.traceId);
  w.hex(2, s.spanId);
  if (s.traceState !== '') w.string(3, s.traceState);
  if (s.parentSpanId !== '') w.hex(4, s.parentSpanId);
  w.string(5, s.name);
  w.byte(0x30); w.byte(s.kind + 1); // OTLP numbers kinds from 1 (internal)
  w.time(7, s.start);
  w.time(8, s.end);
  const a = s.attrs;
  for (let i = 0; i < a.length; i += 2) w.attribute(9, a[i] as string, a[i + 1]);
  for (const f of s.fixed) w.raw(f.bytes);
  if (s.events) {
    for (const e of s.events) {
      const at = w.begin(11);
      w.time(1, e.time); w.string(2, e.name); w.attributes(3, e.attributes);
      w.end(at);
    }
  }
  if (s.statusCode !== SpanStatusCode.UNSET) {
    const at = w.begin(15);
    if (s.statusMessage) w.string(2, s.statusMessage);
    w.byte(0x18); w.varint(s.statusCode);
    w.end(at);
  }
  // Span.flags (fixed32): the sampled bit and "parent is remote known" (bit 8), as the SDK exporter sets them.
  w.byte(0x85); w.byte(0x01);
  w.ensure(4); w.buf.writeUInt32LE(0x101 | (s.parentSpanId !== '' && s.kind === SpanKind.SERVER ? 0x200 : 0), w.pos); w.pos += 4;
}

/**
 * ExportTraceServiceRequest with one ResourceSpans and one ScopeSpans, built
 * as spans end: each span is encoded into the pending batch right away, so
 * no span object outlives its request (objects kept for a batch's second
 * survive young-generation GCs and cost more to collect than to encode).
 */
export class OtlpEncoder {
  // Small at first (services that never record a request span pay nothing); a batch grows it once, then it is reused.
  private w = new Writer(16 * 1024);
  /** The other batch buffer, while it is not being sent. */
  private spare: Writer | undefined = new Writer(16 * 1024);
  private readonly resource: Buffer;
  private readonly scope: Buffer;
  /** Spans in the pending batch. */
  count = 0;

  constructor(resource: Attributes, scopeName: string) {
    const r = new Writer();
    const ra = r.begin(1); // ResourceSpans.resource
    r.attributes(1, resource);
    r.end(ra);
    this.resource = r.take();
    const sc = new Writer();
    const sa = sc.begin(1); // ScopeSpans.scope
    sc.string(1, scopeName);
    sc.end(sa);
    this.scope = sc.take();
  }

  /** Appends `span` to the pending batch (as ScopeSpans.spans). */
  add(span: RecordedSpan): void {
    const at = this.w.begin(2);
    writeSpan(this.w, span);
    this.w.end(at);
    this.count++;
  }

  /**
   * The pending batch as the request's head and its spans, and starts a new
   * batch in the other buffer; `spans` stays valid until release(batch).
   */
  take(): { head: Buffer; spans: Buffer; batch: Writer } {
    const batch = this.w;
    const spans = batch.buf.subarray(0, batch.pos);
    const scopeSpans = this.scope.length + spans.length;
    const resourceSpans = this.resource.length + 1 + varintSize(scopeSpans) + scopeSpans;
    const head = new Writer(32 + this.resource.length + this.scope.length);
    head.byte(0x0a); head.varint(resourceSpans); // ExportTraceServiceRequest.resource_spans
    head.raw(this.resource);
    head.byte(0x12); head.varint(scopeSpans); // ResourceSpans.scope_spans
    head.raw(this.scope);
    this.w = this.spare ?? new Writer(16 * 1024);
    this.spare = undefined;
    this.count = 0;
    return { head: head.buf.subarray(0, head.pos), spans, batch };
  }

  /** A sent batch's buffer, for reuse (not a burst's oversized one). */
  release(batch: Writer): void {
    batch.pos = 0;
    if (batch.buf.length <= 4 * 1024 * 1024) this.spare = batch;
  }

  encode(spans: readonly RecordedSpan[]): Buffer {
    for (const s of spans) this.add(s);
    const t = this.take();
    const out = Buffer.concat([t.head, t.spans]);
    this.release(t.batch);
    return out;
  }
}

// ---------------------------------------------------------------- ReadableSpan (custom exporters)

function hrTime(ms: number): HrTime {
  const t = epochOriginMs() + ms;
  const secs = Math.floor(t / 1000);
  return [secs, Math.round((t - secs * 1000) * 1e6)];
}

export function toReadableSpan(s: RecordedSpan, resource: Resource, scopeName: string): ReadableSpan {
  const attributes: Attributes = {};
  for (const f of s.fixed) Object.assign(attributes, f.attributes);
  for (let i = 0; i < s.attrs.length; i += 2) attributes[s.attrs[i] as string] = s.attrs[i + 1];
  const traceState = s.traceState ? new TraceState(s.traceState) : undefined;
  const duration = s.end - s.start;
  return {
    name: s.name,
    kind: s.kind,
    spanContext: () => ({ traceId: s.traceId, spanId: s.spanId, traceFlags: TraceFlags.SAMPLED, ...(traceState ? { traceState } : {}) }),
    parentSpanContext: s.parentSpanId ? { traceId: s.traceId, spanId: s.parentSpanId, traceFlags: TraceFlags.SAMPLED, isRemote: s.kind === SpanKind.SERVER } : undefined,
    startTime: hrTime(s.start),
    endTime: hrTime(s.end),
    status: { code: s.statusCode, ...(s.statusMessage ? { message: s.statusMessage } : {}) },
    attributes,
    links: [],
    events: (s.events ?? []).map((e) => ({ name: e.name, time: hrTime(e.time), attributes: e.attributes })),
    duration: [Math.floor(duration / 1000), Math.round((duration % 1000) * 1e6)],
    ended: true,
    resource,
    instrumentationScope: { name: scopeName },
    droppedAttributesCount: 0,
    droppedEventsCount: 0,
    droppedLinksCount: 0,
  };
}

// ---------------------------------------------------------------- batching and export

export interface SpanRecorderOptions {
  resource: Resource;
  scopeName: string;
  /** OTLP/HTTP traces URL (ignored with `exporter`). */
  url: string;
  /** Extra request headers (OTEL_EXPORTER_OTLP_HEADERS). */
  headers?: Record<string, string>;
  gzip?: boolean;
  /** Tests: spans go here as ReadableSpan instead of OTLP. */
  exporter?: SpanExporter;
  maxQueueSize?: number;
  maxExportBatchSize?: number;
  scheduledDelayMillis?: number;
  exportTimeoutMillis?: number;
}

/**
 * Queues ended spans and exports them in batches: when a batch is full, or a
 * second after the first span of a batch. One export at a time; a full queue
 * drops spans (counted) rather than slowing requests, and a failed export is
 * dropped (no retry), so an unreachable collector costs one failed POST per
 * batch and never a request.
 */
export class SpanRecorder {
  /** Ended spans waiting, with a custom exporter only (OTLP spans are encoded as they end). */
  private queue: RecordedSpan[] = [];
  /** Spans ended in this event-loop turn, to encode at its end. */
  private readonly ended: RecordedSpan[] = [];
  private closed = false;
  private timer: NodeJS.Timeout | undefined;
  private exporting: Promise<void> | undefined;
  private readonly encoder: OtlpEncoder;
  private readonly agent: http.Agent | undefined;
  private readonly max: number;
  private readonly batch: number;
  private readonly delay: number;
  private readonly timeout: number;
  private readonly opts: SpanRecorderOptions;
  dropped = 0;
  exported = 0;
  failedExports = 0;

  constructor(opts: SpanRecorderOptions) {
    this.opts = opts;
    this.encoder = new OtlpEncoder(opts.resource.attributes, opts.scopeName);
    this.max = opts.maxQueueSize ?? 8192;
    this.batch = opts.maxExportBatchSize ?? 1024;
    this.delay = opts.scheduledDelayMillis ?? 1_000;
    this.timeout = opts.exportTimeoutMillis ?? 5_000;
    if (!opts.exporter) {
      this.agent = opts.url.startsWith('https:') ? new https.Agent({ keepAlive: true, maxSockets: 1 }) : new http.Agent({ keepAlive: true, maxSockets: 1 });
    }
  }

  private get pending(): number { return this.opts.exporter ? this.queue.length : this.encoder.count; }

  /** Ends `span` now and queues it for export (dropped when the queue is full). */
  end(span: RecordedSpan, now = performance.now()): void {
    span.end = now;
    // The batch in flight is out of `pending`: at most max spans wait besides it.
    if (this.closed || this.pending + this.ended.length >= this.max) { this.dropped++; return; }
    if (this.opts.exporter) {
      this.queue.push(span);
      this.scheduleExport();
      return;
    }
    // Encoded at the end of this event-loop turn: not in the latency of the
    // response being forwarded, and the span object still dies young.
    this.ended.push(span);
    if (this.ended.length === 1) setImmediate(this.encodeEnded);
  }

  private readonly encodeEnded = (): void => {
    const spans = this.ended;
    for (let i = 0; i < spans.length; i++) this.encoder.add(spans[i]!);
    spans.length = 0;
    this.scheduleExport();
  };

  private scheduleExport(): void {
    if (this.pending >= this.batch && this.exporting === undefined) setImmediate(() => { void this.exportNext(); });
    else if (this.timer === undefined) {
      this.timer = setTimeout(() => { this.timer = undefined; void this.exportNext(); }, this.delay);
      this.timer.unref();
    }
  }

  /** Exports what is pending, then again while full batches wait. */
  private exportNext(): Promise<void> {
    if (this.exporting !== undefined || this.pending === 0) return this.exporting ?? Promise.resolve();
    const n = this.pending;
    this.exporting = this.send().then(() => { this.exported += n; }, () => { this.failedExports++; }).finally(() => {
      this.exporting = undefined;
      if (this.pending >= this.batch) void this.exportNext();
      else if (this.pending > 0 && this.timer === undefined) {
        this.timer = setTimeout(() => { this.timer = undefined; void this.exportNext(); }, this.delay);
        this.timer.unref();
      }
    });
    return this.exporting;
  }

  private send(): Promise<void> {
    const { exporter } = this.opts;
    if (exporter) {
      const readable = this.queue.map((s) => toReadableSpan(s, this.opts.resource, this.opts.scopeName));
      this.queue = [];
      return new Promise((resolve, reject) => exporter.export(readable, (r) => (r.code === ExportResultCode.SUCCESS ? resolve() : reject(r.error ?? new Error('export failed')))));
    }
    const { head, spans, batch } = this.encoder.take();
    const sent = this.opts.gzip
      ? new Promise<Buffer>((resolve, reject) => zlib.gzip(Buffer.concat([head, spans]), (err, gz) => (err ? reject(err) : resolve(gz)))).then((gz) => this.post([gz], true))
      : this.post([head, spans], false);
    return sent.finally(() => this.encoder.release(batch));
  }

  private post(body: Buffer[], gzip: boolean): Promise<void> {
    const url = new URL(this.opts.url);
    const mod = url.protocol === 'https:' ? https : http;
    const length = body.reduce((n, b) => n + b.length, 0);
    return new Promise((resolve, reject) => {
      const req = mod.request(url, {
        method: 'POST', agent: this.agent, timeout: this.timeout,
        headers: { ...this.opts.headers, 'content-type': 'application/x-protobuf', 'content-length': length, ...(gzip ? { 'content-encoding': 'gzip' } : {}) },
      }, (res) => {
        res.resume();
        res.on('end', () => ((res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 300 ? resolve() : reject(new Error(`OTLP export: HTTP ${res.statusCode}`))));
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error(`OTLP export: no answer within ${this.timeout} ms`)));
      req.on('error', reject);
      for (let i = 0; i < body.length - 1; i++) req.write(body[i]);
      req.end(body[body.length - 1]);
    });
  }

  /** Exports everything pending (each batch bounded by the export timeout). */
  async flush(): Promise<void> {
    if (this.timer !== undefined) { clearTimeout(this.timer); this.timer = undefined; }
    if (this.ended.length > 0) this.encodeEnded();
    while (this.exporting !== undefined || this.pending > 0) {
      await (this.exporting ?? this.exportNext());
    }
  }

  /** Flushes and closes the connection (a custom exporter is the caller's to shut down). */
  async shutdown(): Promise<void> {
    this.closed = true;
    await this.flush();
    this.agent?.destroy();
  }
}

/** OTEL_EXPORTER_OTLP_(TRACES_)HEADERS: `k=v,k2=v2`, values URL-encoded. */
export function otlpHeaders(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of [env.OTEL_EXPORTER_OTLP_HEADERS, env.OTEL_EXPORTER_OTLP_TRACES_HEADERS]) {
    for (const pair of (raw ?? '').split(',')) {
      const eq = pair.indexOf('=');
      if (eq <= 0) continue;
      out[decodeURIComponent(pair.slice(0, eq).trim())] = decodeURIComponent(pair.slice(eq + 1).trim());
    }
  }
  return out;
}
