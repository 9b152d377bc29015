/**
 * Errors where people look (issue 23): `meshgate get ingresses` lists files
 * that could not be parsed, with file, line and error, and `meshgate
 * describe ingress` shows one Ingress whole (rules, backends and endpoints
 * with health, the nodes serving it, warnings and errors). Through the CLI,
 * against a mesh of real processes with a health agent.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { configServiceStarted, eventually, spawnMeshgate, startNatsServer, type NatsServer, type Proc } from '@meshgate/testing';
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
  proxy = await startProxy(m, nats.url, 'cp-describe-1');
  procs.push(proxy.proc, spawnMeshgate(['health-agent', '--nats', nats.url, '--interval', '200', '--timeout', '150']));
  await ready(proxy);
});

after(async () => {
  await Promise.all(procs.map((p) => p.stop()));
  await nats?.stop();
});

const put = (name: string, text: string) => fs.writeFileSync(path.join(m.manifests, name), text);
const json = async (args: string[]) => {
  const r = await cli([...args, '-o', 'json'], nats.url);
  assert.equal(r.code, 0, r.out);
  return JSON.parse(r.out);
};

test('get ingresses lists files that could not be parsed, with file, line and error; everything else keeps serving', async () => {
  put('broken.yaml', 'apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: broken\n spec: [\n');
  put('broken.json', '{"apiVersion": "v1", "kind": "Service",');
  const file = path.join(m.manifests, 'broken.yaml');
  await eventually('get ingresses lists broken.yaml', async () => {
    const j = await json(['get', 'ingresses']);
    return (j.unparsable ?? []).some((u: { file: string }) => u.file === file);
  }, 10_000);
  const j = await json(['get', 'ingresses']);
  const yaml = j.unparsable.find((u: { file: string }) => u.file === file);
  assert.equal(typeof yaml.line, 'number');
  assert.match(yaml.error, /^invalid YAML\/JSON, document skipped: /);
  assert.ok(j.unparsable.some((u: { file: string; error: string }) => u.file.endsWith('broken.json') && u.error !== ''), JSON.stringify(j.unparsable));
  const table = await cli(['get', 'ingresses'], nats.url);
  assert.equal(table.code, 0, table.out);
  assert.match(table.out, /hello-ingress\s+served/);
  assert.match(table.out, new RegExp(`Files that could not be parsed[^\\n]*\\n(  .*\\n)*  ${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:${yaml.line}: invalid YAML/JSON, document skipped: `));
  assert.equal(await get(proxy, '/users/x'), 200, 'the rest is served');

  // A file that parsed before and stops parsing is served from its last good text, and says so.
  const hello = path.join(m.manifests, 'hello-ingress.yaml');
  const good = fs.readFileSync(hello, 'utf8');
  fs.writeFileSync(hello, `${good}  bad: [\n`);
  await eventually('the broken hello-ingress.yaml is listed', async () => (await cli(['get', 'ingresses'], nats.url)).out.includes(`${hello}:`), 10_000);
  assert.match((await cli(['get', 'ingresses'], nats.url)).out, /hello-ingress\.yaml:\d+: .*serving this file's last good version until it parses again/);
  assert.equal(await get(proxy, '/users/x'), 200);
  fs.writeFileSync(hello, good);
  fs.rmSync(file);
  fs.rmSync(path.join(m.manifests, 'broken.json'));
  await eventually('nothing unparsable', async () => ((await json(['get', 'ingresses'])).unparsable ?? []).length === 0, 10_000);
  assert.doesNotMatch((await cli(['get', 'ingresses'], nats.url)).out, /could not be parsed/);
});

test('describe ingress: rules, backends and endpoints with health, the nodes serving it', async () => {
  await eventually('users endpoint healthy in describe -o json', async () => {
    const d = await json(['describe', 'ingress', 'hello-ingress']);
    const users = d.backends.find((b: { id: string }) => b.id === 'default/users-svc:80');
    return users?.endpoints[0]?.health?.healthy === true && d.nodes[0]?.serving === true;
  }, 15_000);
  const d = await json(['describe', 'ingress', 'hello-ingress', '-n', 'default']);
  assert.equal(d.name, 'hello-ingress');
  assert.equal(d.state, 'served');
  assert.deepEqual(d.routes.map((r: { path: string; pathType: string; backend: string }) => `${r.path} ${r.pathType} ${r.backend}`).sort(),
    ['/products Prefix default/products-svc:80', '/users Prefix default/users-svc:80']);
  assert.deepEqual(d.backends.map((b: { endpoints: { id: string }[] }) => b.endpoints[0]!.id).sort(), [`127.0.0.1:${m.usersPort}`, `127.0.0.1:${m.productsPort}`].sort());
  assert.ok(d.servedSince > 0 && d.servedSince <= d.version);
  assert.deepEqual(d.nodes.map((n: { nodeId: string; serving: boolean }) => [n.nodeId, n.serving]), [['cp-describe-1', true]]);
  assert.deepEqual(d.warnings, []);
  assert.deepEqual(d.errors, []);

  const text = await cli(['describe', 'ingress', 'hello-ingress'], nats.url);
  assert.equal(text.code, 0, text.out);
  assert.match(text.out, /^Name:\s+hello-ingress$/m);
  assert.match(text.out, /^Namespace:\s+default$/m);
  assert.match(text.out, /^Source:\s+.*hello-ingress\.yaml:1$/m);
  assert.match(text.out, /^Status:\s+served$/m);
  assert.match(text.out, /^Rules:\n\s+HOST\s+PATH\s+PATH TYPE\s+BACKEND\n(\s+.*\n)*\s+\*\s+\/users\s+Prefix\s+default\/users-svc:80$/m);
  assert.match(text.out, new RegExp(`^\\s+default/users-svc:80\\s+127\\.0\\.0\\.1:${m.usersPort}\\s+healthy\\s+HTTP 200`, 'm'));
  assert.match(text.out, /^Served:\s+since snapshot v\d+ \(latest v\d+\), on 1\/1 live node\(s\)$/m);
  assert.match(text.out, /^\s+cp-describe-1\s+up\s+\d+\s+yes$/m);
  assert.match(text.out, /^Warnings:\s+<none>$/m);
  assert.match(text.out, /^Errors:\s+<none>$/m);
});

test('describe ingress: warnings of a served Ingress and errors of a rejected one, with file and line', async () => {
  put('partial.yaml', `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: { name: partial, namespace: shop }
spec:
  rules:
  - http:
      paths:
      - { path: /partial, pathType: Prefix, backend: { service: { name: nowhere, port: { number: 80 } } } }
`);
  put('rejected.yaml', `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: { name: rejected }
spec:
  rules:
  - http:
      paths:
      - { path: no-slash, pathType: Prefix, backend: { service: { name: users-svc, port: { number: 80 } } } }
`);
  await eventually('both Ingresses are known', async () => {
    const names = (await json(['get', 'ingresses'])).ingresses.map((i: { name: string }) => i.name);
    return names.includes('partial') && names.includes('rejected');
  }, 10_000);
  const partial = await cli(['describe', 'ingress', 'partial', '-n', 'shop'], nats.url);
  assert.equal(partial.code, 0, partial.out);
  assert.match(partial.out, /^Status:\s+served$/m);
  assert.match(partial.out, /^Warnings:\n\s+.*partial\.yaml:8: Ingress shop\/partial: spec\.rules\[0\]\.http\.paths\[0\]\.backend: Service shop\/nowhere not found/m);
  assert.match(partial.out, /^\s+shop\/nowhere:80\s+\(none\)\s+no endpoints/m);

  const rejected = await json(['describe', 'ingress', 'rejected']);
  assert.equal(rejected.state, 'rejected');
  assert.equal(rejected.servedSince, 0);
  assert.match(rejected.errors[0], /rejected\.yaml:8: Ingress default\/rejected: spec\.rules\[0\]\.http\.paths\[0\]\.path: /);
  const text = await cli(['describe', 'ingress', 'rejected'], nats.url);
  assert.match(text.out, /^Served:\s+no: not in any snapshot$/m);
  assert.match(text.out, /^Errors:\n\s+.*rejected\.yaml:8: /m);
});

test('describe: an unknown name is a clear error and exit 1 (naming the namespace that has it); bad usage exits 2', async () => {
  const missing = await cli(['describe', 'ingress', 'nope'], nats.url);
  assert.equal(missing.code, 1);
  assert.equal(missing.out, 'meshgate describe: ingress "nope" not found in namespace "default"\n');
  const elsewhere = await cli(['describe', 'ingress', 'partial'], nats.url);
  assert.equal(elsewhere.code, 1);
  assert.match(elsewhere.out, /ingress "partial" not found in namespace "default" \(there is one in namespace shop: add -n shop\)/);
  const kind = await cli(['describe', 'pod', 'x'], nats.url);
  assert.equal(kind.code, 2);
  assert.match(kind.out, /unknown resource 'pod'/);
  const noName = await cli(['describe', 'ingress'], nats.url);
  assert.equal(noName.code, 2);
  assert.match(noName.out, /which ingress\?/);
});
