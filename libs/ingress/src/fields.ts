// Small typed accessors for untyped manifest data; each reports a precise
// error (with the field path) when the shape is wrong.
import { isPlainObject } from './parse-documents.ts';
import type { FieldPath } from './parse-documents.ts';
import type { Reporter } from './object-meta.ts';

export function asList(v: unknown, path: FieldPath, report: Reporter): unknown[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) {
    report.error(path, 'must be a list (YAML "- item" entries)');
    return [];
  }
  return v;
}

export function asObject(v: unknown, path: FieldPath, report: Reporter): Record<string, unknown> | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isPlainObject(v)) {
    report.error(path, 'must be a mapping (key: value fields)');
    return undefined;
  }
  return v;
}

export function asString(v: unknown, path: FieldPath, report: Reporter): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') {
    report.error(path, `must be a string, got ${describeValue(v)}`);
    return undefined;
  }
  return v;
}

/** int-or-string as Kubernetes IntOrString (ports): numbers stay numbers. */
export function asIntOrString(v: unknown, path: FieldPath, report: Reporter): number | string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number' || typeof v === 'string') return v;
  report.error(path, `must be a port number or a port name, got ${describeValue(v)}`);
  return undefined;
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

export function ipFamily(v: string): 4 | 6 | 0 {
  if (IPV4.test(v)) return 4;
  if (v.includes(':') && /^[0-9a-fA-F:.]+$/.test(v) && v.split('::').length <= 2) return 6;
  return 0;
}

export function endpointId(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

/**
 * A wrong value as an error message shows it: JSON, at most 60 characters,
 * so a megabyte list in the wrong place does not become a megabyte log line.
 */
export function describeValue(v: unknown): string {
  let s: string;
  try {
    s = JSON.stringify(v) ?? String(v);
  } catch {
    s = Array.isArray(v) ? 'a list' : typeof v;
  }
  return s.length > 60 ? `${s.slice(0, 50)}... (${s.length} characters)` : s;
}
