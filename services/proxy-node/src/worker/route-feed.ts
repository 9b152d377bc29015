/**
 * A worker's own NATS connection for route deltas (see WorkerControl in
 * messages.ts): it subscribes to the route-delta subject, hands each delta
 * to the worker, and publishes the worker's ACKs and NACKs on its node's ACK
 * subject. Connected in the background: the worker serves meanwhile, and
 * the node's main thread still hands it snapshots and any delta it missed.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { NatsTransport } from '@meshgate/actors';
import { MessageType, keyIdOf, msgpackCodec, verifyMessage, type AckMessage, type RoutesDeltaMessage } from '@meshgate/protocol';
import type { Logger } from '@meshgate/telemetry';
import type { WorkerControl } from './messages.ts';

export interface RouteFeed {
  /** Throws with the reason to NACK when the delta is unsigned or not signed by the trusted key. */
  verify(d: RoutesDeltaMessage): void;
  /** ACK or NACK for this worker (dropped while NATS is away: the node's heartbeats and later ACKs say where it is). */
  answer(a: Pick<AckMessage, 'ok' | 'version' | 'hash'> & Partial<Pick<AckMessage, 'refused' | 'error' | 'applyMs' | 'servingAt'>>): void;
  /** Encodes an ACK without sending it (warm-up: see data-plane.ts). */
  encodeAck(a: Pick<AckMessage, 'ok' | 'version' | 'hash'>): Uint8Array;
  close(): Promise<void>;
}

export function startRouteFeed(c: WorkerControl, who: { nodeId: string; index: number; log: Logger }, onDelta: (d: RoutesDeltaMessage) => void): RouteFeed {
  const trustKey: KeyObject | undefined = c.trustKey ? createPublicKey({ key: Buffer.from(c.trustKey), format: 'der', type: 'spki' }) : undefined;
  const trustId = trustKey ? keyIdOf(trustKey) : '';
  let transport: NatsTransport | undefined;
  let closed = false;
  NatsTransport.connect({ servers: c.servers, name: c.name, codec: msgpackCodec, ...(c.security ? { security: c.security } : {}), reconnectTimeWaitMs: 500 }).then((t) => {
    if (closed) { void t.close(); return; }
    transport = t;
    t.subscribe(c.routesSubject, (m) => {
      const d = m.data as RoutesDeltaMessage;
      if (d?.type === MessageType.RoutesDelta) onDelta(d);
    });
  }, (err: unknown) => {
    // The main thread connected with the same settings; if this one cannot, the node still hands deltas over.
    who.log.error('worker cannot connect to NATS: route deltas reach it through the node', { error: (err as Error).message });
  });
  const ackOf = (a: Pick<AckMessage, 'ok' | 'version' | 'hash'> & Partial<AckMessage>): AckMessage => ({ type: MessageType.Ack, nodeId: who.nodeId, worker: who.index, workers: c.workers, at: Date.now(), ...a });
  return {
    verify: (d) => verifyMessage(d, trustKey, trustId),
    answer(a) {
      try { transport?.publish(c.ackSubject, ackOf(a)); } catch { /* reconnecting */ }
    },
    encodeAck: (a) => msgpackCodec.encode(ackOf(a)),
    async close() {
      closed = true;
      await transport?.close().catch(() => {});
    },
  };
}
