/**
 * A per-node point in [base, 2 * base) for housekeeping that would otherwise
 * come due on every node at the same change: all nodes of a mesh get the same
 * deltas, so a fixed limit makes all of them fold at once, and on shared
 * cores that one change waits for every node's fold. Derived from the node
 * id (FNV-1a, then murmur3's finalizer to spread similar ids), so a node keeps its point across restarts and nodes spread
 * out evenly.
 */
export function spreadLimit(base: number, nodeId: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < nodeId.length; i++) {
    h ^= nodeId.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return base + Math.floor(((h >>> 0) / 2 ** 32) * base);
}
