/**
 * Load balancing per Ingress annotation (round robin, least request,
 * consistent hash by header or cookie), passive ejection with retries on
 * another endpoint, and ssl-redirect.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { freePort, request } from '@meshgate/testing';
import { startBackend, startMesh, service, ingress, type Backend, type Mesh } from './harness.ts';

process.env.MESHGATE_ACCESS_LOG = 'off';

let mesh: Mesh;
const backends: Backend[] = [];
let slow: Backend;
let fast: Backend;
let failing: Backend;
let deadPort: number;

before(async () => {
  for (const n of ['a', 'b', 'c']) backends.push(await startBackend(n));
  slow = await startBackend('slow', 0, (_req, res) => { slow.hits++; setTimeout(() => { res.writeHead(200, { 'x-backend': 'slow' }); res.end('slow'); }, 150); });
  fast = await startBackend('fast', 0, (_req, res) => { fast.hits++; res.writeHead(200, { 'x-backend': 'fast' }); res.end('fast'); });
  failing = await startBackend('failing', 0, (_req, res) => { failing.hits++; res.writeHead(500, { 'x-backend': 'failing' }); res.end('boom'); });
  deadPort = await freePort();
  const ports = backends.map((b) => b.port);
  mesh = await startMesh({
    'svc.yaml': [
      service('abc', ports), service('mixed', [slow.port, fast.port]), service('flaky', [failing.port, backends[0]!.port]),
      service('half-dead', [deadPort, ...ports]),
    ].join('---\n'),
    'ing.yaml': [
      ingress('rr', { '/rr': 'abc', '/dead': 'half-dead' }),
      ingress('lr', { '/lr': 'mixed' }, { annotations: { 'meshgate.dev/load-balance': 'least-request' } }),
      ingress('hh', { '/hh': 'abc' }, { annotations: { 'meshgate.dev/load-balance': 'consistent-hash', 'meshgate.dev/hash-by': 'header:X-User' } }),
      ingress('hc', { '/hc': 'abc' }, { annotations: { 'meshgate.dev/load-balance': 'consistent-hash', 'meshgate.dev/hash-by': 'cookie:session' } }),
      ingress('flaky', { '/flaky': 'flaky' }),
      ingress('secure', { '/secure': 'abc' }, { annotations: { 'meshgate.dev/ssl-redirect': 'true' } }),
    ].join('---\n'),
  }, { workers: 2 });
});

after(async () => {
  await mesh?.stop();
  for (const b of [...backends, slow, fast, failing]) await b?.close();
});

const backendOf = async (path: string, headers?: Record<string, string>) => {
  const r = await request(`${mesh.http}${path}`, { headers });
  assert.equal(r.status, 200, `${path}: ${r.status} ${r.body}`);
  return String(r.headers['x-backend']);
};

test('round robin by default spreads over every endpoint', async () => {
  const counts = new Map<string, number>();
  for (let i = 0; i < 30; i++) {
    const b = await backendOf('/rr/');
    counts.set(b, (counts.get(b) ?? 0) + 1);
  }
  assert.deepEqual([...counts.keys()].sort(), ['a', 'b', 'c']);
  for (const n of counts.values()) assert.ok(n >= 5, JSON.stringify([...counts]));
});

test('least-request sends less to the endpoint with requests piling up', async () => {
  // Closed loop: 10 clients, each sending its next request when the last one answered,
  // so requests pile up on the slow endpoint while the fast one clears them.
  const agent = new http.Agent({ keepAlive: true, maxSockets: 20 });
  const one = () => new Promise<void>((resolve, reject) => http.get(`${mesh.http}/lr/`, { agent }, (res) => { res.resume(); res.on('end', () => resolve()); }).on('error', reject));
  slow.hits = fast.hits = 0;
  const until = Date.now() + 1_500;
  await Promise.all(Array.from({ length: 10 }, async () => { while (Date.now() < until) await one(); }));
  agent.destroy();
  const share = slow.hits / (slow.hits + fast.hits);
  assert.ok(share < 0.4, `slow endpoint got ${(share * 100).toFixed(0)}% (round robin would give 50%)`);
});

test('consistent hash by header: a key always lands on the same endpoint; keys spread', async () => {
  const seen = new Map<string, string>();
  for (let i = 0; i < 20; i++) seen.set(`u${i}`, await backendOf('/hh/', { 'x-user': `u${i}` }));
  for (let i = 0; i < 20; i++) assert.equal(await backendOf('/hh/', { 'x-user': `u${i}` }), seen.get(`u${i}`));
  assert.ok(new Set(seen.values()).size >= 2, 'keys spread over several endpoints');
});

test('consistent hash by cookie', async () => {
  const first = await backendOf('/hc/', { cookie: 'theme=dark; session=s-42' });
  for (let i = 0; i < 10; i++) assert.equal(await backendOf('/hc/', { cookie: `session=s-42; n=${i}` }), first);
});

test('a refused endpoint costs no failed GET: retried elsewhere, then ejected', async () => {
  for (let i = 0; i < 30; i++) assert.notEqual(await backendOf('/dead/'), '');
});

test('consecutive 5xx eject an endpoint (at most half of the backend)', async () => {
  failing.hits = 0;
  let errors = 0;
  for (let i = 0; i < 60; i++) if ((await request(`${mesh.http}/flaky/`)).status === 500) errors++;
  // Without ejection about half (30) would fail; each worker ejects after 5 in a row.
  assert.ok(errors <= 20, `${errors} of 60 got the failing endpoint's 500`);
  assert.ok(errors >= 5, 'the 5xx are passed to the client as they are');
});

test('meshgate.dev/ssl-redirect sends plain HTTP to HTTPS with 308', async () => {
  const r = await request(`${mesh.http}/secure/x?y=1`, { headers: { host: 'shop.example:8080' } });
  assert.equal(r.status, 308);
  assert.equal(r.headers.location, `https://shop.example:${mesh.httpsPort}/secure/x?y=1`);
});
