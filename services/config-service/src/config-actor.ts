import type { KeyObject } from 'node:crypto';
import type { Behavior, Transport } from '@meshgate/actors';
import { formatManifestError, loadManifestDir, type ManifestReadCache, type MeshConfig, type SourceFile } from '@meshgate/ingress';
import {
  AdminMessageType, ChunkedValue, MessageType, applyEndpointChanges, applyRouteChanges, decodeSnapshotContent, encodeEndpointsDelta,
  encodeRoutesDelta, encodeSnapshot, keyIdOf, msgpackCodec, routeChanges, signMessage, snapshotContentOf, snapshotValue,
  unpackSnapshotBody, writeStoredSnapshot,
  type EndpointsDeltaMessage, type RoutesDeltaMessage,
  type AckMessage, type ApplyReply, type ApplyRequest, type DescribeReply, type DescribeRequest, type GetReply, type GetWhat, type HeartbeatMessage, type KvLike,
  type SnapshotContent, type SnapshotMessage, type SnapshotRefMessage, type SnapshotHead, type Subjects,
} from '@meshgate/protocol';
import { endSpan, startChildSpan, traceparentOf, type Logger, type Tracing } from '@meshgate/telemetry';
import { describeIngress, ingressesView } from './admin-views.ts';
import { gatewayApiView, isGatewayApiWhat } from './gateway-api-views.ts';
import { applyObjects, decodeApplied, defaultBuild, emptyApplied, encodeApplied, indexObjects, sourcesOf, type AppliedState } from './applied-objects.ts';
import { endpointOnlyChanges } from './endpoint-only-changes.ts';
import { IngressVersions } from './ingress-versions.ts';
import { NodeRegistry } from './node-registry.ts';
import { StageTimer } from './stage-timer.ts';

/** Route deltas carry up to this many changed rules, or an eighth of the table if more: past that a full snapshot is as good. */
const MIN_ROUTE_DELTA_RULES = 64;

export type ConfigMsg =
  | { type: 'config.v1.reload'; reason: string }
  | { type: 'config.v1.latest' }
  | { type: 'config.v1.status' }
  | { type: 'config.v1.admin-apply'; request: ApplyRequest }
  | { type: 'config.v1.admin-get'; what: GetWhat }
  | { type: 'config.v1.admin-describe'; request: DescribeRequest }
  | { type: 'config.v1.heartbeat'; heartbeat: HeartbeatMessage }
  | { type: 'config.v1.ack'; ack: AckMessage }
  | { type: 'config.v1.reconnected' };

export interface ConfigStatus {
  version: number;
  hash: string;
  manifests: string;
  ingresses: MeshConfig['ingresses'];
  errors: string[];
  backends: { id: string; endpoints: string[] }[];
}

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
}

/** An apply within this long of the last read of the KV heads does not read them first (see applyRequest). */
const SYNC_SKIP_MS = 1_000;

const isConflict = (err: unknown) => (err as { code?: string })?.code === 'MESHGATE_KV_CONFLICT';

/**
 * The config actor: manifests directory + applied objects -> mesh config ->
 * snapshot. A new version is first stored in the KV store, with the applied
 * objects it was built from, by one compare-and-set on the head's revision
 * (so two config services never publish two different snapshots under one
 * version, an apply is stored whole or not at all, and a restart resumes
 * from the stored version and objects); a conflict (another config service
 * stored first) reads the store and builds again on top of it. Then the
 * version is announced on core NATS: the full snapshot,
 * a reference to it when it is too large for one message, or only the
 * endpoint changes when nothing else changed. Unchanged content (equal hash)
 * is not published.
 */
export function configActor(deps: ConfigActorDeps): Behavior<ConfigMsg> {
  const { log, transport, subjects } = deps;
  const build = defaultBuild(deps.ingressClass);
  const snapValue = deps.store ? snapshotValue(deps.store, deps.writerId) : undefined;
  /** The applied objects' chunks when they are too large to ride inline in the snapshot head (and where older stores kept them). */
  const appliedValue = deps.store ? new ChunkedValue(deps.store, 'applied', deps.writerId) : undefined;
  const keyId = deps.signingKey ? keyIdOf(deps.signingKey) : undefined;
  const nodes = new NodeRegistry();
  const versions = new IngressVersions();

  let latest: SnapshotMessage | undefined;
  let latestContent: SnapshotContent | undefined;
  let snapRevision = 0;
  let applied: AppliedState = emptyApplied();
  /** `applied` as stored (encoded), while it is unchanged. */
  let appliedBytes: Uint8Array | undefined;
  let mesh: MeshConfig | undefined;
  let dirFiles: SourceFile[] = [];
  /** Each manifest file's text as it last parsed: a file that stops parsing is served from it (see buildKeepingLastGood). */
  const lastGoodText = new Map<string, string>();
  let lastErrors = '';
  /** A version that could not be stored (NATS or JetStream down): store it when back. */
  let unpersisted = false;
  let storeWarned = false;
  /** Steps of the change being made (one message at a time: one change at a time). */
  let timer = new StageTimer();
  /** Manifest files' texts by path and stat: an apply re-reads the directory, rarely anything in it changed. */
  const readCache: ManifestReadCache = new Map();

  const contentOf = (snap: SnapshotMessage) => decodeSnapshotContent<SnapshotContent>(unpackSnapshotBody(snap));
  const sign = <T extends SnapshotMessage | EndpointsDeltaMessage | RoutesDeltaMessage>(m: T): T => (deps.signingKey ? signMessage(m, deps.signingKey, keyId) : m);

  const storeFailed = (what: string, err: unknown) => {
    if (!storeWarned) log.warn(`cannot ${what} in the KV store: serving without durability until it is back`, { error: (err as Error).message });
    storeWarned = true;
  };

  /** When syncFromStore last read the head (performance.now()). */
  let syncedAt = -Infinity;
  /** Adopts a newer snapshot and applied objects written by another config service (or an earlier run). */
  const syncFromStore = async () => {
    if (!snapValue || !appliedValue) return;
    try {
      const head = await snapValue.readHead<SnapshotHead>();
      if (head && head.revision !== snapRevision) {
        const r = await snapValue.read<SnapshotHead>(head);
        if (r) {
          // The objects the stored snapshot was built from: in its head, or in a store written before they were, under their own key.
          const objects = r.head.applied ? await appliedValue.bytesOf(r.head.applied) : (await appliedValue.read())?.bytes;
          if (r.head.applied && !objects) throw new Error('the applied objects changed while read');
          const snap = msgpackCodec.decode(r.bytes) as SnapshotMessage;
          if (!latest || snap.version >= latest.version) { latest = snap; latestContent = undefined; }
          applied = objects ? decodeApplied(objects) : emptyApplied();
          appliedBytes = objects;
          snapRevision = r.revision;
        }
      } else if (!head) {
        snapRevision = 0;
        if (latest) unpersisted = true; // a new, empty store (nats-server replaced): store ours again
      }
      storeWarned = false;
      syncedAt = performance.now();
    } catch (err) {
      storeFailed('read', err);
    }
  };

  const announce = (snap: SnapshotMessage, delta?: EndpointsDeltaMessage | RoutesDeltaMessage, traceparent?: string) => {
    // The publish span's context rides along (unsigned) so each node's apply span joins this trace.
    const tp = traceparent ? { traceparent } : {};
    try {
      if (delta) transport.publish(delta.type === MessageType.RoutesDelta ? subjects.routes : subjects.endpoints, { ...delta, ...tp });
      else if (snap.body.length + 512 > deps.maxMessageBytes) transport.publish(subjects.snapshot, { ...refOf(snap), ...tp });
      else transport.publish(subjects.snapshot, { ...snap, ...tp });
    } catch (err) {
      log.warn('cannot announce the snapshot now; nodes catch up from the KV store', { version: snap.version, error: (err as Error).message });
    }
  };

  /** Stores `snap` with the applied objects `objects` (one compare-and-set); on 'stored' they are this service's. */
  const persist = async (snap: SnapshotMessage, objects: AppliedState): Promise<'stored' | 'conflict' | { unavailable: Error }> => {
    if (!snapValue || !appliedValue) { applied = objects; return 'stored'; }
    try {
      const bytes = objects === applied && appliedBytes ? appliedBytes : encodeApplied(objects);
      snapRevision = await writeStoredSnapshot(snapValue, snap, snapRevision, await appliedValue.stage(bytes));
      applied = objects;
      appliedBytes = bytes;
      unpersisted = false;
      storeWarned = false;
      return 'stored';
    } catch (err) {
      if (isConflict(err)) return 'conflict';
      return { unavailable: err as Error };
    }
  };
  /**
   * persist(), where the store being away fails an apply (its objects would
   * not be durable, so nothing of it is announced) and only defers a change
   * of the directory (it serves now and is stored when the store is back).
   */
  const store = async (snap: SnapshotMessage, objects: AppliedState): Promise<'stored' | 'conflict' | 'pending'> => {
    const r = await persist(snap, objects);
    if (r === 'stored' || r === 'conflict') return r;
    if (objects !== applied) throw new Error(`cannot store the applied objects in the KV store (${r.unavailable.message}): is nats-server running with JetStream (-js)?`);
    storeFailed('store the snapshot', r.unavailable);
    unpersisted = true;
    return 'pending';
  };

  type Published = 'done' | 'conflict';
  /** Publishes `content` built from the applied objects `objects`; 'conflict': another config service stored first (sync, build again). */
  const publish = async (content: SnapshotContent, objects: AppliedState, reason: string, attempt: number, parent?: ReturnType<typeof startChildSpan>): Promise<Published> => {
    const span = startChildSpan(deps.tracing, 'snapshot publish', parent, { 'meshgate.reason': reason, 'meshgate.attempt': attempt });
    try {
      const r = await publishIn(span, content, objects, reason);
      if (r === 'conflict') span?.setAttribute('meshgate.conflict', true);
      endSpan(span);
      return r;
    } catch (err) {
      endSpan(span, err);
      throw err;
    }
  };

  const publishIn = async (span: ReturnType<typeof startChildSpan>, content: SnapshotContent, objects: AppliedState, reason: string): Promise<Published> => {
    let prev = latestContent;
    if (latest && !prev) {
      try { prev = latestContent = contentOf(latest); } catch { prev = undefined; }
    }
    // The smallest message that gets every node there: endpoint changes, else route changes, else everything.
    const changes = prev && latest ? endpointOnlyChanges(prev, content) : undefined;
    const routes = !changes && prev && latest ? routeChanges(prev, content, Math.max(MIN_ROUTE_DELTA_RULES, prev.rules.length >> 3)) : undefined;
    const next = changes && prev ? applyEndpointChanges(prev, changes) : routes && prev ? applyRouteChanges(prev, routes) : content;
    timer.lap('diff');
    // Versions keep increasing across restarts (stored head) and never go below the wall clock in ms.
    const version = Math.max((latest?.version ?? 0) + 1, Date.now());
    let snap = encodeSnapshot(next, version);
    timer.lap('encode');
    span?.setAttributes({ 'meshgate.snapshot.version': version, 'meshgate.snapshot.hash': snap.hash.slice(0, 12), 'meshgate.snapshot.bytes': snap.body.length });
    if (latest && snap.hash === latest.hash) {
      span?.setAttribute('meshgate.snapshot.unchanged', true);
      // Nothing to announce; store what is not stored yet: changed applied objects (a refused
      // apply is remembered), or a version made while the store was away.
      if (objects === applied && !unpersisted) return 'done';
      return (await store(latest, objects)) === 'conflict' ? 'conflict' : 'done';
    }
    snap = sign(snap);
    const base = latest?.version ?? 0;
    timer.lap('sign');
    const stored = await store(snap, objects);
    timer.lap('store');
    if (stored === 'conflict') return 'conflict';
    latest = snap;
    latestContent = next;
    let delta: EndpointsDeltaMessage | RoutesDeltaMessage | undefined;
    if (changes && changes.length > 0 && base > 0) delta = sign(encodeEndpointsDelta(changes, version, base, snap.hash));
    else if (routes && base > 0) {
      delta = sign(encodeRoutesDelta(routes, version, base, snap.hash));
      // A delta larger than the snapshot it stands for (or than a message) is no saving.
      if (delta.body.length + 512 > Math.min(deps.maxMessageBytes, snap.body.length * 4)) delta = undefined;
    }
    announce(snap, delta, traceparentOf(span));
    timer.lap('announce');
    log.info(delta ? (delta.type === MessageType.RoutesDelta ? 'route delta published' : 'endpoint delta published') : 'snapshot published', {
      version, hash: snap.hash.slice(0, 12), bytes: delta ? delta.body.length : snap.body.length, reason,
      ...(delta?.type === MessageType.EndpointsDelta ? { base, backends: changes!.length } : {}),
      ...(delta?.type === MessageType.RoutesDelta ? { base, rulesChanged: routes!.addedRules.length + routes!.removedRules.length, backendsChanged: routes!.upsertedBackends.length + routes!.removedBackends.length } : {}),
      rules: next.rules.length, backends: next.backends.length, certificates: next.tls.length, rejected: mesh?.errors.length ?? 0,
      signed: keyId ?? 'no', stored: stored === 'stored' ? (snapValue ? 'kv' : 'memory') : 'pending', ms: timer.ms,
    });
    return 'done';
  };

  /**
   * Builds from the directory and `objects`, but a file that no longer
   * parses (a YAML syntax error mid-edit, a file overwritten with binary) is
   * built from its last good text, with its parse errors still reported:
   * like a kubectl apply of a broken file, it changes nothing until it
   * parses again.
   */
  const buildKeepingLastGood = (objects: AppliedState): MeshConfig => {
    let cfg = build(sourcesOf(dirFiles, objects));
    const fileLevel = (e: MeshConfig['errors'][number]) => !e.kind && !e.name && e.file !== '';
    const unparsable = new Set(cfg.errors.filter(fileLevel).map((e) => e.file));
    const substitute = dirFiles.filter((f) => unparsable.has(f.path) && lastGoodText.has(f.path) && lastGoodText.get(f.path) !== f.text);
    if (substitute.length > 0) {
      const kept = new Set(substitute.map((f) => f.path));
      const parseErrors = cfg.errors.filter((e) => fileLevel(e) && kept.has(e.file))
        .map((e) => ({ ...e, message: `${e.message}; serving this file's last good version until it parses again` }));
      const files = dirFiles.map((f) => (kept.has(f.path) ? { ...f, text: lastGoodText.get(f.path)! } : f));
      const rebuilt = build(sourcesOf(files, objects));
      cfg = { ...rebuilt, errors: [...parseErrors, ...rebuilt.errors] };
    }
    for (const f of dirFiles) if (!unparsable.has(f.path)) lastGoodText.set(f.path, f.text);
    return cfg;
  };

  /** Builds (unless `built` is given) from `dirFiles` and `objects`, and publishes. */
  const buildAndPublish = async (reason: string, objects: AppliedState, attempt: number, built?: MeshConfig): Promise<Published> => {
    const buildSpan = built ? undefined : startChildSpan(deps.tracing, 'snapshot build', undefined, { 'meshgate.reason': reason, 'meshgate.files': dirFiles.length });
    const cfg = built ?? buildKeepingLastGood(objects);
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
    versions.observe(latest?.version ?? 0, cfg);
    // The nodes are applying by now: index the directory's objects for the next
    // apply here, rather than on its path (parsing is most of a first apply).
    indexObjects(dirFiles);
    return r;
  };

  /** The directory (or the store) changed: read both, build, publish. */
  const rebuild = async (reason: string) => {
    for (let attempt = 0; ; attempt++) {
      timer = new StageTimer();
      await syncFromStore();
      timer.lap('sync');
      try {
        dirFiles = loadManifestDir(deps.manifestsDir, readCache);
        timer.lap('read');
      } catch (err) {
        log.error('cannot read manifests; the last good snapshot stays live', { dir: deps.manifestsDir, error: (err as Error).message, version: latest?.version ?? 0 });
        return;
      }
      if ((await buildAndPublish(reason, applied, attempt)) === 'done') return;
      if (attempt >= 5) { log.error('the KV store keeps changing under us: another config service is publishing; giving up this change', { reason }); return; }
    }
  };

  const applyRequest = async (req: ApplyRequest): Promise<ApplyReply> => {
    for (let attempt = 0; ; attempt++) {
      timer = new StageTimer();
      // Applies in a burst (a pipeline applying one object after another) skip the read: the
      // compare-and-set write catches anything another config service stored meanwhile, and
      // a conflict comes back here with attempt > 0, which reads.
      if (attempt > 0 || performance.now() - syncedAt > SYNC_SKIP_MS) await syncFromStore();
      timer.lap('sync');
      try { dirFiles = loadManifestDir(deps.manifestsDir, readCache); } catch { /* keep the last good read */ }
      timer.lap('read');
      const r = applyObjects(req, dirFiles, applied, build);
      timer.lap('build');
      // The objects and the snapshot built from them are stored together (one compare-and-set).
      if (r.changed && (await buildAndPublish(`${req.action} ${r.results.map((x) => x.resource).filter(Boolean).join(' ')}`, r.state, attempt, r.built)) === 'conflict') {
        if (attempt < 5) continue; // another config service stored meanwhile: redo on top of it
        throw new Error('the applied objects keep changing in the KV store: try again');
      }
      return { type: AdminMessageType.Result, results: r.results, version: latest?.version ?? 0, hash: latest?.hash ?? '' };
    }
  };

  const getView = (what: GetWhat): GetReply => {
    const base = { type: AdminMessageType.Result, what } as const;
    if (isGatewayApiWhat(what)) return { ...base, gatewayApi: gatewayApiView(mesh, what) };
    switch (what) {
      case 'nodes': return { ...base, nodes: nodes.view() };
      case 'ingresses': return { ...base, ...ingressesView(mesh, applied) };
      case 'backends': return { ...base, backends: (mesh?.backends ?? []).map((b) => ({ id: b.id, endpoints: b.endpoints.map((e) => (e.node ? { id: e.id, node: e.node } : { id: e.id })) })) };
      case 'snapshot': {
        const content = latestContent;
        return {
          ...base,
          snapshot: {
            version: latest?.version ?? 0, hash: latest?.hash ?? '', bytes: latest?.body.length ?? 0, createdAt: latest?.createdAt ?? 0,
            ...(latest?.keyId ? { keyId: latest.keyId } : {}),
            rules: content?.rules.length ?? mesh?.rules.length ?? 0, backends: content?.backends.length ?? mesh?.backends.length ?? 0,
            certificates: content?.tls.length ?? mesh?.tls.length ?? 0,
            store: snapValue ? (unpersisted ? 'KV (store pending: NATS or JetStream unavailable)' : `KV bucket ${subjects.kvBucket}`) : 'memory only',
            errors: (mesh?.errors ?? []).filter((e) => e.kind !== 'Ingress').map(formatManifestError),
          },
        };
      }
    }
  };

  /**
   * Another config service may have applied since (one KV read): show what is stored, as
   * kubectl shows the API server's objects whichever replica answers.
   */
  const readStored = async () => {
    if (!snapValue) return;
    const seen = snapRevision;
    await syncFromStore();
    if (snapRevision === seen) return;
    try { dirFiles = loadManifestDir(deps.manifestsDir, readCache); } catch { /* keep the last good read */ }
    mesh = buildKeepingLastGood(applied);
    versions.observe(latest?.version ?? 0, mesh);
  };

  return {
    async start() { await rebuild('start'); },
    async receive(msg) {
      switch (msg.type) {
        case 'config.v1.reload': return rebuild(msg.reason);
        case 'config.v1.latest': {
          // Another config service may have published since: answer with the newest stored.
          if (snapValue) await syncFromStore();
          if (!latest) return { type: 'none' };
          return latest.body.length + 512 > deps.maxMessageBytes ? refOf(latest) : latest;
        }
        case 'config.v1.reconnected':
          await syncFromStore();
          if (latest && unpersisted) {
            const r = await persist(latest, applied);
            if (r === 'conflict') return rebuild('reconnected');
          }
          if (latest) announce(latest);
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
          return getView(msg.what);
        case 'config.v1.admin-describe':
          await readStored();
          return describeIngress(msg.request, { mesh, applied, versions, nodes: nodes.view(), version: latest?.version ?? 0 }) satisfies DescribeReply;
        case 'config.v1.status': {
          const status: ConfigStatus = {
            version: latest?.version ?? 0, hash: latest?.hash ?? '', manifests: deps.manifestsDir,
            ingresses: mesh?.ingresses ?? [], errors: mesh?.errors.map(formatManifestError) ?? [],
            backends: mesh?.backends.map((b) => ({ id: b.id, endpoints: b.endpoints.map((e) => e.id) })) ?? [],
          };
          return status;
        }
      }
    },
  };
}

function refOf(snap: SnapshotMessage): SnapshotRefMessage {
  return { type: MessageType.SnapshotRef, version: snap.version, hash: snap.hash, bytes: snap.body.length };
}
