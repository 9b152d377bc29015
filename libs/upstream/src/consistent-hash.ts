/**
 * A hash ring (ketama style): every endpoint owns `points` pseudo-random
 * points on a 32-bit circle; a key goes to the owner of the first point at
 * or after its hash. Removing one endpoint only moves the keys it owned.
 */
export class HashRing {
  readonly #points: Uint32Array;
  readonly #owners: Uint32Array;

  constructor(ids: readonly string[], points = 160) {
    const all: [number, number][] = [];
    ids.forEach((id, owner) => {
      for (let i = 0; i < points; i++) all.push([fnv1a32(`${id}#${i}`), owner]);
    });
    all.sort((a, b) => a[0] - b[0]);
    this.#points = Uint32Array.from(all, (p) => p[0]);
    this.#owners = Uint32Array.from(all, (p) => p[1]);
  }

  /**
   * Owners in ring order starting at the key's position; `accept` says
   * whether an owner can take the request (healthy, not tried yet).
   */
  find(key: string, accept: (owner: number) => boolean): number {
    const n = this.#points.length;
    if (n === 0) return -1;
    const h = fnv1a32(key);
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#points[mid]! < h) lo = mid + 1;
      else hi = mid;
    }
    for (let i = 0; i < n; i++) {
      const owner = this.#owners[(lo + i) % n]!;
      if (accept(owner)) return owner;
    }
    return -1;
  }
}

/** FNV-1a, 32 bits, over UTF-16 code units: fast, and spreads short keys well enough for a ring with many points. */
export function fnv1a32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  // Final avalanche (murmur3 fmix32): FNV alone clusters similar keys.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
