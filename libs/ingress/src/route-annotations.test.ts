import assert from 'node:assert/strict';
import { test } from 'node:test';
import { build, ingressV1, WEB } from './test-helpers.ts';

const spec = `  defaultBackend:
    service: {name: web, port: {number: 80}}
  rules:
  - http:
      paths:
      - path: /a
        pathType: Prefix
        backend:
          service: {name: web, port: {number: 80}}
`;

test('meshgate.dev/* Ingress annotations ride on its rules and default backend as a typed policy; others do not', () => {
  const meta = '  annotations: {meshgate.dev/load-balance: least-request, meshgate.dev/proxy-body-size: 1m, example.com/other: x}\n';
  const cfg = build({ 'web.yaml': WEB, 'i.yaml': ingressV1('i', spec, meta) });
  const want = { loadBalance: 'least-request', maxBodyBytes: 1024 * 1024 };
  assert.deepEqual(cfg.rules[0]!.policy, want);
  assert.deepEqual(cfg.defaultBackend!.policy, want);
});

test('an Ingress without meshgate.dev/* annotations adds no policy field', () => {
  const cfg = build({ 'web.yaml': WEB, 'i.yaml': ingressV1('i', spec, '  annotations: {example.com/other: x}\n') });
  assert.equal('policy' in cfg.rules[0]!, false);
  assert.equal('policy' in cfg.defaultBackend!, false);
});
