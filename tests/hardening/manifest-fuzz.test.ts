/**
 * Manifest fuzzing (issue 9, item 3): hostile and broken manifests give a
 * clear error or a correct result, never a crash or a hang. Every case runs
 * buildMeshConfig in a worker thread with a deadline (a synchronous hang
 * cannot be interrupted otherwise) and is checked against the invariants in
 * fuzz/invariants.ts.
 *
 * Replay a property-test failure: MESHGATE_FUZZ_SEED=<seed> (printed on
 * failure); more runs: MESHGATE_FUZZ_RUNS=5000.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadManifestDir, type SourceFile } from '@meshgate/ingress';
import { BoundedBuilder, type Outcome } from './fuzz/bounded-builder.ts';
import { mutate, wrongTypesEverywhere } from './fuzz/mutate.ts';
import { Prng } from './fuzz/prng.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SEED_DIR = path.join(ROOT, 'infra/examples/seed');
/** The seed manifests plus Endpoints, an EndpointSlice, an IngressClass and a v1 Ingress with TLS and a default backend. */
const seed: SourceFile[] = [
  ...loadManifestDir(SEED_DIR).map((f) => ({ path: path.relative(ROOT, f.path), text: f.text })),
  { path: 'extra/v1.yaml', text: `apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: mesh}
spec: {controller: meshgate.dev/ingress-controller}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop, annotations: {meshgate.dev/health-path: /healthz}}
spec:
  ports: [{name: http, port: 80, targetPort: web}]
---
apiVersion: v1
kind: Endpoints
metadata: {name: web, namespace: shop}
subsets:
- addresses: [{ip: 10.0.0.1}, {ip: "fd00::1"}]
  ports: [{name: web, port: 8080}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: web-abc, namespace: shop, labels: {kubernetes.io/service-name: web}}
addressType: IPv4
endpoints: [{addresses: [10.0.0.2], conditions: {ready: true}}]
ports: [{name: web, port: 8080}]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: shop, namespace: shop, annotations: {meshgate.dev/load-balance: round-robin}}
spec:
  ingressClassName: mesh
  defaultBackend: {service: {name: web, port: {name: http}}}
  tls: [{hosts: [shop.example.com, "*.shop.example.com"], secretName: hello-ingress-secret}]
  rules:
  - host: shop.example.com
    http:
      paths:
      - {path: /cart, pathType: Exact, backend: {service: {name: web, port: {number: 80}}}}
      - {path: /api/, pathType: Prefix, backend: {service: {name: web, port: {name: http}}}}
` },
];
/** Key material of the seed's Secret: no error may contain a piece of it. */
const secretNeedles = (() => {
  const data = fs.readFileSync(path.join(SEED_DIR, 'hello-ingress-secret.yaml'), 'utf8');
  const b64 = /tls\.key:\s*(\S+)/.exec(data)![1]!;
  const body = Buffer.from(b64, 'base64').toString('utf8').replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, '');
  const out: string[] = [];
  for (const s of [b64, body]) for (let i = 0; i + 16 <= s.length; i += 16) out.push(s.slice(i, i + 16));
  return out;
})();

const builder = new BoundedBuilder();
after(() => builder.close());

/** The case must finish within its deadline, not throw, and keep every invariant. */
function assertClean(what: string, o: Outcome): Extract<Outcome, { kind: 'done' }> {
  assert.notEqual(o.kind, 'hung', `${what}: no answer within the deadline (${Math.round(o.ms)} ms): a hang`);
  if (o.kind === 'died') assert.fail(`${what}: the build thread died: ${o.error}`);
  if (o.kind !== 'done') throw new Error('unreachable');
  assert.equal(o.threw, undefined, `${what}: buildMeshConfig threw: ${o.threw}`);
  assert.deepEqual(o.violations, [], `${what}: invariants`);
  return o;
}

const one = (text: string, p = 'case.yaml'): SourceFile[] => [{ path: p, text }];
const ingressDoc = (i: number, pathValue = '/') => `---\napiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: i${i}}\nspec:\n  rules:\n  - host: h${i}.example.com\n    http:\n      paths:\n      - {path: ${pathValue}, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}\n`;
const WEB = '---\napiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {ports: [{port: 80}]}\n---\napiVersion: v1\nkind: Endpoints\nmetadata: {name: web}\nsubsets: [{addresses: [{ip: 10.0.0.1}], ports: [{port: 80}]}]\n';

interface Case {
  name: string;
  files: () => SourceFile[];
  /** An error must mention this (a clear error), or the result must be as described. */
  error?: RegExp;
  rules?: number;
  deadlineMs?: number;
}

const r = new Prng(7);
const billionLaughs = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
for (let i = 1; i < 10; i++) billionLaughs.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9).fill(`*${String.fromCharCode(96 + i)}`).join(',')}]`);

const cases: Case[] = [
  { name: 'YAML alias bomb ("billion laughs")', files: () => one(billionLaughs.join('\n')), error: /resource exhaustion/ },
  { name: 'merge-key alias bomb', files: () => one('a: &a {x: 1}\nb: &b {<<: [*a,*a,*a,*a,*a,*a,*a,*a]}\nc: &c {<<: [*b,*b,*b,*b,*b,*b,*b,*b]}\nd: &d {<<: [*c,*c,*c,*c,*c,*c,*c,*c]}\ne: {<<: [*d,*d,*d,*d,*d,*d,*d,*d]}\n'), error: /resource exhaustion/ },
  { name: 'alias bomb inside an Ingress', files: () => one(`apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: x, annotations: &a {a: "1"}}\nspec: {rules: [${Array(200).fill('{host: *a}').join(',')}]}\n`), error: /resource exhaustion|must be a string/ },
  { name: 'unresolved alias and recursive alias', files: () => one('a: *nope\n---\na: &x [*x]\n'), error: /alias|YAML/ },
  { name: 'flow nesting 20,000 deep', files: () => one(`a: ${'['.repeat(20_000)}${']'.repeat(20_000)}`), error: /nested too deeply|invalid YAML/ },
  { name: 'block nesting 3,000 deep', files: () => one(Array.from({ length: 3_000 }, (_, i) => `${' '.repeat(i)}a:`).join('\n') + ' 1'), error: /nested too deeply|invalid YAML|kind/ },
  { name: 'JSON nesting 100,000 deep', files: () => one(`{"kind":${'['.repeat(100_000)}${']'.repeat(100_000)}}`, 'deep.json'), error: /nested too deeply|invalid YAML|kind/ },
  { name: 'binary garbage (1 MB of random bytes)', files: () => one(r.bytes(1 << 20).toString('utf8')), error: /binary file|not a Kubernetes object|invalid YAML/ },
  { name: 'random bytes without NUL, read as latin1', files: () => one(r.bytes(100_000).toString('latin1').replaceAll('\0', '.')), error: /./ },
  { name: 'NUL bytes', files: () => one('apiVersion: v1\0kind: Service'), error: /binary file/ },
  { name: 'a UTF-8 BOM and CRLF line ends are fine', files: () => one(`\ufeff${WEB}${ingressDoc(1)}`.replaceAll('\n', '\r\n')), rules: 1 },
  { name: 'UTF-16 file', files: () => one(Buffer.from(WEB, 'utf16le').toString('utf8')), error: /binary file/ },
  { name: 'tabs for indentation', files: () => one('apiVersion: v1\nkind: Service\nmetadata:\n\tname: x\n'), error: /invalid YAML/ },
  { name: 'unterminated quote and flow', files: () => one('apiVersion: "v1\nkind: {Service\n'), error: /invalid YAML/ },
  { name: 'duplicate keys', files: () => one('apiVersion: v1\nkind: Service\nkind: Endpoints\nmetadata: {name: x}\n'), error: /unique/ },
  { name: 'YAML directives and unknown tags', files: () => one('%YAML 9.9\n%FOO bar\n---\napiVersion: !!binary aGk=\nkind: !custom Service\nmetadata: !!set {name: x}\n'), error: /./ },
  { name: '10,000 colons on one line (error count capped)', files: () => one('a: '.repeat(10_000)), error: /more error\(s\) in this document|invalid YAML/ },
  { name: '20,000 broken documents', files: () => one('---\n[\n'.repeat(20_000)), error: /invalid YAML/ },
  { name: '100,000 empty documents', files: () => one('---\n'.repeat(100_000)), rules: 0 },
  { name: 'a 5 MB annotation value', files: () => one(`${WEB}---\napiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: big, annotations: {x: "${'a'.repeat(5 << 20)}"}}\nspec: {defaultBackend: {service: {name: web, port: {number: 80}}}}\n`), rules: 0 },
  { name: 'a 1 MB host name (error clipped)', files: () => one(`${WEB}${ingressDoc(1).replace('h1.example.com', 'h'.repeat(1 << 20))}`), error: /characters\)/ },
  { name: 'one Ingress with 20,000 paths', files: () => one(`${WEB}---\napiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: big}\nspec:\n  rules:\n  - http:\n      paths:\n${Array.from({ length: 20_000 }, (_, i) => `      - {path: /p${i}, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}`).join('\n')}\n`), rules: 20_000, deadlineMs: 60_000 },
  { name: '5,000 Ingresses as YAML documents', files: () => one(WEB + Array.from({ length: 5_000 }, (_, i) => ingressDoc(i)).join('')), rules: 5_000, deadlineMs: 60_000 },
  { name: '100,000 objects (a kubectl -o json List): correct result', files: () => one(hundredThousandObjects(), 'dump.json'), rules: Math.ceil(100_000 / 3), deadlineMs: 60_000 },
  { name: '100,000 objects of which half are rejected Ingresses', files: () => one(JSON.stringify({ apiVersion: 'v1', kind: 'List', items: Array.from({ length: 100_000 }, (_, i) => ({ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: `i${i}` }, spec: i % 2 ? { rules: [{ http: { paths: [{ path: 'no-slash', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] } }] } : {} })) }), 'dump.json'), error: /must start with "\/"/, deadlineMs: 120_000 },
  { name: '3,000 copies of one Ingress (duplicates)', files: () => one(WEB + ingressDoc(0).repeat(3_000)), error: /duplicate Ingress default\/i0/, rules: 1, deadlineMs: 60_000 },
  { name: 'control characters and CR/LF in values do not reach messages raw', files: () => one(`${WEB}${ingressDoc(1).replace('h1.example.com', '"h1.example.com\\r\\nFAKE: log line\\u001b[31m"')}`), error: /must be a DNS-1123 subdomain|host/ },
  { name: 'prototype keys', files: () => one(`${WEB}---\napiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: p, __proto__: {polluted: 1}, constructor: {prototype: {x: 1}}, annotations: {__proto__: "x"}}\nspec: {defaultBackend: {service: {name: web, port: {number: 80}}}, __proto__: {rules: 1}}\n`), rules: 0 },
  { name: 'a List whose items are not objects', files: () => one('{"apiVersion":"v1","kind":"List","items":[1,"x",null,[]]}', 'l.json'), error: /list item is not a Kubernetes object/ },
];

function hundredThousandObjects(): string {
  const items: unknown[] = [];
  for (let i = 0; i < 100_000 / 3; i++) {
    items.push(
      { apiVersion: 'v1', kind: 'Service', metadata: { name: `s${i}`, namespace: `ns${i % 100}` }, spec: { ports: [{ name: 'http', port: 80, targetPort: 8080 }] } },
      { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: `s${i}`, namespace: `ns${i % 100}` }, subsets: [{ addresses: [{ ip: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}` }], ports: [{ name: 'http', port: 8080 }] }] },
      { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: `i${i}`, namespace: `ns${i % 100}` }, spec: { rules: [{ host: `h${i}.example.com`, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: `s${i}`, port: { number: 80 } } } }] } }] } },
    );
  }
  return JSON.stringify({ apiVersion: 'v1', kind: 'List', items }, null, 1);
}

for (const c of cases) {
  test(`hostile manifest: ${c.name}`, async (t) => {
    const files = c.files();
    const o = assertClean(c.name, await builder.build(files, { deadlineMs: c.deadlineMs ?? 20_000, secrets: secretNeedles }));
    t.diagnostic(`${Math.round(o.ms)} ms, ${o.rules} rules, ${o.errors} errors; first: ${o.firstErrors[0] ?? '-'}`);
    if (c.rules !== undefined) assert.equal(o.rules, Math.floor(c.rules), `${c.name}: rules`);
    if (c.error) assert.ok(o.firstErrors.some((e) => c.error!.test(e)), `${c.name}: expected an error ~ ${c.error}; first errors: ${JSON.stringify(o.firstErrors)}`);
  });
}

test('wrong types everywhere: every field of the seed replaced by every hostile value', async (t) => {
  let n = 0;
  for (const file of seed) {
    for (const v of wrongTypesEverywhere(file)) {
      const files = seed.map((f) => (f.path === file.path ? v.file : f));
      assertClean(v.what, await builder.build(files, { deadlineMs: 10_000, secrets: secretNeedles }));
      n++;
    }
  }
  t.diagnostic(`${n} variants`);
  assert.ok(n > 500);
});

test('property: seeded random mutations of the seed manifests keep every invariant', async (t) => {
  const base = Number(process.env.MESHGATE_FUZZ_SEED ?? 20_240_917);
  const runs = Number(process.env.MESHGATE_FUZZ_RUNS ?? 300);
  const single = process.env.MESHGATE_FUZZ_SEED !== undefined && process.env.MESHGATE_FUZZ_RUNS === undefined;
  for (let i = 0; i < (single ? 1 : runs); i++) {
    const seedValue = base + i;
    const files = mutate(new Prng(seedValue), seed);
    const o = await builder.build(files, { deadlineMs: 10_000, secrets: secretNeedles, twice: i % 4 === 0 });
    assertClean(`seed ${seedValue} (replay: MESHGATE_FUZZ_SEED=${seedValue})`, o);
  }
  t.diagnostic(`${single ? 1 : runs} mutated inputs from seed ${base}`);
});

test('loadManifestDir on a hostile directory: links, loops, FIFOs, odd names, binary files', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meshgate-fuzz-dir-'));
  try {
    fs.writeFileSync(path.join(dir, 'ok.yaml'), WEB + ingressDoc(1));
    fs.symlinkSync(dir, path.join(dir, 'loop')); // a directory link to itself
    fs.mkdirSync(path.join(dir, 'sub'));
    fs.symlinkSync('..', path.join(dir, 'sub', 'up.yaml')); // a link to a directory, named like a manifest
    fs.symlinkSync('/nonexistent', path.join(dir, 'dangling.yaml'));
    fs.symlinkSync(path.join(dir, 'ok.yaml'), path.join(dir, 'sub', 'link.yml'));
    fs.writeFileSync(path.join(dir, 'bin.json'), r.bytes(4096));
    fs.writeFileSync(path.join(dir, 'sp ace,"quote\nnewline.yaml'), 'kind: [');
    fs.writeFileSync(path.join(dir, '.hidden.yaml'), 'kind: [');
    execFileSync('mkfifo', [path.join(dir, 'fifo.yaml')]); // reading it would block forever
    const files = loadManifestDir(dir);
    const names = files.map((f) => path.relative(dir, f.path)).sort();
    assert.deepEqual(names, ['bin.json', 'ok.yaml', 'sp ace,"quote\nnewline.yaml', 'sub/link.yml']);
    const o = assertClean('hostile dir', await builder.build(files, { deadlineMs: 10_000 }));
    assert.equal(o.rules, 1); // ok.yaml and its link define the same objects: duplicates, reported
    assert.ok(o.firstErrors.some((e) => /binary file/.test(e)), JSON.stringify(o.firstErrors));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
