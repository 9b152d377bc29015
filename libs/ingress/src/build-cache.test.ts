import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BuildCache } from './build-cache.ts';
import { buildMeshConfig } from './build-mesh-config.ts';
import { splitDocuments } from './split-documents.ts';
import { makeTestCert } from './test-certs.ts';
import { ingressV1, WEB } from './test-helpers.ts';
import type { SourceFile } from './types.ts';

const path = (p: string, name = 'web') => `      - path: ${p}\n        pathType: Prefix\n        backend: {service: {name: ${name}, port: {number: 80}}}\n`;
const ingress = (name: string, paths: string[], meta = '') => ingressV1(name, `  rules:\n  - http:\n      paths:\n${paths.join('')}`, meta);

test('splitDocuments: cuts at document markers only, keeping each chunk\'s first line', () => {
  const text = 'a: 1\n---\nb: |\n  ----\n  --- not at line start\n--- # comment\nc: 3\n---\n';
  const chunks = splitDocuments(text);
  assert.deepEqual(chunks.map(({ text: t, line }) => ({ text: t, line })), [
    { text: 'a: 1\n', line: 1 },
    { text: '---\nb: |\n  ----\n  --- not at line start\n', line: 2 },
    { text: '--- # comment\nc: 3\n', line: 6 },
    { text: '---\n', line: 8 },
  ]);
  for (const c of chunks) assert.equal(text.slice(c.offset, c.offset + c.text.length), c.text);
  assert.deepEqual(splitDocuments('---\na: 1\n----\n---x\n'), [{ text: '---\na: 1\n----\n---x\n', line: 1, offset: 0 }]);
  // A directive applies to the document after the marker: such a stream stays whole.
  assert.equal(splitDocuments('%YAML 1.2\n---\na: 1\n---\nb: 2\n').length, 1);
  assert.equal(splitDocuments('a: 1\r\n---\r\nb: 2\r\n').length, 2);
});

test('a cached build equals an uncached one through a series of edits; only changed documents are parsed again', () => {
  const { cert, key } = makeTestCert({ cn: 'shop.example.com' });
  const secret = `apiVersion: v1\nkind: Secret\nmetadata: {name: tls}\ntype: kubernetes.io/tls\nstringData:\n  tls.crt: |\n${cert.trim().split('\n').map((l) => `    ${l}`).join('\n')}\n  tls.key: |\n${key.trim().split('\n').map((l) => `    ${l}`).join('\n')}\n`;
  const many = Array.from({ length: 30 }, (_, i) => ingress(`i${i}`, [path(`/p${i}`), path(`/q${i}`)])).join('---\n');
  const steps: SourceFile[][] = [
    [{ path: 'web.yaml', text: WEB }, { path: 'many.yaml', text: many }, { path: 'tls.yaml', text: secret }],
    // One document of many edited: a bad path (error line inside that document).
    [{ path: 'web.yaml', text: WEB }, { path: 'many.yaml', text: many.replace('path: /p7\n', 'path: p7\n') }, { path: 'tls.yaml', text: secret }],
    // A document above grows: every later document moves down, errors must follow.
    [{ path: 'web.yaml', text: WEB }, { path: 'many.yaml', text: many.replace('path: /p7\n', 'path: p7\n').replace(path('/p2'), path('/p2') + path('/extra')) }, { path: 'tls.yaml', text: secret }],
    // A duplicate, a conflict, a missing Service, a YAML syntax error in one document.
    [{ path: 'web.yaml', text: WEB }, { path: 'many.yaml', text: `${many}---\n${ingress('i3', [path('/dup')])}---\n${ingress('z', [path('/p4'), path('/r', 'ghost')])}---\nkind: [\n` }, { path: 'tls.yaml', text: secret }],
    // The Service goes away, the TLS Secret breaks.
    [{ path: 'many.yaml', text: many }, { path: 'tls.yaml', text: secret.replace('kubernetes.io/tls', 'Opaque') }],
    [{ path: 'web.yaml', text: WEB }, { path: 'many.yaml', text: many }, { path: 'tls.yaml', text: secret }],
  ];
  const cache = new BuildCache();
  const now = Date.now();
  for (const [i, files] of steps.entries()) {
    const cached = buildMeshConfig(files, { cache, now });
    const fresh = buildMeshConfig(files, { now });
    assert.deepEqual(cached, fresh, `step ${i}`);
    assert.deepEqual(JSON.parse(JSON.stringify(cached)), fresh, `step ${i}: plain data`);
    if (i === 1) {
      assert.equal(cache.stats.parsedDocuments, 1, 'step 1: only the edited document is parsed');
      assert.equal(cache.stats.validatedObjects, 1, 'step 1: only the edited object is validated');
      const err = cached.errors.find((e) => e.name === 'i7');
      assert.equal(err?.line, many.split('\n').indexOf('      - path: /p7') + 1);
    }
    if (i === 2) assert.equal(cache.stats.parsedDocuments, 1, 'step 2: only the grown document is parsed; the ones below only move');
  }
  assert.ok(steps[3] && buildMeshConfig(steps[3], { cache, now }).errors.some((e) => /invalid YAML/.test(e.message)));
});

test('a cached TLS Secret is checked against the clock again once it has moved on', () => {
  const { cert, key } = makeTestCert({ cn: 'a.example.com', days: 1 });
  const secret = `apiVersion: v1\nkind: Secret\nmetadata: {name: tls}\ntype: kubernetes.io/tls\nstringData: ${JSON.stringify({ 'tls.crt': cert, 'tls.key': key })}\n`;
  const files = [{ path: 's.yaml', text: secret }, { path: 'i.yaml', text: ingressV1('i', `  tls: [{secretName: tls}]\n  rules:\n  - http:\n      paths:\n${path('/')}`) }, { path: 'web.yaml', text: WEB }];
  const cache = new BuildCache();
  const now = Date.now();
  assert.equal(buildMeshConfig(files, { cache, now }).tls.length, 1);
  const later = buildMeshConfig(files, { cache, now: now + 3 * 86_400_000 });
  assert.equal(later.tls.length, 0);
  assert.match(later.errors.map((e) => e.message).join('\n'), /expired/);
});
