/**
 * A local three-server NATS cluster with JetStream, like the compose
 * cluster (infra/compose/nats/nats.conf) on loopback ports: each server
 * keeps its ports and its store directory across a kill and a restart, so a
 * restarted server rejoins as the same member.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findNatsServer, request, eventually } from '@meshgate/testing';
import { reservedPort } from '../compose/loopback.ts';
import { spawnLong, type LongProc } from './procs.ts';

export interface NatsMember {
  readonly name: string;
  readonly clientPort: number;
  readonly url: string;
  readonly pid: number | undefined;
}

export interface NatsCluster {
  readonly members: readonly NatsMember[];
  /** Every client URL, comma separated, as `--nats` takes it. */
  readonly urls: string;
  start(i: number): Promise<void>;
  kill(i: number): Promise<{ at: number; exitedAt: number }>;
  /** Every running server answers /healthz (JetStream included) and sees its routes. */
  healthy(timeoutMs?: number): Promise<void>;
  /** Index of the running server a client connection named `name` is attached to, or -1. */
  serverOf(name: string): Promise<number>;
  /** Where a JetStream stream lives: its leader and replica count (from the leader's /jsz), or undefined. */
  streamPlacement(stream: string): Promise<{ leader: string; replicas: number } | undefined>;
  stop(): Promise<void>;
}

export async function startNatsCluster(size = 3): Promise<NatsCluster> {
  const bin = findNatsServer();
  if (!bin) throw new Error('nats-server is not installed: apt-get install -y nats-server (or download it from https://github.com/nats-io/nats-server/releases)');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meshgate-chaos-nats-'));
  const ports: { client: number; cluster: number; http: number }[] = [];
  for (let i = 0; i < size; i++) ports.push({ client: await reservedPort(), cluster: await reservedPort(), http: await reservedPort() });
  const routes = ports.map((p) => `nats://127.0.0.1:${p.cluster}`).join(', ');
  const procs: (LongProc | undefined)[] = new Array(size).fill(undefined);

  const conf = (i: number) => {
    const p = ports[i]!;
    const file = path.join(dir, `n${i}.conf`);
    fs.writeFileSync(file, [
      `server_name: n${i}`,
      `listen: 127.0.0.1:${p.client}`,
      `http: 127.0.0.1:${p.http}`,
      `jetstream { store_dir: "${path.join(dir, `n${i}`)}", max_memory_store: 64MB, max_file_store: 256MB }`,
      `cluster { name: chaos, listen: 127.0.0.1:${p.cluster}, routes: [${routes}] }`,
    ].join('\n') + '\n');
    return file;
  };
  const files = ports.map((_, i) => conf(i));

  const start = async (i: number) => {
    if (procs[i] && !procs[i]!.isExited()) throw new Error(`nats server n${i} is already running`);
    const p = spawnLong(`nats-n${i}`, bin, ['-c', files[i]!]);
    procs[i] = p;
    await p.waitFor('Server is ready', 15_000);
  };
  const healthy = async (timeoutMs = 20_000) => {
    const running = ports.filter((_, i) => procs[i] && !procs[i]!.isExited());
    await eventually('NATS cluster healthy (JetStream and routes)', async () => {
      for (const p of running) {
        if ((await request(`http://127.0.0.1:${p.http}/healthz`, { timeoutMs: 1_000 })).status !== 200) return false;
        const routez = await request(`http://127.0.0.1:${p.http}/routez`, { timeoutMs: 1_000 });
        if (routez.status !== 200 || (JSON.parse(routez.body) as { num_routes: number }).num_routes < running.length - 1) return false;
      }
      return true;
    }, timeoutMs, 200);
  };

  const cluster: NatsCluster = {
    get members() {
      return ports.map((p, i) => ({ name: `n${i}`, clientPort: p.client, url: `nats://127.0.0.1:${p.client}`, pid: procs[i]?.isExited() === false ? procs[i]!.pid : undefined }));
    },
    urls: ports.map((p) => `nats://127.0.0.1:${p.client}`).join(','),
    start,
    async kill(i) {
      const p = procs[i];
      if (!p) throw new Error(`nats server n${i} was never started`);
      return p.kill();
    },
    healthy,
    async serverOf(name) {
      for (let i = 0; i < size; i++) {
        if (!procs[i] || procs[i]!.isExited()) continue;
        const r = await request(`http://127.0.0.1:${ports[i]!.http}/connz?limit=4096`, { timeoutMs: 2_000 });
        if (r.status !== 200) continue;
        if ((JSON.parse(r.body) as { connections?: { name?: string }[] }).connections?.some((c) => c.name === name)) return i;
      }
      return -1;
    },
    async streamPlacement(stream) {
      for (let i = 0; i < size; i++) {
        if (!procs[i] || procs[i]!.isExited()) continue;
        const r = await request(`http://127.0.0.1:${ports[i]!.http}/jsz?accounts=true&streams=true&config=true`, { timeoutMs: 2_000 });
        if (r.status !== 200) continue;
        type Jsz = { account_details?: { stream_detail?: { name: string; config?: { num_replicas?: number }; cluster?: { leader?: string } }[] }[] };
        for (const a of (JSON.parse(r.body) as Jsz).account_details ?? []) {
          const st = a.stream_detail?.find((d) => d.name === stream);
          if (st) return { leader: st.cluster?.leader ?? `n${i}`, replicas: st.config?.num_replicas ?? 1 };
        }
      }
      return undefined;
    },
    async stop() {
      await Promise.all(procs.map((p) => p?.stop(3_000)));
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await Promise.all(ports.map((_, i) => start(i)));
    await healthy();
  } catch (err) {
    await cluster.stop();
    throw err;
  }
  return cluster;
}
