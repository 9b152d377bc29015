/**
 * The docker-compose cluster without Docker: reads
 * infra/compose/docker-compose.yml and infra/docker/Dockerfile, starts every
 * service as local processes in compose's dependency order (waiting for
 * `service_healthy` with each service's own healthcheck), then checks the
 * seed's routes through every proxy replica and the load balancer, the NATS
 * permissions, Prometheus's scrape targets and that a trace arrived.
 *
 * Stand-ins: nats-server processes (Debian's 2.9) run the compose NATS
 * config; an OTLP/HTTP receiver (@meshgate/testing) takes Jaeger's place;
 * haproxy runs the edge config when installed; Prometheus is not run, its
 * config is checked against the proxies. Addresses, ports and paths are
 * rewritten as tests/compose/loopback.ts describes.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { NatsTransport, type NatsTransportStatus } from '@meshgate/actors';
import { msgpackCodec, subjects } from '@meshgate/protocol';
import {
  eventually, findNatsServer, request, spawnProcess, startOtlpReceiver,
  type OtlpReceiver, type Proc,
} from '@meshgate/testing';
import { COMPOSE_DIR, COMPOSE_FILE, DOCKERFILE, REPO, isMeshgate, readComposeFile, readDockerfile, startOrder, type ComposeService } from './compose-file.ts';
import { LoopbackMap, listenPorts, reservedPort, type Instance } from './loopback.ts';

const compose = readComposeFile();
const image = readDockerfile();
const map = new LoopbackMap();
/** The process of each replica, by instance id (for its output when something fails). */
const procOf = new Map<string, Proc>();
let tmp: string;
let receiver: OtlpReceiver;
let haproxyMissing = false;
/** Services found healthy while starting (a dependent waited for them). */
const verifiedHealthy = new Map<string, number>();
let t0 = Date.now();
let lbProc: Proc | undefined;

type Kind = 'meshgate' | 'nats' | 'jaeger' | 'haproxy' | 'prometheus';
function kindOf(s: ComposeService): Kind {
  if (isMeshgate(s)) return 'meshgate';
  const img = s.image ?? '';
  if (img.startsWith('nats:')) return 'nats';
  if (img.startsWith('jaegertracing/')) return 'jaeger';
  if (img.startsWith('haproxy:')) return 'haproxy';
  if (img.startsWith('prom/prometheus')) return 'prometheus';
  throw new Error(`compose service '${s.name}' (image ${img}): the topology test does not know how to run it; teach tests/compose/topology.test.ts`);
}
const servicesOf = (k: Kind) => [...compose.services.values()].filter((s) => kindOf(s) === k);
const instancesOf = (k: Kind) => servicesOf(k).flatMap((s) => map.instances(s.name));
const proxies = () => map.instances('proxy');

function healthcheckOf(inst: Instance): string[] {
  const s = inst.service;
  const testCmd = s.healthcheck?.test ?? (kindOf(s) === 'meshgate' ? ['CMD', ...image.healthcheck] : undefined);
  if (!testCmd) throw new Error(`${s.name} has no healthcheck, yet a service waits for it to be healthy`);
  if (testCmd[0] !== 'CMD') throw new Error(`${s.name}: healthcheck test must be ["CMD", ...] (exec form), got ${JSON.stringify(testCmd)}`);
  return testCmd.slice(1);
}

/** Runs the instance's healthcheck as Docker would inside the container; resolves with its verdict. */
async function healthy(inst: Instance): Promise<{ ok: boolean; out: string }> {
  const argv = healthcheckOf(inst);
  if (argv[0] === 'wget') {
    const url = map.addresses(argv.find((a) => /^https?:\/\//.test(a))!, inst);
    const r = await request(url, { timeoutMs: 3_000 });
    return { ok: r.status >= 200 && r.status < 300, out: `${url}: ${r.status}` };
  }
  if (argv[0] === 'node') {
    const p = spawnProcess(process.execPath, argv.slice(1).map((a) => map.value(a, inst)), { env: map.env(inst) });
    const code = await p.exited;
    return { ok: code === 0, out: p.output() };
  }
  throw new Error(`${inst.service.name}: the test runs healthchecks with node or wget, not ${argv[0]}`);
}

async function waitHealthy(name: string): Promise<void> {
  await Promise.all(map.instances(name).map(async (inst) => {
    let last = '';
    await eventually(`${inst.id} healthy`, async () => {
      const r = await healthy(inst);
      last = r.out.trim();
      return r.ok;
    }, 30_000, 1_000).catch((err: Error) => { throw new Error(`${err.message}; last check said: ${last}; its output:\n${procOf.get(inst.id)?.output().slice(-3000)}`); });
  }));
  verifiedHealthy.set(name, Date.now() - t0);
}

function start(inst: Instance): void {
  const s = inst.service;
  switch (kindOf(s)) {
    case 'meshgate': {
      const argv = [...image.entrypoint, ...(s.command ?? [])].map((a) => map.value(a, inst));
      if (argv[0] !== 'node') throw new Error(`Dockerfile ENTRYPOINT should start with node, got ${argv[0]}`);
      procOf.set(inst.id, spawnProcess(process.execPath, argv.slice(1), { env: map.env(inst) }));
      break;
    }
    case 'nats': {
      const bin = findNatsServer();
      if (!bin) throw new Error('nats-server is not installed: apt-get install -y nats-server');
      procOf.set(inst.id, spawnProcess(bin, (s.command ?? []).map((a) => map.value(a, inst)), { env: map.env(inst) }));
      break;
    }
    case 'haproxy': {
      const bin = spawnSync('sh', ['-c', 'command -v haproxy || ls /usr/sbin/haproxy'], { encoding: 'utf8' }).stdout.trim().split('\n')[0];
      if (!bin) { haproxyMissing = true; break; }
      const cfg = map.path('/usr/local/etc/haproxy/haproxy.cfg', inst);
      fs.writeFileSync(cfg, map.haproxyConfig(fs.readFileSync(cfg, 'utf8'), inst));
      lbProc = spawnProcess(bin, ['-db', '-f', cfg]);
      procOf.set(inst.id, lbProc);
      break;
    }
    case 'jaeger': break; // the OTLP receiver, already listening
    case 'prometheus': break; // not run: its config is checked below
  }
}

/** `docker-compose config -q`, run before the cluster starts (it is slow on a busy machine). */
let composeConfig: Promise<{ code: number | string; stderr: string }>;

before(async () => {
  t0 = Date.now();
  composeConfig = new Promise((resolve) => {
    execFile('docker-compose', ['-f', COMPOSE_FILE, 'config', '-q'], { timeout: 60_000 }, (err, _out, stderr) =>
      resolve({ code: err ? ((err as NodeJS.ErrnoException).code ?? 1) : 0, stderr }));
  });
  await composeConfig;
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'meshgate-compose-'));
  receiver = await startOtlpReceiver();
  const receiverPort = Number(new URL(receiver.endpoint).port);
  // Every replica's ports first: config files name other services' ports.
  for (const s of compose.services.values()) {
    for (let i = 1; i <= s.replicas; i++) {
      const id = s.replicas > 1 ? `${s.name}-${i}` : s.name;
      const ports = new Map<number, number>();
      if (kindOf(s) === 'jaeger') ports.set(4318, receiverPort);
      else for (const p of listenPorts(s)) ports.set(p, await reservedPort());
      map.add({ service: s, id, ports, root: path.join(tmp, id) });
    }
  }
  for (const s of compose.services.values()) {
    if (kindOf(s) === 'prometheus' || kindOf(s) === 'jaeger') continue;
    for (const inst of map.instances(s.name)) map.materializeVolumes(inst);
  }
  // compose's order: each service starts as soon as its dependencies meet
  // their condition (started, or healthy by their own healthcheck), the
  // independent ones at once. startOrder() rejects cycles and unknown names.
  const startedP = new Map<string, Promise<void>>();
  const healthyP = new Map<string, Promise<void>>();
  const healthyOnce = (dep: string) => {
    if (!healthyP.has(dep)) healthyP.set(dep, startedP.get(dep)!.then(() => waitHealthy(dep)));
    return healthyP.get(dep)!;
  };
  for (const s of startOrder(compose)) {
    startedP.set(s.name, Promise.all(Object.entries(s.dependsOn).map(([dep, cond]) =>
      cond === 'service_healthy' ? healthyOnce(dep) : startedP.get(dep)!,
    )).then(() => { for (const inst of map.instances(s.name)) start(inst); }));
  }
  await Promise.all([...startedP.values()]);
  verifiedHealthy.set('(all started)', Date.now() - t0);
  await Promise.all(proxies().map((p) => eventually(`${p.id} /readyz`, async () =>
    (await request(`http://127.0.0.1:${p.ports.get(9901)}/readyz`)).status === 200, 25_000)
    .catch((err: Error) => { throw new Error(`${err.message}; its output:\n${procOf.get(p.id)?.output().slice(-3000)}`); })));
});

after(async () => {
  await Promise.all([...procOf.values()].map((p) => p.stop(5_000)));
  await receiver?.close();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

test('docker-compose config -q accepts the compose file (offline validation)', async (t) => {
  const r = await composeConfig;
  if (r.code === 'ENOENT') {
    if (process.env.CI) assert.fail('docker-compose is not installed (.ci/run installs it: apt-get install --no-install-recommends docker-compose)');
    t.skip('docker-compose not installed: apt-get install --no-install-recommends docker-compose');
    return;
  }
  assert.equal(r.code, 0, `docker-compose config -q failed:\n${r.stderr}`);
});

test('the compose file has every part of the cluster', () => {
  const nats = servicesOf('nats');
  assert.equal(nats.length, 3, 'three NATS servers');
  const natsConf = fs.readFileSync(path.join(COMPOSE_DIR, 'nats/nats.conf'), 'utf8');
  assert.match(natsConf, /^jetstream\s*\{/m, 'JetStream on');
  assert.match(natsConf, /^cluster\s*\{/m, 'NATS servers clustered');
  const [jaeger] = servicesOf('jaeger');
  assert.ok(jaeger, 'Jaeger');
  assert.equal(jaeger.environment.COLLECTOR_OTLP_ENABLED, 'true');
  assert.ok(jaeger.ports.some((p) => p.endsWith('16686:16686')), 'Jaeger UI published on 16686');
  assert.equal(servicesOf('prometheus').length, 1, 'Prometheus');
  const config = compose.services.get('config-service')!;
  assert.ok(config.volumes.some((v) => v.startsWith('../examples/seed:')), 'the seed manifests mounted');
  const proxy = compose.services.get('proxy')!;
  assert.ok(proxy.replicas >= 3, 'at least three proxy replicas');
  const [lb] = servicesOf('haproxy');
  assert.deepEqual(lb?.ports.map((p) => p.split(':').at(-1)).sort(), ['8080', '8443'], 'published HTTP and HTTPS in front of the proxies');
  const agents = [...compose.services.values()].filter((s) => s.command?.[0] === 'health-agent');
  assert.equal(agents.length, 2, 'two health agents');
  assert.equal(new Set(agents.map((a) => a.environment.MESHGATE_AGENT_ID)).size, 2, 'with distinct agent ids');
  for (const kind of ['User', 'Product']) {
    const n = [...compose.services.values()].filter((s) => s.command?.[0] === 'demo-backend' && s.environment.MESHGATE_KIND === kind).length;
    assert.ok(n >= 2, `several ${kind} backend replicas (${n})`);
  }
  for (const s of compose.services.values()) {
    if (kindOf(s) === 'meshgate' && s.command?.[0] !== 'demo-backend') assert.ok(s.environment.OTEL_EXPORTER_OTLP_ENDPOINT, `${s.name} exports traces`);
  }
  const dockerfile = fs.readFileSync(DOCKERFILE, 'utf8');
  assert.match(dockerfile, /^ARG NODE_IMAGE=node:24-slim$/m);
  assert.ok((dockerfile.match(/^FROM /gm) ?? []).length >= 2, 'multi-stage');
  assert.match(dockerfile, /^USER node$/m, 'runs as a non-root user');
});

test('every service passes its own healthcheck', async (t) => {
  t.diagnostic(`healthy before their dependents started (ms after start): ${[...verifiedHealthy].map(([n, ms]) => `${n} ${ms}`).join(', ')}`);
  const all = [...compose.services.values()].filter((s) => (s.healthcheck || kindOf(s) === 'meshgate') && !verifiedHealthy.has(s.name))
    .flatMap((s) => map.instances(s.name))
    .filter((i) => !(haproxyMissing && kindOf(i.service) === 'haproxy'));
  const results = await Promise.all(all.map(async (inst) => {
    let out = '';
    try {
      await eventually(inst.id, async () => { const r = await healthy(inst); out = r.out; return r.ok; }, 30_000, 1_000);
      return undefined;
    } catch { return `${inst.id}: ${out.trim()}`; }
  }));
  assert.deepEqual(results.filter(Boolean), []);
});

const seedCa = (): string => {
  const secret = parse(fs.readFileSync(path.join(REPO, 'infra/examples/seed/hello-ingress-secret.yaml'), 'utf8')) as { data: Record<string, string> };
  return Buffer.from(secret.data['tls.crt']!, 'base64').toString();
};

async function checkRoutes(http: number, https: number, where: string): Promise<void> {
  const base = `http://127.0.0.1:${http}`;
  const u = await request(`${base}/users/x`);
  assert.equal(u.status, 200, `${where}: /users/x`);
  assert.match(u.body, /^Hello World! I'm User server users-\d \n$/, where);
  const p = await request(`${base}/products/`);
  assert.equal(p.status, 200, `${where}: /products/`);
  assert.match(p.body, /^Hello World! I'm Product server products-\d \n$/, where);
  assert.equal((await request(`${base}/orders`)).status, 404, `${where}: /orders has no rule`);
  const t = await request(`https://127.0.0.1:${https}/users/`, { ca: seedCa(), servername: 'localhost' });
  assert.equal(t.status, 200, `${where}: HTTPS /users/ with the seed's certificate (${t.body})`);
  assert.match(t.body, /I'm User server users-\d/);
}

test("the seed's routes, over HTTP and HTTPS, through every proxy replica", async () => {
  assert.ok(proxies().length >= 3);
  for (const p of proxies()) await checkRoutes(p.ports.get(8080)!, p.ports.get(8443)!, p.id);
  // They serve snapshots signed with the compose keys, not unsigned ones.
  for (const p of proxies()) assert.doesNotMatch(procOf.get(p.id)!.output(), /unsigned snapshots are accepted|signature/i, p.id);
});

test('every backend replica serves: the health agents found them all', async () => {
  const want = [...compose.services.values()].filter((s) => s.command?.[0] === 'demo-backend').map((s) => s.environment.MESHGATE_HOSTNAME);
  const seen = new Set<string>();
  const http = proxies()[0]!.ports.get(8080)!;
  await eventually(`responses from ${want.join(', ')}`, async () => {
    for (const route of ['users', 'products']) {
      const r = await request(`http://127.0.0.1:${http}/${route}/`);
      const m = /server (\S+) /.exec(r.body);
      if (m) seen.add(m[1]!);
    }
    return want.every((w) => seen.has(w!));
  }, 10_000, 20);
});

test('the load balancer on the published ports reaches the proxies (HTTP, and HTTPS passed through)', async (t) => {
  if (haproxyMissing) { t.skip('haproxy not installed (apt-get install haproxy): the edge config was not run'); return; }
  const [lb] = instancesOf('haproxy');
  await eventually('lb sees a ready proxy', async () => (await request(`http://127.0.0.1:${lb!.ports.get(8080)}/users/`)).status === 200, 10_000)
    .catch((err: Error) => { throw new Error(`${err.message}; haproxy said:\n${lbProc?.output().slice(-2000)}`); });
  await checkRoutes(lb!.ports.get(8080)!, lb!.ports.get(8443)!, 'lb');
});

test("Prometheus's scrape config names every proxy's admin port, and each serves /metrics", async () => {
  const promVolume = servicesOf('prometheus')[0]!.volumes.find((v) => v.includes('prometheus.yml'))!;
  const prom = parse(fs.readFileSync(path.resolve(COMPOSE_DIR, promVolume.split(':')[0]!), 'utf8')) as {
    scrape_configs: { job_name: string; metrics_path?: string; dns_sd_configs?: { names: string[]; port: number }[] }[];
  };
  const job = prom.scrape_configs.find((j) => j.dns_sd_configs?.some((d) => d.names.includes('proxy')));
  assert.ok(job, 'a scrape job discovers the `proxy` replicas by DNS');
  const adminPort = Number(/:(\d+)$/.exec(compose.services.get('proxy')!.environment.MESHGATE_ADMIN!)![1]);
  assert.equal(job.dns_sd_configs![0]!.port, adminPort, 'scrapes the proxies on their MESHGATE_ADMIN port');
  for (const p of proxies()) {
    const r = await request(`http://127.0.0.1:${p.ports.get(adminPort)}${job.metrics_path ?? '/metrics'}`);
    assert.equal(r.status, 200, p.id);
    assert.match(r.body, /^meshgate_/m, `${p.id}: Prometheus text`);
  }
  // The config service and the agents: by name and MESHGATE_ADMIN port.
  const targets = prom.scrape_configs.flatMap((j) => (j as { static_configs?: { targets: string[] }[] }).static_configs?.flatMap((c) => c.targets) ?? []);
  for (const name of ['config-service', 'health-agent-1', 'health-agent-2']) {
    const port = Number(/:(\d+)$/.exec(compose.services.get(name)!.environment.MESHGATE_ADMIN ?? '')?.[1]);
    assert.ok(targets.includes(`${name}:${port}`), `Prometheus scrapes ${name}:${port}`);
    const inst = map.instances(name)[0]!;
    const r = await request(`http://127.0.0.1:${inst.ports.get(port)}/metrics`);
    assert.equal(r.status, 200, name);
    assert.match(r.body, /^meshgate_(config|agent)_/m, `${name}: Prometheus text`);
  }
});

test('NATS permissions: a proxy or health agent user cannot publish a snapshot', async () => {
  const s = subjects('meshgate');
  const natsUrl = `nats://127.0.0.1:${map.instances('nats-1')[0]!.ports.get(4222)}`;
  const creds = (svc: string) => ({ user: compose.services.get(svc)!.environment.MESHGATE_NATS_USER, pass: compose.services.get(svc)!.environment.MESHGATE_NATS_PASS });
  const observer = await NatsTransport.connect({ servers: natsUrl, codec: msgpackCodec, reconnect: false, ...creds('config-service') });
  const seen: unknown[] = [];
  observer.subscribe('meshgate.>', (m) => { seen.push(m.data); });
  await observer.flush();
  try {
    // The refused snapshot, then a subject the role may publish, on one
    // connection: once the second reached the observer, the first would have.
    for (const [role, allowed] of [['proxy', 'meshgate.node.v1.heartbeat.compose-test'], ['health-agent-1', 'meshgate.health.v1.compose-test']] as const) {
      const t = await NatsTransport.connect({ servers: natsUrl, codec: msgpackCodec, reconnect: false, ...creds(role) });
      const errors: string[] = [];
      t.onStatus((st: NatsTransportStatus) => { if (st.type === 'error') errors.push(String((st.data as { error?: unknown }).error)); });
      try {
        t.publish(s.snapshot, { type: 'config.v1.snapshot', composeTest: role });
        t.publish(allowed, { composeTest: `${role} may publish` });
        await t.flush();
        await eventually(`${role}: permissions violation reported`, async () => errors.some((e) => /Permissions Violation for Publish to "meshgate\.config\.v1\.snapshot"/i.test(e)), 5_000);
        await eventually(`${role}: its allowed message arrived`, async () => seen.some((d) => (d as { composeTest?: string }).composeTest === `${role} may publish`), 5_000);
        assert.ok(!seen.some((d) => (d as { composeTest?: string }).composeTest === role), `${role}: the refused snapshot reached no subscriber`);
      } finally {
        await t.close();
      }
    }
  } finally {
    await observer.close();
  }
});

test("a request's trace arrives where Jaeger would receive it (service meshgate-proxy)", async () => {
  await request(`http://127.0.0.1:${proxies()[1]!.ports.get(8080)}/users/traced`);
  const span = await receiver.waitForSpan((sp) => sp.resource['service.name'] === 'meshgate-proxy', 15_000);
  assert.ok(span.traceId);
});
