import { fnv1a32 } from '@meshgate/upstream';

/**
 * A per-node point in [base, 2 * base) for housekeeping that would otherwise
 * come due on every node at the same change: all nodes of a mesh get the same
 * deltas, so a fixed limit makes all of them fold at once, and on shared
 * cores that one change waits for every node's fold. Derived from the node
 * id (the hash ring's FNV-1a with a final avalanche), so a node keeps its
 * point across restarts and nodes spread out evenly.
 */
export function spreadLimit(base: number, nodeId: string): number {
  return base + Math.floor((fnv1a32(nodeId) / 2 ** 32) * base);
}
