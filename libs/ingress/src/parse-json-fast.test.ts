import assert from 'node:assert/strict';
import { test } from 'node:test';
import { build, WEB } from './test-helpers.ts';

const ing = (i: number, path = '/') => ({
  apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: `i${i}` },
  spec: { rules: [{ host: `h${i}.example.com`, http: { paths: [{ path, pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] } }] },
});

test('a JSON List gives the same config, lines and errors through JSON.parse as through the YAML parser', () => {
  const list = { apiVersion: 'v1', kind: 'List', items: [
    ing(0), ing(1, 'no-slash'), ing(2), { kind: 'Ingress', apiVersion: 'networking.k8s.io/v1', metadata: { name: 'q"\\[{' } },
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 's', annotations: { 'a"}]\\': 'x', n: 1.5e3 } }, spec: { ports: [{ port: 80 }, { port: true, x: [null, false, -1e-3, '\u00e9\n'] }] } },
    { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 's' }, subsets: [{ addresses: [{ ip: '10.0.0.1' }, { ip: 'nope' }], ports: [{ port: 99999 }] }] },
  ] };
  for (const text of [JSON.stringify(list, null, 2), JSON.stringify(list), JSON.stringify(list, null, '\t')]) {
    const fast = build({ 'web.yaml': WEB, 'dump.json': text });
    const slow = build({ 'web.yaml': WEB, 'dump.yaml': text });
    const rename = (s: string) => s.replaceAll('dump.yaml', 'dump.json');
    assert.deepEqual(JSON.parse(rename(JSON.stringify(slow))), fast);
    assert.ok(fast.errors.some((e) => e.field === 'spec.rules[0].http.paths[0].path' && e.line !== undefined));
  }
});

test('a single JSON object, an empty List and JSON that is not strict all load', () => {
  const one = build({ 'web.yaml': WEB, 'i.json': `\n\n${JSON.stringify(ing(0), null, 1)}` });
  assert.equal(one.rules.length, 1);
  assert.equal(one.ingresses[0]!.line, 3);
  assert.deepEqual(build({ 'l.json': '{"apiVersion":"v1","kind":"List","items":[]}' }).errors, []);
  // Not strict JSON (a comment): the YAML path reads it.
  assert.equal(build({ 'web.yaml': WEB, 'i.json': `# dump\n${JSON.stringify(ing(0))}` }).rules.length, 1);
  const bad = build({ 'l.json': '{"apiVersion":"v1","kind":"List","items":[1]}' });
  assert.match(bad.errors[0]!.message, /list item is not a Kubernetes object/);
});
