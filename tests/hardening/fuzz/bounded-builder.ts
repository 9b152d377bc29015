import { Worker } from 'node:worker_threads';
import type { SourceFile } from '@meshgate/ingress';
import type { BuildReply, BuildRequest } from './build-worker.ts';

export type Outcome =
  | ({ kind: 'done' } & BuildReply)
  /** Did not answer within the deadline: a hang (the worker is replaced). */
  | { kind: 'hung'; ms: number }
  /** The worker thread died (out of memory, native crash). */
  | { kind: 'died'; ms: number; error: string };

/**
 * Runs buildMeshConfig in a worker thread with a deadline per input. A
 * synchronous hang cannot be interrupted from its own thread, so each case
 * runs in this worker and a hung one is terminated and replaced.
 */
export class BoundedBuilder {
  #worker: Worker | undefined;
  #id = 0;
  readonly #heapMb: number;

  constructor(opts: { heapMb?: number } = {}) {
    this.#heapMb = opts.heapMb ?? 1024;
  }

  async build(files: SourceFile[], opts: { deadlineMs: number; secrets?: string[]; twice?: boolean }): Promise<Outcome> {
    const w = (this.#worker ??= new Worker(new URL('./build-worker.ts', import.meta.url), { resourceLimits: { maxOldGenerationSizeMb: this.#heapMb } }));
    const id = ++this.#id;
    const t0 = performance.now();
    return await new Promise<Outcome>((resolve) => {
      const cleanup = () => {
        clearTimeout(timer);
        w.off('message', onMessage);
        w.off('error', onError);
        w.off('exit', onExit);
      };
      const replace = () => {
        this.#worker = undefined;
        void w.terminate();
      };
      const onMessage = (r: BuildReply) => {
        if (r.id !== id) return;
        cleanup();
        resolve({ kind: 'done', ...r });
      };
      const onError = (err: Error) => {
        cleanup();
        replace();
        resolve({ kind: 'died', ms: performance.now() - t0, error: err.message });
      };
      const onExit = (code: number) => onError(new Error(`worker exited with code ${code}`));
      const timer = setTimeout(() => {
        cleanup();
        replace();
        resolve({ kind: 'hung', ms: performance.now() - t0 });
      }, opts.deadlineMs);
      w.on('message', onMessage);
      w.on('error', onError);
      w.on('exit', onExit);
      const req: BuildRequest = { id, files, ...(opts.secrets ? { secrets: opts.secrets } : {}), ...(opts.twice ? { twice: true } : {}) };
      w.postMessage(req);
    });
  }

  async close(): Promise<void> {
    const w = this.#worker;
    this.#worker = undefined;
    await w?.terminate();
  }
}
