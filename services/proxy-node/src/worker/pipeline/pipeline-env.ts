/**
 * What the pipeline needs of its worker: the current config, the upstream
 * pools, the access log and counters. One per worker thread, made by
 * data-plane.ts; filters see only the narrower FilterEnv.
 */
import type { BlockList } from 'node:net';
import type { UpstreamPools } from '@meshgate/upstream';
import type { AccessLog } from '../access-log.ts';
import type { CompiledConfig } from '../compiled-config.ts';

export interface PipelineEnv {
  /** The current config; read once per request. */
  config(): CompiledConfig | undefined;
  readonly pools: UpstreamPools;
  readonly accessLog: AccessLog;
  readonly nodeId: string;
  readonly worker: number;
  /** Port of the HTTPS listener, for ssl-redirect (undefined: no HTTPS). */
  readonly httpsPort?: number;
  /** Requests answered, by status class ('2xx', ...): the worker's statistics. */
  readonly counters: Record<string, number>;
  /**
   * HTTP/2 request bodies: ms without a byte, while the proxy is reading,
   * before 408 (nginx client_body_timeout). HTTP/1 bodies are timed by
   * H1Server. Unset: no limit.
   */
  readonly bodyTimeoutMs?: number;
  /** HTTP/2 requests: the HTTP/1 header block limit, past which 431 (h2-limits.ts). Unset: none here. */
  readonly maxHeaderSize?: number;
  /** --path-strictness strict: paths other servers resolve differently (ambiguousPath) get 400. */
  readonly strictPaths?: boolean;
  /** --trusted-proxies: peers whose X-Forwarded-* and Forwarded headers are kept (forwarded.ts). */
  readonly trustedProxies?: BlockList;
  /** WebSocket tunnels: ms with no byte either way before both sides are closed (0: never). */
  readonly tunnelIdleTimeoutMs?: number;
  /** AccessLog.prefix of this worker, made on first use. */
  logPrefix?: string;
  /** A passive ejection happened (for logs; the event is published already). */
  onEjected?(endpoint: string, backend: string, reason: string, ms: number): void;
}
