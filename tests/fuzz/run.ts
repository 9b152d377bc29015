/**
 * `npm run fuzz [-- flags]`: differential fuzzing of meshgate against nginx,
 * and hostile backends against meshgate (docs/fuzzing.md).
 *
 *   --seed N            PRNG seed (default: from the clock, printed)
 *   --duration S        seconds to run (default 60)
 *   --cases N           stop after N differential cases
 *   --hostile N         stop after N hostile-backend exchanges
 *   --modes diff,hostile
 *   --lanes N           differential cases in parallel (default 32)
 *   --hostile-lanes N   hostile backends (default 8), --clients N per lane (default 4)
 *   --findings DIR      save findings there (default tests/fuzz/findings/<time>)
 *   --quiet-ms N        how long a silent proxy is waited for (default 250)
 *   --stall-ms N        ... when the bytes frame complete requests it must answer (default 1500)
 *   --mutate F          share of cases mutated at byte level (default 0.35)
 *   --skip-known        leave out what known-findings.ts lists as open bugs
 *   --replay FILE       run one saved case (.json, or raw bytes) and show everything
 * Every flag also reads MESHGATE_FUZZ_<NAME> (e.g. MESHGATE_FUZZ_SEED).
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { KNOWN_RESTARTS } from './known-findings.ts';
import { runFuzz, startHarness } from './fuzzer.ts';
import { replay } from './replay.ts';

const spec = {
  seed: { type: 'string' }, duration: { type: 'string' }, cases: { type: 'string' }, hostile: { type: 'string' },
  modes: { type: 'string' }, lanes: { type: 'string' }, 'hostile-lanes': { type: 'string' }, clients: { type: 'string' },
  findings: { type: 'string' }, 'quiet-ms': { type: 'string' }, 'stall-ms': { type: 'string' }, mutate: { type: 'string' }, 'skip-known': { type: 'boolean' },
  replay: { type: 'string' }, help: { type: 'boolean', short: 'h' },
} as const;

function fail(msg: string): never {
  console.error(`npm run fuzz: ${msg} (see --help)`);
  process.exit(2);
}

let parsed;
try {
  parsed = parseArgs({ options: spec, allowPositionals: false }).values;
} catch (err) {
  fail((err as Error).message);
}
if (parsed.help) {
  const text = (await import('node:fs')).readFileSync(import.meta.filename, 'utf8');
  console.log(/\/\*\*([\s\S]*?)\*\//.exec(text)![1].replace(/^ \* ?/gm, '').trim());
  process.exit(0);
}
const flag = (name: keyof typeof spec): string | undefined => {
  const v = parsed[name];
  if (typeof v === 'string') return v;
  return process.env[`MESHGATE_FUZZ_${name.toUpperCase().replace(/-/g, '_')}`];
};
const num = (name: keyof typeof spec, def: number | undefined, min = 0): number | undefined => {
  const v = flag(name);
  if (v === undefined) return def;
  const n = Number(v);
  if (!Number.isFinite(n) || n < min) fail(`--${name} ${v}: must be a number >= ${min}`);
  return n;
};

if (flag('replay')) {
  process.exit(await replay(path.resolve(flag('replay')!)));
}

const seed = num('seed', Date.now() % 1_000_000_007)!;
const modes = (flag('modes') ?? 'diff,hostile').split(',').map((s) => s.trim());
for (const m of modes) if (m !== 'diff' && m !== 'hostile') fail(`--modes ${m}: use diff, hostile or both`);
const cases = num('cases', undefined);
const hostileExchanges = num('hostile', undefined);
const durationS = num('duration', cases === undefined && hostileExchanges === undefined ? 60 : undefined, 1);
const skipKnown = parsed['skip-known'] === true || process.env.MESHGATE_FUZZ_SKIP_KNOWN === '1';
const findingsDir = path.resolve(flag('findings') ?? path.join(import.meta.dirname, 'findings', new Date().toISOString().replace(/[:.]/g, '-')));

const h = await startHarness(num('lanes', 32, 1)!, num('hostile-lanes', 8, 1)!);
const stop = async () => { await h.stop(); };
process.once('SIGINT', () => { void stop().then(() => process.exit(130)); });
console.error(`fuzz: seed ${seed}; meshgate :${h.mesh.port}, nginx :${h.nginx.port}; findings in ${findingsDir}`);
try {
  const r = await runFuzz(h, {
    seed, modes: modes as ('diff' | 'hostile')[], quietMs: num('quiet-ms', 250)!, stallMs: num('stall-ms', 1500)!, maxMs: 10_000, mutateShare: num('mutate', 0.35)!,
    clientsPerLane: num('clients', 4, 1)!, findingsDir,
    ...(durationS !== undefined ? { durationS } : {}), ...(cases !== undefined ? { cases } : {}), ...(hostileExchanges !== undefined ? { hostileExchanges } : {}),
    ...(skipKnown ? { skipFeatures: KNOWN_RESTARTS.flatMap((k) => k.feature ? [k.feature] : []), skipBehaviours: KNOWN_RESTARTS.flatMap((k) => k.behaviour ? [k.behaviour] : []) } : {}),
    log: (l) => console.error(l),
  });
  console.log(r.report.join('\n'));
  console.log(`all signatures: ${r.store.writeSummary()}`);
  console.log(`replay one: npm run fuzz -- --replay <file.json> (seed ${seed})`);
  process.exitCode = r.restarts > 0 || r.store.unexplained(['smuggled', 'desync', 'unanswered', 'mixup']).length > 0 ? 1 : 0;
} finally {
  await stop();
}
process.exit(process.exitCode ?? 0); // a client socket or timer of the last cases must not keep the run alive
