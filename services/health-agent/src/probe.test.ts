import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { probe } from './probe.ts';
import { checkSpecOf } from './check-spec.ts';

const servers: net.Server[] = [];
after(() => { for (const s of servers) s.close(); });

async function listen(s: net.Server): Promise<number> {
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  return (s.address() as net.AddressInfo).port;
}
async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const { port } = s.address() as net.AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}
const http_ = (path = '/', annotations: Record<string, string> = {}) => checkSpecOf({ id: 'b', healthPath: path, annotations }).spec;

test('http probe: GETs the health path with the agent user-agent; healthy range decides', async () => {
  const seen: string[] = [];
  const port = await listen(http.createServer((req, res) => {
    seen.push(`${req.method} ${req.url} ${req.headers['user-agent']} ${req.headers.host}`);
    res.statusCode = req.url === '/healthz' ? 204 : req.url === '/teapot' ? 418 : 503;
    res.end('x');
  }));
  assert.deepEqual(await probe({ id: 'e', address: '127.0.0.1', port, check: http_('/healthz') }, 500), { ok: true, reason: 'HTTP 204' });
  assert.deepEqual(await probe({ id: 'e', address: '127.0.0.1', port, check: http_('/down') }, 500), { ok: false, reason: 'HTTP 503 (healthy: 200-399)' });
  assert.deepEqual(await probe({ id: 'e', address: '127.0.0.1', port, check: http_('/teapot', { 'meshgate.dev/health-status': '418' }) }, 500), { ok: true, reason: 'HTTP 418' });
  assert.equal(seen[0], `GET /healthz meshgate-health-agent 127.0.0.1:${port}`);
});

test('http probe: refused, timeout, closed without a response, not HTTP', async () => {
  const refused = await closedPort();
  assert.deepEqual(await probe({ id: 'e', address: '127.0.0.1', port: refused, check: http_() }, 500), { ok: false, reason: 'connect ECONNREFUSED' });
  const silent = await listen(net.createServer((s) => { s.on('error', () => {}); }));
  const t0 = Date.now();
  assert.deepEqual(await probe({ id: 'e', address: '127.0.0.1', port: silent, check: http_() }, 150), { ok: false, reason: 'timeout after 150 ms' });
  assert.ok(Date.now() - t0 < 1_000);
  const closer = await listen(net.createServer((s) => { s.on('error', () => {}); s.end(); }));
  assert.equal((await probe({ id: 'e', address: '127.0.0.1', port: closer, check: http_() }, 500)).ok, false);
  const garbage = await listen(net.createServer((s) => { s.on('error', () => {}); s.end('SSH-2.0-OpenSSH\r\n'); }));
  assert.match((await probe({ id: 'e', address: '127.0.0.1', port: garbage, check: http_() }, 500)).reason, /^not an HTTP response/);
});

test('tcp probe: connect is enough; refused is not', async () => {
  const port = await listen(net.createServer((s) => { s.on('error', () => {}); }));
  const tcp = checkSpecOf({ id: 'b', annotations: { 'meshgate.dev/health-check': 'tcp' } }).spec;
  assert.deepEqual(await probe({ id: 'e', address: '127.0.0.1', port, check: tcp }, 500), { ok: true, reason: 'TCP connect' });
  assert.deepEqual(await probe({ id: 'e', address: '127.0.0.1', port: await closedPort(), check: tcp }, 500), { ok: false, reason: 'connect ECONNREFUSED' });
});
