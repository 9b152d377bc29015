import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildMeshConfig, loadManifestDir } from './index.ts';

const SEED = join(import.meta.dirname, 'testdata', 'seed');

test('seed: extensions/v1beta1 hello-ingress routes /users/* and /products/* to NodePort services on every Node', () => {
  const cfg = buildMeshConfig(loadManifestDir(SEED));
  assert.deepEqual(cfg.errors, []);
  assert.deepEqual(cfg.rules, [
    { host: '', path: '/users/*', pathType: 'ImplementationSpecific', backend: 'default/users-node-svc:80', ingress: 'default/hello-ingress' },
    { host: '', path: '/products/*', pathType: 'ImplementationSpecific', backend: 'default/products-node-svc:80', ingress: 'default/hello-ingress' },
  ]);
  const users = cfg.backends.find((b) => b.id === 'default/users-node-svc:80');
  assert.deepEqual(users?.endpoints, [
    { id: '127.0.0.1:32220', address: '127.0.0.1', port: 32220, node: 'node-a' },
    { id: '127.0.0.2:32220', address: '127.0.0.2', port: 32220, node: 'node-b' },
  ]);
  assert.equal(users?.healthPath, '/');
  const products = cfg.backends.find((b) => b.id === 'default/products-node-svc:80');
  assert.deepEqual(products?.endpoints.map((e) => e.id), ['127.0.0.1:31442', '127.0.0.2:31442']);
  assert.equal(cfg.ingresses.length, 1);
  assert.equal(cfg.ingresses[0].state, 'served');
  assert.equal(cfg.ingresses[0].rules, 2);
  assert.equal(cfg.defaultBackend, undefined);
  // Plain data only: survives a JSON round trip unchanged.
  assert.deepEqual(JSON.parse(JSON.stringify(cfg)), cfg);
});

test('loadManifestDir: missing directory names the path and what to do', () => {
  assert.throws(() => loadManifestDir(join(SEED, 'nope')), /manifest directory .*nope does not exist/);
});

test('loadManifestDir: sorted by path, only manifest extensions', () => {
  const files = loadManifestDir(SEED);
  assert.deepEqual(files.map((f) => f.path.slice(SEED.length + 1)), ['hello-ingress.yaml', 'nodes.yaml', 'product-svc-nodeport.yaml', 'users-svc-nodeport.yaml']);
});
