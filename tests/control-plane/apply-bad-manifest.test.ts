/**
 * `meshgate apply -f` / `delete -f` / `get` against a running mesh (issue 3,
 * item 4): kubectl-like output, per-object errors, and a bad manifest that
 * is rejected while the previous routes keep serving.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { configServiceStarted, startNatsServer, eventually, spawnProcess, MESHGATE_BIN, type NatsServer, type Proc } from '@meshgate/testing';
import { cli, get, helloIngress, makeMeshDir, ready, startBackends, startConfigService, startProxy, status, type MeshDir, type ProxyProc } from './mesh.ts';

let nats: NatsServer;
let m: MeshDir;
let proxy: ProxyProc;
const procs: Proc[] = [];

before(async () => {
  nats = await startNatsServer();
  m = await makeMeshDir();
  const config = startConfigService(m, nats.url);
  procs.push(...startBackends(m), config);
  await configServiceStarted(config);
  proxy = await startProxy(m, nats.url, 'cp-apply-1');
  procs.push(proxy.proc);
  await ready(proxy);
});

after(async () => {
  await Promise.all(procs.map((p) => p.stop()));
  await nats?.stop();
  fs.rmSync(m.dir, { recursive: true, force: true });
});

const write = (name: string, text: string) => { const f = path.join(m.dir, name); fs.writeFileSync(f, text); return f; };

const ordersIngress = (backend = 'users-svc') => `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: orders
spec:
  rules:
  - http:
      paths:
      - path: /orders
        pathType: Prefix
        backend: { service: { name: ${backend}, port: { number: 80 } } }
`;

test('apply -f: created, unchanged, configured, like kubectl; --wait says how long every node took', async () => {
  assert.equal(await get(proxy, '/orders'), 404);
  const f = write('orders.yaml', ordersIngress());
  const created = await cli(['apply', '-f', f, '--wait'], nats.url);
  assert.equal(created.code, 0, created.out);
  assert.match(created.out, /^ingress\.networking\.k8s\.io\/orders created$/m);
  assert.match(created.out, /applied v\d+ on 1\/1 live node\(s\) in \d+ ms/);
  // --wait returned after the ACK: the route serves now, no polling needed.
  assert.equal(await get(proxy, '/orders/1'), 200);
  const same = await cli(['apply', '-f', f], nats.url);
  assert.match(same.out, /^ingress\.networking\.k8s\.io\/orders unchanged$/m);
  write('orders.yaml', ordersIngress('products-svc'));
  const changed = await cli(['apply', '-f', f, '--wait'], nats.url);
  assert.match(changed.out, /^ingress\.networking\.k8s\.io\/orders configured$/m);
  assert.equal(await get(proxy, '/orders/1'), 200);
});

test('a bad manifest is rejected with file, line, object and field; the previous routes keep serving; get ingresses reports it', async () => {
  const before = await status(proxy);
  const bad = write('bad-hello.yaml', helloIngress().replace('path: /users', 'path: users'));
  const r = await cli(['apply', '-f', bad], nats.url);
  assert.equal(r.code, 1, r.out);
  assert.match(r.out, /ingress\.networking\.k8s\.io\/hello-ingress rejected/);
  assert.match(r.out, /error: .*bad-hello\.yaml:\d+: Ingress default\/hello-ingress: spec\.rules\[0\]\.http\.paths\[0\]\.path: /);
  // The previous hello-ingress still serves.
  assert.equal(await get(proxy, '/users/x'), 200);
  assert.equal(await get(proxy, '/products/x'), 200);
  assert.equal((await status(proxy)).version, before.version, 'nothing new to serve');
  const g = await cli(['get', 'ingresses'], nats.url);
  assert.equal(g.code, 0, g.out);
  assert.match(g.out, /hello-ingress\s+served/);
  assert.match(g.out, /Rejected by meshgate apply[\s\S]*hello-ingress[\s\S]*bad-hello\.yaml:\d+: Ingress default\/hello-ingress: spec\.rules\[0\]\.http\.paths\[0\]\.path/);
  const json = JSON.parse((await cli(['get', 'ingresses', '-o', 'json'], nats.url)).out);
  assert.equal(json.rejected[0].resource, 'ingress.networking.k8s.io/hello-ingress');
});

test('apply -f - reads stdin; a directory applies every file', async () => {
  const f = write('stdin.yaml', ordersIngress().replace('name: orders', 'name: orders-2').replace('/orders', '/orders-two'));
  const p = spawnProcess('sh', ['-c', `cat '${f}' | '${process.execPath}' '${MESHGATE_BIN}' apply -f - --nats ${nats.url} --wait`]);
  assert.equal(await p.exited, 0, p.output());
  assert.match(p.output(), /ingress\.networking\.k8s\.io\/orders-2 created/);
  assert.equal(await get(proxy, '/orders-two'), 200);
  const d = path.join(m.dir, 'more');
  fs.mkdirSync(d);
  fs.writeFileSync(path.join(d, 'a.yaml'), ordersIngress().replace('name: orders', 'name: more-a').replace('/orders', '/more-a'));
  fs.writeFileSync(path.join(d, 'b.yml'), ordersIngress().replace('name: orders', 'name: more-b').replace('/orders', '/more-b'));
  const r = await cli(['apply', '-f', d], nats.url);
  assert.match(r.out, /more-a created[\s\S]*more-b created/);
});

test('delete -f: deleted, the route goes away; deleting again is NotFound and exits 1', async () => {
  const f = path.join(m.dir, 'orders.yaml');
  const r = await cli(['delete', '-f', f, '--wait'], nats.url);
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /^ingress\.networking\.k8s\.io\/orders deleted$/m);
  assert.equal(await get(proxy, '/orders/1'), 404);
  const again = await cli(['delete', '-f', f], nats.url);
  assert.equal(again.code, 1);
  assert.match(again.out, /NotFound.*orders.*not found/);
});

test('get nodes, backends, snapshot (table and -o json)', async () => {
  const nodes = await cli(['get', 'nodes'], nats.url);
  assert.match(nodes.out, /^NODE\s+STATE\s+VERSION/m);
  assert.match(nodes.out, /cp-apply-1\s+up\s+\d+/);
  const nj = JSON.parse((await cli(['get', 'nodes', '-o', 'json'], nats.url)).out);
  const st = await status(proxy);
  await eventually('node acked the current version', async () => {
    const j = JSON.parse((await cli(['get', 'nodes', '-o', 'json'], nats.url)).out);
    return j.nodes[0].ackedVersion === st.version;
  }, 5_000);
  assert.equal(nj.nodes[0].nodeId, 'cp-apply-1');
  const b = await cli(['get', 'backends'], nats.url);
  assert.match(b.out, /default\/users-svc:80\s+127\.0\.0\.1:\d+/);
  assert.match(b.out, /unknown\s+no health agent answered/);
  const s = await cli(['get', 'snapshot'], nats.url);
  assert.match(s.out, /^version:\s+\d+/m);
  assert.match(s.out, /^signed by:\s+[0-9a-f]{16}$/m);
  assert.match(s.out, /stored in:\s+KV bucket meshgate-config/);
});

test('CLI usage errors: unknown resource, missing -f, no config service', async () => {
  const u = await cli(['get', 'pods'], nats.url);
  assert.equal(u.code, 2);
  assert.match(u.out, /unknown resource 'pods'/);
  const f = await cli(['apply'], nats.url);
  assert.equal(f.code, 2);
  assert.match(f.out, /-f FILE\|DIR\|- is required/);
  const none = await cli(['get', 'nodes', '--subject-prefix', 'nobody'], nats.url);
  assert.equal(none.code, 1);
  assert.match(none.out, /no config service answers on nobody\.config\.v1\.admin/);
});
