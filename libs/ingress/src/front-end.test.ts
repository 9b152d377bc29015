import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildMeshConfig } from './build-mesh-config.ts';
import { asString } from './fields.ts';
import type { FrontEnd, FrontEndInput } from './front-end.ts';
import { build, hostRule, ingressV1, WEB } from './test-helpers.ts';

const WIDGET = 'apiVersion: example.io/v1\nkind: Widget\nmetadata: {name: w}\nspec: {path: /w}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\ndata: {a: b}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: "Not Valid"}\n';

function widgets(seen: { input?: FrontEndInput }): FrontEnd {
  return {
    kinds: { Widget: ['example.io/v1'] },
    clusterScoped: [],
    observes: { ConfigMap: ['v1'] },
    validate: (h) => {
      const path = asString((h.raw.data.spec as { path?: unknown } | undefined)?.path, ['spec', 'path'], h.report);
      if (path === undefined) h.report.error(['spec', 'path'], 'required');
      return { path };
    },
    build: (input) => {
      seen.input = input;
      const rules = input.objects.filter((o) => o.ok).map((o) => ({ host: '', path: (o.parsed as { path: string }).path, pathType: 'Prefix' as const, backend: input.backend('default', 'svc', 80).cfg.id, ingress: `Widget ${o.h.name}`, id: `w/${o.h.name}`, listener: { ports: [80], hostname: '' } }));
      return { rules, tls: [], warnings: [], ingressNotes: new Map() };
    },
  };
}

test('a front end reads its kinds, observes others silently, and adds rules and backends to the model', () => {
  const seen: { input?: FrontEndInput } = {};
  const cfg = buildMeshConfig([{ path: 'w.yaml', text: WIDGET }], { frontEnds: [widgets(seen)] });
  assert.deepEqual(cfg.rules.map((r) => [r.path, r.backend, r.id]), [['/w', 'default/svc:80', 'w/w']]);
  assert.deepEqual(cfg.backends.map((b) => b.id), ['default/svc:80']);
  assert.deepEqual(seen.input!.observed.map((h) => h.name), ['cm'], 'a ConfigMap whose header is bad is skipped, not reported');
  assert.deepEqual(cfg.errors, [], 'a missing Service is the front end\'s to report (as a status), not an error of the build');
});

test("a front end's own kind is validated like any (file, line, field); without the front end it is an unknown kind", () => {
  const bad = 'apiVersion: example.io/v1\nkind: Widget\nmetadata: {name: w}\nspec: {path: 7}\n';
  const cfg = buildMeshConfig([{ path: 'w.yaml', text: bad }], { frontEnds: [widgets({})] });
  assert.equal(cfg.errors[0]!.field, 'spec.path');
  assert.equal(cfg.rules.length, 0);
  const plain = buildMeshConfig([{ path: 'w.yaml', text: WIDGET }]);
  assert.match(plain.errors[0]!.message, /^unknown kind "Widget"/);
  assert.equal(plain.errors.length, 1, 'ConfigMaps are still skipped silently');
});

test('a ConfigMap a front end observes is read for custom-headers all the same', () => {
  const seen: { input?: FrontEndInput } = {};
  const cm = 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: headers}\ndata: {X-Frame-Options: DENY}\n';
  const ing = ingressV1('i', hostRule('a.example'), '  annotations: {nginx.ingress.kubernetes.io/custom-headers: headers}\n');
  for (const frontEnds of [[widgets(seen)], []]) {
    const cfg = build({ 'web.yaml': WEB, 'cm.yaml': cm, 'i.yaml': ing }, { frontEnds });
    assert.deepEqual(cfg.errors, [], frontEnds.length ? 'with a front end' : 'without');
    assert.deepEqual(cfg.rules[0]!.policy!.responseHeaders, { set: [{ name: 'x-frame-options', value: 'DENY' }] });
  }
  assert.deepEqual(seen.input!.observed.map((h) => h.name), ['headers'], 'the front end still sees it');
});
