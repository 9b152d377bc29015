/**
 * `npm run soak`: the whole mesh for DURATION seconds (default 600) at
 * moderate load with a config change every second and WebSockets held open
 * through the proxy; reports RSS growth after warm-up per process (target
 * under 5%), errors (target none) and the WebSockets still alive at the end
 * (target all). Exits 1 when a target is missed.
 *
 * Settings (environment): DURATION (600 s), RPS (100), WEBSOCKETS (50),
 * PROXIES (2), WORKERS (2), CHANGE_MS (1000), JSON=file to also write the
 * report as JSON.
 */
import fs from 'node:fs';
import { DEFAULTS, formatSoak, runSoak } from './soak.ts';

function num(name: string, def: number, min: number): number {
  const v = process.env[name];
  if (v === undefined || v === '') return def;
  const n = Number(v);
  if (!Number.isFinite(n) || n < min) {
    process.stderr.write(`${name}=${v}: must be a number >= ${min}\n`);
    process.exit(2);
  }
  return n;
}

const report = await runSoak({
  durationS: num('DURATION', DEFAULTS.durationS, 10),
  rps: num('RPS', DEFAULTS.rps, 1),
  websockets: num('WEBSOCKETS', DEFAULTS.websockets, 0),
  proxies: num('PROXIES', DEFAULTS.proxies, 1),
  workers: num('WORKERS', DEFAULTS.workers, 1),
  changeEveryMs: num('CHANGE_MS', DEFAULTS.changeEveryMs, 100),
  log: (l) => process.stderr.write(`[soak ${new Date().toISOString().slice(11, 19)}] ${l}\n`),
});
process.stdout.write(formatSoak(report) + '\n');
if (process.env.JSON) fs.writeFileSync(process.env.JSON, JSON.stringify(report, null, 2) + '\n');
process.exitCode = report.ok ? 0 : 1;
