// What a rule with request conditions (method, headers, query) reads of a
// request. The data plane passes one object it reuses, so a lookup
// allocates nothing unless a rule actually reads the query.

export interface RequestView {
  /** Upper case, as received. */
  readonly method: string;
  /** The raw query string, without '?' ('' when none). */
  readonly query: string;
  /** The header's value (name lowercase); repeated fields joined with ','; undefined when absent. */
  header(name: string): string | undefined;
}

/**
 * The first value of query parameter `name` (compared as written, case
 * sensitive) in `query`, percent-decoded; '' for `name` without '=';
 * undefined when absent. A value that does not decode is compared raw.
 */
export function queryParam(query: string, name: string): string | undefined {
  let start = 0;
  const n = query.length;
  while (start < n) {
    let end = query.indexOf('&', start);
    if (end === -1) end = n;
    let keyEnd = query.indexOf('=', start);
    if (keyEnd === -1 || keyEnd > end) keyEnd = end;
    const plain = keyEnd - start === name.length && query.startsWith(name, start);
    if (plain || (hasPercent(query, start, keyEnd) && decode(query.slice(start, keyEnd)) === name)) {
      return keyEnd === end ? '' : decode(query.slice(keyEnd + 1, end));
    }
    start = end + 1;
  }
  return undefined;
}

function hasPercent(s: string, from: number, to: number): boolean {
  const i = s.indexOf('%', from);
  return i !== -1 && i < to;
}

function decode(s: string): string {
  if (s.indexOf('%') === -1) return s;
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
