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

const CONN = '18.1: a Connection header naming Content-Length, Transfer-Encoding or Host strips it upstream';
const TE = '18.5: Transfer-Encoding with identity before chunked is forwarded (nginx: 501)';
const H09 = '18.5: HTTP/0.9 request lines followed by headers are forwarded (nginx: 400)';
const POOL = '18.5/18.6: upstream pool: a request stalls after a backend closed a pooled connection; bytes on an idle connection are taken as the next request\'s answer';
const STATUS = '18.2: a backend status outside 100-599, a 1xx without a final answer, or a 101 to a plain request must be a 502';

export const KNOWN_FINDINGS: readonly KnownItem[] = [
  ...(['smuggled', 'desync', 'unanswered', 'stall'] as const).flatMap((cls) => [
    { item: CONN, cls, signature: /:meshgate:.*\[[^\]]*conn-framing/ },
    { item: TE, cls, signature: /:meshgate:.*\[[^\]]*te-identity/ },
    { item: H09, cls, signature: /:meshgate:.*\[[^\]]*http09-headers/ },
  ]),
  { item: STATUS, cls: 'stall', signature: /^stall:meshgate:hostile:(status-random|status-line-garbled|switching-protocols|interim-only-close)$/ },
  { item: POOL, cls: 'stall', signature: /^stall:meshgate:/ },
  { item: POOL, cls: 'mixup', signature: /^mixup:meshgate/ },
  // A body sent without the framing header 18.1 strips (or 18.6's shared connection) leaves bytes on the upstream connection for the next request.
  { item: `${CONN}; or ${POOL}`, cls: 'desync', signature: /^desync:meshgate:/ },
];

/**
 * Cases that take a worker down through a known bug. A restart cannot be
 * pinned on one of the cases in flight, so while an item is listed the CI
 * slice (and `npm run fuzz -- --skip-known`) does not generate it: a
 * differential case with that feature, or a hostile behaviour of that name.
 */
export const KNOWN_RESTARTS: readonly { item: string; feature?: string; behaviour?: string }[] = [
  { item: '18.5: a flood of pipelined requests behind a slow one kills the worker (Maximum call stack size exceeded)', feature: 'flood' },
];

export function knownItem(f: Finding): string | undefined {
  return KNOWN_FINDINGS.find((k) => k.cls === f.cls && k.signature.test(f.signature))?.item;
}
