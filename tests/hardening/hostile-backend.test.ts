/**
 * Issue 18, hostile backends (items 2, 3, 4, 7, 8 of the h1 brief): a raw
 * TCP backend (support/raw-backend.ts) sends status lines outside 100-599,
 * bytes on connections that carry no request, broken framing, and closes
 * its pooled connections at every moment. Contract ("Hostile input, more
 * precisely"): an upstream status outside 100-599, or any byte from an
 * upstream connection with no request in flight, is an upstream error (502
 * for the request it belongs to, the connection closed), never a worker
 * crash, never another client's response. Clients come over HTTP/1.1 and
 * over HTTP/2 (node's compat layer throws on such statuses). Every test
 * asserts the worker serving before still serves after.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import { eventually } from '@meshgate/testing';
import { makeCert, tlsSecret } from './support/certs.ts';
import { startMesh, webManifests, type Mesh } from './support/mesh.ts';
import { rawExchange } from './support/raw-http.ts';
import { CRLF, RawBackend, okFor, type RawRequest } from './support/raw-backend.ts';
import { parseResponses, type ParsedResponse } from './support/responses.ts';
import { assertSameWorker, workerIdentity } from './support/worker-identity.ts';

let mesh: Mesh;
const backend = new RawBackend();
const cert = makeCert('shop.example');

before(async () => {
  const port = await backend.start();
  mesh = await startMesh({
    'web.yaml': webManifests(port, '  tls:\n  - secretName: default-cert\n'),
    'secret.yaml': tlsSecret('default-cert', cert),
  }, { env: { MESHGATE_HEADER_TIMEOUT_MS: '2000', MESHGATE_ACCESS_LOG: 'off' } });
});

after(async () => {
  await mesh?.stop();
  await backend.stop();
});

const get = (path: string, close = false) => `GET ${path} HTTP/1.1${CRLF}Host: shop.example${CRLF}${close ? `Connection: close${CRLF}` : ''}${CRLF}`;

/** Pipelined requests on one HTTP/1.1 connection; the responses as the client reads them. */
async function h1(...reqs: string[]): Promise<{ responses: ParsedResponse[]; rest: string; closed: boolean }> {
  const res = await rawExchange(mesh.httpPort, [reqs.join('')], { quietMs: 500, maxMs: 8_000 });
  return { ...parseResponses(res.raw), closed: res.closed };
}

/** One request on its own connection (Connection: close), answered or not within maxMs: a stall shows as status 0. */
async function one(path: string, maxMs = 8_000): Promise<{ status: number; body: string }> {
  const res = await rawExchange(mesh.httpPort, [get(path, true)], { quietMs: maxMs, maxMs });
  const r = parseResponses(res.raw).responses[0];
  return r ? { status: r.status, body: r.body } : { status: 0, body: `no answer; got ${JSON.stringify(res.raw)}` };
}

/** Requests one after another on one HTTP/2 session (ALPN h2 on the HTTPS listener). */
async function h2(...paths: string[]): Promise<{ status: number; body: string }[]> {
  const session = http2.connect(`https://127.0.0.1:${mesh.httpsPort}`, { rejectUnauthorized: false, servername: 'shop.example' });
  session.on('error', () => {});
  const out: { status: number; body: string }[] = [];
  try {
    for (const path of paths) {
      out.push(await new Promise((resolve) => {
        const s = session.request({ ':path': path, ':authority': 'shop.example' });
        let status = 0;
        let body = '';
        s.on('response', (h) => { status = Number(h[':status']); });
        s.setEncoding('latin1');
        s.on('data', (c: string) => { body += c; });
        s.on('end', () => resolve({ status, body }));
        s.on('error', (e: Error & { code?: string }) => resolve({ status, body: `stream error ${e.code ?? e.message}` }));
        s.setTimeout(8_000, () => { s.close(); resolve({ status: 0, body: 'no answer' }); });
        s.end();
      }));
    }
  } finally {
    session.close();
  }
  return out;
}

const conns = (reqs: RawRequest[], path: string) => reqs.filter((r) => r.path === path).map((r) => r.conn);

async function upstreamClosed(conn: number, what: string): Promise<void> {
  await eventually(`${what}: the proxy closes upstream connection ${conn}`, async () => backend.closed.has(conn), 3_000, 20);
}

// ---- status lines outside 100-599 (and a 101 nobody asked for)

const BAD_STATUS = ['600 X', '099 X', '1000 X', '000 X', '6000 X', '999 X', '101 Switching Protocols'];

for (const line of BAD_STATUS) {
  test(`backend status "${line}" to an HTTP/1.1 client: 502, upstream connection closed, the next request served`, async () => {
    const id = await workerIdentity(mesh);
    backend.take();
    backend.respond = (req, s) => { s.write(req.path === '/bad' ? `HTTP/1.1 ${line}${CRLF}Content-Length: 0${CRLF}${CRLF}` : okFor(req)); };
    try {
      const r = await h1(get('/bad'), get('/ok'));
      assert.deepEqual(r.responses.map((x) => x.status), [502, 200], JSON.stringify(r));
      assert.match(r.responses[0]!.body, /^meshgate: (invalid response from \S+: (status \d+ is outside 100-599|101 Switching Protocols to a request that asked for no upgrade|malformed response \(HPE_\w+\)))\n$/);
      assert.equal(r.responses[1]!.body, 'backend saw GET /ok');
      const seen = backend.take();
      assert.deepEqual(seen.map((x) => x.path), ['/bad', '/ok'], 'the bad status is not retried');
      await upstreamClosed(conns(seen, '/bad')[0]!, line);
    } finally {
      backend.reset();
    }
    await assertSameWorker(mesh, id, `status ${line} over HTTP/1.1`);
  });

  test(`backend status "${line}" to an HTTP/2 client: 502 on that stream, the session goes on`, async () => {
    const id = await workerIdentity(mesh);
    backend.take();
    backend.respond = (req, s) => { s.write(req.path === '/bad' ? `HTTP/1.1 ${line}${CRLF}Content-Length: 0${CRLF}${CRLF}` : okFor(req)); };
    try {
      const r = await h2('/bad', '/ok');
      assert.deepEqual(r.map((x) => x.status), [502, 200], JSON.stringify(r));
      assert.equal(r[1]!.body, 'backend saw GET /ok');
      await upstreamClosed(conns(backend.take(), '/bad')[0]!, line);
    } finally {
      backend.reset();
    }
    await assertSameWorker(mesh, id, `status ${line} over HTTP/2`);
  });
}

// ---- broken response framing

const BAD_FRAMING: [string, string][] = [
  ['Content-Length and Transfer-Encoding', `HTTP/1.1 200 OK${CRLF}Content-Length: 3${CRLF}Transfer-Encoding: chunked${CRLF}${CRLF}0${CRLF}${CRLF}`],
  ['two different Content-Lengths', `HTTP/1.1 200 OK${CRLF}Content-Length: 3${CRLF}Content-Length: 4${CRLF}${CRLF}abcd`],
  ['a negative Content-Length', `HTTP/1.1 200 OK${CRLF}Content-Length: -1${CRLF}${CRLF}`],
  ['a bad chunk size', `HTTP/1.1 200 OK${CRLF}Transfer-Encoding: chunked${CRLF}${CRLF}zz${CRLF}abc${CRLF}0${CRLF}${CRLF}`],
  ['a header line without a colon', `HTTP/1.1 200 OK${CRLF}Broken${CRLF}Content-Length: 0${CRLF}${CRLF}`],
  ['not HTTP at all', `SSH-2.0-OpenSSH_9.6${CRLF}`],
];

for (const [label, answer] of BAD_FRAMING) {
  test(`backend response with ${label}: an upstream error for that request only (HTTP/1.1 and HTTP/2)`, async () => {
    const id = await workerIdentity(mesh);
    backend.respond = (req, s) => { s.write(req.path === '/bad' ? answer : okFor(req)); };
    try {
      const r1 = await h1(get('/bad'), get('/ok'));
      // A broken body after a good head cannot become a status any more: the client connection closes.
      const firstIsError = r1.responses[0]?.status === 502 || (r1.responses.length === 0 && r1.closed) || (r1.responses[0]?.status === 200 && r1.closed);
      assert.ok(firstIsError, JSON.stringify(r1));
      assert.ok(!r1.responses.some((x) => x.body.includes('/bad')), 'no part of the bad answer as a good one');
      const ok = await one('/ok');
      assert.equal(ok.status, 200);
      const r2 = await h2('/bad', '/ok');
      assert.ok(r2[0]!.status === 502 || r2[0]!.body.startsWith('stream error'), JSON.stringify(r2));
      assert.deepEqual(r2[1], { status: 200, body: 'backend saw GET /ok' });
    } finally {
      backend.reset();
    }
    await assertSameWorker(mesh, id, label);
  });
}

// ---- bytes from an upstream connection that carries no request

const STRAY: [string, (s: import('node:net').Socket, req: RawRequest) => void][] = [
  ['a whole response on the idle connection, later', (s) => setTimeout(() => s.write(`HTTP/1.1 200 OK${CRLF}Content-Length: 12${CRLF}${CRLF}not-for-you!`), 30)],
  ['a whole response glued to the real one (same write)', (s, req) => s.write(okFor(req) + `HTTP/1.1 200 OK${CRLF}Content-Length: 12${CRLF}${CRLF}not-for-you!`)],
  ['a 100 Continue on the idle connection', (s) => setTimeout(() => s.write(`HTTP/1.1 100 Continue${CRLF}${CRLF}`), 30)],
  ['garbage on the idle connection', (s) => setTimeout(() => s.write('garbage'), 30)],
  ['a lone CRLF on the idle connection', (s) => setTimeout(() => s.write(CRLF), 30)],
  ['the start of a response on the idle connection', (s) => setTimeout(() => s.write('HTTP/1.1 200 OK\r\nContent-Le'), 30)],
];

for (const [label, stray] of STRAY) {
  test(`${label}: that connection is closed, every later client gets its own response`, async () => {
    const id = await workerIdentity(mesh);
    backend.take();
    backend.respond = (req, s) => {
      if (req.path === '/first') {
        if (!label.includes('glued')) s.write(okFor(req));
        stray(s, req);
      } else {
        s.write(okFor(req));
      }
    };
    try {
      const first = await one('/first');
      assert.deepEqual(first, { status: 200, body: 'backend saw GET /first' });
      const conn = conns(backend.take(), '/first')[0]!;
      await new Promise((r) => setTimeout(r, 100)); // the stray bytes are in
      backend.respond = (req, s) => { s.write(okFor(req)); };
      // Several clients at once: each must get the answer to its own request (a connection released
      // twice used to carry two of them, one client getting the other's response).
      const paths = Array.from({ length: 8 }, (_, i) => `/client-${i}`);
      const got = await Promise.all(paths.map((p) => one(p, 4_000)));
      assert.deepEqual(got, paths.map((p) => ({ status: 200, body: `backend saw GET ${p}` })));
      await upstreamClosed(conn, label);
    } finally {
      backend.reset();
    }
    await assertSameWorker(mesh, id, label);
  });
}

test('a stray response on an idle connection, then the backend closes it: later requests do not stall', async () => {
  const id = await workerIdentity(mesh);
  backend.respond = (req, s) => {
    s.write(okFor(req));
    // A server's idle timeout as some send it: a 408 without Connection: close, then the close.
    if (req.path.startsWith('/idle408')) setTimeout(() => { s.write(`HTTP/1.1 408 Request Timeout${CRLF}Content-Length: 0${CRLF}${CRLF}`); setTimeout(() => s.destroy(), 20); }, 20);
  };
  try {
    for (let i = 0; i < 5; i++) {
      assert.equal((await one(`/idle408-${i}`)).status, 200);
      await new Promise((r) => setTimeout(r, 80));
      const [a, b] = await Promise.all([one(`/after-${i}-a`), one(`/after-${i}-b`)]);
      assert.deepEqual([a, b], [{ status: 200, body: `backend saw GET /after-${i}-a` }, { status: 200, body: `backend saw GET /after-${i}-b` }]);
    }
  } finally {
    backend.reset();
  }
  await assertSameWorker(mesh, id, 'idle 408');
});

// ---- the backend closes pooled connections at every moment

for (const delay of [0, 1, 3, 10, 30]) {
  test(`the backend closes each connection ${delay} ms after answering: every request is answered`, async () => {
    const id = await workerIdentity(mesh);
    backend.respond = (req, s) => { s.write(okFor(req)); setTimeout(() => s.destroy(), delay); };
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 15; i++) {
        const [a, b] = await Promise.all([one(`/c${delay}-${i}-a`), one(`/c${delay}-${i}-b`)]);
        statuses.push(a.status, b.status);
        if (i % 3 === 0) await new Promise((r) => setTimeout(r, delay));
      }
      // A GET that meets a connection as it closes is retried; whatever happens, it is answered.
      assert.ok(statuses.every((s) => s === 200 || s === 502), `every request answered: ${statuses}`);
      // A GET that meets a kept-alive connection the backend just closed goes again on a new one (the keep-alive race).
      assert.ok(statuses.every((s) => s === 200), `all served: ${statuses}`);
    } finally {
      backend.reset();
    }
    await assertSameWorker(mesh, id, `close after ${delay} ms`);
  });
}

test('answers with Connection: close: every request is answered, on a new connection each', async () => {
  const id = await workerIdentity(mesh);
  backend.respond = (req, s) => { const b = `closing ${req.path}`; s.end(`HTTP/1.1 200 OK${CRLF}Connection: close${CRLF}Content-Length: ${b.length}${CRLF}${CRLF}${b}`); };
  try {
    for (let i = 0; i < 10; i++) {
      const [a, b] = await Promise.all([one(`/cc-${i}-a`), one(`/cc-${i}-b`)]);
      assert.deepEqual([a, b], [{ status: 200, body: `closing /cc-${i}-a` }, { status: 200, body: `closing /cc-${i}-b` }]);
    }
  } finally {
    backend.reset();
  }
  await assertSameWorker(mesh, id, 'Connection: close');
});

test('a backend that accepts and closes at once (between dispatch and connect): 502, then served again', async () => {
  const id = await workerIdentity(mesh);
  backend.onConnection = (s) => s.destroy();
  try {
    assert.equal((await one('/refused-1')).status, 502);
    const post = await rawExchange(mesh.httpPort, [`POST /refused-2 HTTP/1.1${CRLF}Host: shop.example${CRLF}Connection: close${CRLF}Content-Length: 3${CRLF}${CRLF}abc`], { quietMs: 8_000, maxMs: 8_000 });
    assert.deepEqual(post.statuses, [502], post.raw);
  } finally {
    backend.reset();
  }
  assert.equal((await one('/served-again')).status, 200);
  await assertSameWorker(mesh, id, 'accept and close');
});

test('a backend that reads the request and closes without answering, once: the GET is retried and served', async () => {
  const id = await workerIdentity(mesh);
  let closedOne = false;
  backend.respond = (req, s) => {
    if (!closedOne && req.path === '/dropped') { closedOne = true; s.destroy(); return; }
    s.write(okFor(req));
  };
  try {
    // Warm a pooled connection first, so the drop hits a kept-alive one (the keep-alive race).
    assert.equal((await one('/warm')).status, 200);
    assert.deepEqual(await one('/dropped'), { status: 200, body: 'backend saw GET /dropped' });
  } finally {
    backend.reset();
  }
  await assertSameWorker(mesh, id, 'drop without answer');
});

test('a backend that dies in the middle of a body: that client sees a cut response, the next is served', async () => {
  const id = await workerIdentity(mesh);
  backend.respond = (req, s) => {
    if (req.path === '/cut') { s.write(`HTTP/1.1 200 OK${CRLF}Content-Length: 100${CRLF}${CRLF}0123456789`); setTimeout(() => s.destroy(), 20); return; }
    s.write(okFor(req));
  };
  try {
    const r = await h1(get('/cut'), get('/next'));
    assert.ok(r.closed, 'the client connection is closed: the response cannot be completed');
    assert.ok(!r.responses.some((x) => x.body.includes('/next')), 'nothing else on that connection');
    assert.deepEqual(await one('/next'), { status: 200, body: 'backend saw GET /next' });
    const r2 = await h2('/cut', '/next');
    assert.equal(r2[1]!.status, 200);
  } finally {
    backend.reset();
  }
  await assertSameWorker(mesh, id, 'death mid-body');
});

// ---- WebSocket upgrades (undici's path) answered badly

const WS = `Connection: Upgrade${CRLF}Upgrade: websocket${CRLF}Sec-WebSocket-Version: 13${CRLF}Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==${CRLF}`;

for (const [label, answer] of [
  ['status 600', `HTTP/1.1 600 X${CRLF}Content-Length: 0${CRLF}${CRLF}`],
  ['status 099', `HTTP/1.1 099 X${CRLF}Content-Length: 0${CRLF}${CRLF}`],
  ['a 101 without Upgrade', `HTTP/1.1 101 Switching Protocols${CRLF}${CRLF}`],
  ['a 101 then an immediate close', `HTTP/1.1 101 Switching Protocols${CRLF}Upgrade: websocket${CRLF}Connection: Upgrade${CRLF}${CRLF}`],
  ['garbage', `garbage${CRLF}${CRLF}`],
] as const) {
  test(`WebSocket upgrade answered with ${label}: the client gets an error or a close, the worker stays`, async () => {
    const id = await workerIdentity(mesh);
    backend.respond = (req, s) => {
      if (req.path !== '/ws') return void s.write(okFor(req));
      s.write(answer);
      if (label.includes('close')) setTimeout(() => s.destroy(), 10);
    };
    try {
      const res = await rawExchange(mesh.httpPort, [`GET /ws HTTP/1.1${CRLF}Host: shop.example${CRLF}${WS}${CRLF}`], { quietMs: 1_000, maxMs: 8_000 });
      const status = res.statuses[0];
      assert.ok(status === 502 || (status === 101 && label.includes('close')) || (status === undefined && res.closed), `${label}: ${JSON.stringify(res)}`);
      assert.ok(res.closed, 'the client connection ends');
    } finally {
      backend.reset();
    }
    assert.equal((await one('/after-ws')).status, 200);
    await assertSameWorker(mesh, id, `WebSocket ${label}`);
  });
}
