import { SHARD_SIZE } from "../../core/dataset/shard-index.ts";
import { concatBytes } from "../../core/hex.ts";
import { buildLevels } from "../../core/merkle/tree.ts";

/**
 * The browser's half of a commitment: merkle-v1 leaves (distinct sample hashes, ascending) and the root,
 * computed shard by shard as core/dataset/commit.ts does. The server recomputes both with the library
 * before it stores anything (app/api/datasets/route.ts), so this code is checked on every mint.
 *
 * core/dataset/sort-unique.ts is Node-only (Buffer); this is the same counting sort on the first two bytes
 * with plain Uint8Array compares.
 */
export function sortUniqueLeaves(hashes: Uint8Array): Uint8Array {
  const n = hashes.length / 32;
  if (!Number.isInteger(n)) throw new RangeError("hashes must be whole 32-byte digests");
  const bucketOf = (i: number) => (hashes[i * 32] << 8) | hashes[i * 32 + 1];
  const starts = new Uint32Array(65537);
  for (let i = 0; i < n; i++) starts[bucketOf(i) + 1]++;
  for (let b = 0; b < 65536; b++) starts[b + 1] += starts[b];
  const fill = starts.slice(0, 65536);
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[fill[bucketOf(i)]++] = i;
  const cmp = (a: number, b: number) => {
    for (let k = 2; k < 32; k++) {
      const d = hashes[a * 32 + k] - hashes[b * 32 + k];
      if (d !== 0) return d;
    }
    return 0;
  };
  const out = new Uint8Array(n * 32);
  let written = 0;
  let last = -1;
  for (let b = 0; b < 65536; b++) {
    const s = starts[b];
    const e = starts[b + 1];
    if (e - s > 1) order.subarray(s, e).sort(cmp);
    for (let k = s; k < e; k++) {
      const i = order[k];
      // Within a bucket the first two bytes are equal, so equal hashes compare equal from byte 2 on.
      if (last >= 0 && bucketOf(last) === b && cmp(last, i) === 0) continue;
      out.set(hashes.subarray(i * 32, i * 32 + 32), written * 32);
      written++;
      last = i;
    }
  }
  return out.slice(0, written * 32);
}

/** The merkle-v1 root of sorted distinct leaves, via the aligned shard roots (less memory than one tree). */
export function rootOfLeaves(leaves: Uint8Array): Uint8Array {
  const n = leaves.length / 32;
  const shardRoots: Uint8Array[] = [];
  for (let start = 0; start < n; start += SHARD_SIZE) {
    const levels = buildLevels(leaves.subarray(start * 32, Math.min(n, start + SHARD_SIZE) * 32));
    shardRoots.push(levels[levels.length - 1]);
  }
  const top = buildLevels(concatBytes(shardRoots));
  return top[top.length - 1].slice(0, 32);
}
