/**
 * OTLP/HTTP protobuf sink for the tracing benchmark: accepts every export
 * with 200 and counts, per URL path (one path per proxy), the export requests,
 * their bytes and the spans in them, so the report can show that the traced
 * proxies exported what they sampled (a proxy that drops spans from a full
 * queue would look cheaper than it is). GET /counts returns the counts.
 *
 *   SINK_PORT=4318 node otlp-sink.ts
 */
import http from 'node:http';
import zlib from 'node:zlib';

const counts: Record<string, { exports: number; bytes: number; spans: number }> = {};
let connections = 0;

/** Reads a varint at `i`: [value, next index]. */
function varint(b: Buffer, i: number): [number, number] {
  let v = 0; let mul = 1;
  for (;;) {
    const x = b[i++]!;
    v += (x & 0x7f) * mul;
    if (x < 0x80) return [v, i];
    mul *= 128;
  }
}

/** Calls `fn` with [start, end) of every length-delimited field `field` in b[start, end). */
function eachField(b: Buffer, start: number, end: number, field: number, fn: (s: number, e: number) => void): void {
  let i = start;
  while (i < end) {
    let key: number; let len: number;
    [key, i] = varint(b, i);
    const wire = key & 7;
    if (wire === 0) { [, i] = varint(b, i); continue; }
    if (wire === 1) { i += 8; continue; }
    if (wire === 5) { i += 4; continue; }
    if (wire !== 2) throw new Error(`unexpected wire type ${wire}`);
    [len, i] = varint(b, i);
    if (key >>> 3 === field) fn(i, i + len);
    i += len;
  }
}

/** ExportTraceServiceRequest.resource_spans(1) -> ResourceSpans.scope_spans(2) -> ScopeSpans.spans(2). */
function countSpans(b: Buffer): number {
  let n = 0;
  eachField(b, 0, b.length, 1, (rs, re) => eachField(b, rs, re, 2, (ss, se) => eachField(b, ss, se, 2, () => { n++; })));
  return n;
}

http.createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/counts') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ ...counts, connections }));
    return;
  }
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const raw = Buffer.concat(chunks);
    const body = req.headers['content-encoding'] === 'gzip' ? zlib.gunzipSync(raw) : raw;
    const c = (counts[req.url ?? ''] ??= { exports: 0, bytes: 0, spans: 0 });
    c.exports++;
    c.bytes += body.length;
    try { c.spans += countSpans(body); } catch { /* not protobuf: counted as an export only */ }
    res.writeHead(200, { 'content-type': 'application/x-protobuf' });
    res.end();
  });
}).on('connection', () => { connections++; }).listen(Number(process.env.SINK_PORT ?? 4318), '127.0.0.1', () => console.log(`otlp sink on ${process.env.SINK_PORT ?? 4318}`));
