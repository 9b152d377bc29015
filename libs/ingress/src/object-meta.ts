import { fieldPathString, safeMessage } from './manifest-error.ts';
import { isPlainObject } from './parse-documents.ts';
import type { FieldPath, RawObject } from './parse-documents.ts';
import type { KindTable } from './front-end.ts';
import type { ManifestError } from './types.ts';
import { checkDns1035Label, checkDns1123Label, checkDns1123Subdomain } from './validate.ts';

/** apiVersions meshgate reads for each kind it uses. */
export const SUPPORTED: Record<string, readonly string[]> = {
  Ingress: ['networking.k8s.io/v1', 'networking.k8s.io/v1beta1', 'extensions/v1beta1'],
  IngressClass: ['networking.k8s.io/v1', 'networking.k8s.io/v1beta1'],
  Service: ['v1'],
  Endpoints: ['v1'],
  EndpointSlice: ['discovery.k8s.io/v1', 'discovery.k8s.io/v1beta1'],
  Node: ['v1'],
  Secret: ['v1'],
};

/**
 * Kinds meshgate reads only when something names them (a ConfigMap:
 * custom-headers), as front ends observe kinds: one whose header reads
 * cleanly is kept, any other is skipped, and nothing is reported.
 */
const OBSERVED: Record<string, readonly string[]> = { ConfigMap: ['v1'] };

const CLUSTER_SCOPED = new Set(['Node', 'IngressClass']);
const KIND = /^[A-Za-z][A-Za-z0-9]{0,62}$/;

/**
 * Ordinary Kubernetes kinds that often sit next to Ingress manifests (the
 * seed even mentions its Deployments). They are valid, just not meshgate's
 * business, so they are skipped silently instead of being reported.
 */
const IGNORED_KINDS = new Set([
  'Namespace', 'Deployment', 'Pod', 'ReplicaSet', 'ReplicationController', 'StatefulSet', 'DaemonSet',
  'Job', 'CronJob', 'ConfigMap', 'ServiceAccount', 'Role', 'RoleBinding', 'ClusterRole',
  'ClusterRoleBinding', 'HorizontalPodAutoscaler', 'PodDisruptionBudget', 'NetworkPolicy',
  'PersistentVolume', 'PersistentVolumeClaim', 'StorageClass', 'LimitRange', 'ResourceQuota',
  'PriorityClass', 'CustomResourceDefinition', 'ValidatingWebhookConfiguration',
  'MutatingWebhookConfiguration', 'PodTemplate', 'Event', 'Lease',
]);

export interface Reporter {
  error(path: FieldPath, message: string): void;
  /** Reports errors found earlier for this same object (a cached validation), as if reported now. */
  replay(errors: readonly ManifestError[]): void;
  /** Errors reported so far for this object; > 0 means reject it. */
  readonly count: number;
  /** The first error reported for this object (for status lines, without searching every error). */
  readonly first: ManifestError | undefined;
}

export interface ObjectHeader {
  raw: RawObject;
  apiVersion: string;
  kind: string;
  /** undefined for cluster-scoped kinds. */
  namespace?: string;
  name: string;
  annotations: Record<string, string>;
  labels: Record<string, string>;
  /** ms since epoch; undefined when absent (treated as newest). */
  created?: number;
  /** metadata.generation when written (a positive integer). */
  generation?: number;
  report: Reporter;
}

export function makeReporter(raw: RawObject, errors: ManifestError[], kind?: string, namespace?: string, name?: string): Reporter {
  let count = 0;
  let first: ManifestError | undefined;
  return {
    error(path, message) {
      count++;
      const e: ManifestError = { file: raw.file, line: raw.lineOf(path) ?? raw.line, message: safeMessage(message) };
      if (kind !== undefined) e.kind = kind;
      if (namespace !== undefined) e.namespace = namespace;
      if (name !== undefined) e.name = name;
      if (path.length > 0) e.field = fieldPathString(path);
      errors.push(e);
      first ??= e;
    },
    replay(list) {
      for (const e of list) errors.push(e);
      count += list.length;
      first ??= list[0];
    },
    get count() {
      return count;
    },
    get first() {
      return first;
    },
  };
}

/**
 * Checks apiVersion, kind and metadata. Returns undefined for objects that
 * must be skipped (ignored kinds, or headers too broken to identify).
 * `more`: the kinds front ends read (and observe) besides meshgate's own.
 */
export function readHeader(raw: RawObject, errors: ManifestError[], more?: KindTable): ObjectHeader | undefined {
  const observed = observedVersions(raw.data.kind, more);
  if (observed) {
    // A kind meshgate skips unless it or a front end looks at it: never reported.
    const table: KindTable = more ?? { kinds: {}, clusterScoped: new Set(), observes: {} };
    const h = readHeaderOf(raw, [], { ...table, kinds: { ...table.kinds, [raw.data.kind as string]: observed } });
    return h && h.report.count === 0 ? h : undefined;
  }
  return readHeaderOf(raw, errors, more);
}

/**
 * The apiVersions a front end (or meshgate itself) observes `kind` in. Only
 * a string is looked up: a hostile `kind` (an array nested 100,000 deep)
 * must not be turned into a property key.
 */
function observedVersions(kind: unknown, more: KindTable | undefined): readonly string[] | undefined {
  if (typeof kind !== 'string') return undefined;
  if (more && Object.hasOwn(more.observes, kind)) return more.observes[kind];
  return Object.hasOwn(OBSERVED, kind) ? OBSERVED[kind] : undefined;
}

function readHeaderOf(raw: RawObject, errors: ManifestError[], more: KindTable | undefined): ObjectHeader | undefined {
  const d = raw.data;
  const known = more ? { ...SUPPORTED, ...more.kinds } : SUPPORTED;
  const kind = d.kind;
  const apiVersion = d.apiVersion;
  const meta = isPlainObject(d.metadata) ? d.metadata : undefined;
  const rawName = typeof meta?.name === 'string' ? meta.name : undefined;
  // Identifiers label every error of the object: only plausible ones are repeated (never a pasted blob).
  const kindLabel = typeof kind === 'string' && KIND.test(kind) ? kind : undefined;
  const nameLabel = rawName !== undefined && rawName.length <= 253 ? rawName : undefined;
  const anon = makeReporter(raw, errors, kindLabel, undefined, nameLabel);
  if (typeof kind !== 'string' || kind === '') {
    anon.error(['kind'], 'missing "kind": every object needs apiVersion and kind (e.g. kind: Ingress)');
    return undefined;
  }
  if (kindLabel === undefined) {
    anon.error(['kind'], `"kind" is not a Kubernetes kind name (letters and digits, like Ingress): meshgate reads ${Object.keys(known).join(', ')}`);
    return undefined;
  }
  if (rawName !== undefined && nameLabel === undefined) {
    anon.error(['metadata', 'name'], `must be at most 253 characters (it has ${rawName.length})`);
    return undefined;
  }
  const versions = known[kind];
  if (IGNORED_KINDS.has(kind) && !(more && kind in more.kinds)) return undefined;
  if (versions === undefined) {
    anon.error(['kind'], `unknown kind "${kind}": meshgate reads ${Object.keys(known).join(', ')}; this object is ignored`);
    return undefined;
  }
  if (typeof apiVersion !== 'string' || apiVersion === '') {
    anon.error(['apiVersion'], `missing "apiVersion": write one of ${versions.join(', ')}`);
    return undefined;
  }
  if (!versions.includes(apiVersion)) {
    anon.error(['apiVersion'], `unsupported apiVersion "${apiVersion}" for ${kind}: use one of ${versions.join(', ')}`);
    return undefined;
  }
  if (!meta) {
    anon.error(['metadata'], 'missing "metadata" with a name');
    return undefined;
  }
  if (rawName === undefined || rawName === '') {
    anon.error(['metadata', 'name'], 'missing "metadata.name"');
    return undefined;
  }
  const clusterScoped = CLUSTER_SCOPED.has(kind) || (more?.clusterScoped.has(kind) ?? false);
  let namespace: string | undefined = clusterScoped ? undefined : 'default';
  if (!clusterScoped && meta.namespace !== undefined && meta.namespace !== null) {
    if (typeof meta.namespace !== 'string') {
      anon.error(['metadata', 'namespace'], 'must be a string');
      return undefined;
    }
    const m = checkDns1123Label(meta.namespace);
    if (m) {
      anon.error(['metadata', 'namespace'], m);
      return undefined;
    }
    namespace = meta.namespace;
  }
  const report = makeReporter(raw, errors, kind, namespace, rawName);
  // Services and their Endpoints share a name that must be a DNS-1035 label.
  const nameMsg = kind === 'Service' || kind === 'Endpoints' ? checkDns1035Label(rawName) : checkDns1123Subdomain(rawName);
  if (nameMsg) report.error(['metadata', 'name'], nameMsg);
  const annotations = stringMap(meta.annotations, ['metadata', 'annotations'], report);
  const labels = stringMap(meta.labels, ['metadata', 'labels'], report);
  let created: number | undefined;
  if (meta.creationTimestamp !== undefined && meta.creationTimestamp !== null) {
    const t = meta.creationTimestamp instanceof Date ? meta.creationTimestamp.getTime() : typeof meta.creationTimestamp === 'string' ? Date.parse(meta.creationTimestamp) : NaN;
    if (Number.isNaN(t)) report.error(['metadata', 'creationTimestamp'], 'must be an RFC 3339 time such as "2024-01-31T12:00:00Z"');
    else created = t;
  }
  // Written by the API server, so not validated: only a usable value is kept.
  const g = meta.generation;
  const generation = typeof g === 'number' && Number.isSafeInteger(g) && g >= 1 ? g : undefined;
  return { raw, apiVersion, kind, namespace, name: rawName, annotations, labels, created, ...(generation !== undefined ? { generation } : {}), report };
}

function stringMap(v: unknown, path: FieldPath, report: Reporter): Record<string, string> {
  const out: Record<string, string> = {};
  if (v === undefined || v === null) return out;
  if (!isPlainObject(v)) {
    report.error(path, 'must be a mapping of string keys to string values');
    return out;
  }
  for (const [k, val] of Object.entries(v)) {
    if (typeof val === 'string') out[k] = val;
    // No echo of the value: this runs for Secrets too, whose metadata may hold key material.
    else report.error([...path, k], `value must be a string: quote it (numbers and booleans too, e.g. "8080", "true")`);
  }
  return out;
}
