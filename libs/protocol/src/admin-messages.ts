/**
 * CLI <-> config service, request/reply on `<prefix>.config.v1.admin`:
 * `meshgate apply|delete -f` and `meshgate get`.
 */
import type { IngressStatus } from '@meshgate/ingress';

export const AdminMessageType = {
  Apply: 'config.v1.apply',
  Get: 'config.v1.get',
  Result: 'config.v1.result',
  Error: 'config.v1.error',
} as const;

export interface ManifestSource {
  /** As the user named it (relative to their working directory), or '<stdin>'. */
  readonly path: string;
  readonly text: string;
}

export interface ApplyRequest {
  readonly type: typeof AdminMessageType.Apply;
  readonly action: 'apply' | 'delete';
  readonly files: readonly ManifestSource[];
  /** The operator's signature (admin-signing.ts); required by a config service with --operator-key. */
  readonly auth?: AdminAuth;
}

export interface AdminAuth {
  readonly keyId: string;
  /** When the CLI signed it (ms since epoch). */
  readonly at: number;
  /** 16 random bytes (hex): the config service remembers the ones it saw. */
  readonly nonce: string;
  readonly signature: Uint8Array;
}

/** One object's outcome, printed by the CLI like kubectl: `ingress.networking.k8s.io/hello-ingress configured`. */
export interface ObjectResult {
  /** `ingress.networking.k8s.io/hello-ingress`, `service/users-svc`; '' when the document names no object. */
  readonly resource: string;
  readonly namespace?: string;
  readonly outcome: 'created' | 'configured' | 'unchanged' | 'deleted' | 'rejected' | 'not-found';
  /** file:line: Kind ns/name: field: message, one per error. */
  readonly errors: readonly string[];
  /** Accepted, but something is off (a missing Service, a path served by an older Ingress). */
  readonly warnings: readonly string[];
}

export interface ApplyReply {
  readonly type: typeof AdminMessageType.Result;
  readonly results: readonly ObjectResult[];
  /** Snapshot version serving the result (unchanged when nothing changed). */
  readonly version: number;
  readonly hash: string;
}

export type GetWhat = 'nodes' | 'ingresses' | 'backends' | 'snapshot';

export interface GetRequest {
  readonly type: typeof AdminMessageType.Get;
  readonly what: GetWhat;
}

/** What the config service knows of one proxy node (heartbeats + ACK/NACK). */
export interface NodeView {
  readonly nodeId: string;
  /** 'up' (heartbeat within 3 s), 'down', 'leaving' (announced drain). */
  readonly state: 'up' | 'down' | 'leaving';
  readonly version: number;
  readonly hash: string;
  readonly ready: boolean;
  readonly workers: number;
  readonly admin: string;
  readonly lastSeen: number;
  /** Last ACK: version applied and how long applying took. */
  readonly ackedVersion: number;
  readonly applyMs?: number;
  /** Last NACK, kept until a later version is ACKed. */
  readonly nack?: { readonly version: number; readonly error: string; readonly at: number };
}

export interface IngressView extends IngressStatus {
  /** Errors from the manifests for this Ingress (file:line: ...). */
  readonly errors: readonly string[];
  /** Set when the object was applied with `meshgate apply`. */
  readonly applied?: boolean;
}

export interface BackendView {
  readonly id: string;
  readonly endpoints: readonly { readonly id: string; readonly node?: string }[];
}

export interface SnapshotView {
  readonly version: number;
  readonly hash: string;
  readonly bytes: number;
  readonly createdAt: number;
  readonly keyId?: string;
  readonly rules: number;
  readonly backends: number;
  readonly certificates: number;
  readonly store: string;
  /** Errors not tied to an Ingress (Services, Secrets, YAML syntax). */
  readonly errors: readonly string[];
}

export interface GetReply {
  readonly type: typeof AdminMessageType.Result;
  readonly what: GetWhat;
  readonly nodes?: readonly NodeView[];
  readonly ingresses?: readonly IngressView[];
  /** Apply attempts that were rejected: the previous version of the object keeps serving. */
  readonly rejected?: readonly { readonly resource: string; readonly namespace?: string; readonly errors: readonly string[]; readonly at: number }[];
  readonly backends?: readonly BackendView[];
  readonly snapshot?: SnapshotView;
}

export interface AdminError {
  readonly type: typeof AdminMessageType.Error;
  readonly message: string;
}

export type AdminRequest = ApplyRequest | GetRequest;
