import path from 'node:path';
import { ActorSystem, type Transport } from '@meshgate/actors';
import { subjects as makeSubjects } from '@meshgate/protocol';
import type { Logger } from '@meshgate/telemetry';
import { configActor, type ConfigMsg, type ConfigStatus } from './config-actor.ts';
import { watchManifests } from './manifest-watcher.ts';

export interface ConfigServiceOptions {
  transport: Transport;
  log: Logger;
  manifestsDir: string;
  ingressClass?: string;
  subjectPrefix?: string;
  watch?: boolean;
}

export interface ConfigService {
  status(): Promise<ConfigStatus>;
  reload(): void;
  stop(): Promise<void>;
}

export async function startConfigService(opts: ConfigServiceOptions): Promise<ConfigService> {
  const log = opts.log;
  const subjects = makeSubjects(opts.subjectPrefix);
  const manifestsDir = path.resolve(opts.manifestsDir);
  const system = new ActorSystem({
    name: 'config-service',
    onEvent: (e) => { if (e.type === 'actor.crashed') log.error('actor crashed', { actor: e.name, error: String(e.error) }); },
  });
  const ref = await system.spawnAndStart<ConfigMsg>('config', () => configActor({
    manifestsDir, ingressClass: opts.ingressClass ?? 'meshgate', transport: opts.transport, subjects, log,
  }));
  const sub = opts.transport.subscribe(subjects.snapshotGet, async (m) => {
    const latest = await ref.ask({ type: 'config.v1.latest' });
    m.reply?.(latest);
  });
  const watcher = opts.watch === false ? undefined : watchManifests(manifestsDir, (file) => ref.tell({ type: 'config.v1.reload', reason: `changed: ${file}` }));
  log.info('config service started', { manifests: manifestsDir, ingressClass: opts.ingressClass ?? 'meshgate', subject: subjects.snapshot });
  return {
    status: () => ref.ask<ConfigStatus>({ type: 'config.v1.status' }),
    reload: () => ref.tell({ type: 'config.v1.reload', reason: 'requested' }),
    async stop() {
      watcher?.close();
      sub.unsubscribe();
      await system.shutdown();
    },
  };
}
