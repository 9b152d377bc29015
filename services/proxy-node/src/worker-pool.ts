import { randomBytes } from 'node:crypto';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { Piscina } from 'piscina';
import type { EndpointLiveness } from '@meshgate/protocol';
import type { Logger } from '@meshgate/telemetry';
import type { AppliedDelta, AppliedSnapshot, DataPlaneLimits, FromWorker, ListenAddress, ServeTask, ToWorker, WorkerControl } from './worker/messages.ts';

export interface WorkerPoolOptions {
  count: number;
  nodeId: string;
  http: ListenAddress;
  https?: ListenAddress;
  log: Logger;
  /** Listener limits (the proxy's flags); unset ones: the data plane's defaults (worker/data-plane.ts). */
  limits?: Partial<DataPlaneLimits>;
  /** Set: each worker takes route deltas from NATS itself (`name` gets the worker index appended). */
  control?: WorkerControl;
  /** What a replacement (or lagging) worker gets: the node's snapshot and the route deltas since. Default: the last setSnapshot(). */
  current?: () => AppliedSnapshot | undefined;
  /** The node's rate-limit counters (LimitTable's buffer): every worker, replacements too, maps the same. */
  limitTable?: SharedArrayBuffer;
  onMessage(msg: FromWorker): void;
  /** A worker's serve task failed (crash or start-up error). */
  onWorkerExit(index: number, error: unknown): void;
}

/**
 * The node's data-plane threads: a piscina pool running one long-lived serve
 * task per worker. When a worker dies its task rejects, piscina replaces the
 * thread, and the pool starts a new serve task handed the node's current
 * snapshot and liveness, while the other workers keep serving.
 */
export class WorkerPool {
  readonly #opts: WorkerPoolOptions;
  readonly #pool: Piscina;
  readonly #ports: (MessagePort | undefined)[];
  readonly #tasks: Promise<unknown>[] = [];
  readonly #restarts: number[];
  #snapshot: AppliedSnapshot | undefined;
  #liveness: readonly EndpointLiveness[] = [];
  #stopping = false;
  /** Every worker of this node encrypts session tickets with the same keys: a TLS session resumes on any of them. */
  readonly #ticketKeys = randomBytes(48);
  readonly #limits: Partial<DataPlaneLimits>;
  readonly #threadIds: (number | undefined)[];
  /** requestRoutes() calls waiting for each worker's reply. */
  #reportWaiters: { left: Set<number>; done: () => void }[] = [];

  constructor(opts: WorkerPoolOptions) {
    this.#opts = opts;
    this.#ports = new Array(opts.count).fill(undefined);
    this.#restarts = new Array(opts.count).fill(0);
    this.#threadIds = new Array(opts.count).fill(undefined);
    this.#limits = { ...opts.limits };
    this.#pool = new Piscina({
      filename: new URL('./worker/data-plane.ts', import.meta.url).href,
      minThreads: opts.count,
      maxThreads: opts.count,
      concurrentTasksPerWorker: 1,
      idleTimeout: 2 ** 31 - 1,
      atomics: 'disabled',
      // A serve task runs for the node's whole life: never queue a second one behind it.
      maxQueue: opts.count,
    });
  }

  get count(): number { return this.#opts.count; }

  start(): void {
    for (let i = 0; i < this.#opts.count; i++) this.#run(i);
  }

  #run(index: number): void {
    const { port1, port2 } = new MessageChannel();
    port1.on('message', (m: FromWorker) => {
      if (m.type === 'worker.v1.listening') this.#threadIds[m.index] = m.threadId;
      this.#opts.onMessage(m);
      if (m.type === 'worker.v1.routes' && m.reply) this.#replied(m.index);
    });
    this.#ports[index] = port1;
    const task: ServeTask = {
      index, nodeId: this.#opts.nodeId, port: port2,
      http: this.#opts.http, https: this.#opts.https, snapshot: this.#current(), liveness: this.#liveness,
      ticketKeys: this.#ticketKeys, limits: this.#limits, ...(this.#opts.limitTable ? { limitTable: this.#opts.limitTable } : {}),
      ...(this.#opts.control ? { control: { ...this.#opts.control, name: `${this.#opts.control.name} worker ${index}` } } : {}),
    };
    const p = this.#pool.run(task, { transferList: [port2 as never] }).then(
      () => { port1.close(); },
      (err: unknown) => {
        port1.close();
        this.#ports[index] = undefined;
        if (this.#stopping) return;
        this.#opts.onWorkerExit(index, err);
        const delay = Math.min(100 * 2 ** this.#restarts[index]!, 5_000);
        this.#restarts[index]!++;
        setTimeout(() => { if (!this.#stopping) this.#run(index); }, delay).unref();
        // A worker that has served for a while earns a fresh backoff.
        setTimeout(() => { this.#restarts[index] = 0; }, 30_000).unref();
      },
    );
    this.#tasks[index] = p;
  }

  /**
   * Ends one worker thread abruptly, as a crash would (operators recycling a
   * worker, tests). Its serve task rejects and a replacement starts with the
   * current snapshot. False when that worker is not running.
   */
  async terminateWorker(index: number): Promise<boolean> {
    const id = this.#threadIds[index];
    const w = id === undefined ? undefined : this.#pool.threads.find((t) => t.threadId === id);
    if (!w) return false;
    this.#threadIds[index] = undefined;
    await w.terminate();
    return true;
  }

  setSnapshot(snapshot: AppliedSnapshot): void {
    this.#snapshot = snapshot;
    this.#broadcast({ type: 'worker.v1.snapshot', snapshot });
  }

  #current(): AppliedSnapshot | undefined {
    return this.#opts.current ? this.#opts.current() : this.#snapshot;
  }

  /**
   * A route delta: the workers patch their tables (a replacement worker gets
   * it with `current`). `to`: only these workers (the others took it from
   * NATS already).
   */
  applyDelta(delta: AppliedDelta, to?: readonly number[]): void {
    const msg: ToWorker = { type: 'worker.v1.delta', delta };
    if (to) for (const i of to) this.#ports[i]?.postMessage(msg);
    else this.#broadcast(msg);
  }

  /** The node's snapshot and the deltas since, to one worker that fell behind. */
  resend(index: number): void {
    const snapshot = this.#current();
    if (snapshot) this.#ports[index]?.postMessage({ type: 'worker.v1.snapshot', snapshot } satisfies ToWorker);
  }

  /**
   * Asks every worker for the route deltas it took from NATS and has not
   * reported yet; resolves once each has answered (their answers reach
   * onMessage first) or after timeoutMs.
   */
  requestRoutes(timeoutMs = 500): Promise<void> {
    const left = new Set(this.#ports.flatMap((p, i) => (p ? [i] : [])));
    if (left.size === 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => { this.#reportWaiters = this.#reportWaiters.filter((w) => w !== waiter); resolve(); }, timeoutMs);
      const waiter = { left, done: () => { clearTimeout(timer); resolve(); } };
      this.#reportWaiters.push(waiter);
      this.#broadcast({ type: 'worker.v1.report' });
    });
  }

  #replied(index: number): void {
    for (const w of this.#reportWaiters) {
      w.left.delete(index);
      if (w.left.size === 0) w.done();
    }
    this.#reportWaiters = this.#reportWaiters.filter((w) => w.left.size > 0);
  }

  setLiveness(all: readonly EndpointLiveness[], delta: readonly EndpointLiveness[]): void {
    this.#liveness = all;
    if (delta.length) this.#broadcast({ type: 'worker.v1.liveness', kind: 'delta', endpoints: delta });
  }

  #broadcast(msg: ToWorker): void {
    for (const p of this.#ports) p?.postMessage(msg);
  }

  /** Asks every worker to stop accepting and finish in-flight requests, then ends the pool. */
  async drain(graceMs: number): Promise<void> {
    this.#stopping = true;
    this.#broadcast({ type: 'worker.v1.drain', graceMs });
    await Promise.race([
      Promise.allSettled(this.#tasks),
      new Promise((r) => setTimeout(r, graceMs + 2_000).unref()),
    ]);
    await this.#pool.destroy();
  }
}
