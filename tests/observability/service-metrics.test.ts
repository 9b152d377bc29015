/**
 * The config service and the health agent expose their own Prometheus
 * metrics on `--admin` (the proxy nodes' are tested with tracing).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { configServiceStarted, startNatsServer, startOtlpReceiver, freePorts, serviceManifest, ingressManifest, manifestFile, type OtlpReceiver, spawnMeshgate, request, eventually, type NatsServer, type Proc } from '@meshgate/testing';

let nats: NatsServer;
let rx: OtlpReceiver;
let backend: http.Server;
let dir: string;
let csAdmin: number;
let agentAdmin: number;
const procs: Proc[] = [];

before(async () => {
  nats = await startNatsServer();
  rx = await startOtlpReceiver();
  backend = http.createServer((_req, res) => res.end('ok\n'));
  await new Promise<void>((r) => backend.listen(0, '127.0.0.1', () => r()));
  const port = (backend.address() as { port: number }).port;
  [csAdmin, agentAdmin] = await freePorts(2);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meshgate-svc-metrics-'));
  // One live endpoint and one that refuses (port 9), a served and a rejected Ingress.
  fs.writeFileSync(path.join(dir, 'app.yaml'), manifestFile(serviceManifest('app', [port, 9]), ingressManifest('app', { '': 'app' }), ingressManifest('broken', { 'nope': 'app' })));
  const env = { OTEL_EXPORTER_OTLP_ENDPOINT: rx.endpoint };
  const config = spawnMeshgate(['config-service', '--nats', nats.url, '--manifests', dir, '--admin', `127.0.0.1:${csAdmin}`], { env });
  procs.push(config);
  await configServiceStarted(config);
  procs.push(spawnMeshgate(['health-agent', '--nats', nats.url, '--agent-id', 'a1', '--admin', `127.0.0.1:${agentAdmin}`], { env }));
});

after(async () => {
  await Promise.all(procs.map((p) => p.stop()));
  await new Promise<void>((r) => backend.close(() => r()));
  await rx.close();
  await nats.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('config service /metrics: snapshot version, ingresses by state, rejected objects, endpoints', async () => {
  let text = '';
  await eventually('config metrics', async () => {
    text = (await request(`http://127.0.0.1:${csAdmin}/metrics`)).body;
    return /^meshgate_config_snapshot_version\{[^}]*\} [1-9]\d*$/m.test(text);
  }, 20_000);
  assert.match(text, /^meshgate_config_ingresses\{instance_id="[^"]+",state="served"\} 1$/m);
  assert.match(text, /^meshgate_config_ingresses\{instance_id="[^"]+",state="rejected"\} 1$/m);
  assert.match(text, /^meshgate_config_manifest_errors\{[^}]*\} [1-9]/m);
  assert.match(text, /^meshgate_config_endpoints\{[^}]*\} 2$/m);
  assert.equal((await request(`http://127.0.0.1:${csAdmin}/healthz`)).status, 200);
});

test('health agent /metrics: endpoints by verdict and the probe schedule', async () => {
  let text = '';
  await eventually('agent metrics', async () => {
    text = (await request(`http://127.0.0.1:${agentAdmin}/metrics`)).body;
    return /^meshgate_agent_endpoints\{agent="a1",verdict="down"\} 1$/m.test(text) && /^meshgate_agent_endpoints\{agent="a1",verdict="up"\} 1$/m.test(text);
  }, 20_000);
  assert.match(text, /^meshgate_agent_probes_per_second\{agent="a1"\} /m);
  assert.match(text, /^# TYPE meshgate_agent_nodes gauge$/m);
});

test('the health agent traces verdict changes (service meshgate-health-agent)', async () => {
  const span = await rx.waitForSpan((s) => s.name === 'endpoint down' && s.resource['service.name'] === 'meshgate-health-agent', 15_000);
  assert.equal(span.attributes['meshgate.endpoint'], '127.0.0.1:9');
  assert.equal(span.attributes['meshgate.agent'], 'a1');
  const publish = await rx.waitForSpan((s) => s.name === 'snapshot publish', 5_000);
  assert.equal(publish.resource['service.name'], 'meshgate-config-service');
});
