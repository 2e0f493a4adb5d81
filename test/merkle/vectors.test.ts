import { expect } from "chai";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { MerkleTree } from "merkletreejs";
import { network } from "hardhat";
import { parseHex32 } from "../../core/hex.ts";
import { verifyExclusion, verifyInclusion, type LeafProof } from "../../core/merkle/verify.ts";
import { rootOf } from "../../core/merkle/tree.ts";
import { cidOf } from "../../core/storage/cid.ts";
import { manifestCidBytes } from "../../core/chain/manifest-cid.ts";

const vectors = JSON.parse(readFileSync(new URL("../vectors/merkle-v1.json", import.meta.url), "utf8"));
type Leaf = { sampleHash: string; index: number; siblings: string[] };
const leafProof = (l: Leaf): LeafProof => ({ sampleHash: parseHex32(l.sampleHash, "leaf"), index: l.index, siblings: l.siblings.map((s) => parseHex32(s, "sibling")) });
const flip = (h: string) => `${h.slice(0, -1)}${h.endsWith("0") ? "1" : "0"}`;
const sha = (b: Buffer) => createHash("sha256").update(b).digest();

describe("merkle-v1 test vectors: library, merkletreejs and the contract agree", () => {
  it("rebuilds every vector root from its leaves, with the library and with merkletreejs", () => {
    for (const t of vectors.trees) {
      const leaves = Buffer.concat(t.leaves.map((l: string) => Buffer.from(l.slice(2), "hex")));
      expect(`0x${Buffer.from(rootOf(leaves)).toString("hex")}`, `n=${t.n}`).to.equal(t.root);
      const ref = new MerkleTree(
        t.leaves.map((l: string) => Buffer.from(l.slice(2), "hex")),
        sha,
        { hashLeaves: false },
      );
      expect(ref.getHexRoot(), `merkletreejs n=${t.n}`).to.equal(t.root);
    }
  });

  it("accepts every vector proof in the library and rejects each with a flipped sibling or leaf", () => {
    for (const t of vectors.trees) {
      const root = parseHex32(t.root, "root");
      for (const p of t.inclusions as Leaf[]) {
        const lp = leafProof(p);
        expect(verifyInclusion(root, t.n, lp.sampleHash, lp.index, lp.siblings)).to.equal(true);
        expect(verifyInclusion(root, t.n, parseHex32(flip(p.sampleHash), "x"), lp.index, lp.siblings)).to.equal(false);
        if (p.siblings.length) {
          const bad = leafProof({ ...p, siblings: [flip(p.siblings[0]), ...p.siblings.slice(1)] });
          expect(verifyInclusion(root, t.n, bad.sampleHash, bad.index, bad.siblings)).to.equal(false);
        }
      }
      for (const e of t.exclusions) {
        const x = parseHex32(e.x, "x");
        const left = e.left && leafProof(e.left);
        const right = e.right && leafProof(e.right);
        expect(verifyExclusion(root, t.n, x, left, right), `n=${t.n} x=${e.x}`).to.equal(true);
        expect(verifyExclusion(root, t.n, x, right, left)).to.equal(left === null && right === null);
      }
    }
  });

  it("gets the same verdicts from DatasetRegistry on-chain", async () => {
    const { ethers } = await network.create();
    const registry = await ethers.deployContract("DatasetRegistry");
    for (const [i, t] of vectors.trees.entries()) {
      await registry.mint({
        root: t.root,
        n: t.n,
        totalSamples: t.n,
        previousVersion: 0,
        encoding: "files",
        manifestCid: manifestCidBytes(await cidOf(new TextEncoder().encode(`vector ${i}`))),
        license: "CC0-1.0",
      });
      const id = i + 1;
      for (const p of t.inclusions as Leaf[]) {
        expect(await registry.verifyInclusion(id, p.sampleHash, p.index, p.siblings)).to.equal(true);
        expect(await registry.verifyInclusion(id, flip(p.sampleHash), p.index, p.siblings)).to.equal(false);
        expect(await registry.verifyInclusion(id, p.sampleHash, p.index, [...p.siblings, t.root])).to.equal(false);
      }
      for (const e of t.exclusions) {
        const neighbors = [e.left, e.right].filter(Boolean);
        expect(await registry.verifyExclusion(id, e.x, neighbors)).to.equal(true);
        // A member of the set can never be excluded.
        expect(await registry.verifyExclusion(id, neighbors[0].sampleHash, neighbors)).to.equal(false);
      }
    }
  });
});
