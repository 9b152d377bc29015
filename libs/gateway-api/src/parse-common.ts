// Field readers shared by the Gateway API kinds: each checks what upstream's
// CRD schema checks and reports the field with what to write instead.
import { asList, asObject, asString, describeValue, type FieldPath, type HeaderModifier, type Reporter } from '@meshgate/ingress';
import type { LabelSelector, ObjectRef, ParentRef } from './types.ts';
import { GROUP } from './types.ts';

const HOSTNAME = /^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;
const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+\-.^_`|~]+$/;
const SECTION_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const KIND = /^[a-zA-Z]([-a-zA-Z0-9]*[a-zA-Z0-9])?$/;
const GROUP_NAME = /^$|^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const NAMESPACE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DURATION = /^([0-9]{1,5}(h|m|s|ms)){1,4}$/;

/** Hostname (wildcard allowed) or PreciseHostname; undefined when absent or invalid. */
export function hostname(v: unknown, path: FieldPath, r: Reporter, wildcard = true): string | undefined {
  const s = asString(v, path, r);
  if (s === undefined) return undefined;
  if (s.length === 0 || s.length > 253) return void r.error(path, `hostname must be 1-253 characters, got ${s.length}`);
  if (IPV4.test(s) || s.includes(':')) return void r.error(path, `hostname "${s}" must be a DNS name, not an IP address or host:port`);
  if (!HOSTNAME.test(s) || (!wildcard && s.startsWith('*.'))) {
    const hint = s !== s.toLowerCase() ? `: write "${s.toLowerCase()}"` : wildcard ? ': lowercase DNS labels, optionally after a leading "*." label' : ' (no wildcard here)';
    return void r.error(path, `hostname "${s}" is not valid${hint}`);
  }
  return s;
}

/** Gateway API Duration (GEP-2257): 1-4 groups of up to 5 digits and h, m, s or ms; in ms. */
export function duration(v: unknown, path: FieldPath, r: Reporter): number | undefined {
  const s = asString(v, path, r);
  if (s === undefined) return undefined;
  if (!DURATION.test(s)) return void r.error(path, `duration "${s}" is not a Gateway API duration: write e.g. "10s", "500ms", "1m30s" (h, m, s, ms)`);
  let ms = 0;
  for (const m of s.matchAll(/([0-9]+)(h|ms|m|s)/g)) ms += Number(m[1]) * { h: 3_600_000, m: 60_000, s: 1_000, ms: 1 }[m[2] as 'h' | 'm' | 's' | 'ms'];
  return ms;
}

export function integer(v: unknown, path: FieldPath, r: Reporter, min: number, max: number): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v)) return void r.error(path, `must be an integer, got ${describeValue(v)}`);
  if (v < min || v > max) return void r.error(path, `${v} is out of range: use ${min}-${max}`);
  return v;
}

export function bool(v: unknown, path: FieldPath, r: Reporter): boolean | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') return void r.error(path, `must be true or false, got ${describeValue(v)}`);
  return v;
}

export function required(v: unknown, path: FieldPath, r: Reporter, what: string): string | undefined {
  const s = asString(v, path, r);
  if (s === undefined || s === '') r.error(path, `required: ${what}`);
  return s || undefined;
}

export function oneOf<T extends string>(v: unknown, path: FieldPath, r: Reporter, allowed: readonly T[], dflt?: T): T | undefined {
  const s = asString(v, path, r);
  if (s === undefined) return dflt;
  if (!allowed.includes(s as T)) return void r.error(path, `"${s}" is not one of ${allowed.join(', ')}`);
  return s as T;
}

export function sectionName(v: unknown, path: FieldPath, r: Reporter): string | undefined {
  const s = asString(v, path, r);
  if (s === undefined) return undefined;
  if (s.length > 253 || !SECTION_NAME.test(s)) return void r.error(path, `"${s}" is not a valid name: lowercase letters, digits, '-' and '.'`);
  return s;
}

export function headerName(v: unknown, path: FieldPath, r: Reporter): string | undefined {
  const s = required(v, path, r, 'a header name');
  if (s === undefined) return undefined;
  if (s.length > 256 || !HEADER_NAME.test(s)) return void r.error(path, `"${s}" is not an HTTP header name (letters, digits and !#$%&'*+-.^_\`|~)`);
  return s;
}

/** A reference's group, kind, name and namespace, with the defaults the field has upstream. */
export function objectRef(v: unknown, path: FieldPath, r: Reporter, dflt: { group: string; kind: string }, withNamespace = true): ObjectRef | undefined {
  const o = asObject(v, path, r);
  if (!o) return void r.error(path, 'required: a reference with at least a name');
  const group = asString(o.group, [...path, 'group'], r) ?? dflt.group;
  if (!GROUP_NAME.test(group)) r.error([...path, 'group'], `"${group}" is not an API group name`);
  const kind = asString(o.kind, [...path, 'kind'], r) ?? dflt.kind;
  if (!KIND.test(kind)) r.error([...path, 'kind'], `"${kind}" is not a kind name`);
  const name = required(o.name, [...path, 'name'], r, 'the name of the object referred to');
  const ns = withNamespace ? asString(o.namespace, [...path, 'namespace'], r) : undefined;
  if (ns !== undefined && !NAMESPACE.test(ns)) r.error([...path, 'namespace'], `"${ns}" is not a namespace name (a DNS-1123 label)`);
  if (name === undefined) return undefined;
  return { group, kind, name, ...(ns ? { namespace: ns } : {}), field: path };
}

export function parentRefs(v: unknown, path: FieldPath, r: Reporter): ParentRef[] {
  const out: ParentRef[] = [];
  asList(v, path, r).forEach((item, i) => {
    const p = [...path, i];
    const ref = objectRef(item, p, r, { group: GROUP, kind: 'Gateway' });
    const o = (asObject(item, p, r) ?? {}) as Record<string, unknown>;
    const section = sectionName(o.sectionName, [...p, 'sectionName'], r);
    const port = integer(o.port, [...p, 'port'], r, 1, 65535);
    if (ref) out.push({ ...ref, ...(section ? { sectionName: section } : {}), ...(port !== undefined ? { port } : {}) });
  });
  // CEL: two references to one parent must each name a distinct sectionName.
  for (let i = 0; i < out.length; i++) {
    for (let j = 0; j < i; j++) {
      const a = out[i]!;
      const b = out[j]!;
      if (a.group !== b.group || a.kind !== b.kind || a.name !== b.name || (a.namespace ?? '') !== (b.namespace ?? '')) continue;
      if ((a.sectionName === undefined) !== (b.sectionName === undefined) || (a.sectionName === b.sectionName && a.port === b.port)) {
        r.error([...path, i], `${a.kind} ${a.name} is referenced twice: when a parent is referenced more than once, each reference needs its own sectionName`);
      }
    }
  }
  return out;
}

export function headerModifier(v: unknown, path: FieldPath, r: Reporter): HeaderModifier {
  const o = asObject(v, path, r) ?? {};
  const out: HeaderModifier = {};
  const seen = new Map<string, string>();
  const claim = (name: string, where: FieldPath, action: string) => {
    const k = name.toLowerCase();
    if (seen.has(k)) r.error(where, `header "${name}" already has an action (${seen.get(k)}): only one action per header name`);
    seen.set(k, action);
  };
  for (const key of ['set', 'add'] as const) {
    const list = asList(o[key], [...path, key], r).flatMap((item, i) => {
      const p = [...path, key, i];
      const h = asObject(item, p, r) ?? {};
      const name = headerName(h.name, [...p, 'name'], r);
      const value = asString(h.value, [...p, 'value'], r);
      if (value === undefined || value === '') r.error([...p, 'value'], 'required: the header value (1-4096 characters)');
      if (name === undefined || value === undefined) return [];
      claim(name, p, key);
      return [{ name, value }];
    });
    if (list.length) out[key] = list;
  }
  const remove = asList(o.remove, [...path, 'remove'], r).flatMap((item, i) => {
    const name = headerName(item, [...path, 'remove', i], r);
    if (name === undefined) return [];
    claim(name, [...path, 'remove', i], 'remove');
    return [name.toLowerCase()];
  });
  if (remove.length) out.remove = remove;
  return out;
}

export function labelSelector(v: unknown, path: FieldPath, r: Reporter): LabelSelector {
  const o = asObject(v, path, r) ?? {};
  const matchLabels: Record<string, string> = {};
  const ml = asObject(o.matchLabels, [...path, 'matchLabels'], r) ?? {};
  for (const [k, val] of Object.entries(ml)) {
    const s = asString(val, [...path, 'matchLabels', k], r);
    if (s !== undefined) matchLabels[k] = s;
  }
  const matchExpressions = asList(o.matchExpressions, [...path, 'matchExpressions'], r).flatMap((item, i) => {
    const p = [...path, 'matchExpressions', i];
    const e = asObject(item, p, r) ?? {};
    const key = required(e.key, [...p, 'key'], r, 'the label key');
    const operator = oneOf(e.operator, [...p, 'operator'], r, ['In', 'NotIn', 'Exists', 'DoesNotExist'] as const);
    const values = asList(e.values, [...p, 'values'], r).map((x, j) => asString(x, [...p, 'values', j], r) ?? '');
    if (key === undefined || operator === undefined) return [];
    if ((operator === 'In' || operator === 'NotIn') && values.length === 0) r.error([...p, 'values'], `operator ${operator} needs at least one value`);
    return [{ key, operator, values }];
  });
  return { matchLabels, matchExpressions };
}

export function selects(s: LabelSelector, labels: Record<string, string>): boolean {
  for (const [k, v] of Object.entries(s.matchLabels)) if (labels[k] !== v) return false;
  for (const e of s.matchExpressions) {
    const has = Object.hasOwn(labels, e.key);
    if (e.operator === 'Exists' && !has) return false;
    if (e.operator === 'DoesNotExist' && has) return false;
    if (e.operator === 'In' && !(has && e.values.includes(labels[e.key]!))) return false;
    if (e.operator === 'NotIn' && has && e.values.includes(labels[e.key]!)) return false;
  }
  return true;
}
