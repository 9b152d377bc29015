/**
 * IP lists and rate limits against a real proxy node (two worker threads):
 * ingress-nginx's test/e2e/annotations cases (ipallowlist.go, ipdenylist.go,
 * limitconnections.go) restated, with X-Forwarded-For from a trusted proxy
 * standing in for their `use-forwarded-headers: "true"`; limits shared by the
 * node's workers; each refusal counted in meshgate_denied_total.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { request } from '@meshgate/testing';
import { startBackend, startMesh, service, ingress, type Backend, type Mesh } from './harness.ts';

process.env.MESHGATE_ACCESS_LOG = 'off';

const N = 'nginx.ingress.kubernetes.io/';
const M = 'meshgate.dev/';
let mesh: Mesh;
let echo: Backend;
/** Holds every request until released: requests in progress stay in progress. */
let held: Backend;
let waiting: http.ServerResponse[] = [];

const nginxIngress = (name: string, host: string, annotations: Record<string, string>) =>
  ingress(name, { '/': name.startsWith('conn') ? 'held' : 'echo' }, { host, annotations }).replace('\nspec:', '\nspec:\n  ingressClassName: nginx');

before(async () => {
  echo = await startBackend('echo');
  held = await startBackend('held', 0, (_req, res) => { held.hits++; waiting.push(res); });
  mesh = await startMesh({
    'svc.yaml': [service('echo', [echo.port]), service('held', [held.port])].join('---\n'),
    'ing.yaml': [
      nginxIngress('deny', 'ipdenylist.foo.com', { [`${N}denylist-source-range`]: '18.0.0.0/8, 56.0.0.1' }),
      nginxIngress('both', 'ipdenylist2.foo.com', { [`${N}denylist-source-range`]: '18.1.0.0/16, 56.0.0.0/8', [`${N}whitelist-source-range`]: '18.0.0.0/8, 55.0.0.0/8' }),
      nginxIngress('allow', 'ipallowlist.foo.com', { [`${N}allowlist-source-range`]: '18.0.0.0/8, 56.0.0.0/8, 2001:db8::/32' }),
      nginxIngress('conn', 'limit-connections', { [`${N}limit-connections`]: '8' }),
      nginxIngress('rpm', 'limit-rpm', { [`${N}limit-rpm`]: '6', [`${N}limit-burst-multiplier`]: '1', [`${N}limit-whitelist`]: '10.0.0.0/8' }),
      nginxIngress('rps429', 'limit-429', { [`${M}limit-rps`]: '1', [`${M}limit-burst-multiplier`]: '1', [`${M}limit-status`]: '429' }),
    ].join('---\n'),
  }, { workers: 2, ingressClass: 'meshgate,nginx', limits: { trustedProxies: ['127.0.0.0/8'] } });
});

after(async () => {
  for (const r of waiting) r.destroy();
  await mesh?.stop();
  await echo.close();
  await held.close();
});

const get = (host: string, from?: string, path = '/') => request(`${mesh.http}${path}`, { headers: { host, ...(from ? { 'x-forwarded-for': from } : {}) } });
const statuses = async (host: string, from: string[]) => Promise.all(from.map(async (ip) => (await get(host, ip)).status));

test('denylist-source-range (ipdenylist.go): only the denied addresses and ranges get 403', async () => {
  assert.deepEqual(await statuses('ipdenylist.foo.com', ['18.0.0.1', '56.0.0.1', '56.0.0.2']), [403, 403, 200]);
});

test('denylist with an allowlist (ipdenylist.go): denied ranges, then everything outside the allowlist, get 403', async () => {
  assert.deepEqual(await statuses('ipdenylist2.foo.com', ['18.1.0.1', '10.10.10.10', '18.4.0.1', '55.55.55.55']), [403, 403, 200, 200]);
  const r = await get('ipdenylist2.foo.com', '10.10.10.10');
  assert.match(r.body, /not allowed/);
  assert.ok(r.headers['x-request-id']);
});

test('allowlist-source-range (ipallowlist.go): the peer itself when no trusted proxy speaks for a client; IPv6 clients', async () => {
  assert.equal((await get('ipallowlist.foo.com')).status, 403, '127.0.0.1 is not in the list');
  assert.deepEqual(await statuses('ipallowlist.foo.com', ['56.1.2.3', '2001:db8::1', '2001:db9::1', '127.0.0.1']), [200, 200, 403, 403]);
});

test('limit-connections (limitconnections.go): 20 at once with a limit of 8: 8 served, 12 get 503, across the node\'s workers', async () => {
  const results = Array.from({ length: 20 }, () => get('limit-connections'));
  // The backend holds what it gets until the refusals are back: eight in progress the whole time.
  const refused = results.map((p) => p.then((r) => r.status));
  let settled = 0;
  for (const p of refused) void p.then(() => { settled++; });
  const deadline = Date.now() + 20_000;
  while ((settled < 12 || held.hits < 8) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  assert.equal(held.hits, 8, 'requests the backend got');
  for (const res of waiting.splice(0)) { res.writeHead(200); res.end('ok'); }
  const all = await Promise.all(refused);
  assert.equal(all.filter((s) => s === 200).length, 8);
  assert.equal(all.filter((s) => s === 503).length, 12);
  // All of them ended: the next ones are served.
  await new Promise((r) => setTimeout(r, 50));
  const again = get('limit-connections');
  while (waiting.length === 0) await new Promise((r) => setTimeout(r, 10));
  waiting.shift()!.end('ok');
  assert.equal((await again).status, 200);
});

test('limit-rpm with burst multiplier 1: rpm + 1 at once, then 503, per client; limit-whitelist addresses are not limited', async () => {
  assert.deepEqual(await sequential('limit-rpm', '192.0.2.1', 9), [200, 200, 200, 200, 200, 200, 200, 503, 503]);
  assert.equal((await get('limit-rpm', '192.0.2.2')).status, 200, 'another client has its own count');
  assert.ok((await sequential('limit-rpm', '10.1.1.1', 12)).every((s) => s === 200));
  assert.equal((await get('limit-rpm', '192.0.2.1')).status, 503, 'however its connections spread over the workers');
});

test('meshgate.dev/limit-status: the refusal\'s status', async () => {
  const s = await sequential('limit-429', '192.0.2.9', 4);
  assert.deepEqual(s.slice(0, 2), [200, 200]);
  assert.equal(s[3], 429);
});

test('each refusal counts in meshgate_denied_total by reason', async () => {
  const text = await (await fetch(`${mesh.node.adminUrl}/metrics`)).text();
  const count = (reason: string) => Number(new RegExp(`^meshgate_denied_total\\{[^}]*reason="${reason}"[^}]*\\} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
  assert.ok(count('ip') >= 7, `ip: ${count('ip')}`);
  assert.ok(count('rate') >= 14, `rate: ${count('rate')}`);
  assert.match(text, /# HELP meshgate_denied_total /);
});

/** `n` requests one after the other (each on a new connection, so they spread over the workers). */
async function sequential(host: string, from: string, n: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push((await get(host, from)).status);
  return out;
}
