// The runtime of one actor: its mailbox, the loop that hands messages to the
// behavior one at a time, and its supervision (restart with backoff, give up).
// The behavior object is replaced on every restart; the cell, its name, its
// ref and its mailbox survive restarts, so refs held elsewhere stay valid and
// queued messages reach the next incarnation.
import type { ActorContext, ActorRef, Behavior, Message, SupervisionOptions, SystemEvent } from './actor-types.ts';
import type { ActorSystem } from './actor-system.ts';
import { backoffDelay, resolveSupervision, RestartWindow, type ResolvedSupervision } from './backoff.ts';
import { ActorStoppedError, AskTimeoutError } from './errors.ts';
import { Mailbox, type Envelope } from './mailbox.ts';

export const DEFAULT_ASK_TIMEOUT_MS = 5000;

/** What a cell needs from its system (kept narrow so the cell is testable on its own). */
export interface CellHost {
  readonly system: ActorSystem;
  /** Bound on waiting for an in-flight message, a start() or a stop() while stopping. */
  readonly stopTimeoutMs: number;
  emit(event: SystemEvent): void;
  spawnChild<C extends Message>(parent: ActorCell<Message>, name: string, factory: () => Behavior<C>, opts?: SupervisionOptions): ActorRef<C>;
  unregister(cell: ActorCell<Message>): void;
}

type CellState = 'starting' | 'running' | 'restarting' | 'stopping' | 'stopped';

class LocalActorRef<M extends Message> implements ActorRef<M> {
  readonly name: string;
  readonly #cell: ActorCell<M>;
  constructor(cell: ActorCell<M>) { this.name = cell.name; this.#cell = cell; }
  tell(msg: M): void { this.#cell.tell(msg); }
  ask<R = unknown>(msg: M, timeoutMs?: number): Promise<R> { return this.#cell.ask<R>(msg, timeoutMs); }
}

/** Resolves when `p` settles or after `ms`, whichever is first; never rejects. */
async function settleWithin(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    p.then(() => {}, () => {}),
    new Promise<void>((resolve) => { timer = setTimeout(resolve, ms); }),
  ]);
  clearTimeout(timer);
}

export class ActorCell<M extends Message> {
  readonly name: string;
  readonly parent: ActorCell<Message> | undefined;
  readonly ref: ActorRef<M>;
  /** Live children by full name, in spawn order (stopped in reverse). */
  readonly children = new Map<string, ActorCell<Message>>();
  /** Settles once: resolves after the first successful start(), rejects if the actor stops before that. */
  readonly started: Promise<void>;

  readonly #host: CellHost;
  readonly #factory: () => Behavior<M>;
  readonly #supervision: ResolvedSupervision;
  readonly #window: RestartWindow;
  readonly #mailbox = new Mailbox<M>();
  readonly #ctx: ActorContext<M>;
  #state: CellState = 'starting';
  #behavior: Behavior<M> | undefined;
  #runningSince: number | undefined;
  #consecutiveCrashes = 0;
  #draining = false;
  #inFlight: Promise<void> | undefined;
  #starting: Promise<void> | undefined;
  #teardown: Promise<void> | undefined;
  #restartTimer: NodeJS.Timeout | undefined;
  #stopping: Promise<void> | undefined;
  #firstStartError: unknown;
  #resolveStarted!: () => void;
  #rejectStarted!: (err: unknown) => void;

  constructor(host: CellHost, name: string, parent: ActorCell<Message> | undefined, factory: () => Behavior<M>, opts?: SupervisionOptions) {
    this.#host = host;
    this.name = name;
    this.parent = parent;
    this.#factory = factory;
    this.#supervision = resolveSupervision(opts);
    this.#window = new RestartWindow(this.#supervision);
    this.ref = new LocalActorRef(this);
    this.started = new Promise<void>((resolve, reject) => { this.#resolveStarted = resolve; this.#rejectStarted = reject; });
    // spawn() callers may never look at `started`; a start failure is reported via onEvent.
    this.started.catch(() => {});
    const self = this as unknown as ActorCell<Message>;
    this.#ctx = {
      name,
      self: this.ref,
      system: host.system,
      spawn: (childName, childFactory, childOpts) => host.spawnChild(self, childName, childFactory, childOpts),
    };
  }

  /** True while the actor accepts messages (including while starting or waiting to restart). */
  get alive(): boolean { return this.#state !== 'stopping' && this.#state !== 'stopped'; }

  /** Called once by the system after the cell is registered. */
  begin(): void { this.#beginStart(true); }

  tell(msg: M): void {
    if (!this.alive) {
      this.#host.emit({ type: 'actor.dead-letter', name: this.name, message: msg });
      return;
    }
    this.#mailbox.push({ msg });
    this.#schedule();
  }

  ask<R>(msg: M, timeoutMs = DEFAULT_ASK_TIMEOUT_MS): Promise<R> {
    if (!this.alive) return Promise.reject(new ActorStoppedError(this.name));
    return new Promise<R>((resolve, reject) => {
      let settled = false;
      const timer = setTimeout(() => {
        settled = true;
        reject(new AskTimeoutError(this.name, timeoutMs));
      }, timeoutMs);
      const env: Envelope<M> = {
        msg,
        reply: {
          resolve: (v) => { if (!settled) { settled = true; clearTimeout(timer); resolve(v as R); } },
          reject: (e) => { if (!settled) { settled = true; clearTimeout(timer); reject(e); } },
        },
      };
      this.#mailbox.push(env);
      this.#schedule();
    });
  }

  /** Stops children (last spawned first), then this actor. Idempotent. */
  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  #emit(event: SystemEvent): void { this.#host.emit(event); }

  #beginStart(first: boolean): void {
    this.#state = 'starting';
    const p = this.#startIncarnation(first);
    this.#starting = p;
    void p.finally(() => { if (this.#starting === p) this.#starting = undefined; });
  }

  async #startIncarnation(first: boolean): Promise<void> {
    try {
      const behavior = this.#factory();
      this.#behavior = behavior;
      await behavior.start?.(this.#ctx);
    } catch (err) {
      // stop() is not called on a behavior whose start() failed; children it spawned are stopped.
      this.#behavior = undefined;
      if (this.#state !== 'starting') return; // stop() took over
      if (first) {
        // A first start that fails is a configuration or environment error
        // (bad config, port in use): restarting would only hide it in a loop.
        this.#firstStartError = err;
        this.#emit({ type: 'actor.start-failed', name: this.name, error: err });
        void this.stop();
      } else {
        this.#crashed(err);
      }
      return;
    }
    if (this.#state !== 'starting') return; // stop() during start(): stop() tears this incarnation down
    this.#state = 'running';
    this.#runningSince = Date.now();
    this.#emit({ type: 'actor.started', name: this.name });
    this.#resolveStarted();
    this.#schedule();
  }

  #schedule(): void {
    if (this.#state !== 'running' || this.#draining || this.#mailbox.size === 0) return;
    this.#draining = true;
    queueMicrotask(() => void this.#drain());
  }

  async #drain(): Promise<void> {
    try {
      while (this.#state === 'running') {
        const env = this.#mailbox.shift();
        if (!env) break;
        const delivery = this.#deliver(env);
        this.#inFlight = delivery;
        await delivery;
        this.#inFlight = undefined;
      }
    } finally {
      this.#draining = false;
    }
  }

  async #deliver(env: Envelope<M>): Promise<void> {
    const behavior = this.#behavior!;
    let result: unknown;
    try {
      result = await behavior.receive(env.msg, this.#ctx);
    } catch (err) {
      // The crashing message is not redelivered; its asker gets the error.
      env.reply?.reject(err);
      if (this.#state === 'running') this.#crashed(err);
      return;
    }
    env.reply?.resolve(result);
  }

  /** receive() threw, or start() threw on a restart. */
  #crashed(error: unknown): void {
    const s = this.#supervision;
    const now = Date.now();
    this.#state = 'restarting';
    if (this.#runningSince !== undefined && now - this.#runningSince >= s.resetAfterMs) this.#consecutiveCrashes = 0;
    this.#runningSince = undefined;

    const giveUp = s.restart === 'never' ? 'restart-never' as const
      : !this.#window.tryRestart(now) ? 'max-restarts' as const
      : undefined;
    if (giveUp) {
      this.#emit({ type: 'actor.crashed', name: this.name, error });
      this.#emit({ type: 'actor.failed', name: this.name, error, reason: giveUp });
      void this.stop();
      return;
    }
    const delay = backoffDelay(++this.#consecutiveCrashes, s);
    this.#emit({ type: 'actor.crashed', name: this.name, error, restartInMs: delay });
    const teardown = this.#teardownIncarnation();
    this.#teardown = teardown;
    void teardown.then(() => {
      if (this.#teardown === teardown) this.#teardown = undefined;
      if (this.#state !== 'restarting') return;
      this.#restartTimer = setTimeout(() => {
        this.#restartTimer = undefined;
        if (this.#state === 'restarting') this.#beginStart(false);
      }, delay);
    });
  }

  /** Children first (they may use the parent's resources), then the behavior's stop(). */
  async #teardownIncarnation(): Promise<void> {
    for (const child of [...this.children.values()].reverse()) await child.stop();
    const behavior = this.#behavior;
    this.#behavior = undefined;
    if (!behavior?.stop) return;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        behavior.stop(this.#ctx),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`stop() did not finish within ${this.#host.stopTimeoutMs} ms`)), this.#host.stopTimeoutMs);
        }),
      ]);
    } catch (err) {
      this.#emit({ type: 'actor.stop-failed', name: this.name, error: err });
    } finally {
      clearTimeout(timer);
    }
  }

  async #stop(): Promise<void> {
    this.#state = 'stopping';
    clearTimeout(this.#restartTimer);
    this.#restartTimer = undefined;
    // Let the current message, start() or crash teardown finish, but not forever.
    const busy = [this.#inFlight, this.#starting, this.#teardown].filter((p) => p !== undefined);
    if (busy.length > 0) await settleWithin(Promise.allSettled(busy), this.#host.stopTimeoutMs);
    await this.#teardownIncarnation();
    this.#state = 'stopped';
    for (const env of this.#mailbox.drainAll()) {
      if (env.reply) env.reply.reject(new ActorStoppedError(this.name));
      else this.#emit({ type: 'actor.dead-letter', name: this.name, message: env.msg });
    }
    this.#host.unregister(this as unknown as ActorCell<Message>);
    this.#rejectStarted(this.#firstStartError ?? new ActorStoppedError(this.name));
    this.#emit({ type: 'actor.stopped', name: this.name });
  }
}
