/**
 * "The last good snapshot stays live" end to end (issue 9, item 3): a running
 * config service whose manifests directory turns into garbage, disappears or
 * gets a file that does not parse keeps the proxies serving what they served,
 * and picks up the next good change. Tested from outside, with processes.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { request, eventually } from '@meshgate/testing';
import { CountingBackend } from './support/counting-backend.ts';
import { startMesh, webManifests, type Mesh } from './support/mesh.ts';

let mesh: Mesh;
const backend = new CountingBackend();
let port = 0;
const file = () => path.join(mesh.dir, 'web.yaml');
const status = async () => JSON.parse((await request(`http://127.0.0.1:${mesh.adminPort}/status`)).body) as { version: number };
const get = async (p: string) => (await request(`http://127.0.0.1:${mesh.httpPort}${p}`)).status;
/** Waits until the config service has logged `pattern` `count` times (it has read the change). */
const configSaw = (pattern: RegExp, count = 1) => eventually(`config service logs ${pattern}`, async () => (mesh.config.output().match(new RegExp(pattern.source, 'g')) ?? []).length >= count, 10_000);

before(async () => {
  port = await backend.start();
  mesh = await startMesh({ 'web.yaml': webManifests(port) }, { env: { MESHGATE_ACCESS_LOG: 'off' } });
});

after(async () => {
  await mesh?.stop();
  await backend.stop();
});

test('every manifest becomes binary garbage: routes keep serving', async () => {
  fs.writeFileSync(file(), Buffer.from(Array.from({ length: 8192 }, (_, i) => (i * 197 + 3) & 255)));
  try {
    await configSaw(/is a binary file/);
    await new Promise((r) => setTimeout(r, 500)); // a snapshot, if one were published, is applied by now
    assert.equal(await get('/garbage'), 200, 'the route of the last good snapshot still serves');
  } finally {
    fs.writeFileSync(file(), webManifests(port));
  }
});

test('a file that no longer parses keeps its objects (YAML syntax error mid-edit)', async () => {
  await eventually('served again', async () => (await get('/again')) === 200, 10_000);
  const good = webManifests(port);
  fs.writeFileSync(file(), good.replace('kind: Ingress', 'kind: Ingress\n  oops: [unclosed'));
  try {
    await configSaw(/invalid YAML\/JSON, document skipped/);
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(await get('/midedit'), 200);
  } finally {
    fs.writeFileSync(file(), good);
  }
});

/** Adds a rule and waits for a newer snapshot in the proxy. */
async function changeIsServed(host: string): Promise<void> {
  const before = (await status()).version;
  fs.writeFileSync(file(), webManifests(port).replace('rules:', `rules:\n  - host: ${host}\n    http:\n      paths:\n      - {path: /new, pathType: Exact, backend: {service: {name: web, port: {number: 80}}}}`));
  await eventually('a new snapshot is applied', async () => (await status()).version > before, 10_000);
  assert.equal(await get('/other'), 200);
  assert.equal(mesh.config.child.exitCode, null, 'the config service is alive');
  assert.equal(mesh.proxy.child.exitCode, null, 'the proxy is alive');
}

test('after the garbage, the next good change is served', async () => {
  await changeIsServed('first.example');
});

test('the manifests directory disappears: the last good snapshot stays live', async () => {
  await eventually('served again after the earlier cases', async () => (await get('/back')) === 200, 10_000);
  const v = (await status()).version;
  const moved = `${mesh.dir}.away`;
  fs.renameSync(mesh.dir, moved);
  try {
    await configSaw(/cannot read manifests; the last good snapshot stays live/);
    assert.equal(await get('/gone'), 200);
    assert.equal((await status()).version, v);
  } finally {
    fs.renameSync(moved, mesh.dir);
  }
});

test('after the directory was moved away and back, the next good change is served', async () => {
  await changeIsServed('second.example');
});
