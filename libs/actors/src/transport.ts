// The seam between actors and the network: subject-based publish/subscribe
// and request/reply. NatsTransport for a cluster, LocalTransport for one
// process (the `meshgate up` fallback and tests), same semantics for both.

export interface TransportMessage {
  subject: string;
  data: unknown;
  /** Present when the sender used request(): call once with the reply value. */
  reply?: (value: unknown) => void;
}

export interface Subscription { unsubscribe(): void }

export interface SubscribeOptions {
  /** Members of the same queue group share the subject's messages: each goes to one member. */
  queue?: string;
}

export interface Transport {
  readonly kind: 'local' | 'nats';
  publish(subject: string, data: unknown): void;
  /** Default timeout 5000 ms; rejects AskTimeoutError, or NoRespondersError when nobody listens. */
  request<R = unknown>(subject: string, data: unknown, timeoutMs?: number): Promise<R>;
  /** Subjects may use the NATS wildcards `*` (one token) and `>` (the rest). */
  subscribe(subject: string, handler: (m: TransportMessage) => void | Promise<void>, opts?: SubscribeOptions): Subscription;
  flush(): Promise<void>;
  close(): Promise<void>;
}

export const DEFAULT_REQUEST_TIMEOUT_MS = 5000;
