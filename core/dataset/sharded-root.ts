import { concatBytes } from "../hex.ts";
import { buildLevels } from "../merkle/tree.ts";
import { SHARD_SIZE } from "./shard-index.ts";

/**
 * The merkle-v1 root of sorted distinct leaves, through the roots of their aligned shards: less memory than one
 * tree over all leaves, and the same root (the shards are aligned power-of-two subtrees, so the tree over their
 * roots is the full tree's top). Browser-safe: commit.ts and the app's hash worker both commit with it.
 */
export function shardedRoot(leaves: Uint8Array): { root: Uint8Array; shardRoots: Uint8Array[] } {
  const n = leaves.length / 32;
  const shardRoots: Uint8Array[] = [];
  for (let start = 0; start < n; start += SHARD_SIZE) {
    const levels = buildLevels(leaves.subarray(start * 32, Math.min(n, start + SHARD_SIZE) * 32));
    shardRoots.push(levels[levels.length - 1]);
  }
  const top = buildLevels(concatBytes(shardRoots));
  return { root: top[top.length - 1].slice(0, 32), shardRoots };
}
