/**
 * CLI <-> config service, request/reply on `<prefix>.config.v1.admin`:
 * `meshgate apply|delete -f`, `meshgate get` and `meshgate describe`.
 */
import type { GatewayApiObject, IngressStatus, RoutePathType } from '@meshgate/ingress';

export const AdminMessageType = {
  Apply: 'config.v1.apply',
  Get: 'config.v1.get',
  Describe: 'config.v1.describe',
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
  readonly warnings: string[];
}

export interface ApplyReply {
  readonly type: typeof AdminMessageType.Result;
  readonly results: readonly ObjectResult[];
  /** Snapshot version serving the result (unchanged when nothing changed). */
  readonly version: number;
  readonly hash: string;
}

export type GetWhat = 'nodes' | 'ingresses' | 'backends' | 'snapshot' | GatewayApiWhat;
/** Gateway API kinds `meshgate get` lists, with upstream's status. */
export type GatewayApiWhat = 'gatewayclasses' | 'gateways' | 'httproutes' | 'grpcroutes' | 'backendtlspolicies';

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

/** A manifest file (or a document in it) that could not be read as objects: YAML/JSON syntax, not an object, no kind or name. */
export interface UnparsableView {
  readonly file: string;
  readonly line?: number;
  /** The error without the file and line (`invalid YAML/JSON, document skipped: ...`). */
  readonly error: string;
}

export interface GetReply {
  readonly type: typeof AdminMessageType.Result;
  readonly what: GetWhat;
  readonly nodes?: readonly NodeView[];
  readonly ingresses?: readonly IngressView[];
  /** With `ingresses`: files meshgate could not read objects from (everything else is served). */
  readonly unparsable?: readonly UnparsableView[];
  /** Apply attempts that were rejected: the previous version of the object keeps serving. */
  readonly rejected?: readonly { readonly resource: string; readonly namespace?: string; readonly errors: readonly string[]; readonly at: number }[];
  readonly backends?: readonly BackendView[];
  readonly snapshot?: SnapshotView;
  /** Gateway API objects of the kind asked for, with upstream's status shape and meshgate's one-line reason. */
  readonly gatewayApi?: readonly GatewayApiObject[];
}

export interface AdminError {
  readonly type: typeof AdminMessageType.Error;
  readonly message: string;
}

/** `meshgate describe ingress NAME [-n NAMESPACE]`. */
export interface DescribeRequest {
  readonly type: typeof AdminMessageType.Describe;
  readonly kind: 'ingress';
  readonly name: string;
  /** Default: `default`. */
  readonly namespace?: string;
}

/** Everything the config service knows of one Ingress. */
export interface IngressDescription extends IngressView {
  /** The rules it serves (a rule it shares with an older Ingress is that one's). */
  readonly routes: readonly { readonly host: string; readonly path: string; readonly pathType: RoutePathType; readonly backend: string }[];
  readonly defaultBackend?: string;
  /** The backends its rules use, with their endpoints. */
  readonly backends: readonly BackendView[];
  /** The first snapshot version that holds it as it is now (0: not served). */
  readonly servedSince: number;
  /** The latest snapshot version. */
  readonly version: number;
  /** Proxy nodes, and whether each serves a version that holds it (`servedSince` or later). */
  readonly nodes: readonly { readonly nodeId: string; readonly state: NodeView['state']; readonly version: number; readonly serving: boolean }[];
  /** Problems with parts of a served Ingress (a missing Service, a path another Ingress serves), file:line first. */
  readonly warnings: string[];
}

export interface DescribeReply {
  readonly type: typeof AdminMessageType.Result;
  /** Absent when there is no such Ingress. */
  readonly ingress?: IngressDescription;
  /** When absent: the namespaces that do have an Ingress of that name. */
  readonly otherNamespaces?: readonly string[];
}

export type AdminRequest = ApplyRequest | GetRequest | DescribeRequest;
