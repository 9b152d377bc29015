import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { Piscina } from 'piscina';
import type { EndpointLiveness } from '@meshgate/protocol';
import type { Logger } from '@meshgate/telemetry';
import type { AppliedSnapshot, FromWorker, ListenAddress, ServeTask, ToWorker } from './worker/messages.ts';

export interface WorkerPoolOptions {
  count: number;
  nodeId: string;
  http: ListenAddress;
  https?: ListenAddress;
  log: Logger;
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

  constructor(opts: WorkerPoolOptions) {
    this.#opts = opts;
    this.#ports = new Array(opts.count).fill(undefined);
    this.#restarts = new Array(opts.count).fill(0);
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
    port1.on('message', (m: FromWorker) => this.#opts.onMessage(m));
    this.#ports[index] = port1;
    const task: ServeTask = {
      index, nodeId: this.#opts.nodeId, port: port2,
      http: this.#opts.http, https: this.#opts.https, snapshot: this.#snapshot, liveness: this.#liveness,
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

  setSnapshot(snapshot: AppliedSnapshot): void {
    this.#snapshot = snapshot;
    this.#broadcast({ type: 'worker.v1.snapshot', snapshot });
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
