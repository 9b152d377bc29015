/**
 * ingress-nginx YAML through the real processes: a config service run with
 * `--ingress-class meshgate,nginx` and a proxy on a real nats-server. The
 * issue's repro (an Ingress with whitelist-source-range and an auth-url whose
 * auth service does not answer, both supported now, and satisfy "any" between
 * them, still refused) is rejected, not served 200, and `meshgate get
 * ingresses` and the config service's log say why; the same auth-url alone
 * answers 500, never 200; warnings show beside it;
 * enable-access-log "false" writes no access-log line.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { configServiceStarted, eventually, freePort, request, serviceManifest, spawnMeshgate, startNatsServer, type NatsServer, type Proc } from '@meshgate/testing';

const N = 'nginx.ingress.kubernetes.io/';
const ingress = (name: string, host: string, annotations: Record<string, string>) => `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: ${name}
  annotations: ${JSON.stringify(annotations)}
spec:
  ingressClassName: nginx
  rules:
  - host: ${host}
    http:
      paths:
      - { path: /, pathType: Prefix, backend: { service: { name: web, port: { number: 80 } } } }
`;

let nats: NatsServer;
let backend: http.Server;
let dir: string;
let httpPort: number;
let config: Proc;
let proxy: Proc;

before(async () => {
  nats = await startNatsServer();
  backend = http.createServer((_req, res) => res.end('ok\n'));
  await new Promise<void>((r) => backend.listen(0, '127.0.0.1', () => r()));
  const port = (backend.address() as { port: number }).port;
  // The auth service that does not answer: nothing listens there.
  const authPort = await freePort();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meshgate-nginx-'));
  fs.writeFileSync(path.join(dir, 'web.yaml'), serviceManifest('web', [port]));
  fs.writeFileSync(path.join(dir, 'shop.yaml'), ingress('shop', 'shop.example', { [`${N}whitelist-source-range`]: '10.0.0.0/8', [`${N}auth-url`]: `http://127.0.0.1:${authPort}/verify`, [`${N}satisfy`]: 'any' }));
  fs.writeFileSync(path.join(dir, 'guarded.yaml'), ingress('guarded', 'guarded.example', { [`${N}auth-url`]: `http://127.0.0.1:${authPort}/verify` }));
  fs.writeFileSync(path.join(dir, 'quiet.yaml'), ingress('quiet', 'quiet.example', { [`${N}enable-access-log`]: 'false', [`${N}proxy-buffer-size`]: '16k' }));
  fs.writeFileSync(path.join(dir, 'loud.yaml'), ingress('loud', 'loud.example', {}));
  httpPort = await freePort();
  const adminPort = await freePort();
  config = spawnMeshgate(['config-service', '--nats', nats.url, '--manifests', dir, '--ingress-class', 'meshgate,nginx']);
  await configServiceStarted(config);
  proxy = spawnMeshgate(['proxy', '--nats', nats.url, '--workers', '1', '--http', `127.0.0.1:${httpPort}`, '--https', `127.0.0.1:${await freePort()}`, '--admin', `127.0.0.1:${adminPort}`, '--node-id', 'nginx-1']);
  await eventually('proxy ready', async () => (await request(`http://127.0.0.1:${adminPort}/readyz`)).status === 200, 30_000);
});

after(async () => {
  await Promise.all([proxy, config].filter(Boolean).map((p) => p.stop()));
  if (backend) await new Promise<void>((r) => backend.close(() => r()));
  await nats?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const get = (host: string, p = '/') => request(`http://127.0.0.1:${httpPort}${p}`, { headers: { host } });

async function cli(args: string[]) {
  const p = spawnMeshgate([...args, '--nats', nats.url]);
  return { code: await p.exited, out: p.output() };
}

test('the issue\'s repro: whitelist-source-range with an auth-url and satisfy any is rejected (satisfy), not served 200; get ingresses says why', async () => {
  assert.equal((await get('loud.example')).status, 200, 'class nginx is served');
  const r = await get('shop.example');
  assert.equal(r.status, 404, 'the rejected Ingress has no route');
  const table = await cli(['get', 'ingresses']);
  assert.equal(table.code, 0, table.out);
  assert.match(table.out, /^default +shop +rejected +0 +.*shop\.yaml:1 +1 error\(s\), first: .*nginx\.ingress\.kubernetes\.io\/satisfy is refused: access control is not implemented yet/m);
  assert.match(table.out, /^Errors:\n(.*\n)*  .*shop\.yaml:5: Ingress default\/shop: metadata\.annotations\.nginx\.ingress\.kubernetes\.io\/satisfy: nginx\.ingress\.kubernetes\.io\/satisfy is refused/m);
  const json = JSON.parse((await cli(['get', 'ingresses', '-o', 'json'])).out);
  const shop = json.ingresses.find((i: { name: string }) => i.name === 'shop');
  assert.equal(shop.state, 'rejected');
  assert.equal(shop.className, 'nginx');
  assert.equal(shop.errors.length, 1);
  assert.deepEqual(shop.annotations.map((a: { outcome: string }) => a.outcome), ['supported', 'refused', 'supported']);
  // The config service's log names it.
  await config.waitFor(/"msg":"manifest rejected".*satisfy is refused/, 5_000);
  // auth-url is implemented (docs/access-control.md): an auth service that does not answer is 500, never a pass.
  const guarded = await get('guarded.example');
  assert.equal(guarded.status, 500);
  assert.match(guarded.body, /auth service did not answer/);
});

test('warnings show in get ingresses (reason and list), -o json and the config service log; the Ingress serves', async () => {
  assert.equal((await get('quiet.example')).status, 200);
  const table = await cli(['get', 'ingresses']);
  assert.match(table.out, /^default +quiet +served +1 +.*quiet\.yaml:1 +1 annotation warning\(s\), first: nginx\.ingress\.kubernetes\.io\/proxy-buffer-size: ignored/m);
  assert.match(table.out, /^Warnings \(served regardless\):\n  .*quiet\.yaml:5: Ingress default\/quiet: metadata\.annotations\.nginx\.ingress\.kubernetes\.io\/proxy-buffer-size: .*ignored: meshgate streams bodies/m);
  const json = JSON.parse((await cli(['get', 'ingresses', '-o', 'json'])).out);
  const quiet = json.ingresses.find((i: { name: string }) => i.name === 'quiet');
  assert.equal(quiet.warnings.length, 1);
  assert.deepEqual(quiet.annotations.map((a: { annotation: string; outcome: string }) => [a.annotation.slice(N.length), a.outcome]), [['enable-access-log', 'supported'], ['proxy-buffer-size', 'ignored']]);
  await config.waitFor(/"msg":"manifest warning".*proxy-buffer-size: ignored/, 5_000);
});

test('enable-access-log "false": no access-log line for that Ingress; others are logged', async () => {
  assert.equal((await get('quiet.example', '/quiet-marker')).status, 200);
  assert.equal((await get('loud.example', '/loud-marker')).status, 200);
  await proxy.waitFor('"path":"/loud-marker"', 5_000);
  // One worker, lines written in order every 100 ms: the quiet request's line would be out by now.
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(proxy.output().includes('/quiet-marker'), false, 'no line for the quiet Ingress');
});

test('meshgate up checks --ingress-class before starting anything', async () => {
  const p = spawnMeshgate(['up', '--ingress-class', 'meshgate,,nginx', '--state-dir', '/nonexistent/meshgate-state']);
  assert.equal(await p.exited, 2);
  assert.match(p.output(), /^meshgate up: --ingress-class expects IngressClass names separated by commas/);
});
