import type { KeyObject } from 'node:crypto';
import type { Behavior, Transport } from '@meshgate/actors';
import { formatManifestError, type MeshConfig } from '@meshgate/ingress';
import {
  AdminMessageType, snapshotContentOf,
  type AckMessage, type ApplyReply, type ApplyRequest, type DescribeReply, type DescribeRequest, type GetWhat, type HeartbeatMessage, type KvLike, type Subjects,
} from '@meshgate/protocol';
import { endSpan, startChildSpan, type Logger, type Tracing } from '@meshgate/telemetry';
import { configStatus, describeIngress, getView } from './admin-views.ts';
import { applyObjects, defaultBuild, indexObjects, type AppliedState } from './applied-objects.ts';
import { IngressVersions } from './ingress-versions.ts';
import { ManifestSource } from './manifest-source.ts';
import { NodeRegistry } from './node-registry.ts';
import { Publisher, type Published } from './publisher.ts';
import { announcementOf } from './publish-plan.ts';
import { StageTimer } from './stage-timer.ts';
import { CONFLICT, StoreSync, untilStored } from './store-sync.ts';
import { ChangeLog, summarizeChange } from './dashboard/change-log.ts';
import type { DashboardSources } from './dashboard/views.ts';

export type { ConfigStatus } from './admin-views.ts';

export type ConfigMsg =
  | { type: 'config.v1.reload'; reason: string }
  | { type: 'config.v1.latest' }
  | { type: 'config.v1.status' }
  | { type: 'config.v1.admin-apply'; request: ApplyRequest }
  | { type: 'config.v1.admin-get'; what: GetWhat }
  | { type: 'config.v1.admin-describe'; request: DescribeRequest }
  /** What the dashboard shows of the config service (dashboard/views.ts). */
  | { type: 'config.v1.dashboard' }
  | { type: 'config.v1.heartbeat'; heartbeat: HeartbeatMessage }
  | { type: 'config.v1.ack'; ack: AckMessage }
  | { type: 'config.v1.reconnected' };

export interface ConfigActorDeps {
  manifestsDir: string;
  ingressClass: string;
  transport: Transport;
  subjects: Subjects;
  log: Logger;
  /** Durable latest snapshot and applied objects, in one head (JetStream KV); none: versions from the clock, nothing durable. */
  store?: KvLike;
  signingKey?: KeyObject;
  /** This service's name in the KV chunk keys (two services never share chunk slots). */
  writerId: string;
  /** Spans for each change (build, publish), when tracing is on. */
  tracing?: Tracing;
  /** Snapshots larger than this go out as a reference to the KV store (NATS max_payload, 1 MiB by default). */
  maxMessageBytes: number;
  /** A dashboard runs: keep a log of the recent changes and tell it when a version is published or a node ACKs one. */
  onChange?: () => void;
}

/** An apply within this long of the last read of the KV heads does not read them first (see applyRequest). */
const SYNC_SKIP_MS = 1_000;

interface ChangeParts {
  log: Logger;
  tracing?: Tracing | undefined;
  manifestsDir: string;
  build: ReturnType<typeof defaultBuild>;
  source: ManifestSource;
  store: StoreSync;
  publisher: Publisher;
  versions: IngressVersions;
}

/**
 * One change at a time: build from the directory and the applied objects,
 * publish, and on a conflict (another config service stored first) sync and
 * do it again on top (untilStored). `mesh`: the last build.
 */
function changeFlow(deps: ChangeParts) {
  const { log, build, source, store, publisher, versions } = deps;
  let mesh: MeshConfig | undefined;
  let lastErrors = '';
  /** Steps of the change being made (one message at a time: one change at a time). */
  let timer = new StageTimer();

  const publish = (content: ReturnType<typeof snapshotContentOf>, objects: AppliedState, reason: string, attempt: number, parent?: ReturnType<typeof startChildSpan>) =>
    publisher.publish(content, objects, reason, attempt, parent, timer, mesh?.errors.length ?? 0);

  /** Builds (unless `built` is given) from the directory and `objects`, and publishes. */
  const buildAndPublish = async (reason: string, objects: AppliedState, attempt: number, built?: MeshConfig): Promise<Published> => {
    const buildSpan = built ? undefined : startChildSpan(deps.tracing, 'snapshot build', undefined, { 'meshgate.reason': reason, 'meshgate.files': source.files.length });
    const cfg = built ?? source.build(objects);
    if (!built) timer.lap('build');
    buildSpan?.setAttributes({ 'meshgate.rules': cfg.rules.length, 'meshgate.backends': cfg.backends.length, 'meshgate.rejected': cfg.errors.length });
    endSpan(buildSpan);
    mesh = cfg;
    const errors = cfg.errors.map(formatManifestError);
    const warnings = cfg.warnings.map(formatManifestError);
    const errorsKey = [...errors, '', ...warnings].join('\n');
    if (errorsKey !== lastErrors) {
      for (const e of errors) log.warn('manifest rejected', { error: e });
      for (const w of warnings) log.warn('manifest warning', { warning: w });
      lastErrors = errorsKey;
    }
    const r = await publish(snapshotContentOf(cfg), objects, reason, attempt, buildSpan);
    versions.observe(store.latest?.version ?? 0, cfg);
    // The nodes are applying by now: index the directory's objects for the next
    // apply here, rather than on its path (parsing is most of a first apply).
    indexObjects(source.files);
    return r;
  };

  /** The directory (or the store) changed: read both, build, publish. */
  const rebuild = (reason: string) => untilStored<Published | undefined>(async (attempt) => {
    timer = new StageTimer();
    await store.sync();
    timer.lap('sync');
    try {
      source.read();
      timer.lap('read');
    } catch (err) {
      log.error('cannot read manifests; the last good snapshot stays live', { dir: deps.manifestsDir, error: (err as Error).message, version: store.latest?.version ?? 0 });
      return undefined;
    }
    return buildAndPublish(reason, store.applied, attempt);
  }, () => {
    log.error('the KV store keeps changing under us: another config service is publishing; giving up this change', { reason });
    return undefined;
  });

  const applyRequest = (req: ApplyRequest): Promise<ApplyReply> => untilStored(async (attempt) => {
    timer = new StageTimer();
    // Applies in a burst (a pipeline applying one object after another) skip the read: the
    // compare-and-set write catches anything another config service stored meanwhile, and
    // a conflict comes back here with attempt > 0, which reads.
    if (attempt > 0) await store.sync();
    else await store.syncUnlessWithin(SYNC_SKIP_MS);
    timer.lap('sync');
    source.readOrKeep();
    timer.lap('read');
    const r = applyObjects(req, source.files, store.applied, build);
    timer.lap('build');
    // The objects and the snapshot built from them are stored together (one compare-and-set).
    if (r.changed && (await buildAndPublish(`${req.action} ${r.results.map((x) => x.resource).filter(Boolean).join(' ')}`, r.state, attempt, r.built)) === CONFLICT) return CONFLICT;
    return { type: AdminMessageType.Result, results: r.results, version: store.latest?.version ?? 0, hash: store.latest?.hash ?? '' } satisfies ApplyReply;
  }, () => { throw new Error('the applied objects keep changing in the KV store: try again'); });

  /**
   * Another config service may have applied since (one KV read): show what is stored, as
   * kubectl shows the API server's objects whichever replica answers.
   */
  const readStored = async () => {
    if (!(await store.syncChanged())) return;
    source.readOrKeep();
    mesh = source.build(store.applied);
    versions.observe(store.latest?.version ?? 0, mesh);
  };

  return { rebuild, applyRequest, readStored, mesh: () => mesh };
}

/**
 * The config actor: manifests directory + applied objects -> mesh config ->
 * snapshot, one change at a time, over its parts: the ManifestSource (the
 * directory and each file's last good text), StoreSync (what is stored, one
 * compare-and-set per change, `untilStored` retrying a conflict on top of
 * what another config service stored), the Publisher (sign, store, announce
 * a delta or the full snapshot: publish-plan.ts) and the admin views.
 */
export function configActor(deps: ConfigActorDeps): Behavior<ConfigMsg> {
  const { log } = deps;
  const build = defaultBuild(deps.ingressClass);
  const source = new ManifestSource(deps.manifestsDir, build);
  const store = new StoreSync(deps.store, deps.writerId, log);
  const { onChange } = deps;
  const changes = onChange ? new ChangeLog() : undefined;
  const publisher = new Publisher({
    transport: deps.transport, subjects: deps.subjects, log, store, signingKey: deps.signingKey, tracing: deps.tracing, maxMessageBytes: deps.maxMessageBytes,
    onPublished: changes && ((p) => { changes.published(p.version, p.reason, summarizeChange(p.prev, p.plan)); onChange!(); }),
  });
  const nodes = new NodeRegistry(changes && ((nodeId, version) => { changes.applied(nodeId, version); onChange!(); }));
  const versions = new IngressVersions();
  const { rebuild, applyRequest, readStored, mesh } = changeFlow({ log, tracing: deps.tracing, manifestsDir: deps.manifestsDir, build, source, store, publisher, versions });

  const views = () => ({
    mesh: mesh(), applied: store.applied, latest: store.latest, latestContent: store.latestContent, nodes: () => nodes.view(),
    store: store.durable ? (store.unpersisted ? 'KV (store pending: NATS or JetStream unavailable)' : `KV bucket ${deps.subjects.kvBucket}`) : 'memory only',
  });

  return {
    async start() { await rebuild('start'); },
    async receive(msg) {
      switch (msg.type) {
        case 'config.v1.reload': return rebuild(msg.reason);
        case 'config.v1.latest':
          // Another config service may have published since: answer with the newest stored.
          await store.sync();
          return store.latest ? announcementOf(store.latest, deps.maxMessageBytes) : { type: 'none' };
        case 'config.v1.reconnected':
          await store.sync();
          if (store.latest && store.unpersisted && (await store.persist(store.latest, store.applied)) === CONFLICT) return rebuild('reconnected');
          if (store.latest) publisher.announce(store.latest);
          return;
        case 'config.v1.heartbeat': nodes.heartbeat(msg.heartbeat); return;
        case 'config.v1.ack': {
          const a = msg.ack;
          nodes.ack(a);
          if (!a.ok) log.warn('node refused a snapshot (NACK); it keeps its previous one', { node: a.nodeId, refused: a.refused, kept: a.version, error: a.error });
          return;
        }
        case 'config.v1.admin-apply': return applyRequest(msg.request);
        case 'config.v1.admin-get':
          if (msg.what !== 'nodes') await readStored();
          return getView(msg.what, views());
        case 'config.v1.admin-describe':
          await readStored();
          return describeIngress(msg.request, { mesh: mesh(), applied: store.applied, versions, nodes: nodes.view(), version: store.latest?.version ?? 0 }) satisfies DescribeReply;
        case 'config.v1.status': return configStatus(deps.manifestsDir, store.latest, mesh());
        case 'config.v1.dashboard': {
          const v = views();
          return { mesh: v.mesh, applied: v.applied, latest: v.latest, nodes: v.nodes(), changes: changes?.view() ?? [], store: v.store, manifests: deps.manifestsDir } satisfies DashboardSources;
        }
      }
    },
  };
}
