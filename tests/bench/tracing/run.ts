/**
 * Throughput cost of tracing: the same proxy node (1 worker, pinned to one
 * core) measured with tracing off, at 1% and at 100% sampling, alternating in
 * rounds in one run. The OTLP sink and the upstream run on the other core
 * with wrk. Writes docs/benchmarks/tracing.md.
 *
 *   npm run bench tracing                       # 2 rounds x 10 s per setting
 *   DURATION=3 ROUNDS=1 npm run bench tracing   # smoke run
 *
 * Targets (issue 7): 1% sampling costs under 3% throughput, 100% under 15%.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePorts, startNatsServer, serviceManifest, ingressManifest, manifestFile, request, eventually, MESHGATE_BIN } from '@meshgate/testing';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const DURATION = Number(process.env.DURATION ?? 10);
const ROUNDS = Number(process.env.ROUNDS ?? 2);
const CONNS = Number(process.env.CONNS ?? 50);
const PROXY_CPU = process.env.PROXY_CPUS ?? '1';
const LOAD_CPU = process.env.LOAD_CPUS ?? '0';
const hasTaskset = spawnSync('sh', ['-c', 'command -v taskset']).status === 0;
const pin = (cpus: string, cmd: string, args: string[]) => (hasTaskset ? ['taskset', ['-c', cpus, cmd, ...args]] as const : [cmd, args] as const);

if (spawnSync('sh', ['-c', 'command -v wrk']).status !== 0) {
  console.error('bench tracing: wrk is not installed (apt-get install wrk)');
  process.exit(2);
}

const settings = [
  { name: 'off', env: {} as Record<string, string> },
  { name: '1%', env: { OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.01' } },
  { name: '100%', env: { OTEL_TRACES_SAMPLER: 'parentbased_always_on' } },
];

const nats = await startNatsServer();
const children: ChildProcess[] = [];
const cleanup = async () => { for (const c of children) c.kill('SIGTERM'); await nats.stop(); };
process.on('SIGINT', () => { void cleanup().then(() => process.exit(130)); });

// Upstream and OTLP sink: a separate Node process on the load core.
const [upPort, sinkPort] = await freePorts(2);
const upstreamSrc = `
const http = require('http');
http.createServer((q, s) => { s.writeHead(200, { 'content-type': 'text/plain', 'content-length': 33 }); s.end("Hello World! I'm User server bench"); }).listen(${upPort}, '127.0.0.1');
let spans = 0;
http.createServer((q, s) => { q.on('data', () => {}); q.on('end', () => { spans++; s.writeHead(200, { 'content-type': 'application/x-protobuf' }); s.end(); }); }).listen(${sinkPort}, '127.0.0.1');
`;
const [ucmd, uargs] = pin(LOAD_CPU, process.execPath, ['-e', upstreamSrc]);
children.push(spawn(ucmd, [...uargs], { stdio: 'inherit' }));

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meshgate-bench-tracing-'));
fs.writeFileSync(path.join(dir, 'app.yaml'), manifestFile(serviceManifest('users', [upPort]), ingressManifest('app', { '/users': 'users' })));
const config = spawn(process.execPath, [MESHGATE_BIN, 'config-service', '--nats', nats.url, '--manifests', dir, '--log-level', 'warn'], { stdio: 'inherit' });
children.push(config);

async function measure(setting: typeof settings[number]): Promise<number> {
  const [httpPort, adminPort, httpsPort] = await freePorts(3);
  const env = { ...process.env, MESHGATE_ACCESS_LOG: 'off', ...setting.env, ...(setting.name === 'off' ? {} : { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${sinkPort}` }) };
  const [pcmd, pargs] = pin(PROXY_CPU, process.execPath, [MESHGATE_BIN, 'proxy', '--nats', nats.url, '--workers', '1', '--http', `127.0.0.1:${httpPort}`, '--https', `127.0.0.1:${httpsPort}`, '--admin', `127.0.0.1:${adminPort}`, '--log-level', 'warn']);
  const proxy = spawn(pcmd, [...pargs], { stdio: 'inherit', env });
  try {
    await eventually('proxy ready', async () => (await request(`http://127.0.0.1:${adminPort}/readyz`)).status === 200, 20_000);
    const url = `http://127.0.0.1:${httpPort}/users/1`;
    const [wcmd, wargs] = pin(LOAD_CPU, 'wrk', ['-t1', `-c${CONNS}`, '-d2s', url]);
    spawnSync(wcmd, [...wargs]); // warm-up: JIT and pools
    const [mcmd, margs] = pin(LOAD_CPU, 'wrk', ['-t1', `-c${CONNS}`, `-d${DURATION}s`, url]);
    const out = spawnSync(mcmd, [...margs], { encoding: 'utf8' }).stdout;
    const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? 0);
    const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1];
    if (non2xx) console.error(`  warning: ${non2xx} non-2xx responses with tracing ${setting.name}`);
    return rps;
  } finally {
    proxy.kill('SIGTERM');
    await new Promise((r) => proxy.once('exit', r));
  }
}

const results: Record<string, number[]> = Object.fromEntries(settings.map((s) => [s.name, []]));
try {
  for (let round = 1; round <= ROUNDS; round++) {
    for (const s of settings) {
      const rps = await measure(s);
      results[s.name]!.push(rps);
      console.log(`round ${round} tracing ${s.name.padEnd(4)} ${rps.toFixed(0)} req/s`);
    }
  }
} finally {
  await cleanup();
}
fs.rmSync(dir, { recursive: true, force: true });

const best = (xs: number[]) => Math.max(...xs);
const base = best(results.off!);
const rows = settings.map((s) => {
  const r = best(results[s.name]!);
  return `| ${s.name} | ${r.toFixed(0)} | ${(r / base).toFixed(3)} | ${((1 - r / base) * 100).toFixed(1)}% |`;
});
const cmd = `DURATION=${DURATION} ROUNDS=${ROUNDS} npm run bench tracing`;
const table = [
  '| tracing | req/s (best of rounds) | vs off | cost |',
  '| --- | --- | --- | --- |',
  ...rows,
].join('\n');
console.log('\n' + table);
const doc = `# Tracing cost

\`${cmd}\` on ${new Date().toISOString().slice(0, 10)} (${os.cpus().length} cores, ${os.cpus()[0]?.model ?? ''}).
One proxy node, 1 worker pinned to CPU ${PROXY_CPU}; wrk (-t1 -c${CONNS}, ${DURATION} s after a 2 s warm-up), the
upstream and the OTLP sink on CPU ${LOAD_CPU}; plain HTTP keep-alive to \`/users/1\`. Settings alternate in
each of ${ROUNDS} round(s); the best round counts.

${table}

Targets: 1% sampling under 3% cost, 100% under 15%.
`;
fs.mkdirSync(path.join(ROOT, 'docs/benchmarks'), { recursive: true });
fs.writeFileSync(path.join(ROOT, 'docs/benchmarks/tracing.md'), doc);
console.log(`written docs/benchmarks/tracing.md`);
