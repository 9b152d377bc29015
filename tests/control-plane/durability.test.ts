/**
 * The control plane's failure modes with real processes: the config service
 * dies, nats-server dies, a node restarts with NATS down.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { configServiceStarted, startNatsServer, eventually, type NatsServer, type Proc } from '@meshgate/testing';
import { get, helloIngress, makeMeshDir, ready, startBackends, startConfigService, startProxy, status, type MeshDir, type ProxyProc } from './mesh.ts';

let nats: NatsServer;
let m: MeshDir;
let config: Proc;
let a: ProxyProc;
const procs: Proc[] = [];
const extra = (p: string) => `      - path: ${p}\n        pathType: Prefix\n        backend: { service: { name: users-svc, port: { number: 80 } } }\n`;
const setIngress = (paths: string[]) => fs.writeFileSync(path.join(m.manifests, 'hello-ingress.yaml'), helloIngress(paths.map(extra).join('')));

before(async () => {
  nats = await startNatsServer();
  m = await makeMeshDir();
  procs.push(...startBackends(m));
  config = startConfigService(m, nats.url);
  await configServiceStarted(config);
  a = await startProxy(m, nats.url, 'cp-dur-a');
  procs.push(a.proc);
  await ready(a);
});

after(async () => {
  await Promise.all([config, ...procs].map((p) => p.stop()));
  await nats?.stop();
  fs.rmSync(m.dir, { recursive: true, force: true });
});

test('config service killed: nodes keep serving, and a new node joins with the stored snapshot', async () => {
  const v = (await status(a)).version;
  config.kill('SIGKILL');
  await config.exited;
  assert.equal(await get(a, '/users/x'), 200);
  const b = await startProxy(m, nats.url, 'cp-dur-b');
  procs.push(b.proc);
  await ready(b);
  assert.equal((await status(b)).version, v, 'the new node serves the stored version');
  assert.equal(await get(b, '/products/x'), 200);
  await b.proc.stop();
});

test('config service restarted: versions keep increasing from the stored state', async () => {
  const v = (await status(a)).version;
  config = startConfigService(m, nats.url);
  await config.waitFor(/config service started/);
  setIngress(['/restart']);
  await eventually('new route served', async () => (await get(a, '/restart')) === 200, 10_000);
  assert.ok((await status(a)).version > v);
});

test('nats-server killed: nodes keep serving; back, they reconnect and catch up to the newest version', async () => {
  const port = nats.port;
  await nats.stop();
  assert.equal(await get(a, '/users/x'), 200, 'serving without NATS');
  setIngress(['/restart', '/while-nats-was-down']);
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(await get(a, '/while-nats-was-down'), 404);
  nats = await startNatsServer({ port });
  await eventually('caught up after NATS came back', async () => (await get(a, '/while-nats-was-down')) === 200, 15_000);
});

test('a node restarted while NATS and the config service are down serves its last-known-good snapshot', async () => {
  const v = (await status(a)).version;
  await eventually('last-known-good written', async () => fs.existsSync(path.join(m.dir, 'cp-dur-a', 'last-known-good.snapshot')), 5_000);
  await a.proc.stop();
  config.kill('SIGKILL');
  await config.exited;
  const port = nats.port;
  await nats.stop();
  const a2 = await startProxy(m, `nats://127.0.0.1:${port}`, 'cp-dur-a', { http: a.http, admin: a.admin });
  procs.push(a2.proc);
  await ready(a2);
  assert.equal((await status(a2)).version, v);
  assert.equal(await get(a2, '/while-nats-was-down'), 200);
  assert.match(a2.proc.output(), /serving the last-known-good snapshot from disk/);
  nats = await startNatsServer({ port });
  config = startConfigService(m, nats.url);
});
