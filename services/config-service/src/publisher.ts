import type { KeyObject } from 'node:crypto';
import type { Transport } from '@meshgate/actors';
import {
  MessageType, encodeSnapshot, keyIdOf, signMessage,
  type EndpointsDeltaMessage, type RoutesDeltaMessage, type SnapshotContent, type SnapshotMessage, type Subjects,
} from '@meshgate/protocol';
import { endSpan, startChildSpan, traceparentOf, type Logger, type Tracing } from '@meshgate/telemetry';
import type { AppliedState } from './applied-objects.ts';
import { announcementOf, deltaFor, nextVersion, planPublish, type PublishPlan } from './publish-plan.ts';
import type { StageTimer } from './stage-timer.ts';
import { CONFLICT, type StoreSync } from './store-sync.ts';

export interface PublisherDeps {
  transport: Transport;
  subjects: Subjects;
  log: Logger;
  store: StoreSync;
  signingKey?: KeyObject | undefined;
  tracing?: Tracing | undefined;
  /** Snapshots larger than this go out as a reference to the KV store (NATS max_payload). */
  maxMessageBytes: number;
  /** Told of each version announced, after the announcement: `prev` is the content it replaces (the dashboard's change log). */
  onPublished?: ((p: { version: number; reason: string; prev: SnapshotContent | undefined; plan: PublishPlan }) => void) | undefined;
}

/** 'conflict': another config service stored first (sync, build again). */
export type Published = 'done' | typeof CONFLICT;
type Span = ReturnType<typeof startChildSpan>;

/**
 * Publishes a built content: a new version is signed, stored (StoreSync)
 * and then announced on core NATS as an endpoint delta, a route delta or
 * the full snapshot (publish-plan.ts), or a reference to it when it is too
 * large for one message. Unchanged content (equal hash) is not published.
 */
export class Publisher {
  readonly #d: PublisherDeps;
  readonly keyId: string | undefined;

  constructor(d: PublisherDeps) {
    this.#d = d;
    this.keyId = d.signingKey ? keyIdOf(d.signingKey) : undefined;
  }

  #sign<T extends SnapshotMessage | EndpointsDeltaMessage | RoutesDeltaMessage>(m: T): T {
    return this.#d.signingKey ? signMessage(m, this.#d.signingKey, this.keyId) : m;
  }

  announce(snap: SnapshotMessage, delta?: EndpointsDeltaMessage | RoutesDeltaMessage, traceparent?: string): void {
    const { transport, subjects } = this.#d;
    // The publish span's context rides along (unsigned) so each node's apply span joins this trace.
    const tp = traceparent ? { traceparent } : {};
    try {
      if (delta) transport.publish(delta.type === MessageType.RoutesDelta ? subjects.routes : subjects.endpoints, { ...delta, ...tp });
      else transport.publish(subjects.snapshot, { ...announcementOf(snap, this.#d.maxMessageBytes), ...tp });
    } catch (err) {
      this.#d.log.warn('cannot announce the snapshot now; nodes catch up from the KV store', { version: snap.version, error: (err as Error).message });
    }
  }

  /** Publishes `content` built from the applied objects `objects` (`rejected`: objects the build refused, for the log). */
  async publish(content: SnapshotContent, objects: AppliedState, reason: string, attempt: number, parent: Span, timer: StageTimer, rejected: number): Promise<Published> {
    const span = startChildSpan(this.#d.tracing, 'snapshot publish', parent, { 'meshgate.reason': reason, 'meshgate.attempt': attempt });
    try {
      const r = await this.#publishIn(span, content, objects, timer, { reason, rejected });
      if (r === CONFLICT) span?.setAttribute('meshgate.conflict', true);
      endSpan(span);
      return r;
    } catch (err) {
      endSpan(span, err);
      throw err;
    }
  }

  async #publishIn(span: Span, content: SnapshotContent, objects: AppliedState, timer: StageTimer, why: { reason: string; rejected: number }): Promise<Published> {
    const store = this.#d.store;
    const latest = store.latest;
    const prev = latest ? store.content() : undefined;
    const plan = planPublish(prev, content);
    timer.lap('diff');
    const version = nextVersion(latest?.version ?? 0, Date.now());
    let snap = encodeSnapshot(plan.next, version);
    timer.lap('encode');
    span?.setAttributes({ 'meshgate.snapshot.version': version, 'meshgate.snapshot.hash': snap.hash.slice(0, 12), 'meshgate.snapshot.bytes': snap.body.length });
    if (latest && snap.hash === latest.hash) {
      span?.setAttribute('meshgate.snapshot.unchanged', true);
      // Nothing to announce; store what is not stored yet: changed applied objects (a refused
      // apply is remembered), or a version made while the store was away.
      if (objects === store.applied && !store.unpersisted) return 'done';
      return (await store.store(latest, objects)) === CONFLICT ? CONFLICT : 'done';
    }
    snap = this.#sign(snap);
    const base = latest?.version ?? 0;
    timer.lap('sign');
    const stored = await store.store(snap, objects);
    timer.lap('store');
    if (stored === CONFLICT) return CONFLICT;
    store.published(snap, plan.next);
    const unsigned = deltaFor(plan, snap, base, this.#d.maxMessageBytes);
    const delta = unsigned ? this.#sign(unsigned) : undefined;
    this.announce(snap, delta, traceparentOf(span));
    timer.lap('announce');
    this.#d.onPublished?.({ version, reason: why.reason, prev, plan });
    this.#d.log.info(delta ? (delta.type === MessageType.RoutesDelta ? 'route delta published' : 'endpoint delta published') : 'snapshot published', {
      version, hash: snap.hash.slice(0, 12), bytes: delta ? delta.body.length : snap.body.length, reason: why.reason,
      ...deltaFields(delta, plan, base),
      rules: plan.next.rules.length, backends: plan.next.backends.length, certificates: plan.next.tls.length, rejected: why.rejected,
      signed: this.keyId ?? 'no', stored: stored === 'stored' ? (store.durable ? 'kv' : 'memory') : 'pending', ms: timer.ms,
    });
    return 'done';
  }
}

/** What a published delta changed, for the log. */
function deltaFields(delta: EndpointsDeltaMessage | RoutesDeltaMessage | undefined, plan: PublishPlan, base: number): Record<string, number> {
  if (delta?.type === MessageType.EndpointsDelta) return { base, backends: plan.endpoints!.length };
  if (delta?.type !== MessageType.RoutesDelta) return {};
  const r = plan.routes!;
  return { base, rulesChanged: r.addedRules.length + r.removedRules.length, backendsChanged: r.upsertedBackends.length + r.removedBackends.length };
}
