// Errors carry stable `code`s (like undici/Node) so callers and remote peers can
// branch on them without parsing messages; codes cross process boundaries in
// `{ type: 'error', code, message }` replies, class identity does not.

/** An ask() (local or remote request) got no reply within its timeout. */
export class AskTimeoutError extends Error {
  readonly code = 'MESHGATE_ASK_TIMEOUT';
  readonly target: string;
  readonly timeoutMs: number;
  constructor(target: string, timeoutMs: number, options?: ErrorOptions) {
    super(`no reply from ${target} within ${timeoutMs} ms`, options);
    this.name = 'AskTimeoutError';
    this.target = target;
    this.timeoutMs = timeoutMs;
  }
}

/** The actor is stopped (or stopped while the message waited in its mailbox). */
export class ActorStoppedError extends Error {
  readonly code = 'MESHGATE_ACTOR_STOPPED';
  readonly actor: string;
  constructor(actor: string, options?: ErrorOptions) {
    super(`actor ${actor} is stopped`, options);
    this.name = 'ActorStoppedError';
    this.actor = actor;
  }
}

/** spawn() with a name that a live actor already uses. */
export class ActorNameTakenError extends Error {
  readonly code = 'MESHGATE_ACTOR_NAME_TAKEN';
  constructor(name: string) {
    super(`an actor named ${name} already exists`);
    this.name = 'ActorNameTakenError';
  }
}

/** spawn() with an empty name or one containing '/' (the path separator). */
export class InvalidActorNameError extends Error {
  readonly code = 'MESHGATE_INVALID_ACTOR_NAME';
  constructor(name: string) {
    super(`invalid actor name ${JSON.stringify(name)}: must be non-empty and contain no '/'`);
    this.name = 'InvalidActorNameError';
  }
}

/** spawn() on an ActorSystem that is shutting down or shut down. */
export class ActorSystemShutDownError extends Error {
  readonly code = 'MESHGATE_SYSTEM_SHUT_DOWN';
  constructor(system: string) {
    super(`actor system ${system} is shut down`);
    this.name = 'ActorSystemShutDownError';
  }
}

/** A request found nobody subscribed to its subject. */
export class NoRespondersError extends Error {
  readonly code = 'MESHGATE_NO_RESPONDERS';
  readonly subject: string;
  constructor(subject: string, options?: ErrorOptions) {
    super(`no responders for ${subject}`, options);
    this.name = 'NoRespondersError';
    this.subject = subject;
  }
}

/** publish/request/subscribe on a transport after close(). */
export class TransportClosedError extends Error {
  readonly code = 'MESHGATE_TRANSPORT_CLOSED';
  constructor(options?: ErrorOptions) {
    super('transport is closed', options);
    this.name = 'TransportClosedError';
  }
}

/** A subject that is empty, has empty tokens, or misplaces wildcards. */
export class InvalidSubjectError extends Error {
  readonly code = 'MESHGATE_INVALID_SUBJECT';
  constructor(subject: string, why: string) {
    super(`invalid subject ${JSON.stringify(subject)}: ${why}`);
    this.name = 'InvalidSubjectError';
  }
}

/**
 * A remote actor answered an ask with `{ type: 'error', code, message }`.
 * `code` is the remote error's code (e.g. MESHGATE_ASK_TIMEOUT when the remote
 * actor itself timed out), so handling is the same as for a local failure.
 */
export class RemoteError extends Error {
  readonly code: string;
  readonly subject: string;
  constructor(subject: string, code: string, message: string) {
    super(message);
    this.name = 'RemoteError';
    this.code = code;
    this.subject = subject;
  }
}

/** The stable code of any error-like value, or `fallback`. */
export function errorCode(err: unknown, fallback: string): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code !== '' ? code : fallback;
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
