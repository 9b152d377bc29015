/**
 * The CI slice of `npm run fuzz` (issue 18): a fixed seed, a few thousand
 * differential requests through meshgate and nginx and ~500 hostile-backend
 * exchanges. It fails on any smuggled or unanswered request, any client
 * given another's answer, any stall, and any worker restart, except what
 * known-findings.ts lists as an open bug (the lead empties that list once the
 * fixes are merged; from then on this is strict). Divergences from nginx are
 * reported, not asserted: docs/fuzzing.md says which remain and why.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { KNOWN_RESTARTS } from './known-findings.ts';
import { runFuzz, startHarness } from './fuzzer.ts';
import { NGINX_BIN } from './nginx.ts';

const SEED = 1818;
const CASES = 2_000;
const HOSTILE = 500;

test('fuzz slice: no smuggling, no mixup, no stall, no worker restart (beyond the known open bugs)', { timeout: 240_000 }, async (t) => {
  if (!fs.existsSync(NGINX_BIN)) {
    assert.ok(!process.env.CI, `${NGINX_BIN} is missing: .ci/run installs nginx`);
    t.skip(`${NGINX_BIN} is not installed (apt-get install nginx)`);
    return;
  }
  const findingsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'meshgate-fuzz-slice-'));
  const h = await startHarness(16, 4);
  try {
    const r = await runFuzz(h, {
      seed: SEED, cases: CASES, hostileExchanges: HOSTILE, modes: ['diff', 'hostile'],
      // Generous waits: a loaded CI machine must not pass for a stalled proxy.
      quietMs: 500, stallMs: 3_000, maxMs: 15_000, mutateShare: 0.35, clientsPerLane: 4, findingsDir,
      skipFeatures: KNOWN_RESTARTS.flatMap((k) => (k.feature ? [k.feature] : [])),
      skipBehaviours: KNOWN_RESTARTS.flatMap((k) => (k.behaviour ? [k.behaviour] : [])),
    });
    const report = r.report.join('\n');
    t.diagnostic(report);
    assert.ok(r.diff.requests >= 2_000, `a few thousand differential requests (got ${r.diff.requests})`);
    assert.ok(r.hostile.exchanges >= HOSTILE, `hostile exchanges (got ${r.hostile.exchanges})`);
    assert.equal(r.restarts, 0, `meshgate workers were replaced:\n${r.exitLines.join('\n')}\n${report}`);
    const bad = r.store.unexplained(['smuggled', 'desync', 'unanswered', 'mixup', 'stall']);
    assert.deepEqual(bad.map(([sig]) => sig), [], `findings no known open bug explains (saved in ${findingsDir}; replay with npm run fuzz -- --replay FILE):\n${report}`);
    assert.ok(r.nginxAlive, 'nginx died: the comparison is void');
    fs.rmSync(findingsDir, { recursive: true, force: true });
  } finally {
    await h.stop();
  }
});
