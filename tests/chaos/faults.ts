/**
 * The faults of the chaos run, one component each: how to kill it, how to
 * bring it back, and whether requests in flight on it may fail (only when
 * the killed thing owns client connections: a proxy node, or one of its
 * worker threads, whose sockets die with it).
 */
import { eventually } from '@meshgate/testing';
import type { ChaosMesh } from './mesh.ts';
import type { NatsCluster } from './nats-cluster.ts';

export const FAULT_NAMES = ['proxy-worker', 'proxy-node', 'proxy-node-sigterm', 'config-service', 'nats-server', 'health-agent', 'backend'] as const;
export type FaultName = typeof FAULT_NAMES[number];

export interface Killed { at: number; exitedAt: number }

export interface Fault {
  readonly name: FaultName;
  /** What exactly is killed, for the report. */
  target: string;
  /** Client connections end with the killed component: requests on them may fail. */
  readonly ownsClientConnections: boolean;
  /** False when the component comes back on its own (a worker is replaced by its pool). */
  readonly held: boolean;
  kill(): Promise<Killed>;
  /** Starts it again and resolves once it does its job. */
  restore(): Promise<void>;
}

export function makeFault(name: FaultName, m: ChaosMesh, nats: NatsCluster): Fault {
  switch (name) {
    case 'proxy-worker': {
      let restartsBefore = 0;
      return {
        name, target: 'worker 0 of proxy-0 (POST /debug/kill-worker)', ownsClientConnections: true, held: false,
        async kill() {
          restartsBefore = (await m.nodeStatus(0))?.workerRestarts ?? 0;
          return m.killWorker(0, 0);
        },
        async restore() {
          await eventually('worker 0 of proxy-0 replaced and serving', async () => {
            const s = await m.nodeStatus(0);
            return s !== undefined && s.workerRestarts > restartsBefore && s.workerVersions.every((v) => v === s.version);
          }, 20_000, 50);
        },
      };
    }
    case 'proxy-node': {
      const i = m.proxies.length - 1;
      return {
        name, target: `${m.proxies[i]!.name} (SIGKILL; ${m.proxies.length - 1} other node(s) share its port)`, ownsClientConnections: true, held: true,
        kill: () => m.proxies[i]!.kill(),
        restore: () => m.proxies[i]!.start(),
      };
    }
    case 'proxy-node-sigterm': {
      // A rolling restart: the node drains (readyz 503, listeners closed,
      // in-flight requests finished) before it exits; nothing may fail.
      const i = m.proxies.length - 1;
      return {
        name, target: `${m.proxies[i]!.name} (SIGTERM: drain, then exit)`, ownsClientConnections: false, held: true,
        kill: () => m.proxies[i]!.terminate(),
        restore: () => m.proxies[i]!.start(),
      };
    }
    case 'config-service':
      return {
        name, target: 'the config service (SIGKILL)', ownsClientConnections: false, held: true,
        kill: () => m.config.kill(),
        restore: () => m.config.start(),
      };
    case 'nats-server': {
      let i = 0;
      const f: Fault = {
        name, target: 'a NATS server', ownsClientConnections: false, held: true,
        async kill() {
          // The worst server to lose for the control plane: the one holding
          // the snapshots' KV stream, else the one the config service talks through.
          const kv = await nats.streamPlacement('KV_meshgate-config');
          const configOn = await nats.serverOf('meshgate-config-service');
          i = kv ? Number(kv.leader.replace(/^n/, '')) : Math.max(0, configOn);
          f.target = `NATS server n${i} (SIGKILL): ${kv ? `holds the snapshots KV (${kv.replicas} replica(s))` : 'no snapshots KV found'}, ${configOn === i ? 'the config service is connected to it' : `the config service is on n${configOn}`}`;
          return nats.kill(i);
        },
        async restore() {
          await nats.start(i);
          await nats.healthy();
        },
      };
      return f;
    }
    case 'health-agent':
      return {
        name, target: `${m.agents[0]!.name} of ${m.agents.length} (SIGKILL)`, ownsClientConnections: false, held: true,
        kill: () => m.agents[0]!.kill(),
        restore: () => m.agents[0]!.start(),
      };
    case 'backend':
      return {
        name, target: `${m.backends[0]!.name} of ${m.backends.length} (SIGKILL)`, ownsClientConnections: false, held: true,
        kill: () => m.backends[0]!.kill(),
        restore: () => m.backends[0]!.start(),
      };
  }
}
