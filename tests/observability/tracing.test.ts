/**
 * One request, one trace: the client's context is continued by the proxy's
 * server span, which parents the upstream client span, whose context the
 * backend receives. And /metrics counts a request once whichever worker
 * served it. Real processes, a real nats-server, an OTLP receiver in place of
 * Jaeger.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { configServiceStarted, startNatsServer, startOtlpReceiver, freePort, spawnMeshgate, serviceManifest, ingressManifest, manifestFile, request, eventually, type NatsServer, type OtlpReceiver, type Proc } from '@meshgate/testing';

let nats: NatsServer;
let rx: OtlpReceiver;
let backend: http.Server;
let dir: string;
let httpPort: number;
let adminPort: number;
const seen: http.IncomingHttpHeaders[] = [];
const procs: Proc[] = [];

before(async () => {
  nats = await startNatsServer();
  rx = await startOtlpReceiver();
  backend = http.createServer((req, res) => { seen.push(req.headers); res.end('ok\n'); });
  await new Promise<void>((r) => backend.listen(0, '127.0.0.1', () => r()));
  const backendPort = (backend.address() as { port: number }).port;
  [httpPort, adminPort] = [await freePort(), await freePort()];
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meshgate-otel-'));
  fs.writeFileSync(path.join(dir, 'app.yaml'), manifestFile(serviceManifest('users', [backendPort]), ingressManifest('app', { '/users': 'users' })));
  const env = { OTEL_EXPORTER_OTLP_ENDPOINT: rx.endpoint, OTEL_TRACES_SAMPLER: 'parentbased_always_on' };
  const config = spawnMeshgate(['config-service', '--nats', nats.url, '--manifests', dir], { env });
  procs.push(config);
  await configServiceStarted(config);
  procs.push(spawnMeshgate(['proxy', '--nats', nats.url, '--workers', '2', '--http', `127.0.0.1:${httpPort}`, '--https', `127.0.0.1:${await freePort()}`, '--admin', `127.0.0.1:${adminPort}`, '--node-id', 'otel-1'], { env }));
  await eventually('proxy ready', async () => (await request(`http://127.0.0.1:${adminPort}/readyz`)).status === 200, 20_000);
});

after(async () => {
  await Promise.all(procs.map((p) => p.stop()));
  if (backend) await new Promise<void>((r) => backend.close(() => r()));
  await rx?.close();
  await nats?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

test('the client trace is continued: server span -> upstream client span -> backend', async () => {
  const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
  const parent = '00f067aa0ba902b7';
  const res = await request(`http://127.0.0.1:${httpPort}/users/42?x=1`, { headers: { traceparent: `00-${traceId}-${parent}-01` } });
  assert.equal(res.status, 200);
  const server = await rx.waitForSpan((s) => s.traceId === traceId && s.kind === 2);
  const client = await rx.waitForSpan((s) => s.traceId === traceId && s.kind === 3);
  assert.equal(server.parentSpanId, parent, 'the proxy server span continues the client span');
  assert.equal(client.parentSpanId, server.spanId, 'the upstream span is a child of the server span');
  assert.equal(server.resource['service.name'], 'meshgate-proxy');
  assert.equal(server.resource['service.instance.id'], 'otel-1');
  assert.equal(server.attributes['http.route'], '/users');
  assert.equal(server.attributes['http.request.method'], 'GET');
  assert.equal(server.attributes['http.response.status_code'], 200);
  assert.equal(server.attributes['meshgate.ingress'], 'default/app');
  assert.equal(server.attributes['meshgate.service'], 'users');
  assert.equal(server.attributes['meshgate.node'], 'otel-1');
  assert.ok(client.attributes['network.peer.address']);
  const got = seen.at(-1)!;
  assert.equal(got.traceparent, `00-${traceId}-${client.spanId}-01`, 'the backend gets the upstream span context');
  // ...and the access-log line (JSON on the proxy's stdout) names the trace.
  await procs[1]!.waitFor(`"traceId":"${traceId}"`, 5_000);
  const line = procs[1]!.output().split('\n').find((l) => l.includes(`"traceId":"${traceId}"`))!;
  const rec = JSON.parse(line);
  assert.equal(rec.node, 'otel-1');
  assert.equal(rec.status, 200);
  assert.equal(rec.ingress, 'default/app');
  assert.equal(typeof rec.worker, 'number');
  assert.match(rec.upstream, /^127\.0\.0\.1:\d+$/);
  assert.equal(typeof rec.durationMs, 'number');
});

test('/metrics counts a request once, whichever worker served it', async () => {
  const before = await requestsTotal();
  const n = 30;
  for (let i = 0; i < n; i++) assert.equal((await request(`http://127.0.0.1:${httpPort}/users/${i}`)).status, 200);
  await eventually('metrics catch up', async () => (await requestsTotal()) === before + n, 5_000);
  await new Promise((r) => setTimeout(r, 1_200)); // another stats round: still counted once
  assert.equal(await requestsTotal(), before + n);
});

test('/metrics shows the node\'s resident memory and the V8 heap of the main thread and of every worker', async () => {
  await eventually('heap per thread', async () => {
    const text = (await request(`http://127.0.0.1:${adminPort}/metrics`)).body;
    const threads = [...text.matchAll(/^meshgate_heap_used_bytes\{[^}]*thread="([^"]+)"[^}]*\} (\d+)$/gm)].filter((m) => Number(m[2]) > 1e6).map((m) => m[1]).sort();
    return /^process_resident_memory_bytes\{[^}]*\} \d{7,}$/m.test(text) && JSON.stringify(threads) === JSON.stringify(['main', 'worker-0', 'worker-1']);
  }, 5_000);
});

async function requestsTotal(): Promise<number> {
  const text = (await request(`http://127.0.0.1:${adminPort}/metrics`)).body;
  let sum = 0;
  for (const m of text.matchAll(/^meshgate_requests_total\{[^}]*service="users"[^}]*code="2xx"[^}]*\} (\d+)$/gm)) sum += Number(m[1]);
  return sum;
}

test('a route change is one trace: build and publish in the config service, compile in every worker', async () => {
  // A new path goes out as a route delta: each worker takes it from NATS and patches its table under the publish span.
  fs.writeFileSync(path.join(dir, 'more.yaml'), ingressManifest('more', { '/': 'users' }, 'more.example'));
  const compile = await rx.waitForSpan((s) => s.name === 'snapshot compile' && s.attributes['meshgate.snapshot.delta'] === 'routes' && s.parentSpanId !== '', 15_000);
  const publish = await rx.waitForSpan((s) => s.name === 'snapshot publish' && s.spanId === compile.parentSpanId, 10_000);
  assert.equal(publish.resource['service.name'], 'meshgate-config-service');
  assert.equal(compile.resource['service.name'], 'meshgate-proxy');
  assert.equal(publish.traceId, compile.traceId);
  assert.equal(compile.attributes['meshgate.snapshot.version'], publish.attributes['meshgate.snapshot.version']);
  await eventually('a compile span from each worker', async () => new Set(rx.spans.filter((s) => s.name === 'snapshot compile' && s.parentSpanId === publish.spanId).map((s) => s.attributes['meshgate.worker'])).size === 2, 10_000);
  const build = rx.spans.find((s) => s.name === 'snapshot build' && s.spanId === publish.parentSpanId);
  assert.ok(build, 'the publish span is a child of the build span');
});

test('a full snapshot is one trace: publish in the config service, apply in the node, compile in every worker', async () => {
  // A default backend changes more than routes: the whole snapshot goes out, through the node's main thread.
  fs.writeFileSync(path.join(dir, 'default.yaml'), ingressManifest('fallback', { '': 'users' }));
  const apply = await rx.waitForSpan((s) => s.name === 'snapshot apply' && s.parentSpanId !== '', 15_000);
  const publish = await rx.waitForSpan((s) => s.name === 'snapshot publish' && s.spanId === apply.parentSpanId, 10_000);
  assert.equal(publish.resource['service.name'], 'meshgate-config-service');
  assert.equal(publish.traceId, apply.traceId);
  assert.equal(apply.resource['service.name'], 'meshgate-proxy');
  assert.equal(apply.attributes['meshgate.snapshot.version'], publish.attributes['meshgate.snapshot.version']);
  await eventually('a compile span from each worker', async () => rx.spans.filter((s) => s.name === 'snapshot compile' && s.parentSpanId === apply.spanId).length === 2, 10_000);
});
