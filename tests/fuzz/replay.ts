/**
 * `npm run fuzz -- --replay FILE`: one saved case (a findings .json, or raw
 * request bytes) through a fresh meshgate and nginx (nginx logging at info,
 * so it says why it refused), printing what each client got, what each
 * backend saw, the findings, and both proxies' logs.
 */
import { compareCase } from './compare.ts';
import { runCase, summarize } from './differential.ts';
import { loadCase, stepsFromJson } from './findings.ts';
import type { FuzzCase } from './grammar.ts';
import { judge, runHostile } from './hostile.ts';
import { startHarness } from './fuzzer.ts';

export async function replay(file: string): Promise<number> {
  const saved = loadCase(file);
  const c: FuzzCase = { id: saved.id, lane: saved.lane, kind: saved.kind as FuzzCase['kind'], steps: stepsFromJson(saved.steps), requests: saved.requests, features: saved.features };
  const h = await startHarness(Math.max(1, c.lane + 1), Math.max(1, c.lane + 1), { nginxLogLevel: 'info' });
  try {
    const bytes = Buffer.concat(c.steps.filter((s): s is Buffer => Buffer.isBuffer(s)));
    console.log(`case ${c.id} (lane ${c.lane}, ${c.kind}, features ${c.features.join(' ') || '-'}), ${bytes.length} bytes in ${c.steps.filter(Buffer.isBuffer).length} write(s):\n${JSON.stringify(bytes.toString('latin1').slice(0, 3000))}\n`);
    if (c.kind === 'hostile') {
      const behaviour = c.requests[0].features[0];
      const findings: ReturnType<typeof judge> = [];
      // The saved exchange id and seed give the same behaviour and PRNG draws.
      await runHostile(h.mesh.port, h.hostile, { seed: saved.seed, lanes: 1, clientsPerLane: 1, firstId: c.id, count: c.id + 1, timeoutMs: 8_000 }, {
        going: () => true, inflight: new Map(), report: (f) => findings.push(...f),
      }, { exchanges: 0 });
      console.log(`hostile behaviour ${behaviour}: exchange ${c.id} of seed ${saved.seed} replayed alone`);
      console.log(JSON.stringify({ findings, saved: saved.findings }, null, 1));
    } else {
      const obs = await runCase(c, { meshgate: h.mesh.port, nginx: h.nginx.port }, h.backend, { quietMs: 400, stallMs: 3_000, maxMs: 15_000 });
      await new Promise((r) => setTimeout(r, 200));
      const findings = compareCase(c, obs);
      console.log(JSON.stringify({ meshgate: summarize(obs.meshgate.result, obs.meshgate.record), nginx: summarize(obs.nginx.result, obs.nginx.record) }, null, 1));
      console.log(`\nfindings now (${findings.length}):`);
      for (const f of findings) console.log(`  ${f.signature}\n    ${f.detail}`);
      if (saved.findings) console.log(`findings when saved: ${saved.findings.map((f) => f.signature).join(', ')}`);
    }
    console.log(`\nnginx error log (tail):\n${h.nginx.errorLog().split('\n').slice(-8).join('\n')}`);
    console.log(`\nmeshgate worker restarts: ${await h.mesh.poll()}`);
    return 0;
  } finally {
    await h.stop();
  }
}
