// infra/examples/gateway: the seed's users/products demo as a GatewayClass,
// a Gateway (HTTP on 80 = the proxies' --http, HTTPS on 443 = --https) and
// an HTTPRoute, served as the seed's Ingress serves it (but /users itself,
// which PathPrefix matches and the Ingress's /users/* glob does not).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import path from 'node:path';
import { loadManifestDir } from '@meshgate/ingress';
import { buildMeshConfigWithGatewayApi } from '@meshgate/gateway-api';
import { RouteTable } from '@meshgate/routing';

const dir = (name: string) => path.join(import.meta.dirname, '..', '..', 'infra', 'examples', name);

test('the Gateway API example builds cleanly, is programmed and accepted, and routes as the seed does', () => {
  const cfg = buildMeshConfigWithGatewayApi(loadManifestDir(dir('gateway')));
  assert.deepEqual([cfg.errors, cfg.warnings], [[], []]);
  const objects = cfg.gatewayApi!.objects;
  assert.deepEqual(objects.map((o) => [o.kind, o.metadata.name, o.served, o.reason]), [
    ['Gateway', 'hello-gateway', true, 'Programmed'], ['GatewayClass', 'meshgate', true, 'Accepted'], ['HTTPRoute', 'hello-route', true, 'Accepted'],
  ]);
  assert.deepEqual(cfg.tls.map((t) => [t.id, t.hosts]), [['default/hello-ingress-secret', []]], "the HTTPS listener's certificate, for every host");
  const gw = RouteTable.compile(cfg);
  const seed = RouteTable.compile(buildMeshConfigWithGatewayApi(loadManifestDir(dir('seed'))));
  for (const port of [80, 443]) {
    for (const p of ['/users/', '/users/1', '/products/', '/products/a/b', '/orders', '/']) {
      assert.equal(gw.find('localhost', p, port)?.backend, seed.find('localhost', p, port)?.backend, `${p} on ${port}`);
    }
  }
  assert.equal(gw.find('localhost', '/users', 80)?.backend, 'default/users-node-svc:80');
  assert.equal(seed.find('localhost', '/users', 80), undefined);
});
