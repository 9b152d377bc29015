import type { SnapshotClient, SnapshotMessage } from '@meshgate/protocol';
import type { LastKnownGood } from './last-known-good.ts';
import type { SnapshotLedger } from './snapshot-ledger.ts';
import { spreadLimit } from './spread.ts';

/**
 * Housekeeping that grows with the table size is kept off the path of a
 * change: route deltas are folded into one snapshot for replacement workers,
 * and the last-known-good record re-based on the stored full snapshot, once
 * the node has had no change for IDLE_MS (checked on the heartbeat tick) and
 * holds at least the `idle` count; a node that never idles does it right
 * after an ACK past its `max` count. (On one machine with 50 nodes, every
 * node folding at the same change cost that change a second.) `max` is the
 * base below spread over [base, 2 * base) by node id (spread.ts): every node
 * gets the same deltas, so with one limit for all, a mesh that is never
 * idle still folded everywhere at the same change (at 50 nodes on 2 cores,
 * 105 to 238 ms for that change instead of about 30).
 */
const IDLE_MS = 1_000;
const FOLD_DELTAS = { idle: 32, max: 256 };
const LKG_DELTAS = { idle: 64, max: 256 };

export interface UpkeepDeps {
  nodeId: string;
  ledger: SnapshotLedger;
  client: SnapshotClient;
  lastKnownGood?: LastKnownGood | undefined;
  /** The stored full snapshot of the node's version, read to re-base the last-known-good record (verify it first). */
  onStored(snap: SnapshotMessage): void;
}

export class NodeUpkeep {
  readonly #d: UpkeepDeps;
  /** This node's hard limits (see FOLD_DELTAS). */
  readonly #foldAt: { idle: number; max: number };
  readonly #rebaseAt: { idle: number; max: number };
  /** When the last version was handed to the workers (performance.now()). */
  #lastChangeAt = 0;
  #rebasing = false;

  constructor(d: UpkeepDeps) {
    this.#d = d;
    this.#foldAt = { idle: FOLD_DELTAS.idle, max: spreadLimit(FOLD_DELTAS.max, d.nodeId) };
    this.#rebaseAt = { idle: LKG_DELTAS.idle, max: spreadLimit(LKG_DELTAS.max, `${d.nodeId}/lkg`) };
  }

  /** A version was handed to the workers now. */
  changed(now: number): void {
    this.#lastChangeAt = now;
  }

  /** Quiet for IDLE_MS. */
  idle(now: number): boolean {
    return now - this.#lastChangeAt >= IDLE_MS;
  }

  /** Past a hard limit: compact right after the current ACK. */
  pastMax(): boolean {
    return this.#d.ledger.deltaCount >= this.#foldAt.max || (this.#d.lastKnownGood?.deltaCount ?? 0) >= this.#rebaseAt.max;
  }

  /** Folds the route deltas and re-bases the last-known-good record where past the idle (or the hard) limits. */
  run(idle: boolean): void {
    const limit = idle ? 'idle' : 'max';
    // Replacement workers start from the ledger: running workers already serve the folded content.
    if (this.#d.ledger.deltaCount >= this.#foldAt[limit]) this.#d.ledger.fold();
    this.#rebaseLastKnownGood(this.#rebaseAt[limit]);
  }

  /**
   * Route deltas make the last-known-good record grow by one message a
   * change. Past `atDeltas` (LKG_DELTAS), the signed full snapshot of this
   * version is read from the KV store (the config service stores every
   * version) and becomes the record's new base.
   */
  #rebaseLastKnownGood(atDeltas: number): void {
    const lkg = this.#d.lastKnownGood;
    if (!lkg || !this.#d.client.hasStore || this.#rebasing || lkg.deltaCount < atDeltas) return;
    this.#rebasing = true;
    const version = this.#d.ledger.version;
    this.#d.client.stored().then((snap) => {
      if (snap && snap.version === version) this.#d.onStored(snap);
    }, () => {}).finally(() => { this.#rebasing = false; });
  }
}
