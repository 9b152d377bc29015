// Annotation value syntaxes: meshgate's (nginx-style durations and sizes) and
// those ingress-nginx validates with Go's strconv (booleans, integers).

/** nginx-style durations: '500ms', '5s', '1m', '1h'; a bare number is seconds. */
export function parseDuration(s: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(s);
  if (!m) return undefined;
  const n = Number(m[1]);
  const unit = m[2] ?? 's';
  return Math.round(n * (unit === 'ms' ? 1 : unit === 's' ? 1_000 : unit === 'm' ? 60_000 : 3_600_000));
}

/** nginx-style sizes: '1024', '10b', '512k', '10m', '1g' (binary units, case-insensitive), as ingress-nginx's size check allows. */
export function parseSize(s: string): number | undefined {
  const m = /^(\d+)([bBkKmMgG])?$/.exec(s);
  if (!m) return undefined;
  const mult = { k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[(m[2] ?? '').toLowerCase() as 'k'] ?? 1;
  return Number(m[1]) * mult;
}

/** Go's strconv.ParseBool, which ingress-nginx's boolean annotations go through. */
export function parseGoBool(s: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(s)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(s)) return false;
  return undefined;
}

/** Go's strconv.Atoi (a decimal integer, optional sign), which ingress-nginx's integer annotations go through. */
export function parseGoInt(s: string): number | undefined {
  if (!/^[+-]?\d{1,15}$/.test(s)) return undefined;
  return Number(s);
}

/** Human-readable byte count for messages: 1048576 -> '1 MiB'. */
export function formatBytes(n: number): string {
  for (const [unit, size] of [['GiB', 1024 ** 3], ['MiB', 1024 ** 2], ['KiB', 1024]] as const) {
    if (n >= size && n % size === 0) return `${n / size} ${unit}`;
  }
  return `${n} bytes`;
}
