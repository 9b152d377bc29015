import http from 'node:http';
import zlib from 'node:zlib';

/**
 * An OTLP/HTTP trace receiver for tests: accepts POST /v1/traces in protobuf
 * (what @opentelemetry/exporter-trace-otlp-proto sends) or JSON, decodes the
 * spans and keeps them. Stands in for Jaeger or a collector.
 */
export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  /** 1 internal, 2 server, 3 client, 4 producer, 5 consumer (OTLP numbering). */
  kind: number;
  attributes: Record<string, unknown>;
  resource: Record<string, unknown>;
  status: { code: number; message: string };
  links: { traceId: string; spanId: string }[];
}

export interface OtlpReceiver {
  /** For OTEL_EXPORTER_OTLP_ENDPOINT (the exporter appends /v1/traces). */
  readonly endpoint: string;
  readonly spans: ReceivedSpan[];
  /** Resolves when a span matching `pred` has arrived. */
  waitForSpan(pred: (s: ReceivedSpan) => boolean, timeoutMs?: number): Promise<ReceivedSpan>;
  close(): Promise<void>;
}

export async function startOtlpReceiver(port = 0): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const waiters = new Set<() => void>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        let body = Buffer.concat(chunks);
        if (req.headers['content-encoding'] === 'gzip') body = zlib.gunzipSync(body);
        if (req.url?.startsWith('/v1/traces')) {
          const decoded = String(req.headers['content-type']).includes('json') ? fromJson(JSON.parse(body.toString())) : decodeTraces(body);
          spans.push(...decoded);
          for (const w of waiters) w();
        }
        res.writeHead(200, { 'content-type': String(req.headers['content-type'] ?? 'application/x-protobuf') });
        res.end(String(req.headers['content-type']).includes('json') ? '{}' : undefined);
      } catch (err) {
        res.writeHead(400, { 'content-type': 'text/plain' });
        res.end(String(err));
      }
    });
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
  const addr = server.address() as { port: number };
  return {
    endpoint: `http://127.0.0.1:${addr.port}`,
    spans,
    waitForSpan(pred, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const s = spans.find(pred);
          if (s) { clearTimeout(t); waiters.delete(check); resolve(s); }
        };
        const t = setTimeout(() => { waiters.delete(check); reject(new Error(`no matching span within ${timeoutMs} ms (${spans.length} spans received: ${spans.map((s) => `${s.resource['service.name']}:${s.name}`).join(', ')})`)); }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    close: () => new Promise<void>((r) => { server.close(() => r()); server.closeAllConnections(); }),
  };
}

// ---- a minimal protobuf reader for the OTLP trace messages ----

type Field = { no: number; wire: number; int?: bigint; bytes?: Buffer };

function fields(buf: Buffer): Field[] {
  const out: Field[] = [];
  let pos = 0;
  const varint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const b = buf[pos++];
      if (b === undefined) throw new Error('truncated varint');
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
    }
  };
  while (pos < buf.length) {
    const key = Number(varint());
    const no = key >>> 3;
    const wire = key & 7;
    if (wire === 0) out.push({ no, wire, int: varint() });
    else if (wire === 1) { out.push({ no, wire, bytes: buf.subarray(pos, pos + 8) }); pos += 8; }
    else if (wire === 5) { out.push({ no, wire, bytes: buf.subarray(pos, pos + 4) }); pos += 4; }
    else if (wire === 2) { const len = Number(varint()); out.push({ no, wire, bytes: buf.subarray(pos, pos + len) }); pos += len; }
    else throw new Error(`unsupported wire type ${wire}`);
  }
  return out;
}

const all = (fs: Field[], no: number) => fs.filter((f) => f.no === no);
const one = (fs: Field[], no: number) => fs.find((f) => f.no === no);
const str = (f?: Field) => f?.bytes?.toString('utf8') ?? '';
const hex = (f?: Field) => f?.bytes?.toString('hex') ?? '';

function anyValue(buf: Buffer): unknown {
  const f = fields(buf)[0];
  if (!f) return undefined;
  switch (f.no) {
    case 1: return str(f);
    case 2: return f.int !== 0n;
    case 3: return Number(BigInt.asIntN(64, f.int!));
    case 4: return f.bytes!.readDoubleLE(0);
    case 5: return all(fields(f.bytes!), 1).map((v) => anyValue(v.bytes!));
    default: return str(f);
  }
}

function attributes(fs: Field[], no: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const kv of all(fs, no)) {
    const k = fields(kv.bytes!);
    out[str(one(k, 1))] = one(k, 2) ? anyValue(one(k, 2)!.bytes!) : undefined;
  }
  return out;
}

export function decodeTraces(buf: Buffer): ReceivedSpan[] {
  const spans: ReceivedSpan[] = [];
  for (const rs of all(fields(buf), 1)) {
    const rsf = fields(rs.bytes!);
    const resField = one(rsf, 1);
    const resource = resField ? attributes(fields(resField.bytes!), 1) : {};
    for (const ss of all(rsf, 2)) {
      for (const sp of all(fields(ss.bytes!), 2)) {
        const f = fields(sp.bytes!);
        const statusF = one(f, 15);
        const status = statusF ? fields(statusF.bytes!) : [];
        spans.push({
          traceId: hex(one(f, 1)), spanId: hex(one(f, 2)), parentSpanId: hex(one(f, 4)),
          name: str(one(f, 5)), kind: Number(one(f, 6)?.int ?? 0n),
          attributes: attributes(f, 9), resource,
          status: { code: Number(one(status, 3)?.int ?? 0n), message: str(one(status, 2)) },
          links: all(f, 13).map((l) => { const lf = fields(l.bytes!); return { traceId: hex(one(lf, 1)), spanId: hex(one(lf, 2)) }; }),
        });
      }
    }
  }
  return spans;
}

function fromJson(body: { resourceSpans?: { resource?: { attributes?: { key: string; value: Record<string, unknown> }[] }; scopeSpans?: { spans?: Record<string, unknown>[] }[] }[] }): ReceivedSpan[] {
  const kv = (list?: { key: string; value: Record<string, unknown> }[]) => Object.fromEntries((list ?? []).map((a) => [a.key, Object.values(a.value)[0]]));
  const out: ReceivedSpan[] = [];
  for (const rs of body.resourceSpans ?? []) {
    for (const ss of rs.scopeSpans ?? []) {
      for (const s of ss.spans ?? []) {
        out.push({
          traceId: String(s.traceId ?? ''), spanId: String(s.spanId ?? ''), parentSpanId: String(s.parentSpanId ?? ''),
          name: String(s.name ?? ''), kind: Number(s.kind ?? 0), attributes: kv(s.attributes as never), resource: kv(rs.resource?.attributes),
          status: { code: Number((s.status as { code?: number })?.code ?? 0), message: String((s.status as { message?: string })?.message ?? '') },
          links: ((s.links as { traceId: string; spanId: string }[]) ?? []).map((l) => ({ traceId: l.traceId, spanId: l.spanId })),
        });
      }
    }
  }
  return out;
}
