// Micro benchmark: RouteTable.find ns/op at 10, 1,000 and 10,000 rules, and
// compile time + heap for 10,000 rules; the same for Gateway API rules
// (listener scope, header conditions), and an Ingress-only table looked up
// with the port and request view the data plane passes (must cost the same).
// Run: node_modules/.bin/node --expose-gc libs/routing/bench/route-table.bench.ts
// Targets: lookup at 10k <= 1.5x lookup at 10; compile 10k < 200 ms.
// Two lookup figures per size: "hot" replays the same 10 distinct requests (same rule shapes)
// whatever the table size (measures the algorithm: the target applies to
// it); "spread" cycles through 4,096 requests over the whole table, so at
// 10k rules it also pays CPU cache misses that a 10-rule table never has.
import type { RouteRule } from '@meshgate/ingress';
import { RouteTable, type RequestView } from '../src/index.ts';

const gc = (globalThis as { gc?: () => void }).gc;

/** Mix: 10 rules per host, Exact + Prefix + IS glob, every 7th rule on a wildcard host; shapes depend only on the rule index. */
function makeRules(n: number): RouteRule[] {
  const hosts = Math.max(1, Math.floor(n / 10));
  const rules: RouteRule[] = [];
  for (let i = 0; i < n; i++) {
    const h = i % hosts;
    const host = i % 7 === 3 ? `*.w${h}.example.com` : `h${h}.example.com`;
    const kind = i % 3;
    rules.push({
      host,
      path: kind === 0 ? `/api/v${i}/items` : kind === 1 ? `/svc${i}` : `/static${i}/*`,
      pathType: kind === 0 ? 'Exact' : kind === 1 ? 'Prefix' : 'ImplementationSpecific',
      backend: `ns/svc${i}:80`,
      ingress: `ns/ing${h}`,
    });
  }
  rules.push({ host: '', path: '/', pathType: 'Prefix', backend: 'ns/fallback:80', ingress: 'ns/any' });
  return rules;
}

/** `count` requests; when count <= 10 they target rules 0..count-1, the same shapes at every table size. */
function makeRequests(rules: RouteRule[], count: number): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i < count; i++) {
    const r = rules[count <= 10 ? i : (i * 7919) % (rules.length - 1)];
    const host = r.host.startsWith('*.') ? `api${r.host.slice(1)}:8080` : i % 4 === 0 ? r.host.toUpperCase() : r.host;
    const path = r.pathType === 'Exact' ? r.path : r.pathType === 'Prefix' ? `${r.path}/a/b/c` : `${r.path.slice(0, -1)}x/y`;
    out.push([host, i % 10 === 9 ? '/unknown/deep/path/here' : path]);
  }
  return out;
}

/** Gateway API rules of the same shapes: one listener per port 80, every 5th rule with a header condition. */
function makeGatewayRules(n: number): RouteRule[] {
  return makeRules(n).map((r, i) => ({
    ...r, pathType: r.pathType === 'ImplementationSpecific' ? 'Prefix' : r.pathType, path: r.path.replace('/*', ''),
    id: `HTTPRoute:ns/r${i}#0.0`, listener: { ports: [80], hostname: '' }, backends: [{ backend: r.backend, weight: 1 }],
    precedence: [r.pathType === 'Exact' ? 0 : 2, -r.path.length, 1, i % 5 === 0 ? -1 : 0, 0, i],
    ...(i % 5 === 0 ? { conditions: { headers: [{ name: 'x-version', type: 'Exact' as const, value: 'v1' }] } } : {}),
  }));
}

/** What the data plane passes: one object, reused. */
const view: RequestView = { method: 'GET', query: '', header: (name) => (name === 'x-version' ? 'v1' : undefined) };

function lookupNs(n: number, distinct: number, mode: 'ingress' | 'ingress+args' | 'gateway' = 'ingress'): number {
  const rules = mode === 'gateway' ? makeGatewayRules(n) : makeRules(n);
  const table = RouteTable.compile({ rules });
  const some = makeRequests(rules, distinct);
  const reqs = Array.from({ length: 4096 }, (_, i) => some[i % distinct]);
  let sink = 0;
  const run = mode === 'ingress' ? (iters: number) => {
    for (let i = 0; i < iters; i++) {
      const [h, p] = reqs[i & 4095];
      sink += table.find(h, p) === undefined ? 0 : 1;
    }
  } : (iters: number) => {
    for (let i = 0; i < iters; i++) {
      const [h, p] = reqs[i & 4095];
      sink += table.find(h, p, 80, view) === undefined ? 0 : 1;
    }
  };
  run(200_000); // warm up the JIT
  const iters = 2_000_000;
  const t0 = process.hrtime.bigint();
  run(iters);
  const ns = Number(process.hrtime.bigint() - t0) / iters;
  if (sink === 0) throw new Error('no route matched: benchmark is broken');
  return ns;
}

const results: Record<number, number> = {};
for (const n of [10, 1_000, 10_000]) {
  results[n] = lookupNs(n, 10);
  const spread = lookupNs(n, 4096);
  console.log(`lookup ${String(n).padStart(6)} rules: ${results[n].toFixed(1)} ns/op hot, ${spread.toFixed(1)} ns/op spread`);
}

const rules10k = makeRules(10_000);
gc?.();
const heap0 = process.memoryUsage().heapUsed;
const t0 = performance.now();
const table = RouteTable.compile({ rules: rules10k });
const compileMs = performance.now() - t0;
gc?.();
const heapMb = (process.memoryUsage().heapUsed - heap0) / 1024 / 1024;
console.log(`compile 10000 rules: ${compileMs.toFixed(1)} ms, heap ${heapMb.toFixed(2)} MB${gc ? '' : ' (run with --expose-gc for an exact heap figure)'} (size ${table.size})`);
const ratio = results[10_000] / results[10];
console.log(`hot lookup ratio 10k/10: ${ratio.toFixed(2)} (target <= 1.5); compile target < 200 ms`);

// An Ingress-only table, looked up as the data plane will (listener port, request view): the Gateway API part is skipped.
for (const n of [10, 10_000]) console.log(`ingress-only with port+view ${String(n).padStart(6)} rules: ${lookupNs(n, 10, 'ingress+args').toFixed(1)} ns/op hot (without: ${results[n].toFixed(1)})`);
const gw: Record<number, number> = {};
for (const n of [10, 1_000, 10_000]) {
  gw[n] = lookupNs(n, 10, 'gateway');
  console.log(`gateway lookup ${String(n).padStart(6)} rules: ${gw[n].toFixed(1)} ns/op hot, ${lookupNs(n, 4096, 'gateway').toFixed(1)} ns/op spread`);
}
const g0 = performance.now();
RouteTable.compile({ rules: makeGatewayRules(10_000) });
const gwCompileMs = performance.now() - g0;
console.log(`gateway compile 10000 rules: ${gwCompileMs.toFixed(1)} ms; hot lookup ratio 10k/10: ${(gw[10_000] / gw[10]).toFixed(2)} (target <= 1.5)`);
if (ratio > 1.5 || compileMs >= 200 || gw[10_000] / gw[10] > 1.5 || gwCompileMs >= 500) process.exitCode = 1;
