// Gateway API objects as the config service reports them (`meshgate get
// gateways|httproutes|grpcroutes`): their status in upstream's shape
// (metav1.Condition, RouteParentStatus, ListenerStatus, PolicyAncestorStatus),
// plus where each object came from and one line saying how it stands.
// Plain data; not part of a snapshot.

/** metav1.Condition. */
export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  /** The object's metadata.generation this condition was computed for. */
  observedGeneration: number;
  /** RFC 3339. */
  lastTransitionTime: string;
}

/** gateway.networking.k8s.io ParentReference, defaults filled in as upstream's CRDs default them. */
export interface ParentReference {
  group: string;
  kind: string;
  namespace?: string;
  name: string;
  sectionName?: string;
  port?: number;
}

export interface RouteGroupKind {
  group: string;
  kind: string;
}

export interface RouteParentStatus {
  parentRef: ParentReference;
  controllerName: string;
  conditions: Condition[];
}

export interface ListenerStatus {
  name: string;
  supportedKinds: RouteGroupKind[];
  attachedRoutes: number;
  conditions: Condition[];
}

export interface GatewayClassStatusBody {
  conditions: Condition[];
}

export interface GatewayStatusBody {
  conditions: Condition[];
  listeners: ListenerStatus[];
}

export interface RouteStatusBody {
  parents: RouteParentStatus[];
}

export interface PolicyAncestorStatus {
  ancestorRef: ParentReference;
  controllerName: string;
  conditions: Condition[];
}

export interface PolicyStatusBody {
  ancestors: PolicyAncestorStatus[];
}

export type GatewayApiKind = 'GatewayClass' | 'Gateway' | 'HTTPRoute' | 'GRPCRoute' | 'ReferenceGrant' | 'BackendTLSPolicy';

/** One object: `kubectl get -o json`'s identity and status, and meshgate's summary. */
export interface GatewayApiObject {
  apiVersion: string;
  kind: GatewayApiKind;
  metadata: { name: string; namespace?: string; generation: number; creationTimestamp?: string };
  /** Upstream's status of the kind (ReferenceGrant has none: {}). */
  status: GatewayClassStatusBody | GatewayStatusBody | RouteStatusBody | PolicyStatusBody | Record<string, never>;
  file: string;
  line?: number;
  /** Whether meshgate serves it (a class or Gateway of another controller, or a rejected object: false). */
  served: boolean;
  /** One line: why it is not served, or what is wrong with part of it, or 'Accepted'. */
  reason: string;
  /** Kind-specific columns: a Gateway's class and listeners, a route's hostnames and parents. */
  details: string;
}

export interface GatewayApiStatus {
  objects: GatewayApiObject[];
}
