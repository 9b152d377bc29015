// Transport over a NATS connection (nats.js v3). Thin on purpose: subjects,
// queue groups, request/reply and reconnection are NATS's; this class only
// applies the codec and turns nats.js errors into meshgate's coded errors.
import {
  ClosedConnectionError,
  connect,
  NoRespondersError as NatsNoRespondersError,
  RequestError,
  TimeoutError,
  type Msg,
  type NatsConnection,
  type Status,
} from '@nats-io/transport-node';
import type { Codec } from './codec.ts';
import { explainConnectError, natsConnectionOptions, type NatsConnectError, type NatsSecurity } from './nats-security.ts';
import { AskTimeoutError, NoRespondersError, TransportClosedError } from './errors.ts';
import { DEFAULT_REQUEST_TIMEOUT_MS, type SubscribeOptions, type Subscription, type Transport, type TransportMessage } from './transport.ts';

export interface NatsTransportOptions {
  servers: string | string[];
  /** Connection name shown by the server (`nats server report connections`). */
  name?: string;
  codec: Codec;
  user?: string;
  pass?: string;
  token?: string;
  /** Credentials and TLS from loadNatsSecurity() (nats-security.ts); wins over user/pass/token. */
  security?: NatsSecurity;
  /** Default true: reconnect forever. */
  reconnect?: boolean;
  /** Pause between connection attempts to one server; nats.js default 2000 ms. */
  reconnectTimeWaitMs?: number;
  /** Give up the first connection after this long (default: wait forever), rejecting with the last NatsConnectError. */
  firstConnectTimeoutMs?: number;
  /** Called when a first connection attempt failed and will be retried (server not up yet). */
  onConnectRetry?: (err: NatsConnectError, attempt: number) => void;
}

/**
 * Connection status for logs and metrics: the nats.js status types
 * ('disconnect', 'reconnect', 'reconnecting', 'error', 'close', ...) with the
 * rest of the nats.js status object as `data`, plus 'handler-error' and
 * 'decode-error' (data: { subject, error }) for messages this transport
 * could not hand to a subscriber.
 */
export interface NatsTransportStatus { type: string; data?: unknown }

export class NatsTransport implements Transport {
  readonly kind = 'nats' as const;
  /** The underlying connection, for JetStream and other NATS-specific use. */
  readonly connection: NatsConnection;
  readonly #codec: Codec;
  readonly #statusListeners: ((s: NatsTransportStatus) => void)[] = [];
  readonly #statusLoop: Promise<void>;

  /**
   * Waits for the first connection however long NATS takes to come up, so a
   * node can start before the server, then reconnects forever unless
   * `reconnect: false`. Credentials refused or TLS misconfigured reject at
   * once with a fatal NatsConnectError (waiting would not fix them; nats.js's
   * own waitOnFirstConnect would retry them silently).
   */
  static async connect(opts: NatsTransportOptions): Promise<NatsTransport> {
    const servers = Array.isArray(opts.servers) ? opts.servers.join(',') : opts.servers;
    const wait = opts.reconnectTimeWaitMs ?? 2_000;
    const deadline = opts.firstConnectTimeoutMs === undefined ? Infinity : Date.now() + opts.firstConnectTimeoutMs;
    for (let attempt = 1; ; attempt++) {
      try {
        const nc = await connect({
          servers: opts.servers,
          name: opts.name,
          user: opts.user,
          pass: opts.pass,
          token: opts.token,
          reconnect: opts.reconnect ?? true,
          maxReconnectAttempts: -1,
          waitOnFirstConnect: false,
          reconnectTimeWait: opts.reconnectTimeWaitMs,
          // nats.js otherwise builds an Error (a stack trace) on every request and KV operation, in
          // case it times out: a tenth of the config service's CPU per change. Our errors name the
          // subject and the timeout themselves (mapRequestError).
          noAsyncTraces: true,
          ...natsConnectionOptions(opts.security),
        });
        return new NatsTransport(nc, opts.codec);
      } catch (err) {
        const why = explainConnectError(err, servers, opts.security);
        if (why.fatal || Date.now() + wait > deadline) throw why;
        opts.onConnectRetry?.(why, attempt);
        await new Promise((r) => setTimeout(r, wait));
      }
    }
  }

  /** Wraps an existing connection; prefer NatsTransport.connect(). */
  constructor(connection: NatsConnection, codec: Codec) {
    this.connection = connection;
    this.#codec = codec;
    this.#statusLoop = this.#watchStatus();
  }

  onStatus(cb: (s: NatsTransportStatus) => void): void {
    this.#statusListeners.push(cb);
  }

  publish(subject: string, data: unknown): void {
    try {
      this.connection.publish(subject, this.#codec.encode(data));
    } catch (err) {
      throw err instanceof ClosedConnectionError ? new TransportClosedError({ cause: err }) : err;
    }
  }

  async request<R = unknown>(subject: string, data: unknown, timeoutMs = DEFAULT_REQUEST_TIMEOUT_MS): Promise<R> {
    let msg: Msg;
    try {
      msg = await this.connection.request(subject, this.#codec.encode(data), { timeout: timeoutMs });
    } catch (err) {
      throw mapRequestError(err, subject, timeoutMs);
    }
    return this.#codec.decode(msg.data) as R;
  }

  subscribe(subject: string, handler: (m: TransportMessage) => void | Promise<void>, opts: SubscribeOptions = {}): Subscription {
    let sub;
    try {
      sub = this.connection.subscribe(subject, {
        queue: opts.queue,
        callback: (err, msg) => {
          if (err) {
            this.#emitStatus({ type: 'handler-error', data: { subject, error: err } });
            return;
          }
          this.#handle(msg, handler);
        },
      });
    } catch (err) {
      throw err instanceof ClosedConnectionError ? new TransportClosedError({ cause: err }) : err;
    }
    return { unsubscribe: () => sub.unsubscribe() };
  }

  async flush(): Promise<void> {
    await this.connection.flush();
  }

  /** Drains (delivers what is buffered both ways) then closes; bounded so shutdown never hangs on a dead server. */
  async close(): Promise<void> {
    const nc = this.connection;
    if (!nc.isClosed()) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        nc.drain().catch(() => {}),
        new Promise<void>((resolve) => { timer = setTimeout(resolve, 5000); }),
      ]);
      clearTimeout(timer);
      if (!nc.isClosed()) await nc.close();
    }
    await this.#statusLoop;
  }

  #handle(msg: Msg, handler: (m: TransportMessage) => void | Promise<void>): void {
    let data: unknown;
    try {
      data = this.#codec.decode(msg.data);
    } catch (error) {
      this.#emitStatus({ type: 'decode-error', data: { subject: msg.subject, error } });
      return;
    }
    const message: TransportMessage = { subject: msg.subject, data };
    if (msg.reply) message.reply = (value) => { msg.respond(this.#codec.encode(value)); };
    const fail = (error: unknown) => this.#emitStatus({ type: 'handler-error', data: { subject: msg.subject, error } });
    try {
      const r = handler(message);
      if (r && typeof (r as Promise<void>).then === 'function') (r as Promise<void>).then(undefined, fail);
    } catch (error) {
      fail(error);
    }
  }

  async #watchStatus(): Promise<void> {
    for await (const s of this.connection.status()) {
      const { type, ...data } = s as Status;
      this.#emitStatus({ type, data });
    }
  }

  #emitStatus(s: NatsTransportStatus): void {
    for (const cb of this.#statusListeners) {
      try {
        cb(s);
      } catch {
        // A failing status listener must not stop status delivery.
      }
    }
  }
}

function mapRequestError(err: unknown, subject: string, timeoutMs: number): unknown {
  if (err instanceof TimeoutError) return new AskTimeoutError(subject, timeoutMs, { cause: err });
  if (err instanceof NatsNoRespondersError || (err instanceof RequestError && err.isNoResponders())) {
    return new NoRespondersError(subject, { cause: err });
  }
  if (err instanceof ClosedConnectionError) return new TransportClosedError({ cause: err });
  return err;
}
