import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RouteRule } from '@meshgate/ingress';
import { RouteTable, normalizePath } from './index.ts';

// The rules @meshgate/ingress produces for the seed's hello-ingress.
const rules: RouteRule[] = [
  { host: '', path: '/users/*', pathType: 'ImplementationSpecific', backend: 'default/users-node-svc:80', ingress: 'default/hello-ingress' },
  { host: '', path: '/products/*', pathType: 'ImplementationSpecific', backend: 'default/products-node-svc:80', ingress: 'default/hello-ingress' },
];

test('seed routes: GCE-style /users/* glob', () => {
  const t = RouteTable.compile({ rules });
  const cases: [string, string, string | undefined][] = [
    ['any.host', '/users/', 'default/users-node-svc:80'],
    ['any.host:8080', '/users/42', 'default/users-node-svc:80'],
    ['', '/users/a/b/c', 'default/users-node-svc:80'],
    ['x', '/products/', 'default/products-node-svc:80'],
    ['x', '/users', undefined],
    ['x', '/usersx/', undefined],
    ['x', '/', undefined],
  ];
  for (const [host, path, want] of cases) assert.equal(t.find(host, path)?.backend, want, `${host} ${path}`);
  assert.equal(t.find('x', normalizePath('/products/1?q')!.path)?.backend, 'default/products-node-svc:80');
  assert.equal(t.size, 2);
});
