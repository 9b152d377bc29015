/**
 * Private keys never appear in logs, errors, `meshgate get` output or traces
 * (issue 9, item 7). A mesh runs with the seed's TLS Secret, a Secret whose
 * key does not match its certificate, an expired one and one with broken
 * base64; every process logs at debug level and exports traces to an OTLP
 * receiver. No captured line may contain a piece of any key (PEM body or the
 * base64 a Secret holds), and the rejections still name file, Secret and field.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { request, spawnMeshgate, startOtlpReceiver, eventually, type OtlpReceiver, type Proc } from '@meshgate/testing';
import { keyNeedles, makeCert, tlsSecret } from './support/certs.ts';
import { CountingBackend } from './support/counting-backend.ts';
import { startMesh, webManifests, type Mesh } from './support/mesh.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SEED_SECRET = fs.readFileSync(path.join(ROOT, 'infra/examples/seed/hello-ingress-secret.yaml'), 'utf8');
const seedKey = Buffer.from(/tls\.key:\s*(\S+)/.exec(SEED_SECRET)![1]!, 'base64').toString('utf8');
const a = makeCert('a.meshgate.test');
const b = makeCert('b.meshgate.test');
const expired = makeCert('old.meshgate.test', { startDate: '20200101000000Z', endDate: '20200201000000Z' });
const needles = [...keyNeedles(seedKey), ...keyNeedles(a.key), ...keyNeedles(b.key), ...keyNeedles(expired.key)];

let mesh: Mesh;
let rx: OtlpReceiver;
let agent: Proc;
const backend = new CountingBackend();
const extra: { what: string; text: string }[] = [];

before(async () => {
  const port = await backend.start();
  rx = await startOtlpReceiver();
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const tls = '  tls:\n  - secretName: hello-ingress-secret\n  - hosts: [a.meshgate.test]\n    secretName: mismatched\n  - hosts: [old.meshgate.test]\n    secretName: expired\n  - hosts: [c.meshgate.test]\n    secretName: broken-base64\n';
  mesh = await startMesh({
    'hello-ingress-secret.yaml': SEED_SECRET,
    'web.yaml': webManifests(port, tls),
    'broken-secrets.yaml': [
      tlsSecret('mismatched', { cert: a.cert, key: b.key }),
      tlsSecret('expired', expired),
      `apiVersion: v1\nkind: Secret\nmetadata: {name: broken-base64}\ntype: kubernetes.io/tls\ndata:\n  tls.crt: ${b64(a.cert)}\n  tls.key: "${b64(a.key)}!!"\n`,
    ].join('---\n'),
    // A Secret in a file that is not even valid YAML.
    'unparsable-secret.yaml': `apiVersion: v1\nkind: Secret\nmetadata: {name: bad-yaml}\ntype: kubernetes.io/tls\nstringData:\n  tls.key: |\n${a.key.split('\n').map((l) => `    ${l}`).join('\n')}\n   tls.crt: : [\n`,
  }, { args: ['--log-level', 'debug'], env: { OTEL_EXPORTER_OTLP_ENDPOINT: rx.endpoint, OTEL_TRACES_SAMPLER: 'parentbased_always_on' } });
  agent = spawnMeshgate(['health-agent', '--nats', mesh.nats.url, '--interval', '200', '--log-level', 'debug'], { env: { OTEL_EXPORTER_OTLP_ENDPOINT: rx.endpoint } });
});

after(async () => {
  await agent?.stop();
  await mesh?.stop();
  await rx?.close();
  await backend.stop();
});

test('traffic over HTTPS with the seed certificate, and `meshgate get` of everything', async () => {
  for (let i = 0; i < 5; i++) {
    assert.equal((await request(`https://127.0.0.1:${mesh.httpsPort}/k/${i}`, { rejectUnauthorized: false })).status, 200);
    assert.equal((await request(`http://127.0.0.1:${mesh.httpPort}/k/${i}`)).status, 200);
  }
  for (const what of ['nodes', 'ingresses', 'backends', 'snapshot']) {
    for (const o of [[], ['-o', 'json']]) {
      const p = spawnMeshgate(['get', what, ...o, '--nats', mesh.nats.url]);
      await p.exited;
      extra.push({ what: `meshgate get ${what} ${o.join(' ')}`, text: p.output() });
    }
  }
  const snap = extra.find((e) => e.what === 'meshgate get snapshot -o json')!.text;
  assert.ok(snap.length > 0, 'get snapshot printed something');
  extra.push({ what: 'admin /status', text: (await request(`http://127.0.0.1:${mesh.adminPort}/status`)).body });
  extra.push({ what: 'admin /metrics', text: (await request(`http://127.0.0.1:${mesh.adminPort}/metrics`)).body });
});

test('the broken Secrets are rejected with file, Secret and field; their Ingress keeps serving', async () => {
  const out = mesh.config.output();
  assert.match(out, /broken-secrets\.yaml:\d+: Secret default\/mismatched: data\.tls\.key: does not match the certificate in tls\.crt/);
  assert.match(out, /broken-secrets\.yaml:\d+: Secret default\/expired: data\.tls\.crt: the certificate \(\\?"CN=old\.meshgate\.test\\?"\) expired 2020-02-01/);
  assert.match(out, /broken-secrets\.yaml:\d+: Secret default\/broken-base64: data\.tls\.key: is not valid base64/);
  assert.match(out, /unparsable-secret\.yaml:\d+: invalid YAML/);
  assert.equal((await request(`http://127.0.0.1:${mesh.httpPort}/still-served`)).status, 200);
});

test('no process output, get output, admin page or trace holds key material', async (t) => {
  await eventually('some spans exported', async () => rx.spans.length > 0, 10_000).catch(() => undefined);
  t.diagnostic(`${rx.spans.length} spans; ${extra.map((e) => `${e.what}: ${e.text.length} bytes`).join(', ')}`);
  const sources = [
    { what: 'config-service output', text: mesh.config.output() },
    { what: 'proxy output', text: mesh.proxy.output() },
    { what: 'health-agent output', text: agent.output() },
    { what: 'OTLP spans', text: JSON.stringify(rx.spans) },
    ...extra,
  ];
  for (const s of sources) {
    const lines = s.text.split('\n');
    for (const line of lines) {
      const hit = needles.find((n) => line.includes(n));
      assert.equal(hit, undefined, `${s.what} holds key material: ${line.slice(0, 300)}`);
    }
    assert.ok(!/PRIVATE KEY-----\s*\S/.test(s.text.replace(/"-----BEGIN PRIVATE KEY-----"|"-----BEGIN RSA PRIVATE KEY-----"/g, '')), `${s.what} holds a PEM private key block`);
  }
});
