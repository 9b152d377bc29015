/**
 * @meshgate/actors: the component model of meshgate.
 *
 * An actor is an object with private state behind a mailbox. The runtime
 * hands it one message at a time (an async receive() finishes before the next
 * message starts), so actor code needs no locks. Messages are plain,
 * structured-cloneable objects `{ type: 'proxy.v1.snapshot', ... }`; ask()
 * returns whatever receive() returned. Actors are addressed by path
 * ('proxy-node/snapshot-watcher'); a child is stopped before its parent.
 *
 * Supervision: a receive() that throws is a crash. The asker of that message
 * gets the error, the message is not redelivered, and only that actor is
 * restarted from a fresh factory() (fresh state; its children are stopped and
 * its stop() runs first) after an exponential backoff with jitter
 * (minBackoffMs doubling to maxBackoffMs, reset once an incarnation has run
 * healthily for resetAfterMs). Messages that arrive meanwhile wait in the
 * mailbox for the next incarnation. More than maxRestarts restarts within
 * windowMs, or restart: 'never', stops the actor ('actor.failed').
 *
 * Start-up failure is different: if start() throws on the FIRST start, the
 * actor is stopped and spawnAndStart() rejects, with no retry. A first start
 * fails for reasons a retry will not fix (bad config, a port in use, missing
 * credentials), and a restart loop would hide that error behind a process
 * that looks alive; the caller (usually a service's main) should fail loudly.
 * Once an actor has started, a failing start() on a restart is treated as a
 * crash (the environment changed, e.g. NATS went away) and is retried with
 * backoff.
 *
 * Transports carry actor messages between processes: tell = publish,
 * ask = request/reply. NatsTransport in a cluster, LocalTransport for one
 * process; both speak NATS subjects (with `*` and `>`) and queue groups.
 * exposeActor() serves an actor on a subject, remoteRef() talks to one.
 */
export type { ActorContext, ActorRef, Behavior, Message, SupervisionOptions, SystemEvent } from './actor-types.ts';
export { ActorSystem, type ActorSystemOptions } from './actor-system.ts';
export { DEFAULT_ASK_TIMEOUT_MS } from './actor-cell.ts';
export {
  ActorNameTakenError,
  ActorStoppedError,
  ActorSystemShutDownError,
  AskTimeoutError,
  InvalidActorNameError,
  InvalidSubjectError,
  NoRespondersError,
  RemoteError,
  TransportClosedError,
} from './errors.ts';
export { jsonCodec, type Codec } from './codec.ts';
export type { SubscribeOptions, Subscription, Transport, TransportMessage } from './transport.ts';
export { LocalTransport, type LocalTransportOptions } from './local-transport.ts';
export { NatsTransport, type NatsTransportOptions, type NatsTransportStatus } from './nats-transport.ts';
export { exposeActor, remoteRef, isErrorReply, type ErrorReply, type ExposeActorOptions } from './remote-actor.ts';
export { MemoryKvStore, KvConflictError, KvUnavailableError, type KvEntry, type KvStore } from './kv-store.ts';
export { NatsKvStore, type NatsKvStoreOptions } from './nats-kv-store.ts';
export {
  loadNatsSecurity, natsConnectionOptions, readCreds, readNkeySeed, explainConnectError, NatsSecurityError, NatsConnectError,
  type NatsSecurity, type NatsSecurityFiles, type NatsConnectReason,
} from './nats-security.ts';
export { DeferredTransport, DeferredKvStore } from './deferred.ts';
