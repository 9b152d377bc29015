// The registry of actors by full path and the entry point for spawning and
// shutting them down. Supervision itself lives in each ActorCell.
import { ActorCell, type CellHost } from './actor-cell.ts';
import type { ActorRef, Behavior, Message, SupervisionOptions, SystemEvent } from './actor-types.ts';
import { ActorNameTakenError, ActorStoppedError, ActorSystemShutDownError, InvalidActorNameError } from './errors.ts';

export interface ActorSystemOptions {
  name?: string;
  /** Lifecycle events (started, crashed, stopped, dead letters...): the place to log and count. */
  onEvent?: (e: SystemEvent) => void;
  /** Bound on waiting for an in-flight message, start() or stop() while stopping one actor. Default 5000. */
  stopTimeoutMs?: number;
}

export class ActorSystem {
  readonly name: string;
  readonly #cells = new Map<string, ActorCell<Message>>();
  /** Top-level actors in spawn order; shutdown stops them in reverse. */
  readonly #roots = new Set<ActorCell<Message>>();
  readonly #onEvent: ((e: SystemEvent) => void) | undefined;
  readonly #host: CellHost;
  #shutdown: Promise<void> | undefined;

  constructor(opts: ActorSystemOptions = {}) {
    this.name = opts.name ?? 'meshgate';
    this.#onEvent = opts.onEvent;
    this.#host = {
      system: this,
      stopTimeoutMs: opts.stopTimeoutMs ?? 5000,
      emit: (e) => this.#emit(e),
      spawnChild: (parent, name, factory, childOpts) => this.#spawn(name, factory, childOpts, parent).ref,
      unregister: (cell) => {
        if (this.#cells.get(cell.name) === cell) this.#cells.delete(cell.name);
        this.#roots.delete(cell);
        cell.parent?.children.delete(cell.name);
      },
    };
  }

  /** Starts the actor in the background; a failing first start() is reported as 'actor.start-failed'. */
  spawn<M extends Message>(name: string, factory: () => Behavior<M>, opts?: SupervisionOptions): ActorRef<M> {
    return this.#spawn(name, factory, opts, undefined).ref;
  }

  /** Resolves once start() succeeded; rejects with start()'s error (the actor is then stopped). */
  async spawnAndStart<M extends Message>(name: string, factory: () => Behavior<M>, opts?: SupervisionOptions): Promise<ActorRef<M>> {
    const cell = this.#spawn(name, factory, opts, undefined);
    await cell.started;
    return cell.ref;
  }

  /** The live actor at a full path ('proxy-node/snapshot-watcher'), if any. */
  lookup<M extends Message>(name: string): ActorRef<M> | undefined {
    return this.#cells.get(name)?.ref as ActorRef<M> | undefined;
  }

  /** Stops an actor and its children; resolves when done (immediately if no such actor). */
  async stop(name: string): Promise<void> {
    await this.#cells.get(name)?.stop();
  }

  /** Stops every actor, last spawned first, children before parents. Idempotent. */
  shutdown(): Promise<void> {
    this.#shutdown ??= (async () => {
      // Sequential on purpose: later actors usually depend on earlier ones.
      for (const cell of [...this.#roots].reverse()) await cell.stop();
    })();
    return this.#shutdown;
  }

  #spawn<M extends Message>(name: string, factory: () => Behavior<M>, opts: SupervisionOptions | undefined, parent: ActorCell<Message> | undefined): ActorCell<M> {
    if (this.#shutdown) throw new ActorSystemShutDownError(this.name);
    if (typeof name !== 'string' || name === '' || name.includes('/')) throw new InvalidActorNameError(name);
    if (parent && !parent.alive) throw new ActorStoppedError(parent.name);
    const fullName = parent ? `${parent.name}/${name}` : name;
    if (this.#cells.has(fullName)) throw new ActorNameTakenError(fullName);
    const cell = new ActorCell<M>(this.#host, fullName, parent, factory, opts);
    const erased = cell as unknown as ActorCell<Message>;
    this.#cells.set(fullName, erased);
    if (parent) parent.children.set(fullName, erased);
    else this.#roots.add(erased);
    cell.begin();
    return cell;
  }

  #emit(e: SystemEvent): void {
    if (!this.#onEvent) return;
    try {
      this.#onEvent(e);
    } catch {
      // A broken event sink must not take actors down with it.
    }
  }
}
