/**
 * Idle timeouts at the edge (issue 18): an HTTP/2 session with no open
 * stream for the keep-alive timeout gets GOAWAY and is closed (PINGs do not
 * keep it), one with a stream open is not; a WebSocket tunnel with no byte
 * either way for the tunnel idle timeout is closed on both sides, traffic in
 * either direction keeps it, and the Ingress annotation
 * meshgate.dev/tunnel-idle-timeout overrides the flag. Real processes, one
 * worker, short timeouts set through MESHGATE_KEEPALIVE_TIMEOUT_MS and
 * MESHGATE_TUNNEL_IDLE_TIMEOUT (the flag's twin). No time is asserted: only
 * what closed and what did not.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import http2 from 'node:http2';
import { WebSocketServer, WebSocket } from 'ws';
import { makeCert, tlsSecret } from './support/certs.ts';
import { serviceManifests, startMesh, workerRestarts, type Mesh } from './support/mesh.ts';

const IDLE_MS = 1_000;
let mesh: Mesh;
let web: http.Server;
let wss: WebSocketServer;
/** Backend-side WebSocket connections, to see that the proxy closed them too. */
const backendSockets: WebSocket[] = [];

function manifests(webPort: number, wsPort: number): Record<string, string> {
  const ingress = (name: string, path: string, service: string, annotations = '') => `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: ${name}${annotations}
spec:
  tls: [{hosts: [idle.example], secretName: idle-tls}]
  rules:
  - host: idle.example
    http:
      paths:
      - {path: ${path}, pathType: Prefix, backend: {service: {name: ${service}, port: {number: 80}}}}
`;
  return {
    'svc.yaml': `${serviceManifests('web', webPort)}---\n${serviceManifests('ws', wsPort)}`,
    'tls.yaml': tlsSecret('idle-tls', makeCert('idle.example')),
    'web.yaml': ingress('web', '/web', 'web'),
    'ws.yaml': ingress('ws', '/ws', 'ws'),
    'ws-long.yaml': ingress('ws-long', '/long', 'ws', '\n  annotations: {meshgate.dev/tunnel-idle-timeout: "0"}'),
  };
}

before(async () => {
  web = http.createServer((req, res) => {
    const m = /\/slow\/(\d+)/.exec(req.url ?? '');
    setTimeout(() => res.end('done'), m ? Number(m[1]) : 0);
  });
  await new Promise<void>((r) => web.listen(0, '127.0.0.1', r));
  wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  wss.on('connection', (sock, req) => {
    backendSockets.push(sock);
    sock.on('message', (m) => sock.send(m));
    // /ws/push: the backend talks every 300 ms, the client never does.
    if (req.url?.includes('push')) {
      const t = setInterval(() => sock.send('tick'), 300);
      sock.on('close', () => clearInterval(t));
    }
  });
  await new Promise((r) => wss.once('listening', r));
  mesh = await startMesh(manifests((web.address() as { port: number }).port, (wss.address() as { port: number }).port), {
    env: { MESHGATE_ACCESS_LOG: 'off', MESHGATE_KEEPALIVE_TIMEOUT_MS: String(IDLE_MS), MESHGATE_TUNNEL_IDLE_TIMEOUT: `${IDLE_MS}ms` },
  });
});

after(async () => {
  await mesh?.stop();
  web?.closeAllConnections();
  web?.close();
  wss?.close();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function h2Session(): Promise<{ session: http2.ClientHttp2Session; goaway: Promise<number>; closed: Promise<void>; isClosed(): boolean }> {
  const session = http2.connect(`https://127.0.0.1:${mesh.httpsPort}`, { servername: 'idle.example', rejectUnauthorized: false });
  session.on('error', () => {});
  let closedFlag = false;
  const goaway = new Promise<number>((r) => session.once('goaway', (code: number) => r(code)));
  const closed = new Promise<void>((r) => session.once('close', () => { closedFlag = true; r(); }));
  await new Promise<void>((resolve, reject) => { session.once('connect', () => resolve()); session.once('error', reject); });
  return { session, goaway, closed, isClosed: () => closedFlag };
}

function get(session: http2.ClientHttp2Session, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = session.request({ ':path': path, ':authority': 'idle.example' });
    let body = '';
    s.setEncoding('utf8');
    s.on('data', (c: string) => { body += c; });
    s.on('end', () => resolve(body));
    s.on('error', reject);
    s.end();
  });
}

/** Resolves true when `p` settles within ms, else false. */
const within = (p: Promise<unknown>, ms: number) => Promise.race([p.then(() => true), sleep(ms).then(() => false)]);

test('HTTP/2: a session with no open stream for the keep-alive timeout gets GOAWAY (NO_ERROR) and is closed, PINGs or not', async () => {
  const a = await h2Session();
  assert.equal(await get(a.session, '/web/x'), 'done');
  const b = await h2Session();
  const ping = setInterval(() => { if (!b.session.closed && !b.session.destroyed) b.session.ping(() => {}); }, 200);
  try {
    assert.ok(await within(a.closed, 15_000), 'the idle session was closed');
    assert.equal(await a.goaway, http2.constants.NGHTTP2_NO_ERROR);
    assert.ok(await within(b.closed, 15_000), 'a session that only PINGs was closed too');
  } finally {
    clearInterval(ping);
    a.session.destroy();
    b.session.destroy();
  }
});

test('HTTP/2: a session with a stream open longer than the timeout is not closed under it', async () => {
  const s = await h2Session();
  try {
    assert.equal(await get(s.session, `/web/slow/${IDLE_MS * 3}`), 'done');
    assert.equal(s.isClosed(), false, 'still open right after the slow answer');
    assert.equal(await get(s.session, '/web/next'), 'done', 'and serves the next request');
  } finally {
    s.session.destroy();
  }
});

interface Tunnel { sock: WebSocket; closed: Promise<void>; isClosed(): boolean; backend: WebSocket }

async function tunnel(path: string): Promise<Tunnel> {
  const before = backendSockets.length;
  const sock = new WebSocket(`ws://127.0.0.1:${mesh.httpPort}${path}`, { headers: { host: 'idle.example' } });
  let closedFlag = false;
  const closed = new Promise<void>((r) => sock.once('close', () => { closedFlag = true; r(); }));
  sock.on('error', () => {});
  await new Promise<void>((resolve, reject) => { sock.once('open', () => resolve()); sock.once('error', reject); });
  while (backendSockets.length === before) await sleep(10);
  return { sock, closed, isClosed: () => closedFlag, backend: backendSockets.at(-1)! };
}

const backendClosed = (b: WebSocket) => new Promise<void>((r) => { if (b.readyState === WebSocket.CLOSED) r(); else b.once('close', () => r()); });

test('WebSocket: a silent tunnel is closed on both sides; client messages or backend messages alone keep one open', async () => {
  const silent = await tunnel('/ws/silent');
  const chatty = await tunnel('/ws/chatty');
  const pushed = await tunnel('/ws/push');
  let echoes = 0;
  chatty.sock.on('message', () => { echoes++; });
  const talk = setInterval(() => chatty.sock.send('hi'), 300);
  try {
    assert.ok(await within(silent.closed, 15_000), 'the silent tunnel was closed');
    assert.ok(await within(backendClosed(silent.backend), 5_000), 'and its backend connection too');
    // Both others outlived the silent one by several timeouts.
    await sleep(IDLE_MS * 3);
    assert.equal(chatty.isClosed(), false, 'a client that talks keeps its tunnel');
    assert.ok(echoes > 3, `echoes came back (${echoes})`);
    assert.equal(pushed.isClosed(), false, 'a backend that talks keeps the tunnel');
  } finally {
    clearInterval(talk);
  }
  // Once both go quiet, they are closed too.
  assert.ok(await within(chatty.closed, 15_000), 'the chatty tunnel, once quiet');
  pushed.backend.terminate();
  assert.ok(await within(pushed.closed, 15_000), 'the pushed tunnel, once its backend is gone');
});

test('WebSocket: meshgate.dev/tunnel-idle-timeout "0" on the Ingress keeps a silent tunnel open', async () => {
  const t = await tunnel('/long/silent');
  await sleep(IDLE_MS * 3);
  assert.equal(t.isClosed(), false);
  t.sock.send('still there');
  const echo = await new Promise((r) => t.sock.once('message', r));
  assert.equal(String(echo), 'still there');
  t.sock.close();
  assert.equal(await workerRestarts(mesh.adminPort), 0);
});
