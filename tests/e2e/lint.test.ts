/**
 * `meshgate lint -f PATH` through the CLI: offline (no NATS anywhere in this
 * file), per Ingress and per annotation, exit 1 when anything would be
 * refused, -o json, a directory, a file and stdin.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MESHGATE_BIN, spawnMeshgate, serviceManifest } from '@meshgate/testing';

const ingress = (name: string, host: string, annotations: Record<string, string>, cls = 'nginx') => `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: ${name}
  annotations: ${JSON.stringify(annotations)}
spec:
  ingressClassName: ${cls}
  rules:
  - host: ${host}
    http:
      paths:
      - { path: /, pathType: Prefix, backend: { service: { name: web, port: { number: 80 } } } }
`;
const N = 'nginx.ingress.kubernetes.io/';
// The repro: an allow list and an external auth that ingress-nginx would enforce (both served
// now), with satisfy "any" between them, which is still refused.
const SHOP = ingress('shop', 'shop.example', { [`${N}whitelist-source-range`]: '10.0.0.0/8', [`${N}auth-url`]: 'http://auth.default.svc/verify', [`${N}proxy-body-size`]: '8m', [`${N}satisfy`]: 'any' });
const WEB = ingress('web', 'web.example', { [`${N}proxy-read-timeout`]: '120', [`${N}proxy-buffer-size`]: '16k', [`${N}not-an-annotation`]: 'x' });

let dir: string;
before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meshgate-lint-'));
  fs.mkdirSync(path.join(dir, 'apps'));
  fs.writeFileSync(path.join(dir, 'svc.yaml'), serviceManifest('web', [8080]));
  fs.writeFileSync(path.join(dir, 'apps', 'shop.yaml'), SHOP);
  fs.writeFileSync(path.join(dir, 'apps', 'web.yaml'), WEB);
});
after(() => { if (dir) fs.rmSync(dir, { recursive: true, force: true }); });

async function lint(args: string[]) {
  // No NATS: a URL where nothing listens, to show lint never uses it.
  const p = spawnMeshgate(['lint', ...args], { env: { MESHGATE_NATS_URL: 'nats://127.0.0.1:1' } });
  return { code: await p.exited, out: p.output() };
}

test('a directory: per Ingress what meshgate does, per annotation supported/ignored/refused/unknown, exit 1 on a refusal', async () => {
  const r = await lint(['-f', dir]);
  assert.equal(r.code, 1, r.out);
  const shop = r.out.split('\n\n').find((b) => b.startsWith('Ingress default/shop'))!;
  assert.match(shop, /^Ingress default\/shop \(.*apps\/shop\.yaml:1\): rejected: 1 error\(s\), first: .*nginx\.ingress\.kubernetes\.io\/satisfy is refused: access control is not implemented yet/);
  assert.match(shop, /nginx\.ingress\.kubernetes\.io\/satisfy +refused +access control is not implemented yet/);
  assert.match(shop, /nginx\.ingress\.kubernetes\.io\/whitelist-source-range +supported +only clients from these addresses \(others get 403\): 10\.0\.0\.0\/8/);
  assert.match(shop, /nginx\.ingress\.kubernetes\.io\/auth-url +supported +every request is first sent to the endpoints of Service default\/auth:80/);
  assert.match(shop, /nginx\.ingress\.kubernetes\.io\/proxy-body-size +supported +request bodies over 8 MiB get 413/);
  const web = r.out.split('\n\n').find((b) => b.startsWith('Ingress default/web'))!;
  assert.match(web, /^Ingress default\/web \(.*\): served \(1 rule\(s\)\): 2 annotation warning\(s\)/);
  assert.match(web, /proxy-read-timeout +supported +upstream response-headers timeout \(504 after\): 120 s/);
  assert.match(web, /proxy-buffer-size +ignored +meshgate streams bodies/);
  assert.match(web, /not-an-annotation +unknown +not an ingress-nginx annotation/);
  assert.match(r.out, /2 Ingress\(es\): 1 served, 1 rejected, 0 ignored \(class\); 2 warning\(s\)\.\nmeshgate would refuse some of these manifests \(exit 1\)\.\n$/);
});

test('-o json: the same, for scripts', async () => {
  const r = await lint(['-f', dir, '-o', 'json']);
  assert.equal(r.code, 1);
  const j = JSON.parse(r.out);
  assert.equal(j.refused, true);
  assert.deepEqual(j.ingressClass, ['meshgate', 'nginx']);
  const shop = j.ingresses.find((i: { name: string }) => i.name === 'shop');
  assert.equal(shop.state, 'rejected');
  assert.equal(shop.errors.length, 1);
  assert.deepEqual(shop.annotations.map((a: { annotation: string; outcome: string }) => [a.annotation.slice(N.length), a.outcome]),
    [['auth-url', 'supported'], ['proxy-body-size', 'supported'], ['satisfy', 'refused'], ['whitelist-source-range', 'supported']]);
  const web = j.ingresses.find((i: { name: string }) => i.name === 'web');
  assert.equal(web.state, 'served');
  assert.equal(web.warnings.length, 2);
  assert.equal(j.warnings.length, 2);
});

test('a file that would be served exits 0; --ingress-class decides what is served', async () => {
  const file = path.join(dir, 'apps', 'web.yaml');
  const ok = await lint(['-f', file]);
  assert.equal(ok.code, 0, ok.out);
  assert.match(ok.out, /meshgate would serve these manifests as listed\.\n$/);
  assert.match(ok.out, /note: .*Service default\/web not found/, 'linted alone, its Service is not there: a note, not a refusal');
  const other = await lint(['-f', file, '--ingress-class', 'meshgate']);
  assert.equal(other.code, 0);
  assert.match(other.out, /Ingress default\/web \(.*\): ignored: ingress class "nginx" is not meshgate's \(it serves "meshgate"\)/);
  const bad = await lint(['-f', file, '--ingress-class', 'meshgate,,nginx']);
  assert.equal(bad.code, 2);
  assert.match(bad.out, /^meshgate lint: --ingress-class expects IngressClass names separated by commas/);
});

test('stdin, and what lint says about missing input', () => {
  const r = spawnSync(process.execPath, [MESHGATE_BIN, 'lint', '-f', '-'], { input: SHOP, encoding: 'utf8' });
  assert.equal(r.status, 1);
  assert.match(r.stdout, /Ingress default\/shop \(<stdin>:1\): rejected/);
  const none = spawnSync(process.execPath, [MESHGATE_BIN, 'lint'], { encoding: 'utf8' });
  assert.equal(none.status, 2);
  assert.match(none.stderr, /meshgate lint: -f FILE\|DIR\|- is required/);
  const missing = spawnSync(process.execPath, [MESHGATE_BIN, 'lint', '-f', path.join(dir, 'nope')], { encoding: 'utf8' });
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /nope does not exist/);
});

test('Gateway API objects: the gateway example is served; a route with a bad field is refused (exit 1)', async () => {
  const example = path.join(import.meta.dirname, '..', '..', 'infra', 'examples', 'gateway');
  const ok = await lint(['-f', example]);
  assert.equal(ok.code, 0, ok.out);
  assert.match(ok.out, /Gateway default\/hello-gateway \(.*gateway\.yaml:\d+\): served: Programmed/);
  assert.match(ok.out, /HTTPRoute default\/hello-route \(.*hello-route\.yaml:\d+\): served: Accepted/);
  const bad = path.join(dir, 'bad-route.yaml');
  fs.writeFileSync(bad, 'apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: bad}\nspec:\n  rules:\n  - matches:\n    - path: {type: Exact, value: "no-slash"}\n');
  const r = await lint(['-f', bad]);
  assert.equal(r.code, 1, r.out);
  assert.match(r.out, /bad-route\.yaml:7: HTTPRoute default\/bad: spec\.rules\[0\]\.matches\[0\]\.path\.value: path "no-slash" must be an absolute path/);
});
