import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildMeshConfig } from '@meshgate/ingress';
import { serviceManifest, ingressManifest, manifestFile } from '@meshgate/testing';

test('the test manifests are valid Kubernetes objects that route as written', () => {
  const text = manifestFile(
    serviceManifest('users', [9001, 9002]),
    serviceManifest('app', [9003]),
    ingressManifest('main', { '/users': 'users' }, 'example.com'),
    ingressManifest('fallback', { '': 'app' }),
  );
  const cfg = buildMeshConfig([{ path: 'test.yaml', text }]);
  assert.deepEqual(cfg.errors, []);
  assert.deepEqual(cfg.rules.map((r) => [r.host, r.path, r.pathType, r.backend]), [['example.com', '/users', 'Prefix', 'default/users:80']]);
  assert.equal(cfg.defaultBackend?.backend, 'default/app:80');
  assert.deepEqual(cfg.backends.find((b) => b.id === 'default/users:80')?.endpoints.map((e) => e.id), ['127.0.0.1:9001', '127.0.0.1:9002']);
});
