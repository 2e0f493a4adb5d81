// Gas of minting, verifying and recording proofs at realistic dataset sizes, written to gas-report.json.
// A tree of 2^27 leaves is never built: the proven leaves are fixed, every other node their proofs need is
// random, and folding them up per merkle-v1 gives a root for which the proofs are valid (sparseTree).
import { writeFile } from "node:fs/promises";
import { expect } from "chai";
import { CID } from "multiformats/cid";
import { network } from "hardhat";
import { foldProof, sha256, sparseTree, type Hex } from "./helpers/merkleV1.js";

// Cancun, like the compiler target and FEVM. On Prague and later (Hardhat's default is Osaka) the EIP-7623
// calldata floor, not execution, sets the cost of these calldata-heavy calls at the larger sizes.
const { ethers } = await network.create({ override: { hardfork: "cancun" } });

const LOG2_SIZES = [14, 20, 27] as const;
const REPORT_URL = new URL("../../gas-report.json", import.meta.url);

type Log2Size = (typeof LOG2_SIZES)[number];
type BySize = Record<Log2Size, number>;

interface GasReport {
  /** receipt gasUsed of a mint (not the registry's first, which also initialises the token counter): a
   * publisher's first, which also opens its ERC-721 balance, and the highest of its later ones */
  mint: { firstOfPublisher: number; later: number };
  /** estimateGas of verifyInclusion (a call; includes the 21,000 intrinsic gas and calldata) */
  inclusion: BySize;
  /** estimateGas of verifyExclusion with two neighbours whose paths meet only at the root (worst case) */
  exclusion: BySize;
  /** receipt gasUsed of recordInclusion */
  recordInclusion: BySize;
  /** receipt gasUsed of reportMisordered: two adjacent out-of-order leaves whose paths meet only at the root */
  reportMisordered: BySize;
}

/** Deterministic "random" hashes, so that the figures (calldata included) repeat from run to run. */
let counter = 0;
const nextHash = (): Hex => sha256(Buffer.from(`provenant gas ${counter++}`));

/** A hash whose first byte is `top`: fixes the order of the two leaves and x. */
function hashStartingWith(top: number): bigint {
  return (BigInt(nextHash()) & ((1n << 248n) - 1n)) | (BigInt(top) << 248n);
}

const asHash = (value: bigint): Hex => ethers.toBeHex(value, 32) as Hex;

describe("DatasetRegistry gas", function () {
  it("measures mint, inclusion, exclusion and misorder reports at n = 2^14, 2^20 and 2^27", async function () {
    const [publisher, warmUp] = await ethers.getSigners();
    const registry = await ethers.deployContract("DatasetRegistry");
    const manifestCid = CID.parse("bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi").bytes;
    await (registry.connect(warmUp) as typeof registry).mint({
      root: ethers.id("warm-up"),
      n: 1n,
      totalSamples: 1n,
      previousVersion: 0n,
      encoding: "raw-v1",
      manifestCid,
      license: "CC-BY-4.0",
    });

    const mint: number[] = [];
    const inclusion = {} as BySize;
    const exclusion = {} as BySize;
    const recordInclusion = {} as BySize;
    const reportMisordered = {} as BySize;

    for (const log2n of LOG2_SIZES) {
      const n = 2 ** log2n;
      // Leaves left and right are adjacent and straddle the middle, so their paths meet only at the root.
      const left = n / 2 - 1;
      const right = n / 2;
      const leftLeaf = hashStartingWith(0x40);
      const rightLeaf = hashStartingWith(0x80);
      const x = asHash(leftLeaf + 1n);
      const tree = sparseTree(
        n,
        new Map([
          [left, asHash(leftLeaf)],
          [right, asHash(rightLeaf)],
        ]),
        nextHash,
      );
      const leftSiblings = tree.proofs.get(left)!;
      const rightSiblings = tree.proofs.get(right)!;
      expect(leftSiblings).to.have.length(log2n);
      expect(foldProof(asHash(leftLeaf), left, n, leftSiblings)).to.equal(tree.root);
      expect(foldProof(asHash(rightLeaf), right, n, rightSiblings)).to.equal(tree.root);

      const tx = await registry.mint({
        root: tree.root,
        n: BigInt(n),
        totalSamples: BigInt(n),
        previousVersion: 0n,
        encoding: "raw-v1",
        manifestCid,
        license: "CC-BY-4.0",
      });
      mint.push(Number((await tx.wait())!.gasUsed));
      const id = await registry.tokenOfPublisherRoot(publisher.address, tree.root);

      const inclusionArgs = [id, asHash(leftLeaf), BigInt(left), leftSiblings] as const;
      const neighbors = [
        { sampleHash: asHash(leftLeaf), index: BigInt(left), siblings: leftSiblings },
        { sampleHash: asHash(rightLeaf), index: BigInt(right), siblings: rightSiblings },
      ];
      expect(await registry.verifyInclusion(...inclusionArgs)).to.equal(true);
      expect(await registry.verifyExclusion(id, x, neighbors)).to.equal(true);
      // The same proofs with one sibling changed must fail, or the figures measure nothing.
      const tampered = [...leftSiblings.slice(0, -1), ethers.ZeroHash];
      expect(await registry.verifyInclusion(id, asHash(leftLeaf), BigInt(left), tampered)).to.equal(false);

      inclusion[log2n] = Number(await registry.verifyInclusion.estimateGas(...inclusionArgs));
      exclusion[log2n] = Number(await registry.verifyExclusion.estimateGas(id, x, neighbors));
      const recorded = await registry.recordInclusion(...inclusionArgs);
      recordInclusion[log2n] = Number((await recorded.wait())!.gasUsed);

      // A misordered dataset of the same size: the same two positions, the larger leaf on the left.
      const misordered = sparseTree(
        n,
        new Map([
          [left, asHash(rightLeaf)],
          [right, asHash(leftLeaf)],
        ]),
        nextHash,
      );
      await registry.mint({
        root: misordered.root,
        n: BigInt(n),
        totalSamples: BigInt(n),
        previousVersion: 0n,
        encoding: "raw-v1",
        manifestCid,
        license: "CC-BY-4.0",
      });
      const misorderedId = await registry.tokenOfPublisherRoot(publisher.address, misordered.root);
      const report = await registry.reportMisordered(
        misorderedId,
        { sampleHash: asHash(rightLeaf), index: BigInt(left), siblings: misordered.proofs.get(left)! },
        { sampleHash: asHash(leftLeaf), index: BigInt(right), siblings: misordered.proofs.get(right)! },
      );
      reportMisordered[log2n] = Number((await report.wait())!.gasUsed);
      expect((await registry.datasetOf(misorderedId)).misordered).to.equal(true);
    }

    const report: GasReport = { mint: { firstOfPublisher: mint[0]!, later: Math.max(...mint.slice(1)) }, inclusion, exclusion, recordInclusion, reportMisordered };
    console.log(`\n    mint: ${report.mint.firstOfPublisher} gas a publisher's first, ${report.mint.later} later (receipt)`);
    console.log("    n       verifyInclusion  verifyExclusion  recordInclusion  reportMisordered   (estimateGas, estimateGas, receipt, receipt)");
    for (const log2n of LOG2_SIZES) {
      const cells = [inclusion[log2n], exclusion[log2n], recordInclusion[log2n], reportMisordered[log2n]].map((gas) => String(gas).padStart(15));
      console.log(`    2^${log2n}  ${cells.join("  ")}`);
    }
    await writeFile(REPORT_URL, `${JSON.stringify(report, null, 2)}\n`);
  });
});
