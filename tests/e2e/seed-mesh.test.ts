/**
 * The walking skeleton end to end, with real processes: a real nats-server,
 * the config service, a proxy node with two worker threads, a health agent,
 * and the seed's two backends, each a separate `meshgate` process.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { configServiceStarted, startNatsServer, freePort, spawnMeshgate, request, eventually, type NatsServer, type Proc } from '@meshgate/testing';

let nats: NatsServer;
let dir: string;
let usersPort: number;
let productsPort: number;
let httpPort: number;
let adminPort: number;
let users: Proc;
const procs: Proc[] = [];
const base = () => `http://127.0.0.1:${httpPort}`;

function manifests(): string {
  // The seed's Services and Ingress, with Endpoints giving the backends'
  // addresses (a directory has no pods to discover them from).
  const svc = (name: string, port: number) => `
apiVersion: v1
kind: Service
metadata: { name: ${name} }
spec:
  ports: [{ name: http, port: 80, protocol: TCP, targetPort: 8080 }]
---
apiVersion: v1
kind: Endpoints
metadata: { name: ${name} }
subsets:
  - addresses: [{ ip: 127.0.0.1 }]
    ports: [{ name: http, port: ${port} }]
`;
  return `${svc('users-node-svc', usersPort)}---${svc('products-node-svc', productsPort)}---
apiVersion: extensions/v1beta1
kind: Ingress
metadata:
  name: hello-ingress
spec:
  rules:
  - http:
      paths:
      - path: /users/*
        backend: { serviceName: users-node-svc, servicePort: 80 }
      - path: /products/*
        backend: { serviceName: products-node-svc, servicePort: 80 }
`;
}

const startUsers = () => spawnMeshgate(['demo-backend', '--kind', 'User', '--listen', `127.0.0.1:${usersPort}`, '--hostname', 'users-1']);

before(async () => {
  nats = await startNatsServer();
  [usersPort, productsPort, httpPort, adminPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meshgate-e2e-'));
  fs.writeFileSync(path.join(dir, 'seed.yaml'), manifests());
  users = startUsers();
  const products = spawnMeshgate(['demo-backend', '--kind', 'Product', '--listen', `127.0.0.1:${productsPort}`, '--hostname', 'products-1']);
  const n = ['--nats', nats.url];
  const config = spawnMeshgate(['config-service', ...n, '--manifests', dir]);
  procs.push(products, config);
  await configServiceStarted(config);
  const proxy = spawnMeshgate(['proxy', ...n, '--workers', '2', '--http', `127.0.0.1:${httpPort}`, '--https', `127.0.0.1:${await freePort()}`, '--admin', `127.0.0.1:${adminPort}`, '--node-id', 'e2e-1']);
  const agent = spawnMeshgate(['health-agent', ...n, '--interval', '200', '--timeout', '150']);
  procs.push(proxy, agent);
  await users.waitFor('listening');
  await products.waitFor('listening');
  await eventually('proxy ready', async () => (await request(`http://127.0.0.1:${adminPort}/readyz`)).status === 200, 20_000);
});

after(async () => {
  await Promise.all([users, ...procs].map((p) => p?.stop()));
  await nats?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('admin listener: /healthz and /readyz answer 200 once the snapshot is in every worker', async () => {
  assert.equal((await request(`http://127.0.0.1:${adminPort}/healthz`)).status, 200);
  assert.equal((await request(`http://127.0.0.1:${adminPort}/readyz`)).status, 200);
  const metrics = (await request(`http://127.0.0.1:${adminPort}/metrics`)).body;
  assert.match(metrics, /meshgate_ready\{node="e2e-1"\} 1/);
});

test('/users/x reaches users, /products/x reaches products, /orders gets 404', async () => {
  const u = await request(`${base()}/users/x`);
  assert.equal(u.status, 200);
  assert.equal(u.body, "Hello World! I'm User server users-1 \n");
  const p = await request(`${base()}/products/x`);
  assert.equal(p.status, 200);
  assert.equal(p.body, "Hello World! I'm Product server products-1 \n");
  assert.equal((await request(`${base()}/orders`)).status, 404);
  // GCE glob semantics of the seed's `/users/*`: `/users/` matches, `/users` does not.
  assert.equal((await request(`${base()}/users/`)).status, 200);
  assert.equal((await request(`${base()}/users`)).status, 404);
});

test('every worker serves: many fresh connections all succeed', async () => {
  const results = await Promise.all(Array.from({ length: 40 }, () => request(`${base()}/products/${Math.random()}`)));
  assert.deepEqual(new Set(results.map((r) => r.status)), new Set([200]));
});

test('kill the users backend: 503 within 2 s; restart it: 200 again', async (t) => {
  users.kill('SIGKILL');
  await users.exited;
  const down = await eventually('503 from /users/ after the backend died', async () => (await request(`${base()}/users/x`)).status === 503, 2_000);
  // products are untouched
  assert.equal((await request(`${base()}/products/x`)).status, 200);
  users = startUsers();
  await users.waitFor('listening');
  const up = await eventually('200 from /users/ after the backend came back', async () => (await request(`${base()}/users/x`)).status === 200, 5_000);
  t.diagnostic(`503 after ${down} ms; 200 again after ${up} ms`);
});
