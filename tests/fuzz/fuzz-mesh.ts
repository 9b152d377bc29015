/**
 * meshgate under fuzz: nats-server, the config service and one proxy node
 * with ONE worker (tests/hardening/support/mesh.ts), routing lane<k>.fuzz to
 * the differential lanes' recording backends, hlane<k>.fuzz to the hostile
 * backends, and any other Host to the stray backend (defaultBackend, as
 * nginx's default_server). Watches the node for worker restarts: /status's
 * workerRestarts and "worker exited" in its log.
 */
import { ingressManifest, manifestFile, request, serviceManifest } from '@meshgate/testing';
import { startMesh, type Mesh } from '../hardening/support/mesh.ts';
import { laneHost } from './nginx.ts';

export function hostileHost(lane: number): string { return `hlane${lane}.fuzz`; }

export function fuzzManifests(laneBackends: readonly number[], strayBackend: number, hostileBackends: readonly number[]): string {
  const docs: string[] = [serviceManifest('stray', [strayBackend]), ingressManifest('stray', { '': 'stray' })];
  laneBackends.forEach((port, k) => docs.push(serviceManifest(`lane${k}`, [port]), ingressManifest(`lane${k}`, { '/': `lane${k}` }, laneHost(k))));
  hostileBackends.forEach((port, k) => docs.push(serviceManifest(`hlane${k}`, [port]), ingressManifest(`hlane${k}`, { '/': `hlane${k}` }, hostileHost(k))));
  return manifestFile(...docs);
}

export interface FuzzMesh {
  mesh: Mesh;
  port: number;
  /** Worker restarts seen so far (the larger of /status's count and "worker exited" lines in the log). */
  restarts(): number;
  /** Polls /status once; returns its workerRestarts (or the last known count if it did not answer). */
  poll(): Promise<number>;
  /** The proxy's log lines about exited workers. */
  exitLines(): string[];
  stop(): Promise<void>;
}

export async function startFuzzMesh(laneBackends: readonly number[], strayBackend: number, hostileBackends: readonly number[]): Promise<FuzzMesh> {
  const mesh = await startMesh({ 'fuzz.yaml': fuzzManifests(laneBackends, strayBackend, hostileBackends) }, { env: { MESHGATE_ACCESS_LOG: 'off' } });
  let statusRestarts = 0;
  const exits: string[] = [];
  let tail = '';
  const onOut = (b: Buffer) => {
    const text = tail + b.toString();
    const lines = text.split('\n');
    tail = lines.pop() ?? '';
    for (const l of lines) if (l.includes('worker exited')) exits.push(l.slice(0, 2000));
  };
  mesh.proxy.child.stdout!.on('data', onOut);
  mesh.proxy.child.stderr!.on('data', onOut);
  const fm: FuzzMesh = {
    mesh,
    port: mesh.httpPort,
    restarts: () => Math.max(statusRestarts, exits.length),
    async poll() {
      try {
        const r = await request(`http://127.0.0.1:${mesh.adminPort}/status`, { timeoutMs: 5_000 });
        statusRestarts = (JSON.parse(r.body) as { workerRestarts: number }).workerRestarts;
      } catch { /* keep the last count */ }
      return fm.restarts();
    },
    exitLines: () => exits,
    stop: () => mesh.stop(),
  };
  await waitRouted(mesh.httpPort, laneBackends.length);
  return fm;
}

/** The snapshot with every lane is applied (readyz only says "a snapshot"). */
async function waitRouted(port: number, lanes: number): Promise<void> {
  const deadline = Date.now() + 20_000;
  const last = laneHost(Math.max(0, lanes - 1));
  for (;;) {
    try {
      const r = await request(`http://127.0.0.1:${port}/ready-check`, { headers: { host: last } });
      if (r.status === 200) return;
    } catch { /* not yet */ }
    if (Date.now() > deadline) throw new Error(`meshgate did not route ${last} within 20 s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
