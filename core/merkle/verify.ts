import { sha256 } from "@noble/hashes/sha2.js";
import { bytesEqual, compareBytes } from "../hex.ts";

/**
 * merkle-v1 verification (docs/formats/merkle-v1.md), pure and browser-safe.
 * The verifier derives the path shape from (index, n) and accepts only a sibling list of exactly that length.
 */

export type HashPair = (left: Uint8Array, right: Uint8Array) => Uint8Array;

export const sha256Pair: HashPair = (left, right) => {
  const buf = new Uint8Array(64);
  buf.set(left, 0);
  buf.set(right, 32);
  return sha256(buf);
};

/** Number of siblings an inclusion proof of leaf `index` in a tree of `n` leaves must carry. */
export function expectedProofLength(index: number, n: number): number {
  if (!Number.isSafeInteger(n) || n < 1 || !Number.isSafeInteger(index) || index < 0 || index >= n) return -1;
  let length = 0;
  for (let pos = index, width = n; width > 1; pos = Math.floor(pos / 2), width = Math.ceil(width / 2)) {
    // The odd last node of a level moves up unchanged and consumes no sibling.
    if (!(pos % 2 === 0 && pos === width - 1)) length++;
  }
  return length;
}

/** Folds a proof to a root, or returns null when the proof's shape does not match (index, n). */
export function computeRoot(leaf: Uint8Array, index: number, n: number, siblings: readonly Uint8Array[], hashPair: HashPair = sha256Pair): Uint8Array | null {
  if (leaf.length !== 32 || expectedProofLength(index, n) !== siblings.length) return null;
  let node = leaf;
  let used = 0;
  for (let pos = index, width = n; width > 1; pos = Math.floor(pos / 2), width = Math.ceil(width / 2)) {
    if (pos % 2 === 0 && pos === width - 1) continue;
    const sibling = siblings[used++];
    if (sibling.length !== 32) return null;
    node = pos % 2 === 0 ? hashPair(node, sibling) : hashPair(sibling, node);
  }
  return node;
}

export function verifyInclusion(root: Uint8Array, n: number, leaf: Uint8Array, index: number, siblings: readonly Uint8Array[], hashPair: HashPair = sha256Pair): boolean {
  const computed = computeRoot(leaf, index, n, siblings, hashPair);
  return computed !== null && bytesEqual(computed, root);
}

export interface LeafProof {
  sampleHash: Uint8Array;
  index: number;
  siblings: Uint8Array[];
}

/** A proof against a root of `n` leaves: that a leaf is in it, or that `x` is not (its neighbours are). */
export type InclusionProof = { kind: "inclusion"; root: Uint8Array; n: number } & LeafProof;
export interface ExclusionProof {
  kind: "exclusion";
  root: Uint8Array;
  n: number;
  x: Uint8Array;
  left: LeafProof | null;
  right: LeafProof | null;
}
export type Proof = InclusionProof | ExclusionProof;

/**
 * Exclusion of `x`: adjacent leaves around it, or the first leaf alone when x sorts before it,
 * or the last leaf alone when x sorts after it. Each neighbour is an inclusion proof against the same root.
 */
export function verifyExclusion(root: Uint8Array, n: number, x: Uint8Array, left: LeafProof | null, right: LeafProof | null, hashPair: HashPair = sha256Pair): boolean {
  if (x.length !== 32) return false;
  const valid = (p: LeafProof) => verifyInclusion(root, n, p.sampleHash, p.index, p.siblings, hashPair);
  if (left && right) {
    return right.index === left.index + 1 && compareBytes(left.sampleHash, x) < 0 && compareBytes(x, right.sampleHash) < 0 && valid(left) && valid(right);
  }
  if (right) return right.index === 0 && compareBytes(x, right.sampleHash) < 0 && valid(right);
  if (left) return left.index === n - 1 && compareBytes(left.sampleHash, x) < 0 && valid(left);
  return false;
}
