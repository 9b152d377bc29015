/** A version handed to the workers and not yet applied by all of them. */
export interface Pending<Span = unknown> {
  readonly version: number;
  readonly hash: string;
  /** When it was handed over (performance.now()). */
  readonly since: number;
  /** The version the node served before: a NACK says it keeps that one. */
  readonly previous: number;
  /** Writes the last-known-good record once every worker applied it. */
  save?: (() => void) | undefined;
  span?: Span | undefined;
  /** When the first worker served it (epoch ms). */
  servingAt?: number;
}

/**
 * Which version each worker applied, and the one version the node waits
 * for: it is ACKed (and saved) once every worker applied it, NACKed when
 * one refuses it. Pure: the caller publishes, saves and ends spans.
 */
export class AckTracker<Span = unknown> {
  /** Version applied by each worker (0 = none yet). */
  readonly workerVersions: number[];
  pending: Pending<Span> | undefined;

  constructor(workers: number) {
    this.workerVersions = new Array<number>(workers).fill(0);
  }

  /** Whether every worker serves a version. */
  get ready(): boolean {
    return this.workerVersions.every((v) => v > 0);
  }

  /** Waits for `p` now; returns the pending one it supersedes. */
  begin(p: Pending<Span>): Pending<Span> | undefined {
    const before = this.pending;
    this.pending = p;
    return before;
  }

  /**
   * Worker `index` applied `version` at `at` (epoch ms). Returns the pending
   * version once every worker has it or a newer one (a worker may be past
   * it: in direct mode it takes route deltas from NATS); it is then no
   * longer pending.
   */
  applied(index: number, version: number, at: number): Pending<Span> | undefined {
    this.workerVersions[index] = version;
    const p = this.pending;
    if (!p) return undefined;
    if (version >= p.version) p.servingAt = Math.max(p.servingAt ?? 0, at);
    if (!this.workerVersions.every((v) => v >= p.version)) return undefined;
    this.pending = undefined;
    return p;
  }

  /** A worker refused `version`: the pending version, if it was that one (then no longer pending). */
  refused(version: number): Pending<Span> | undefined {
    const p = this.pending;
    if (p?.version !== version) return undefined;
    this.pending = undefined;
    return p;
  }

  /** Worker `index` reported it holds `version` (or a newer one it reported earlier). */
  reported(index: number, version: number): void {
    this.workerVersions[index] = Math.max(this.workerVersions[index] ?? 0, version);
  }

  /** Worker `index` died: its replacement has nothing yet. */
  exited(index: number): void {
    this.workerVersions[index] = 0;
  }

  /** The workers that hold an older version than `version`. */
  behind(version: number): number[] {
    return this.workerVersions.flatMap((v, i) => (v < version ? [i] : []));
  }

  /**
   * Runs `save` after the pending version's own save, which it sits on:
   * true when chained, false when nothing is pending to save (run it now).
   */
  saveAfter(save: () => void): boolean {
    const p = this.pending;
    if (!p?.save) return false;
    const first = p.save;
    p.save = () => { first(); save(); };
    return true;
  }
}
