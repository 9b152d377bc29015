/**
 * `npm run chaos`: the whole mesh on a three-server NATS cluster under
 * steady load; kills and restarts, one at a time, a proxy worker, a proxy
 * node, the config service, a NATS server, a health agent and a backend,
 * and reports the failed requests of each fault. Exits 1 when a request
 * failed that should not have (anything but requests on the killed proxy
 * node's or worker's connections) or a component crashed.
 *
 * Settings (environment): RPS (300), PROXIES (3), WORKERS (2), HOLD_MS
 * (5000, how long each component stays down), SETTLE_MS (3000),
 * BASELINE_MS (5000), FAULTS (comma list, default all: proxy-worker,
 * proxy-node, config-service, nats-server, health-agent, backend), JSON=file
 * to also write the report as JSON.
 */
import fs from 'node:fs';
import { DEFAULTS, formatReport, runChaos } from './chaos.ts';
import { FAULT_NAMES, type FaultName } from './faults.ts';

function num(name: string, def: number): number {
  const v = process.env[name];
  if (v === undefined || v === '') return def;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) {
    process.stderr.write(`${name}=${v}: must be a non-negative number\n`);
    process.exit(2);
  }
  return n;
}

const faults = (process.env.FAULTS ?? '').split(',').map((s) => s.trim()).filter(Boolean);
for (const f of faults) {
  if (!(FAULT_NAMES as readonly string[]).includes(f)) {
    process.stderr.write(`FAULTS: unknown fault '${f}': use a comma list of ${FAULT_NAMES.join(', ')}\n`);
    process.exit(2);
  }
}

const report = await runChaos({
  rps: num('RPS', DEFAULTS.rps),
  proxies: Math.max(2, num('PROXIES', DEFAULTS.proxies)),
  workers: Math.max(1, num('WORKERS', DEFAULTS.workers)),
  holdMs: num('HOLD_MS', DEFAULTS.holdMs),
  settleMs: num('SETTLE_MS', DEFAULTS.settleMs),
  baselineMs: num('BASELINE_MS', DEFAULTS.baselineMs),
  faults: faults.length ? faults as FaultName[] : FAULT_NAMES,
  log: (l) => process.stderr.write(`[chaos ${new Date().toISOString().slice(11, 23)}] ${l}\n`),
});
process.stdout.write(formatReport(report) + '\n');
if (process.env.JSON) fs.writeFileSync(process.env.JSON, JSON.stringify(report, null, 2) + '\n');
process.exitCode = report.ok ? 0 : 1;
