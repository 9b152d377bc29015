/**
 * Findings explained by a known, open bug of issue 18, which other branches
 * fix. The CI slice (fuzz-slice.test.ts) fails on any smuggling, mixup,
 * stall or worker restart NOT listed here. After merging the fixes, the
 * lead empties these lists: from then on the slice is strict.
 */
import type { Finding } from './compare.ts';

export interface KnownItem {
  /** Issue 18 item, as the issue words it. */
  item: string;
  cls: Finding['cls'];
  /** Matches the finding's signature. */
  signature: RegExp;
}

export const KNOWN_FINDINGS: readonly KnownItem[] = [
];

/**
 * Cases that take a worker down through a known bug. A restart cannot be
 * pinned on one of the cases in flight, so while an item is listed the CI
 * slice (and `npm run fuzz -- --skip-known`) does not generate it: a
 * differential case with that feature, or a hostile behaviour of that name.
 */
export const KNOWN_RESTARTS: readonly { item: string; feature?: string; behaviour?: string }[] = [
];

export function knownItem(f: Finding): string | undefined {
  return KNOWN_FINDINGS.find((k) => k.cls === f.cls && k.signature.test(f.signature))?.item;
}
