/**
 * What one change costs in each step of its path, in one process with no
 * NATS and no other process in the way: the floor under the propagation
 * benchmark's figures (run.ts), and what to compare when a step changes.
 *
 *   node_modules/.bin/node tests/bench/control-plane/step-costs.ts
 *
 * Per route count (same manifests as run.ts: one Ingress with N paths over
 * 20 Services), the median ms of: a cold build (every document parsed), a
 * build after a one-object change with a BuildCache (what the config service
 * does), encoding the snapshot (msgpack records, sha256, zstd), and on a
 * node: unpacking it (zstd, sha256), the structured clone the hand-off to a
 * worker makes, decoding it and compiling the RouteTable.
 */
import { buildMeshConfig, BuildCache } from '@meshgate/ingress';
import { encodeSnapshot, snapshotContentOf, unpackSnapshotBody, decodeSnapshotContent, type SnapshotContent } from '@meshgate/protocol';
import { RouteTable } from '@meshgate/routing';
console.log('| routes | cold build | cached build after a change | encode | node: unpack | hand-off clone | decode | RouteTable.compile | packed / compressed bytes |');
console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const routes of [100, 1000, 10000]) {
  const services = 20;
  const svc = Array.from({ length: services }, (_, i) => `apiVersion: v1\nkind: Service\nmetadata: { name: s${i} }\nspec: { ports: [{ name: http, port: 80, targetPort: 8080 }] }\n---\napiVersion: v1\nkind: Endpoints\nmetadata: { name: s${i} }\nsubsets: [{ addresses: [{ ip: 127.0.0.1 }], ports: [{ name: http, port: 9999 }] }]\n`).join('---\n');
  const paths = Array.from({ length: routes }, (_, i) => `      - { path: /r${i}, pathType: Prefix, backend: { service: { name: s${i % services}, port: { number: 80 } } } }`).join('\n');
  const files = [{ path: 'services.yaml', text: svc }, { path: 'routes.yaml', text: `apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: { name: bench }\nspec:\n  rules:\n  - http:\n      paths:\n${paths}\n` }];
  const cache = new BuildCache();
  const change = (i: number) => ({ path: 'c.yaml', text: `apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: { name: c }\nspec:\n  rules: [{ http: { paths: [{ path: /change-${i}, pathType: Prefix, backend: { service: { name: s0, port: { number: 80 } } } }] } }]\n` });
  const time = (f: () => unknown, n = 50) => { for (let i = 0; i < 5; i++) f(); const xs: number[] = []; for (let i = 0; i < n; i++) { const t0 = performance.now(); f(); xs.push(performance.now() - t0); } xs.sort((a, b) => a - b); return xs[n >> 1]!; };
  let t0 = performance.now(); buildMeshConfig([...files, change(0)]); const cold = performance.now() - t0;
  buildMeshConfig([...files, change(0)], { cache });
  let k = 1;
  const build = time(() => buildMeshConfig([...files, change(k++)], { cache }));
  const content = snapshotContentOf(buildMeshConfig([...files, change(k++)], { cache }));
  const encode = time(() => encodeSnapshot(content, 1));
  const snap = encodeSnapshot(content, 1);
  const unpack = time(() => unpackSnapshotBody(snap));
  const packed = unpackSnapshotBody(snap);
  const clone = time(() => structuredClone({ packed }));
  const decode = time(() => decodeSnapshotContent(packed));
  const c = decodeSnapshotContent<SnapshotContent>(packed);
  const compile = time(() => RouteTable.compile(c));
  console.log(`| ${routes} | ${cold.toFixed(1)} | ${build.toFixed(2)} | ${encode.toFixed(2)} | ${unpack.toFixed(2)} | ${clone.toFixed(3)} | ${decode.toFixed(2)} | ${compile.toFixed(2)} | ${packed.length} / ${snap.body.length} |`);
}
