import { applyRouteChanges, decodeSnapshotContent, msgpackCodec, type SnapshotContent } from '@meshgate/protocol';
import type { AppliedDelta, AppliedSnapshot } from './worker/messages.ts';

/** push: announced on NATS (a stale one is NACKed); pull: asked for (KV or config service); disk: last-known-good. */
export type SnapshotSource = 'push' | 'pull' | 'disk';

/**
 * What the node serves: its version, the packed content of its last full
 * snapshot and the route deltas applied since, in order. A replacement
 * worker starts from `applied()`; endpoint deltas and folds start from
 * `content()`, which is decoded and brought up to date only when asked,
 * never on a route delta's path. Pure: no I/O, no clock.
 */
export class SnapshotLedger {
  version = 0;
  hash = '';
  /** Where the current version came from. */
  source: SnapshotSource | undefined;
  #base: AppliedSnapshot | undefined;
  #deltas: AppliedDelta[] = [];
  /** `#base` decoded, with the first `#contentAt` of `#deltas` applied. */
  #content: SnapshotContent | undefined;
  #contentAt = 0;

  /** Whether there is a full snapshot a delta can sit on. */
  get hasBase(): boolean { return this.#base !== undefined; }

  /** Route deltas on top of the last full snapshot. */
  get deltaCount(): number { return this.#deltas.length; }

  /** A full snapshot (`content`: its decoded content, when the caller has it). */
  serve(snapshot: AppliedSnapshot, source: SnapshotSource, content?: SnapshotContent): void {
    this.version = snapshot.version;
    this.hash = snapshot.hash;
    this.source = source;
    this.#base = snapshot;
    this.#deltas = [];
    this.#content = content;
    this.#contentAt = 0;
  }

  /** A route delta on the current version: it becomes the version. */
  hold(delta: AppliedDelta): void {
    this.version = delta.version;
    this.hash = delta.hash;
    this.source = 'push';
    this.#deltas.push(delta);
  }

  /** The content of the current version. */
  content(): SnapshotContent {
    if (!this.#base) throw new Error('no snapshot yet');
    if (!this.#content) { this.#content = decodeSnapshotContent<SnapshotContent>(this.#base.packed); this.#contentAt = 0; }
    if (this.#contentAt < this.#deltas.length) this.#content = applyRouteChanges(this.#content, ...this.#deltas.slice(this.#contentAt).map((d) => d.changes));
    this.#contentAt = this.#deltas.length;
    return this.#content;
  }

  /** The current version packed whole (a worker that cannot patch gets it). */
  packedNow(): Uint8Array {
    return msgpackCodec.encode(this.content());
  }

  /** Folds the route deltas into one snapshot of the current version; undefined when there are none. */
  fold(): AppliedSnapshot | undefined {
    if (this.#deltas.length === 0) return undefined;
    const content = this.content();
    this.#base = { version: this.version, hash: this.hash, packed: msgpackCodec.encode(content) };
    this.#deltas = [];
    this.#contentAt = 0;
    return this.#base;
  }

  /** What a replacement worker starts from: the full snapshot and the route deltas since. */
  applied(): AppliedSnapshot | undefined {
    if (!this.#base || this.#deltas.length === 0) return this.#base;
    return { ...this.#base, deltas: [...this.#deltas] };
  }
}
