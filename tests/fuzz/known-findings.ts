/**
 * Findings explained by a known, open bug. The CI slice
 * (fuzz-slice.test.ts) fails on any smuggling, mixup, stall or worker
 * restart NOT listed here; issue 18's fixes emptied the lists.
 */
import type { Finding } from './compare.ts';

export interface KnownItem {
  /** Issue 18 item, as the issue words it. */
  item: string;
  cls: Finding['cls'];
  /** Matches the finding's signature. */
  signature: RegExp;
}

const HOSTILE_POOL = 'open: with hostile backends (early close, bad framing, bytes on idle connections), a pooled upstream connection can still hand one client another\'s answer or stall; being fixed';

/** Open bugs the slice tolerates (issue 18's listed items are fixed; anything else fails the slice). */
export const KNOWN_FINDINGS: readonly KnownItem[] = [
  { item: HOSTILE_POOL, cls: 'mixup', signature: /^mixup:meshgate:[a-z0-9-]+$/ },
  { item: HOSTILE_POOL, cls: 'stall', signature: /^stall:meshgate:hostile:status-random$/ },
];

/**
 * Cases that take a worker down through a known bug. A restart cannot be
 * pinned on one of the cases in flight, so while an item is listed the CI
 * slice (and `npm run fuzz -- --skip-known`) does not generate it: a
 * differential case with that feature, or a hostile behaviour of that name.
 */
export const KNOWN_RESTARTS: readonly { item: string; feature?: string; behaviour?: string }[] = [];

export function knownItem(f: Finding): string | undefined {
  return KNOWN_FINDINGS.find((k) => k.cls === f.cls && k.signature.test(f.signature))?.item;
}
