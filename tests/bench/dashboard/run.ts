/**
 * `npm run bench dashboard`: how soon the web dashboard shows a backend
 * failure and a config change (targets: under 2 s and under 1 s), and what
 * it costs at 50 nodes and 1,000 routes (targets: a page under 1 MB, the
 * config service under 2% of one core for the updates). Writes
 * docs/benchmarks/dashboard.md and the README's screenshot, docs/dashboard.png.
 *
 *   --rounds N         failures and changes timed (default 5)
 *   --seconds N        each CPU measurement (default 30)
 *   --routes-per-node N  routes in each fake node's summary each second (default 1000: every route busy)
 *   --out FILE         (default docs/benchmarks/dashboard.md)
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pct } from '../control-plane/machine.ts';
import { measureLatency } from './latency.ts';
import { measureScale, type ScaleResult } from './scale.ts';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const arg = (name: string, def: string) => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? process.argv[i + 1]! : def; };
const rounds = Number(arg('rounds', '5'));
const seconds = Number(arg('seconds', '30'));
const perNode = Number(arg('routes-per-node', '1000'));
const out = path.resolve(ROOT, arg('out', 'docs/benchmarks/dashboard.md'));

const f = (x: number) => (Number.isFinite(x) ? (x >= 100 ? x.toFixed(0) : x.toFixed(1)) : '-');
const kb = (b: number) => `${(b / 1024).toFixed(1)} KiB`;
const row = (what: string, xs: number[]) => `| ${what} | ${f(pct(xs, 50))} | ${f(Math.max(...xs))} |`;

console.log(`dashboard latency: ${rounds} failures and ${rounds} changes on a real mesh...`);
const lat = await measureLatency(rounds, path.join(ROOT, 'docs/dashboard.png'));
console.log(JSON.stringify(lat));
const scales: ScaleResult[] = [];
for (const routesPerNode of [...new Set([perNode, 100])]) {
  console.log(`dashboard scale: 50 nodes, 1000 routes, ${routesPerNode} routes in each node's summary, ${seconds} s per measurement...`);
  const r = await measureScale({ nodes: 50, routesPerNode, seconds });
  console.log(JSON.stringify(r));
  scales.push(r);
}

const md = `# Dashboard

How soon the web dashboard (\`meshgate config-service --dashboard\`,
\`meshgate up\`) shows what happens, and what it costs. \`npm run bench
dashboard\` (entry \`tests/bench/dashboard/run.ts\`); last run ${new Date().toISOString().slice(0, 10)} on
${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'unknown CPU'}), shared with other work: timings are noisy.

## Latency (targets: a backend failure under 2 s, a config change under 1 s)

A real mesh (tests/dashboard/mesh.ts: nats-server with auth.conf's logins,
the config service, two proxy nodes, a health agent at its shipped
\`--interval 300\` and \`--fall 2\`, the demo backends, 30 requests a second),
the dashboard open in headless Chromium. Times in ms, taken in the page
(\`Date.now()\` once its DOM shows the change), ${rounds} rounds each:

| from -> to | median | max |
| --- | --- | --- |
${row('backend SIGKILLed -> page shows it unhealthy', lat.failure.map((x) => x.total))}
${row('  of which: kill -> the agent\'s verdict (probes, fall 2)', lat.failure.map((x) => x.agent))}
${row('  of which: verdict -> page', lat.failure.map((x) => x.page))}
${row('manifest written -> page shows the new version', lat.change.map((x) => x.total))}
${row('  of which: written -> published (watcher, build, store)', lat.change.map((x) => x.publish))}
${row('  of which: published -> page', lat.change.map((x) => x.page))}

## Scale (targets: the page under 1 MB, updates under 2% of one core)

50 nodes (lightweight fake publishers over a real nats-server: a heartbeat
and a traffic summary each second, an ACK of every version) and 1,000
routes (100 Ingresses of 10 paths, each path to a Service of its own, one
endpoint each); a fake agent answers health.v1.status and broadcasts its
full view every 5 s. The config service's CPU (user + system, /proc) over
${seconds} s, after 10 s of warm-up:

| summaries carry | page: HTML + scripts + CSS + first state | stream to a page | CPU, no dashboard | CPU, dashboard, no page | CPU, dashboard, pages open |
| --- | --- | --- | --- | --- | --- |
${scales.map((s) => `| ${s.routesPerNode} routes per node a second | ${kb(s.page.html)} + ${kb(s.page.scripts)} + ${kb(s.page.styles)} + ${kb(s.page.state)} = **${kb(s.page.total)}** | ${kb(s.streamBytesPerSecond)}/s | ${f(s.cpu.off)}% | ${f(s.cpu.noPage)}% | ${f(s.cpu.page)}% |`).join('\n')}

"Pages open": Chromium's and a byte counter reading the same stream. The
dashboard's own cost is the difference from "no dashboard" (which is the
config service hearing 50 nodes' heartbeats and ACKs).
`;
fs.mkdirSync(path.dirname(out), { recursive: true });
fs.writeFileSync(out, md);
console.log(md);
process.exit(0);
