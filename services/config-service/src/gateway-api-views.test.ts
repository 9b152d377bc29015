import assert from 'node:assert/strict';
import { test } from 'node:test';
import fs from 'node:fs';
import path from 'node:path';
import { loadManifestDir } from '@meshgate/ingress';
import { defaultBuild } from './applied-objects.ts';
import { gatewayApiView, isGatewayApiWhat } from './gateway-api-views.ts';

const example = path.join(import.meta.dirname, '..', '..', '..', 'infra', 'examples', 'gateway');

test("the config service's build reads Gateway API kinds; get lists each kind with upstream's status", () => {
  assert.ok(fs.existsSync(example));
  const mesh = defaultBuild('meshgate')(loadManifestDir(example));
  assert.deepEqual(mesh.errors, []);
  assert.deepEqual(gatewayApiView(mesh, 'gateways').map((g) => [g.metadata.name, g.served, g.reason]), [['hello-gateway', true, 'Programmed']]);
  const [route] = gatewayApiView(mesh, 'httproutes');
  assert.equal(route!.reason, 'Accepted');
  assert.deepEqual((route!.status as { parents: { conditions: { type: string; status: string }[] }[] }).parents[0]!.conditions.map((c) => `${c.type}=${c.status}`), ['Accepted=True', 'ResolvedRefs=True']);
  assert.deepEqual(gatewayApiView(mesh, 'grpcroutes'), []);
  assert.equal(gatewayApiView(mesh, 'gatewayclasses').length, 1);
  assert.ok(isGatewayApiWhat('httproutes') && !isGatewayApiWhat('ingresses'));
});

test('an unknown kind is still an error', () => {
  const mesh = defaultBuild('meshgate')([{ path: 'x.yaml', text: 'apiVersion: gateway.networking.k8s.io/v1alpha2\nkind: TCPRoute\nmetadata: {name: t}\n' }]);
  assert.match(mesh.errors[0]!.message, /unknown kind "TCPRoute"/);
});
