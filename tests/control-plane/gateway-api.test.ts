/**
 * Gateway API objects through the running mesh (issue 22): `meshgate apply`
 * of a GatewayClass, Gateway and HTTPRoute, `meshgate get gateways|
 * httproutes` with a one-line reason and upstream's status shape in -o json,
 * a route with a missing Service accepted with a warning and its status,
 * and a route served by the proxy.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { configServiceStarted, eventually, startNatsServer, type NatsServer, type Proc } from '@meshgate/testing';
import { cli, get, makeMeshDir, ready, startBackends, startConfigService, startProxy, type MeshDir, type ProxyProc } from './mesh.ts';

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
  proxy = await startProxy(m, nats.url, 'cp-gateway-1');
  procs.push(proxy.proc);
  await ready(proxy);
});

after(async () => {
  await Promise.all(procs.map((p) => p.stop()));
  await nats?.stop();
});

const write = (name: string, text: string) => { const f = path.join(m.dir, name); fs.writeFileSync(f, text); return f; };

const GATEWAY = `apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: { name: meshgate }
spec: { controllerName: meshgate.dev/gateway-controller }
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: web }
spec:
  gatewayClassName: meshgate
  listeners:
  - { name: http, protocol: HTTP, port: 80 }
`;
const route = (name: string, prefix: string, service: string) => `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: ${name} }
spec:
  parentRefs: [{ name: web }]
  rules:
  - matches: [{ path: { type: PathPrefix, value: ${prefix} } }]
    backendRefs: [{ name: ${service}, port: 80 }]
`;

test('apply a Gateway and an HTTPRoute; get shows their status; the route is served', async () => {
  const r = await cli(['apply', '-f', write('gw.yaml', `${GATEWAY}---\n${route('api', '/api', 'users-svc')}`), '--wait'], nats.url);
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /^gatewayclass\.gateway\.networking\.k8s\.io\/meshgate created$/m);
  assert.match(r.out, /^gateway\.gateway\.networking\.k8s\.io\/web created$/m);
  assert.match(r.out, /^httproute\.gateway\.networking\.k8s\.io\/api created$/m);
  const table = await cli(['get', 'gateways'], nats.url);
  assert.equal(table.code, 0, table.out);
  assert.match(table.out, /default\s+web\s+yes\s+class meshgate; listeners: http HTTP\/80\s+.*Programmed/);
  const j = JSON.parse((await cli(['get', 'httproutes', '-o', 'json'], nats.url)).out);
  assert.equal(j.kind, 'List');
  const api = j.items.find((i: { metadata: { name: string } }) => i.metadata.name === 'api');
  assert.equal(api.apiVersion, 'gateway.networking.k8s.io/v1');
  assert.deepEqual(api.status.parents[0].parentRef, { group: 'gateway.networking.k8s.io', kind: 'Gateway', namespace: 'default', name: 'web' });
  assert.equal(api.status.parents[0].controllerName, 'meshgate.dev/gateway-controller');
  assert.deepEqual(api.status.parents[0].conditions.map((c: { type: string; status: string; observedGeneration: number }) => [c.type, c.status, c.observedGeneration]), [['Accepted', 'True', 1], ['ResolvedRefs', 'True', 1]]);
  const gw = JSON.parse((await cli(['get', 'gateways', '-o', 'json'], nats.url)).out).items[0];
  assert.equal(gw.status.listeners[0].attachedRoutes, 1);
  assert.equal(await get(proxy, '/api/users'), 200, 'served on the --http listener (port 80)');
});

test('a route to a missing Service is stored with a warning; get says why; a changed route bumps observedGeneration', async () => {
  const r = await cli(['apply', '-f', write('missing.yaml', route('missing', '/missing', 'nope-svc')), '--wait'], nats.url);
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /httproute\.gateway\.networking\.k8s\.io\/missing created/);
  assert.match(r.out, /BackendNotFound: Service default\/nope-svc not found/);
  const t = await cli(['get', 'httproutes'], nats.url);
  assert.match(t.out, /default\s+missing\s+yes\s+hostnames: \*; parents: default\/web\s+.*ResolvedRefs=False BackendNotFound: Service default\/nope-svc not found/);
  await cli(['apply', '-f', write('missing.yaml', route('missing', '/missing', 'products-svc')), '--wait'], nats.url);
  await eventually('observedGeneration 2', async () => {
    const j = JSON.parse((await cli(['get', 'httproutes', '-o', 'json'], nats.url)).out);
    const c = j.items.find((i: { metadata: { name: string } }) => i.metadata.name === 'missing').status.parents[0].conditions;
    return c.every((x: { observedGeneration: number; status: string }) => x.observedGeneration === 2 && x.status === 'True');
  }, 10_000);
});
