/**
 * Runs one tree-build-and-proof measurement in its own process, so a peer that runs past its time cap can be
 * killed without disturbing the others. argv: <impl> <n>. Prints one JSON line.
 */
import { createHash, randomBytes } from "node:crypto";
import { buildLevels, proofFromLevels, searchLeaves } from "../core/merkle/tree.ts";
import { sortUniqueHashes } from "../core/dataset/sort-unique.ts";
import { peakMemoryMiB } from "./peak-memory.ts";

const [impl, nArg] = process.argv.slice(2);
const n = Number(nArg);
const leaves = sortUniqueHashes(randomBytes(n * 32));
const count = leaves.length / 32;
const probes = Array.from({ length: 200 }, (_, k) => Math.floor((k * 7919) % count));
const leaf = (i: number) => leaves.subarray(i * 32, i * 32 + 32);
const sha = (b: Buffer) => createHash("sha256").update(b).digest();

const t0 = performance.now();
let proofMicros = 0;
if (impl === "provenant") {
  const levels = buildLevels(leaves);
  const built = performance.now();
  // Proofs are timed after a warm-up, over many probes: a service answers many, and the first few pay for JIT.
  const many = Array.from({ length: 20_000 }, (_, k) => (k * 7919) % count);
  for (const i of many.slice(0, 2000)) proofFromLevels(levels, searchLeaves(levels[0], leaf(i)));
  const t1 = performance.now();
  for (const i of many) proofFromLevels(levels, searchLeaves(levels[0], leaf(i)));
  proofMicros = ((performance.now() - t1) * 1000) / many.length;
  print(built - t0);
} else if (impl === "merkletreejs") {
  const { MerkleTree } = await import("merkletreejs");
  const list = Array.from({ length: count }, (_, i) => Buffer.from(leaf(i)));
  const tree = new MerkleTree(list, sha, { hashLeaves: false });
  const t1 = performance.now();
  const few = probes.slice(0, 5); // getProof(leaf) scans every leaf: a few probes are enough to time it
  for (const i of few) tree.getProof(list[i]);
  proofMicros = ((performance.now() - t1) * 1000) / few.length;
  print(t1 - t0);
} else if (impl === "openzeppelin") {
  const { StandardMerkleTree } = await import("@openzeppelin/merkle-tree");
  const values = Array.from({ length: count }, (_, i) => [`0x${Buffer.from(leaf(i)).toString("hex")}`]);
  const tree = StandardMerkleTree.of(values, ["bytes32"]);
  const t1 = performance.now();
  const few = probes.slice(0, 5);
  for (const i of few) tree.getProof(values[i]);
  proofMicros = ((performance.now() - t1) * 1000) / few.length;
  print(t1 - t0);
}

function print(buildMs: number) {
  console.log(JSON.stringify({ impl, n: count, buildSeconds: buildMs / 1000, proofMicros, maxRssMiB: peakMemoryMiB() }));
}
