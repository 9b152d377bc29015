/**
 * A collector that accepts connections and never answers (the worst kind of
 * unreachable) must cost clients nothing: every request still succeeds, and
 * the proxy stays responsive while its exporter waits and times out.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { configServiceStarted, startNatsServer, freePorts, spawnMeshgate, serviceManifest, ingressManifest, manifestFile, request, eventually, type NatsServer, type Proc } from '@meshgate/testing';

let nats: NatsServer;
let blackhole: net.Server;
let backend: http.Server;
let dir: string;
let httpPort: number;
let adminPort: number;
const held: net.Socket[] = [];
const procs: Proc[] = [];

before(async () => {
  nats = await startNatsServer();
  blackhole = net.createServer((s) => { held.push(s); s.on('error', () => {}); }); // accepts, reads nothing, answers nothing
  await new Promise<void>((r) => blackhole.listen(0, '127.0.0.1', () => r()));
  backend = http.createServer((_req, res) => res.end('ok\n'));
  await new Promise<void>((r) => backend.listen(0, '127.0.0.1', () => r()));
  const backendPort = (backend.address() as net.AddressInfo).port;
  let httpsPort: number;
  [httpPort, adminPort, httpsPort] = await freePorts(3);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meshgate-otel-down-'));
  fs.writeFileSync(path.join(dir, 'app.yaml'), manifestFile(serviceManifest('app', [backendPort]), ingressManifest('app', { '': 'app' })));
  const env = { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(blackhole.address() as net.AddressInfo).port}`, OTEL_TRACES_SAMPLER: 'always_on' };
  const config = spawnMeshgate(['config-service', '--nats', nats.url, '--manifests', dir], { env });
  procs.push(config);
  await configServiceStarted(config);
  procs.push(spawnMeshgate(['proxy', '--nats', nats.url, '--workers', '1', '--http', `127.0.0.1:${httpPort}`, '--https', `127.0.0.1:${httpsPort}`, '--admin', `127.0.0.1:${adminPort}`], { env }));
  await eventually('proxy ready', async () => (await request(`http://127.0.0.1:${adminPort}/readyz`)).status === 200, 20_000);
});

after(async () => {
  await Promise.all(procs.map((p) => p.stop()));
  for (const s of held) s.destroy();
  await new Promise<void>((r) => blackhole.close(() => r()));
  await new Promise<void>((r) => backend.close(() => r()));
  await nats.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('an unresponsive collector never fails or stalls traffic', async () => {
  // Several export batches' worth (the batch processor exports every second).
  const deadline = Date.now() + 3_000;
  let n = 0;
  while (Date.now() < deadline) {
    const batch = await Promise.all(Array.from({ length: 20 }, () => request(`http://127.0.0.1:${httpPort}/x`, { timeoutMs: 2_000 })));
    for (const r of batch) assert.equal(r.status, 200, `request failed: ${r.status} ${r.body}`);
    n += batch.length;
  }
  assert.ok(held.length > 0, 'the exporter did try the collector');
  assert.ok(n >= 100, `only ${n} requests in 3 s`);
});
