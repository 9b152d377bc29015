// Every field of upstream's Gateway API manifests replaced by a wrong type
// or a hostile value: the build never throws, and what it reports names a
// field. (The Ingress kinds have the same check in tests/hardening.)
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseAllDocuments, stringify } from 'yaml';
import { buildMeshConfigWithGatewayApi } from '@meshgate/gateway-api';
import { upstream } from './harness.ts';

const FILES = [
  'tests/httproute-matching.yaml', 'tests/httproute-query-param-matching.yaml', 'tests/httproute-rewrite-path.yaml', 'tests/httproute-redirect-port-and-scheme.yaml',
  'tests/httproute-request-mirror.yaml', 'tests/httproute-cors.yaml', 'tests/httproute-timeout-request.yaml', 'tests/httproute-retry.yaml',
  'tests/grpcroute-exact-method-matching.yaml', 'tests/grpcroute-header-matching.yaml', 'tests/gateway-with-attached-routes.yaml',
  'tests/gateway-secret-reference-grant-specific.yaml', 'tests/backendtlspolicy-conflict-resolution.yaml', 'tests/httproute-hostname-intersection.yaml',
];
const HOSTILE: unknown[] = [null, [], {}, 7, -1, 'x', true, '*', '/../..', 'a'.repeat(5000), [{}], { __proto__: { x: 1 } }];

function paths(v: unknown, at: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  if (at.length > 0) out.push(at);
  if (Array.isArray(v)) v.forEach((x, i) => paths(x, [...at, i], out));
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) paths(x, [...at, k], out);
  return out;
}

function replaced(doc: Record<string, unknown>, at: (string | number)[], value: unknown): Record<string, unknown> {
  const copy = structuredClone(doc);
  let o = copy as Record<string | number, unknown>;
  for (const k of at.slice(0, -1)) o = o[k] as Record<string | number, unknown>;
  o[at.at(-1)!] = value;
  return copy;
}

test('hostile values in every field of Gateway API objects: no crash, every error names where', () => {
  let builds = 0;
  for (const file of FILES) {
    const docs = parseAllDocuments(upstream(file)).map((d) => d.toJS() as Record<string, unknown>).filter((d) => d && String(d.apiVersion).startsWith('gateway.networking.k8s.io/'));
    for (const [i, doc] of docs.entries()) {
      const all = paths(doc).filter((p) => p[0] !== 'apiVersion' && p[0] !== 'kind');
      all.forEach((at, j) => {
        const value = HOSTILE[(i + j) % HOSTILE.length];
        const text = docs.map((d, k) => stringify(k === i ? replaced(d, at, value) : d)).join('---\n');
        let cfg;
        try {
          cfg = buildMeshConfigWithGatewayApi([{ path: file, text }]);
        } catch (err) {
          assert.fail(`${file} doc ${i} ${at.join('.')} = ${JSON.stringify(value)?.slice(0, 40)}: the build threw ${(err as Error).stack}`);
        }
        builds++;
        for (const e of cfg.errors) assert.ok(e.file === file && e.message.length > 0, JSON.stringify(e));
      });
    }
  }
  assert.ok(builds > 500, `${builds} builds`);
});
