/**
 * NodePort Services with Node objects, as in the seed: the backends of each
 * Service are every Node's InternalIP at the Service's nodePort, and the
 * agents probe each of them (users over HTTP GET /healthz, products over a
 * TCP connect). Two "nodes" are loopback addresses 127.0.0.2 and 127.0.0.3,
 * each serving both node ports. A failed node drops out of every Service it
 * backs, with no failed GET, and comes back when it recovers.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { freePort } from '@meshgate/testing';
import { startMesh, startLoad, sleep, failures, describeFailures, eventually, type Mesh } from './mesh.ts';

let mesh: Mesh;
let usersPort: number;
let productsPort: number;
const NODES = [{ name: 'node-a', ip: '127.0.0.2' }, { name: 'node-b', ip: '127.0.0.3' }];
const servers = new Map<string, http.Server[]>();
const healthz = new Map<string, number>();

async function startNode(name: string, ip: string): Promise<void> {
  const list: http.Server[] = [];
  for (const [kind, port] of [['User', usersPort], ['Product', productsPort]] as const) {
    const s = http.createServer((req, res) => {
      if (req.url === '/healthz') healthz.set(`${ip}:${port}`, (healthz.get(`${ip}:${port}`) ?? 0) + 1);
      res.end(`Hello World! I'm ${kind} server ${name} \n`);
    });
    await new Promise<void>((resolve, reject) => { s.once('error', reject); s.listen(port, ip, () => resolve()); });
    list.push(s);
  }
  servers.set(name, list);
}
async function stopNode(name: string): Promise<void> {
  for (const s of servers.get(name) ?? []) { s.closeAllConnections(); await new Promise((r) => s.close(r)); }
  servers.delete(name);
}

before(async () => {
  usersPort = await freePort();
  productsPort = await freePort();
  for (const n of NODES) await startNode(n.name, n.ip);
  mesh = await startMesh({
    backends: 0, proxies: 1, agents: 1,
    manifests: () => `${NODES.map((n) => `apiVersion: v1
kind: Node
metadata: { name: ${n.name} }
status: { addresses: [{ type: InternalIP, address: ${n.ip} }] }
---
`).join('')}apiVersion: v1
kind: Service
metadata:
  name: users-node-svc
  annotations: { meshgate.dev/health-path: /healthz, meshgate.dev/health-status: "200" }
spec:
  type: NodePort
  ports: [{ port: 80, targetPort: 8080, nodePort: ${usersPort} }]
---
apiVersion: v1
kind: Service
metadata:
  name: products-node-svc
  annotations: { meshgate.dev/health-check: tcp }
spec:
  type: NodePort
  ports: [{ port: 80, targetPort: 8080, nodePort: ${productsPort} }]
---
apiVersion: extensions/v1beta1
kind: Ingress
metadata: { name: hello-ingress }
spec:
  rules:
  - http:
      paths:
      - path: /users/*
        backend: { serviceName: users-node-svc, servicePort: 80 }
      - path: /products/*
        backend: { serviceName: products-node-svc, servicePort: 80 }
`,
  });
});
after(async () => {
  await mesh?.stop();
  for (const n of NODES) await stopNode(n.name);
});

test("every node's nodePort is probed, HTTP or TCP as the Service says", async () => {
  await eventually('four endpoints healthy', async () => {
    const st = await mesh.status();
    return st.endpoints.length === 4 && st.endpoints.every((e) => e.healthy);
  }, 20_000); // start-up: the first probes of a just-started agent (slow on a busy machine)
  const st = await mesh.status();
  assert.deepEqual(st.endpoints.map((e) => [e.endpoint, e.node, e.check, e.backends.join()]).sort(), [
    [`127.0.0.2:${productsPort}`, 'node-a', 'tcp', 'default/products-node-svc:80'],
    [`127.0.0.2:${usersPort}`, 'node-a', 'http GET /healthz 200', 'default/users-node-svc:80'],
    [`127.0.0.3:${productsPort}`, 'node-b', 'tcp', 'default/products-node-svc:80'],
    [`127.0.0.3:${usersPort}`, 'node-b', 'http GET /healthz 200', 'default/users-node-svc:80'],
  ].sort());
  assert.ok((healthz.get(`127.0.0.2:${usersPort}`) ?? 0) > 0, 'users is checked on /healthz');
  assert.equal(healthz.get(`127.0.0.2:${productsPort}`), undefined, 'products is checked by TCP connect only');
});

test('a failed node drops out of every service it backs, with no failed GET, and returns', async (t) => {
  const users = startLoad(mesh.url('/users/x'), 100);
  const products = startLoad(mesh.url('/products/x'), 100);
  await sleep(500);
  await stopNode('node-a');
  const failedAt = Date.now();
  const down = await eventually('both of node-a\'s endpoints down', async () => {
    const st = await mesh.status();
    return st.endpoints.filter((e) => e.node === 'node-a' && !e.healthy).length === 2;
  }, 2_000, 25);
  await sleep(failedAt + 2_200 - Date.now());
  const restoreAt = Date.now();
  await startNode('node-a', '127.0.0.2');
  await eventually('node-a serves users and products again', async () =>
    users.results.some((r) => r.who === 'node-a' && r.start >= restoreAt) && products.results.some((r) => r.who === 'node-a' && r.start >= restoreAt), 2_000, 10);
  const back = Date.now() - restoreAt;
  const rs = [...await users.stop(), ...await products.stop()];
  t.diagnostic(`${rs.length} GETs; node-a out of both services ${down} ms after it failed; back in both ${back} ms after it recovered`);
  assert.equal(failures(rs).length, 0, describeFailures(rs));
  const tried = mesh.accessLog().filter((l) => l.time >= failedAt + 1_000 && l.time < restoreAt && (l.upstream.startsWith('127.0.0.2:') || l.attempts > 1));
  assert.equal(tried.length, 0, `${tried.length} requests tried node-a more than 1 s after it failed`);
  assert.deepEqual(new Set(rs.filter((r) => r.start >= failedAt + 1_000 && r.end < restoreAt).map((r) => r.who)), new Set(['node-b']));
});
