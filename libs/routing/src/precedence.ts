/**
 * Orders two precedence tuples (RouteRule.precedence): element by element,
 * numbers as numbers and strings by code unit (a number before a string);
 * a tuple that is a prefix of the other comes first; absent is empty.
 */
export function comparePrecedence(a: readonly (number | string)[] | undefined, b: readonly (number | string)[] | undefined): number {
  const x = a ?? [];
  const y = b ?? [];
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) {
    const p = x[i]!;
    const q = y[i]!;
    if (p === q) continue;
    if (typeof p === 'number' && typeof q === 'number') return p < q ? -1 : 1;
    if (typeof p === 'string' && typeof q === 'string') return p < q ? -1 : 1;
    return typeof p === 'number' ? -1 : 1;
  }
  return x.length - y.length;
}
