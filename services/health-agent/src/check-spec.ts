/**
 * How one backend's endpoints are checked, from its Service's annotations:
 *
 *   meshgate.dev/health-check:  http (default) | tcp
 *   meshgate.dev/health-path:   /healthz        (http; default '/', BackendConfig.healthPath)
 *   meshgate.dev/health-status: 200-399         (http; healthy status codes: ranges and codes, comma separated)
 *
 * A bad annotation value does not stop probing: the default is used and the
 * agent logs what to fix (the warning names the Service and annotation).
 */
export const HEALTH_CHECK_ANNOTATION = 'meshgate.dev/health-check';
export const HEALTH_STATUS_ANNOTATION = 'meshgate.dev/health-status';
export const DEFAULT_HEALTHY_STATUS = '200-399';

/** Inclusive [low, high] status code ranges. */
export type StatusRanges = readonly (readonly [number, number])[];

export type CheckSpec =
  | { readonly kind: 'http'; readonly path: string; readonly status: StatusRanges; readonly statusText: string }
  | { readonly kind: 'tcp' };

export interface CheckSpecResult { spec: CheckSpec; warnings: string[] }

/** Parses '200-399' or '200,204,300-308'; throws with what to write instead. */
export function parseStatusRanges(text: string): StatusRanges {
  const out: [number, number][] = [];
  for (const part of text.split(',').map((p) => p.trim())) {
    const m = /^(\d{3})(?:\s*-\s*(\d{3}))?$/.exec(part);
    if (!m) throw new Error(`"${part}" is not a status code or range: write e.g. "200-399" or "200,204"`);
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (lo < 100 || hi > 599 || lo > hi) throw new Error(`"${part}" is not a range of HTTP status codes (100-599, low-high)`);
    out.push([lo, hi]);
  }
  return out;
}

export function statusAllowed(ranges: StatusRanges, code: number): boolean {
  for (const [lo, hi] of ranges) if (code >= lo && code <= hi) return true;
  return false;
}

const DEFAULT_RANGES = parseStatusRanges(DEFAULT_HEALTHY_STATUS);

export function checkSpecOf(backend: { id: string; healthPath?: string; annotations?: Record<string, string> }): CheckSpecResult {
  const warnings: string[] = [];
  const ann = backend.annotations ?? {};
  const kind = (ann[HEALTH_CHECK_ANNOTATION] ?? 'http').trim().toLowerCase();
  if (kind === 'tcp') return { spec: { kind: 'tcp' }, warnings };
  if (kind !== 'http') warnings.push(`backend ${backend.id}: annotation ${HEALTH_CHECK_ANNOTATION}: "${ann[HEALTH_CHECK_ANNOTATION]}" is not a check kind: use "http" or "tcp" (using http)`);
  let status = DEFAULT_RANGES;
  let statusText = DEFAULT_HEALTHY_STATUS;
  const raw = ann[HEALTH_STATUS_ANNOTATION];
  if (raw !== undefined) {
    try {
      status = parseStatusRanges(raw);
      statusText = raw.replace(/\s+/g, '');
    } catch (err) {
      warnings.push(`backend ${backend.id}: annotation ${HEALTH_STATUS_ANNOTATION}: ${(err as Error).message} (using ${DEFAULT_HEALTHY_STATUS})`);
    }
  }
  return { spec: { kind: 'http', path: backend.healthPath || '/', status, statusText }, warnings };
}

export function describeCheck(spec: CheckSpec): string {
  return spec.kind === 'tcp' ? 'tcp' : `http GET ${spec.path} ${spec.statusText}`;
}
