/**
 * Writes test/vectors/merkle-v1.json: small merkle-v1 trees with every inclusion proof and a few exclusions.
 * Leaves are SHA-256("provenant-vector-<i>"), sorted. The library, the contract and merkletreejs are all
 * checked against this file; regenerate only when the format changes (and then bump its version).
 */
import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { buildLevels, proofFromLevels } from "../core/merkle/tree.ts";
import { sortUniqueHashes } from "../core/dataset/sort-unique.ts";
import { toHex } from "../core/hex.ts";
import { REPO } from "./lib/local-chain.ts";

const sizes = [1, 2, 3, 4, 5, 6, 7, 8, 9, 13, 16, 17, 33];
const trees = sizes.map((n) => {
  const raw = Buffer.concat(Array.from({ length: n }, (_, i) => createHash("sha256").update(`provenant-vector-${i}`).digest()));
  const leaves = sortUniqueHashes(raw);
  const levels = buildLevels(leaves);
  const leaf = (i: number) => toHex(leaves.subarray(i * 32, i * 32 + 32));
  const proof = (i: number) => ({ sampleHash: leaf(i), index: i, siblings: proofFromLevels(levels, i).map(toHex) });
  const before = "0x" + "00".repeat(32);
  const after = "0x" + "ff".repeat(32);
  type LeafJson = ReturnType<typeof proof>;
  const exclusions: { x: string; left: LeafJson | null; right: LeafJson | null }[] = [
    { x: before, left: null, right: proof(0) },
    { x: after, left: proof(n - 1), right: null },
  ];
  if (n > 1) {
    // x = leaf 0 plus one in its last byte is, for these leaves, strictly between leaves 0 and 1.
    const x = Buffer.from(leaves.subarray(0, 32));
    x[31] += 1;
    exclusions.push({ x: toHex(x), left: proof(0), right: proof(1) });
  }
  return {
    n,
    leaves: Array.from({ length: n }, (_, i) => leaf(i)),
    root: toHex(levels[levels.length - 1]),
    inclusions: Array.from({ length: n }, (_, i) => proof(i)),
    exclusions,
  };
});
writeFileSync(
  join(REPO, "test", "vectors", "merkle-v1.json"),
  `${JSON.stringify({ format: "merkle-v1-vectors", leafRule: 'sorted SHA-256("provenant-vector-<i>")', trees }, null, 2)}\n`,
);
console.log(`wrote ${trees.length} trees`);
