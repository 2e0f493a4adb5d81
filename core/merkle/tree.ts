// "#hash-nodes" (package.json "imports"): node:crypto / @chainsafe/hashtree in Node, plain JS in the browser.
import { hashNodesInto } from "#hash-nodes";
import { DatasetEmptyError } from "../errors.ts";

/**
 * merkle-v1 trees held as flat levels: levels[0] is the sorted leaves (n x 32 bytes),
 * each next level pairs the previous left to right, the odd last node moving up unchanged.
 */
export type Levels = Uint8Array[];

export function buildLevels(leaves: Uint8Array): Levels {
  if (leaves.length % 32 !== 0) throw new RangeError("leaves must be whole 32-byte hashes");
  if (leaves.length === 0) throw new DatasetEmptyError();
  const levels: Levels = [leaves];
  let level = leaves;
  while (level.length > 32) {
    const width = level.length / 32;
    const pairs = Math.floor(width / 2);
    const next = new Uint8Array(Math.ceil(width / 2) * 32);
    hashNodesInto(level.subarray(0, pairs * 64), next);
    if (width % 2 === 1) next.set(level.subarray(level.length - 32), pairs * 32);
    levels.push(next);
    level = next;
  }
  return levels;
}

export function rootOf(leaves: Uint8Array): Uint8Array {
  const levels = buildLevels(leaves);
  return levels[levels.length - 1].slice(0, 32);
}

/** Siblings bottom-up for leaf `index`, exactly the shape merkle-v1's verifier requires. */
export function proofFromLevels(levels: Levels, index: number): Uint8Array[] {
  const siblings: Uint8Array[] = [];
  let pos = index;
  for (let k = 0; k < levels.length - 1; k++) {
    const width = levels[k].length / 32;
    if (!(pos % 2 === 0 && pos === width - 1)) {
      const s = pos ^ 1;
      siblings.push(levels[k].slice(s * 32, s * 32 + 32));
    }
    pos >>= 1;
  }
  return siblings;
}

export function leafAt(leaves: Uint8Array, index: number): Uint8Array {
  return leaves.subarray(index * 32, index * 32 + 32);
}

/**
 * Binary search of a sorted leaf buffer. Returns the index of `x` when present, otherwise
 * `-(insertion point) - 1` (the Java convention), so the caller gets the exclusion neighbours for free.
 */
export function searchLeaves(leaves: Uint8Array, x: Uint8Array): number {
  let lo = 0;
  let hi = leaves.length / 32 - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const c = compareLeaf(leaves, mid * 32, x);
    if (c < 0) lo = mid + 1;
    else if (c > 0) hi = mid - 1;
    else return mid;
  }
  return -lo - 1;
}

/**
 * The first index `i` at or after `from` whose leaf is not below the next one (`leaf i >= leaf i + 1`), or -1
 * when the leaves from `from` on are strictly increasing, as merkle-v1 requires. Binary search and exclusion
 * proofs are only sound over such leaves.
 */
export function firstOrderViolation(leaves: Uint8Array, from = 0): number {
  const count = leaves.length / 32;
  for (let i = Math.max(0, from); i + 1 < count; i++) {
    if (compareLeaf(leaves, i * 32, leaves.subarray(i * 32 + 32, i * 32 + 64)) >= 0) return i;
  }
  return -1;
}

/** The 32-byte leaf at byte offset `at` of `leaves` against `x`, bytewise. */
function compareLeaf(leaves: Uint8Array, at: number, x: Uint8Array): number {
  for (let i = 0; i < 32; i++) {
    const d = leaves[at + i] - x[i];
    if (d !== 0) return d;
  }
  return 0;
}
