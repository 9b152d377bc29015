/**
 * `npm run bench [name ...]`: runs the project's benchmarks one after the
 * other (never at the same time: they share 2 cores). Each writes its
 * numbers, with the command that produced them, under docs/benchmarks/.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '../..');
const BENCHES: Record<string, { script: string; args?: string[]; about: string }> = {
  'routing': { script: 'libs/routing/bench/route-table.bench.ts', args: ['--expose-gc'], about: 'route table lookup and compile' },
  'data-plane': { script: 'tests/bench/data-plane/run.ts', about: 'meshgate vs nginx, HAProxy and a plain undici proxy' },
  'control-plane': { script: 'tests/bench/control-plane/run.ts', about: 'snapshot propagation to 1, 10, 50 nodes' },
  'health': { script: 'tests/bench/health/run.ts', about: 'probe scheduling at 10,000 endpoints, failure detection and recovery' },
  'tracing': { script: 'tests/bench/tracing/run.ts', about: 'throughput cost of tracing at 1% and 100% sampling' },
  'dashboard': { script: 'tests/bench/dashboard/run.ts', about: 'dashboard latency (failure, change) and cost at 50 nodes, 1,000 routes' },
  'cluster-limits': { script: 'tests/bench/cluster-limits/run.ts', about: 'a 300 req/s rate limit held across 3 proxy nodes, 1,000 req/s offered' },
};

const wanted = process.argv.slice(2);
for (const w of wanted) {
  if (!BENCHES[w]) {
    console.error(`npm run bench: unknown benchmark '${w}' (have: ${Object.keys(BENCHES).join(', ')})`);
    process.exit(2);
  }
}
let failed = 0;
for (const [name, b] of Object.entries(BENCHES)) {
  if (wanted.length && !wanted.includes(name)) continue;
  const file = path.join(ROOT, b.script);
  if (!fs.existsSync(file)) { console.log(`\n== ${name}: not written yet (${b.script})`); continue; }
  console.log(`\n== ${name}: ${b.about}\n$ node ${[...(b.args ?? []), b.script].join(' ')}`);
  const r = spawnSync(process.execPath, [...(b.args ?? []), file], { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) { failed++; console.log(`== ${name}: exit ${r.status ?? r.signal}`); }
}
process.exit(failed ? 1 : 0);
