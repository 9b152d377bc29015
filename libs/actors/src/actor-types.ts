// The contracts between an actor's code and the runtime. Kept free of runtime
// code so services can import them without pulling in the system.
import type { ActorSystem } from './actor-system.ts';

/** Every message is a plain object with a versioned type name, e.g. 'proxy.v1.snapshot'. */
export interface Message { readonly type: string }

export interface ActorContext<M extends Message> {
  /** Full path, e.g. 'proxy-node/snapshot-watcher'. */
  readonly name: string;
  readonly self: ActorRef<M>;
  readonly system: ActorSystem;
  /**
   * Spawn a child named `${ctx.name}/${name}`. It is supervised like any actor
   * (its crashes restart only it), and it is stopped before this actor stops
   * or restarts, so a restarted parent can spawn its children again.
   */
  spawn<C extends Message>(name: string, factory: () => Behavior<C>, opts?: SupervisionOptions): ActorRef<C>;
}

export interface Behavior<M extends Message> {
  /** Runs before the first message of each incarnation. */
  start?(ctx: ActorContext<M>): void | Promise<void>;
  /** One message at a time; the (awaited) return value is the reply to ask(). */
  receive(msg: M, ctx: ActorContext<M>): unknown | Promise<unknown>;
  /** On stop and before a restart; errors are reported as 'actor.stop-failed', never thrown. */
  stop?(ctx: ActorContext<M>): void | Promise<void>;
}

export interface ActorRef<M extends Message> {
  readonly name: string;
  /** Fire and forget; never throws. To a stopped actor: dropped and reported as 'actor.dead-letter'. */
  tell(msg: M): void;
  /** Default timeout 5000 ms; rejects AskTimeoutError, ActorStoppedError or the handler's error. */
  ask<R = unknown>(msg: M, timeoutMs?: number): Promise<R>;
}

export interface SupervisionOptions {
  /** Default 'always'. With 'never' a crash stops the actor. */
  restart?: 'always' | 'never';
  /** Default 100; doubles per consecutive crash up to maxBackoffMs, ±20 % jitter. */
  minBackoffMs?: number;
  /** Default 10_000. */
  maxBackoffMs?: number;
  /** Default 10 restarts within windowMs; one more crash stops the actor ('actor.failed'). */
  maxRestarts?: number;
  /** Default 60_000. */
  windowMs?: number;
  /**
   * An incarnation that ran this long before crashing counts as healthy: the
   * backoff starts again from minBackoffMs. Default: maxBackoffMs.
   */
  resetAfterMs?: number;
}

export type SystemEvent =
  | { type: 'actor.started'; name: string }
  | { type: 'actor.crashed'; name: string; error: unknown; restartInMs?: number }
  /** start() threw on the FIRST start: the actor is stopped, never retried. */
  | { type: 'actor.start-failed'; name: string; error: unknown }
  /** Gave up after a crash: too many restarts within the window ('max-restarts') or restart: 'never'. */
  | { type: 'actor.failed'; name: string; error: unknown; reason: 'max-restarts' | 'restart-never' }
  /** Behavior.stop() threw; the actor is stopped or restarted anyway. */
  | { type: 'actor.stop-failed'; name: string; error: unknown }
  | { type: 'actor.stopped'; name: string }
  | { type: 'actor.dead-letter'; name: string; message: Message };
