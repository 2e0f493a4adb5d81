// A small, test-only rendering of docs/formats/merkle-v1.md for the contract tests: hex strings in and
// out, numbers for indexes. The library's own implementation lives in core/merkle/; this file exists so
// that the contract tests do not depend on it (they cross-check against merkletreejs as well).
import { createHash, randomBytes } from "node:crypto";

export type Hex = `0x${string}`;

export function toHex(bytes: Uint8Array): Hex {
  return `0x${Buffer.from(bytes).toString("hex")}`;
}

export function fromHex(hex: string): Buffer {
  return Buffer.from(hex.slice(2), "hex");
}

export function sha256(data: Uint8Array): Hex {
  return toHex(createHash("sha256").update(data).digest());
}

/** `SHA-256(left ‖ right)`. */
export function hashPair(left: string, right: string): Hex {
  return sha256(Buffer.concat([fromHex(left), fromHex(right)]));
}

export function randomHash(): Hex {
  return toHex(randomBytes(32));
}

/** The root that the proof implies (the walk of merkle-v1.md), or `undefined` for a malformed proof. */
export function foldProof(leaf: string, index: number, n: number, siblings: readonly string[]): Hex | undefined {
  if (!(index >= 0 && index < n)) return undefined;
  let node = leaf as Hex;
  let pos = index;
  let width = n;
  let used = 0;
  while (width > 1) {
    if (!(pos % 2 === 0 && pos === width - 1)) {
      const sibling = siblings[used++];
      if (sibling === undefined) return undefined;
      node = pos % 2 === 0 ? hashPair(node, sibling) : hashPair(sibling, node);
    }
    pos = Math.floor(pos / 2);
    width = Math.ceil(width / 2);
  }
  return used === siblings.length ? node : undefined;
}

export interface SparseTree {
  root: Hex;
  /** Inclusion proof (siblings, bottom-up) of each given leaf, by index. */
  proofs: Map<number, Hex[]>;
}

/**
 * A tree of `n` leaves in which only the given leaves are known: every other node that a proof needs is
 * random. Folding the given leaves up per merkle-v1 yields a root for which their proofs are valid, without
 * building a tree of size `n` (which may be 2^27). Leaves given at adjacent indexes share their upper path.
 */
export function sparseTree(n: number, leaves: ReadonlyMap<number, string>, random = randomHash): SparseTree {
  const proofs = new Map<number, Hex[]>([...leaves.keys()].map((index) => [index, []]));
  let level = new Map<number, Hex>([...leaves].map(([index, leaf]) => [index, leaf as Hex]));
  let width = n;
  let scale = 1; // 2^level: a leaf's ancestor on this level is at floor(index / scale)
  while (width > 1) {
    const next = new Map<number, Hex>();
    for (const [pos, node] of [...level].sort(([a], [b]) => a - b)) {
      const parentPos = Math.floor(pos / 2);
      if (next.has(parentPos)) continue; // computed with its sibling
      if (pos % 2 === 0 && pos === width - 1) {
        next.set(parentPos, node); // odd last node moves up unchanged
        continue;
      }
      const siblingPos = pos ^ 1;
      const sibling = level.get(siblingPos) ?? random();
      for (const [index, proof] of proofs) {
        const ancestor = Math.floor(index / scale);
        if (ancestor === pos) proof.push(sibling);
        else if (ancestor === siblingPos) proof.push(node);
      }
      next.set(parentPos, pos % 2 === 0 ? hashPair(node, sibling) : hashPair(sibling, node));
    }
    level = next;
    width = Math.ceil(width / 2);
    scale *= 2;
  }
  const root = level.get(0);
  if (root === undefined) throw new Error("sparseTree: no leaves given");
  return { root, proofs };
}
