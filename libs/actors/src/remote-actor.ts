// Bridges actors onto a transport subject: tell = publish, ask = request.
// Errors cross the wire as `{ type: 'error', code, message }` replies (class
// identity cannot travel; stable codes can) and become RemoteError again.
import type { ActorRef, Message } from './actor-types.ts';
import { DEFAULT_ASK_TIMEOUT_MS } from './actor-cell.ts';
import { errorCode, errorMessage, RemoteError } from './errors.ts';
import type { SubscribeOptions, Subscription, Transport } from './transport.ts';

/** The reply an exposed actor sends when handling an ask failed. */
export interface ErrorReply { type: 'error'; code: string; message: string }

export function isErrorReply(value: unknown): value is ErrorReply {
  const v = value as Partial<ErrorReply> | null;
  return typeof v === 'object' && v !== null && v.type === 'error' && typeof v.code === 'string' && typeof v.message === 'string';
}

function isMessage(value: unknown): value is Message {
  return typeof value === 'object' && value !== null && typeof (value as Message).type === 'string';
}

export interface ExposeActorOptions extends SubscribeOptions {
  /** Timeout of the local ask made for each request. Default 5000 ms. */
  askTimeoutMs?: number;
}

/**
 * Serves `ref` on `subject`: published messages are told, requests are asked
 * and answered with the result, or with an ErrorReply (the error's own code,
 * else MESHGATE_ACTOR_ERROR). Malformed payloads (no string `type`) are
 * answered with MESHGATE_BAD_MESSAGE, or dropped when published.
 */
export function exposeActor<M extends Message>(transport: Transport, subject: string, ref: ActorRef<M>, opts: ExposeActorOptions = {}): Subscription {
  const askTimeoutMs = opts.askTimeoutMs ?? DEFAULT_ASK_TIMEOUT_MS;
  return transport.subscribe(subject, async (m) => {
    if (!m.reply) {
      if (isMessage(m.data)) ref.tell(m.data as M);
      return;
    }
    if (!isMessage(m.data)) {
      m.reply({ type: 'error', code: 'MESHGATE_BAD_MESSAGE', message: `message on ${m.subject} has no string 'type'` } satisfies ErrorReply);
      return;
    }
    let result: unknown;
    try {
      result = await ref.ask(m.data as M, askTimeoutMs);
    } catch (err) {
      m.reply({ type: 'error', code: errorCode(err, 'MESHGATE_ACTOR_ERROR'), message: errorMessage(err) } satisfies ErrorReply);
      return;
    }
    m.reply(result);
  }, { queue: opts.queue });
}

class RemoteActorRef<M extends Message> implements ActorRef<M> {
  readonly name: string;
  readonly #transport: Transport;
  constructor(transport: Transport, subject: string) {
    this.name = subject;
    this.#transport = transport;
  }

  tell(msg: M): void {
    try {
      this.#transport.publish(this.name, msg);
    } catch {
      // tell() never throws, as for a local actor: a message to a closed
      // transport is lost like a message to a stopped actor.
    }
  }

  async ask<R = unknown>(msg: M, timeoutMs = DEFAULT_ASK_TIMEOUT_MS): Promise<R> {
    const reply = await this.#transport.request<unknown>(this.name, msg, timeoutMs);
    if (isErrorReply(reply)) throw new RemoteError(this.name, reply.code, reply.message);
    return reply as R;
  }
}

/** An ActorRef for the actor exposed on `subject` (its `name` is the subject). */
export function remoteRef<M extends Message>(transport: Transport, subject: string): ActorRef<M> {
  return new RemoteActorRef<M>(transport, subject);
}
