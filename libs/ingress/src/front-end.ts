// The seam where another API (Gateway API) joins the build: it names the
// kinds it reads, validates each of its objects on its own (cached with the
// object's document, like every kind), then, after the Ingresses, turns
// them into rules, backends, certificates and statuses of the same model.
import type { ObjectHeader } from './object-meta.ts';
import type { Catalog } from './resolve-backend.ts';
import type { GatewayApiStatus } from './gateway-status.ts';
import type { BackendConfig, ManifestError, RouteRule, TlsCertificate } from './types.ts';

export interface FrontEnd {
  /** Kind -> the apiVersions read. */
  readonly kinds: Readonly<Record<string, readonly string[]>>;
  /** Those of `kinds` that have no namespace. */
  readonly clusterScoped: readonly string[];
  /**
   * Kinds otherwise skipped silently that it wants to see (a Namespace's
   * labels, a ConfigMap's data): handed over when their header reads
   * cleanly, never reported as errors.
   */
  readonly observes?: Readonly<Record<string, readonly string[]>>;
  /** Checks one object on its own; problems go to `h.report`. Must depend on nothing but the object. */
  validate(h: ObjectHeader): unknown;
  build(input: FrontEndInput): FrontEndOutput;
}

export interface FrontEndObject {
  h: ObjectHeader;
  /** What `validate` returned. */
  parsed: unknown;
  /** No error was reported for the object itself. */
  ok: boolean;
}

export interface FrontEndInput {
  /** Its own kinds, in file order, duplicates already dropped and reported. */
  objects: FrontEndObject[];
  /** Objects of the observed kinds. */
  observed: ObjectHeader[];
  catalog: Catalog;
  /** A Service port as a backend: one BackendConfig per id, shared with the Ingresses. */
  backend(namespace: string, service: string, port: number | string): { cfg: BackendConfig; refErrors: string[] };
  /** The Ingress rules of this build (to tell where both claim the same host and path). */
  ingressRules: readonly RouteRule[];
  /** ms since epoch: the build's clock. */
  now: number;
}

export interface FrontEndOutput {
  rules: RouteRule[];
  /** Certificates; one with the same id as an Ingress's gets its hosts added. */
  tls: TlsCertificate[];
  warnings: ManifestError[];
  /** Notes for Ingress statuses, by Ingress id ('namespace/name'). */
  ingressNotes: Map<string, string[]>;
  gatewayApi?: GatewayApiStatus;
}

/** What readHeader needs to know of the front ends' kinds. */
export interface KindTable {
  kinds: Record<string, readonly string[]>;
  clusterScoped: Set<string>;
  observes: Record<string, readonly string[]>;
}

export function kindTableOf(frontEnds: readonly FrontEnd[] | undefined): KindTable | undefined {
  if (!frontEnds || frontEnds.length === 0) return undefined;
  const t: KindTable = { kinds: {}, clusterScoped: new Set(), observes: {} };
  for (const fe of frontEnds) {
    Object.assign(t.kinds, fe.kinds);
    for (const k of fe.clusterScoped) t.clusterScoped.add(k);
    Object.assign(t.observes, fe.observes ?? {});
  }
  return t;
}
