import { expect } from "chai";
import { createHash, randomBytes } from "node:crypto";
import fc from "fast-check";
import { MerkleTree } from "merkletreejs";
import { buildLevels, firstOrderViolation, proofFromLevels, rootOf, searchLeaves } from "../../core/merkle/tree.ts";
import { computeRoot, expectedProofLength, verifyExclusion, verifyInclusion } from "../../core/merkle/verify.ts";
import { cryptoHashNodesInto, hashNodesBackend, hashNodesInto } from "../../core/merkle/hash-nodes.ts";
import { sortUniqueHashes } from "../../core/dataset/sort-unique.ts";

const sha = (b: Uint8Array) => createHash("sha256").update(b).digest();

function sortedLeaves(count: number, seed: number): Uint8Array {
  const raw = new Uint8Array(count * 32);
  for (let i = 0; i < count; i++) raw.set(sha(Buffer.from(`${seed}:${i}`)), i * 32);
  return sortUniqueHashes(raw);
}

/** merkletreejs over the same sorted leaves, hashing pairs with plain SHA-256 and promoting odd nodes. */
function referenceRoot(leaves: Uint8Array): Buffer {
  const list = [];
  for (let i = 0; i < leaves.length; i += 32) list.push(Buffer.from(leaves.subarray(i, i + 32)));
  return new MerkleTree(list, sha, { hashLeaves: false, sortPairs: false, duplicateOdd: false }).getRoot();
}

describe("merkle-v1", () => {
  it(`hashes 64-byte nodes in batches (${hashNodesBackend}) exactly as node:crypto does`, () => {
    const input = randomBytes(64 * 1000);
    const a = new Uint8Array(32 * 1000);
    const b = new Uint8Array(32 * 1000);
    hashNodesInto(input, a);
    cryptoHashNodesInto(input, b);
    expect(Buffer.from(a).equals(Buffer.from(b))).to.equal(true);
  });

  it("finds the first pair of leaves out of order (or equal), and none in sorted distinct leaves", () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 200 }), fc.integer(), fc.nat(), fc.boolean(), (n, seed, at, duplicate) => {
        const leaves = sortedLeaves(n, seed);
        expect(firstOrderViolation(leaves)).to.equal(-1);
        const i = at % (n - 1);
        const broken = leaves.slice();
        // Leaf i + 1 becomes a copy of leaf i, or the two swap places: either way leaf i >= leaf i + 1.
        if (duplicate) broken.copyWithin((i + 1) * 32, i * 32, i * 32 + 32);
        else {
          broken.set(leaves.subarray((i + 1) * 32, (i + 2) * 32), i * 32);
          broken.set(leaves.subarray(i * 32, (i + 1) * 32), (i + 1) * 32);
        }
        expect(firstOrderViolation(broken)).to.equal(i);
        expect(firstOrderViolation(broken, i + 1), "after the broken pair").to.equal(-1);
      }),
    );
    expect(firstOrderViolation(new Uint8Array(32))).to.equal(-1);
  });

  it("builds the same root as merkletreejs for every size from 1 to 300 and random sizes to 5000", () => {
    for (let n = 1; n <= 300; n++) {
      const leaves = sortedLeaves(n, n);
      expect(Buffer.from(rootOf(leaves)).toString("hex"), `n=${n}`).to.equal(referenceRoot(leaves).toString("hex"));
    }
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5000 }), fc.integer(), (n, seed) => {
        const leaves = sortedLeaves(n, seed);
        return Buffer.from(rootOf(leaves)).equals(referenceRoot(leaves));
      }),
      { numRuns: 40, seed: 42 },
    );
  });

  it("makes a one-leaf tree's root the leaf itself", () => {
    const leaves = sortedLeaves(1, 7);
    expect(Buffer.from(rootOf(leaves)).equals(Buffer.from(leaves))).to.equal(true);
    expect(verifyInclusion(leaves, 1, leaves, 0, [])).to.equal(true);
  });

  it("verifies every leaf's proof and rejects any single flipped bit, wrong index or wrong n", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 700 }), fc.integer(), fc.nat(), fc.nat(), (n, seed, pick, bit) => {
        const leaves = sortedLeaves(n, seed);
        const levels = buildLevels(leaves);
        const root = levels[levels.length - 1];
        const index = pick % n;
        const leaf = leaves.slice(index * 32, index * 32 + 32);
        const siblings = proofFromLevels(levels, index);
        if (siblings.length !== expectedProofLength(index, n)) return false;
        if (!verifyInclusion(root, n, leaf, index, siblings)) return false;
        // A flipped bit in the leaf, a sibling, or the root must fail.
        const flip = (b: Uint8Array) => {
          const c = b.slice();
          c[(bit >> 3) % 32] ^= 1 << (bit & 7);
          return c;
        };
        if (verifyInclusion(root, n, flip(leaf), index, siblings)) return false;
        if (verifyInclusion(flip(root), n, leaf, index, siblings)) return false;
        if (siblings.length > 0) {
          const s = bit % siblings.length;
          const tampered = siblings.map((x, i) => (i === s ? flip(x) : x));
          if (verifyInclusion(root, n, leaf, index, tampered)) return false;
        }
        if (n > 1 && verifyInclusion(root, n, leaf, (index + 1) % n, siblings)) return false;
        // A different n changes the verdict only where it changes the path's shape; that is why n is read
        // from the on-chain record and never taken from a proof.
        const sameShape = (m: number) => {
          for (let p = index, w = n, q = index, v = m; w > 1 || v > 1; p >>= 1, q >>= 1, w = (w + 1) >> 1, v = (v + 1) >> 1) {
            if (w > 1 !== v > 1 || (p % 2 === 0 && p === w - 1) !== (q % 2 === 0 && q === v - 1)) return false;
          }
          return true;
        };
        if (!sameShape(n + 1) && verifyInclusion(root, n + 1, leaf, index, siblings)) return false;
        if (n > 1 && !sameShape(n - 1) && verifyInclusion(root, n - 1, leaf, index, siblings)) return false;
        if (verifyInclusion(root, n, leaf, index, [...siblings, root])) return false;
        if (siblings.length > 0 && verifyInclusion(root, n, leaf, index, siblings.slice(0, -1))) return false;
        return true;
      }),
      { numRuns: 300, seed: 7 },
    );
  });

  it("refuses to accept an inner node as a leaf, whatever index is claimed", () => {
    const n = 37;
    const leaves = sortedLeaves(n, 3);
    const levels = buildLevels(leaves);
    const root = levels[levels.length - 1];
    // Node 0 of level 1 with its real upper path: a valid path for a tree one level shorter.
    const inner = levels[1].slice(0, 32);
    const upper = proofFromLevels(levels.slice(1), 0);
    for (let index = 0; index < n; index++) {
      expect(verifyInclusion(root, n, inner, index, upper)).to.equal(false);
    }
    expect(computeRoot(inner, 0, Math.ceil(n / 2), upper)).to.deep.equal(root);
  });

  it("proves exclusion with adjacent neighbours and rejects non-adjacent, swapped or unordered ones", () => {
    const n = 101;
    const leaves = sortedLeaves(n, 11);
    const levels = buildLevels(leaves);
    const root = levels[levels.length - 1];
    const leaf = (i: number) => ({ sampleHash: leaves.slice(i * 32, i * 32 + 32), index: i, siblings: proofFromLevels(levels, i) });
    // x strictly between leaf 10 and leaf 11: leaf 10 plus one in its last byte is unlikely to collide with 11.
    const x = leaves.slice(10 * 32, 11 * 32);
    x[31] ^= 0x01;
    if (Buffer.compare(x, leaves.subarray(320, 352)) < 0) {
      x.set(leaves.subarray(320, 352));
      x[31] += 1;
    }
    const at = searchLeaves(leaves, x);
    expect(at).to.equal(-12);
    expect(verifyExclusion(root, n, x, leaf(10), leaf(11))).to.equal(true);
    expect(verifyExclusion(root, n, x, leaf(9), leaf(11))).to.equal(false);
    expect(verifyExclusion(root, n, x, leaf(11), leaf(10))).to.equal(false);
    expect(verifyExclusion(root, n, leaves.slice(320, 352), leaf(10), leaf(11))).to.equal(false);
    const before = new Uint8Array(32);
    const after = new Uint8Array(32).fill(0xff);
    expect(verifyExclusion(root, n, before, null, leaf(0))).to.equal(true);
    expect(verifyExclusion(root, n, after, leaf(n - 1), null)).to.equal(true);
    expect(verifyExclusion(root, n, after, leaf(n - 2), null)).to.equal(false);
    expect(verifyExclusion(root, n, before, null, leaf(1))).to.equal(false);
    expect(verifyExclusion(root, n, after, null, null)).to.equal(false);
  });
});
