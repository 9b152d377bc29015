/**
 * The request path through a real proxy node (worker threads, sockets):
 * forwarded headers, and every error status of the contract.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import http from 'node:http';
import http2 from 'node:http2';
import { MessageType, subjects } from '@meshgate/protocol';
import { eventually, freePort, request } from '@meshgate/testing';
import { makeCert, putStream, startBackend, startMesh, service, ingress, tlsSecret, type Backend, type Mesh } from './harness.ts';

process.env.MESHGATE_HEADER_TIMEOUT_MS = '600';
process.env.MESHGATE_BODY_TIMEOUT_MS = '600'; // the header timeout's value, which the body timeout follows when this is not read
process.env.MESHGATE_ACCESS_LOG = 'off';

let mesh: Mesh;
let echo: Backend;
let deadPort: number;

before(async () => {
  echo = await startBackend('echo');
  deadPort = await freePort();
  mesh = await startMesh({
    'svc.yaml': [service('echo', [echo.port]), service('dead', [deadPort]), service('down', [echo.port + 0])].join('---\n'),
    'ing.yaml': [
      ingress('main', { '/echo': 'echo', '/dead': 'dead' }),
      ingress('limits', { '/limited': 'echo' }, { annotations: { 'meshgate.dev/proxy-body-size': '1k', 'meshgate.dev/response-timeout': '300ms' } }),
    ].join('---\n'),
  // The test client stands for a trusted load balancer, whose X-Forwarded-For is kept and extended
  // (an untrusted client's is replaced: tests/hardening/edge-input.test.ts).
  }, { limits: { trustedProxies: ['127.0.0.1/32'] } });
});

after(async () => {
  await mesh?.stop();
  await echo?.close();
});

/** Sends raw bytes on a fresh connection and returns what comes back until the server closes or `ms` pass. */
function raw(port: number, bytes: string, ms = 3_000): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    let out = '';
    s.on('data', (d) => { out += d.toString('latin1'); });
    const t = setTimeout(() => { s.destroy(); resolve(out); }, ms);
    s.on('close', () => { clearTimeout(t); resolve(out); });
    s.on('error', () => {});
    s.write(bytes);
  });
}

test('the backend sees Host, path, query, client headers minus hop-by-hop, X-Forwarded-*, X-Request-Id and a traceparent', async () => {
  const r = await request(`${mesh.http}/echo/a%7Eb?x=1&y=2`, { headers: { host: 'shop.example', 'x-custom': 'v', 'connection': 'keep-alive, x-drop', 'x-drop': 'gone', 'keep-alive': 'timeout=5', te: 'trailers' } });
  assert.equal(r.status, 200);
  const seen = JSON.parse(r.body);
  assert.equal(seen.url, '/echo/a~b?x=1&y=2');
  assert.equal(seen.headers.host, 'shop.example');
  assert.equal(seen.headers['x-custom'], 'v');
  for (const h of ['x-drop', 'keep-alive', 'te']) assert.equal(seen.headers[h], undefined, h);
  assert.equal(seen.headers['x-forwarded-for'], '127.0.0.1');
  assert.equal(seen.headers['x-forwarded-proto'], 'http');
  assert.equal(seen.headers['x-forwarded-host'], 'shop.example');
  assert.match(seen.headers['x-request-id'], /^[0-9a-f-]{36}$/);
  assert.equal(r.headers['x-request-id'], seen.headers['x-request-id']);
  assert.match(seen.headers.traceparent, /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
  assert.equal(r.headers['x-backend'], 'echo');
});

test('a client traceparent, X-Request-Id and X-Forwarded-For are kept (the last one extended)', async () => {
  const tp = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
  const r = await request(`${mesh.http}/echo/`, { headers: { traceparent: tp, 'x-request-id': 'abc-123', 'x-forwarded-for': '10.1.1.1' } });
  const seen = JSON.parse(r.body);
  assert.equal(seen.headers.traceparent, tp);
  assert.equal(seen.headers['x-request-id'], 'abc-123');
  assert.equal(seen.headers['x-forwarded-for'], '10.1.1.1, 127.0.0.1');
  assert.equal(r.headers['x-request-id'], 'abc-123');
});

test('404 when no rule matches', async () => {
  const r = await request(`${mesh.http}/nothing-here`);
  assert.equal(r.status, 404);
  assert.match(r.body, /no ingress rule/);
});

test('400 for a malformed request', async () => {
  assert.match(await raw(mesh.httpPort, 'GET nope HTTP/1.1\r\nHost: x\r\n\r\n'), /^HTTP\/1\.1 400 /);
  assert.match(await raw(mesh.httpPort, 'GARBAGE\r\n\r\n'), /^HTTP\/1\.1 400 /);
});

test('408 when the headers do not arrive in time', async () => {
  const out = await raw(mesh.httpPort, 'GET /echo/ HTTP/1.1\r\nHost: x\r\n', 5_000);
  assert.match(out, /^HTTP\/1\.1 408 /);
});

test('431 for oversized request headers', async () => {
  const r = await request(`${mesh.http}/echo/`, { headers: { 'x-big': 'a'.repeat(20_000) } });
  assert.equal(r.status, 431);
});

test('413 when the body is over the meshgate.dev/proxy-body-size of the Ingress (declared or streamed)', async () => {
  const declared = await request(`${mesh.http}/limited/upload`, { method: 'POST', body: 'x'.repeat(2_000) });
  assert.equal(declared.status, 413);
  assert.match(declared.body, /proxy-body-size/);
  const small = await request(`${mesh.http}/limited/upload`, { method: 'POST', body: 'x'.repeat(500) });
  assert.equal(small.status, 200);
  assert.equal(small.body, '500');
  const chunked = await new Promise<number>((resolve) => {
    const req = http.request(`${mesh.http}/limited/upload`, { method: 'POST', agent: false }, (res) => { res.resume(); resolve(res.statusCode ?? 0); });
    req.on('error', () => resolve(0));
    req.write('y'.repeat(800));
    setTimeout(() => { req.write('y'.repeat(800)); req.end(); }, 50);
  });
  assert.equal(chunked, 413);
  // A streamed body under the limit arrives whole, also the chunks sent before the upstream connection is up.
  // Several at once: the pool opens new upstream connections, so the first chunks arrive before one is up.
  const uploads = Array.from({ length: 6 }, () => new Promise<string>((resolve) => {
    const req = http.request(`${mesh.http}/limited/upload`, { method: 'POST', agent: false }, (res) => {
      let b = '';
      res.on('data', (d: Buffer) => { b += d; });
      res.on('end', () => resolve(`${res.statusCode} ${b}`));
    });
    req.on('error', (err) => resolve(String(err)));
    req.write('z'.repeat(300));
    setTimeout(() => { req.write('z'.repeat(300)); req.end(); }, 30);
  }));
  assert.deepEqual(await Promise.all(uploads), new Array(6).fill('200 600'));
});

test('502 when the endpoint refuses connections (after retries)', async () => {
  const r = await request(`${mesh.http}/dead/`);
  assert.equal(r.status, 502);
  assert.match(r.body, /could not connect|no endpoint/);
});

test('503 when the agents report every endpoint down', async () => {
  mesh.transport.publish(subjects().liveness, {
    type: MessageType.Liveness, agent: 'test', kind: 'delta', seq: 1,
    endpoints: [{ endpoint: `127.0.0.1:${deadPort}`, healthy: false, reason: 'connect ECONNREFUSED', since: Date.now() }],
  });
  await new Promise((r) => setTimeout(r, 200));
  const r = await request(`${mesh.http}/dead/`);
  assert.equal(r.status, 503);
  assert.match(r.body, /no healthy endpoint/);
});

test('504 when the response headers do not come within the route\'s response timeout', async () => {
  const t0 = Date.now();
  const r = await request(`${mesh.http}/limited/slow/3000`);
  assert.equal(r.status, 504);
  assert.ok(Date.now() - t0 < 2_500, 'answered at the timeout, not when the backend finished');
});

/**
 * A backend that answers with the number of body bytes it read, and counts
 * requests that ended before their body did. Under /late-reader it reads
 * nothing for 2.4 s (4 body timeouts here): the proxy then stops reading the
 * client (backpressure), which is not the client stalling.
 */
async function bodyCounter(name: string): Promise<Backend & { aborted: number }> {
  let aborted = 0;
  const b = await startBackend(name, 0, (req, res) => {
    const answer = () => {
      let n = 0;
      req.on('data', (c: Buffer) => { n += c.length; });
      req.on('end', () => { res.writeHead(200, { 'content-type': 'text/plain' }); res.end(String(n)); });
    };
    req.on('close', () => { if (!req.complete) aborted++; });
    if (req.url!.includes('/late-reader')) setTimeout(answer, 2_400);
    else answer();
  });
  return Object.defineProperty(b, 'aborted', { get: () => aborted }) as Backend & { aborted: number };
}

test('408 when a request body stalls (body timeout = header timeout here): the backend\'s request is aborted; a body held back by a slow upstream is no stall', async () => {
  const bodies = await bodyCounter('bodies');
  try {
    await mesh.apply({
      'svc.yaml': [service('echo', [echo.port]), service('dead', [deadPort]), service('down', [echo.port + 0]), service('bodies', [bodies.port])].join('---\n'),
      'ing.yaml': [
        ingress('main', { '/echo': 'echo', '/dead': 'dead', '/bodies': 'bodies' }),
        ingress('limits', { '/limited': 'echo' }, { annotations: { 'meshgate.dev/proxy-body-size': '1k', 'meshgate.dev/response-timeout': '300ms' } }),
      ].join('---\n'),
    });

    const out = await raw(mesh.httpPort, 'POST /bodies/stall HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc', 5_000);
    assert.match(out, /^HTTP\/1\.1 408 /);
    assert.match(out, /connection: close/i);
    await eventually('the backend saw its request aborted', async () => bodies.aborted === 1, 3_000);

    // 32 MiB sent as fast as the proxy reads it, to a backend that reads nothing at first: only backpressure, no 408.
    const size = 32 * 2 ** 20;
    const late = await putStream(`${mesh.http}/bodies/late-reader`, size, 98, { 'content-length': size });
    assert.equal(late, `200 ${size}`);
  } finally {
    await bodies.close();
  }
});

test('HTTP/2: 408 when a request body stalls, the backend\'s request aborted and the stream reset; a slow but steady body and one held back by a slow upstream are no stall; streamed bodies under proxy-body-size arrive whole', async () => {
  const bodies = await bodyCounter('h2-bodies');
  const cert = makeCert('h2.test', ['h2.test']);
  const client = http2.connect(`https://127.0.0.1:${mesh.httpsPort}`, { servername: 'h2.test', rejectUnauthorized: false });
  client.on('error', () => {});
  /** POSTs on the h2 connection; `send` writes the body (and ends it, or not). */
  const post = (path: string, send: (req: http2.ClientHttp2Stream) => void) => new Promise<{ status: number; body: string; rstCode: number | undefined }>((resolve) => {
    const req = client.request({ ':method': 'POST', ':path': path, ':authority': 'h2.test' });
    let status = 0;
    let body = '';
    req.on('response', (h) => { status = Number(h[':status']); });
    req.setEncoding('utf8');
    req.on('data', (d: string) => { body += d; });
    req.on('close', () => resolve({ status, body, rstCode: req.rstCode }));
    req.on('error', () => {});
    send(req);
  });
  try {
    await mesh.apply({
      'svc.yaml': [service('echo', [echo.port]), service('dead', [deadPort]), service('down', [echo.port + 0]), service('h2-bodies', [bodies.port])].join('---\n'),
      'ing.yaml': [
        ingress('main', { '/echo': 'echo', '/dead': 'dead' }),
        ingress('limits', { '/limited': 'echo' }, { annotations: { 'meshgate.dev/proxy-body-size': '1k', 'meshgate.dev/response-timeout': '300ms' } }),
        ingress('h2', { '/h2': 'h2-bodies' }, { host: 'h2.test', tls: [{ hosts: ['h2.test'], secret: 'h2' }] }),
        ingress('h2-limited', { '/h2-limited': 'h2-bodies' }, { host: 'h2.test', annotations: { 'meshgate.dev/proxy-body-size': '1k' } }),
      ].join('---\n'),
      'secret.yaml': tlsSecret('h2', cert),
    });

    const stalled = await post('/h2/stall', (req) => { req.write('abc'); }); // and nothing more
    assert.equal(stalled.status, 408, stalled.body);
    assert.match(stalled.body, /request body timeout/);
    // The stream is reset after the answer, so the client stops sending the rest (RFC 9113 8.1).
    assert.equal(stalled.rstCode, http2.constants.NGHTTP2_NO_ERROR);
    await eventually('the backend saw its request aborted', async () => bodies.aborted === 1, 3_000);

    // 6 pieces 300 ms apart: 1.8 s in all, never 600 ms without a byte.
    const steady = await post('/h2/steady', (req) => {
      let i = 0;
      const t = setInterval(() => { req.write('x'.repeat(100)); if (++i === 6) { clearInterval(t); req.end(); } }, 300);
    });
    assert.deepEqual([steady.status, steady.body], [200, '600']);

    // 4 MiB to a backend that reads nothing for 2.4 s: the proxy stops reading (flow control), no 408.
    const size = 4 * 2 ** 20;
    const late = await post('/h2/late-reader', (req) => { req.end(Buffer.alloc(size, 97)); });
    assert.deepEqual([late.status, late.body], [200, String(size)]);
    assert.equal(bodies.aborted, 1);
    // A streamed body (no content-length) under a proxy-body-size limit arrives whole, and one over it gets 413.
    const streamed = (n: number) => post('/h2-limited/x', (req) => {
      let i = 0;
      const t = setInterval(() => { req.write('y'.repeat(100)); if (++i === n) { clearInterval(t); req.end(); } }, 20);
    });
    for (let k = 0; k < 5; k++) {
      const r = await streamed(9);
      assert.deepEqual([r.status, r.body], [200, '900'], `try ${k}`);
    }
    assert.equal((await streamed(12)).status, 413);
    // The connection lived through all of it.
    assert.equal((await post('/h2/after', (req) => { req.end('z'); })).status, 200);
  } finally {
    client.destroy();
    await bodies.close();
  }
});

test('a body that stalls after the backend already answered (the rest being discarded) ends in a close, not a late 408', async () => {
  // The echo backend answers without reading the body: the client gets its 200, then sends nothing more.
  const got = await new Promise<{ out: string; closed: boolean }>((resolve) => {
    const s = net.connect(mesh.httpPort, '127.0.0.1');
    let out = '';
    s.on('data', (d) => { out += d.toString('latin1'); });
    s.on('error', () => {});
    const t = setTimeout(() => { s.destroy(); resolve({ out, closed: false }); }, 5_000);
    s.on('close', () => { clearTimeout(t); resolve({ out, closed: true }); });
    s.write('POST /echo/discard HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc');
  });
  assert.match(got.out, /^HTTP\/1\.1 200 /);
  assert.doesNotMatch(got.out, /HTTP\/1\.1 408/);
  assert.ok(got.closed, 'the proxy closes the connection once the discarded body stalls past the body timeout');
});
