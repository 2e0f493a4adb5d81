import { expect } from "chai";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { auditStoredDataset, misorderProof } from "../../core/dataset/audit.ts";
import { DatasetProver, verifyProof } from "../../core/dataset/prover.ts";
import { decodeShardIndex, encodeShardIndex, SHARD_SIZE } from "../../core/dataset/shard-index.ts";
import { decodeManifest, encodeManifest } from "../../core/dataset/manifest.ts";
import { ProvenantError } from "../../core/errors.ts";
import { compareBytes, toHex } from "../../core/hex.ts";
import { verifyExclusion, verifyInclusion } from "../../core/merkle/verify.ts";
import { LocalStore } from "../../core/storage/local-store.ts";
import { leafAt, sortedHashes, storeLeavesAsGiven, swapped } from "../helpers/misordered.ts";

type Stored = Awaited<ReturnType<typeof storeLeavesAsGiven>>;
const recordOf = (s: Stored, misordered = false) => ({ id: 7n, root: toHex(s.root), n: s.manifest.n, manifestCid: s.manifestCid, misordered });

/** x + 1 as a 32-byte big-endian number: absent from any set holding x but not x + 1. */
function plusOne(x: Uint8Array): Uint8Array {
  const out = x.slice();
  for (let i = 31; i >= 0 && ++out[i] === 256; i--) out[i] = 0;
  return out;
}

async function expectMisordered(run: Promise<unknown>, words: RegExp) {
  const e = await run.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e, "refused").to.be.instanceOf(ProvenantError);
  expect((e as ProvenantError).code).to.equal("DATASET_MISORDERED");
  expect((e as ProvenantError).message).to.match(words);
}

describe("dataset audit and the prover's order check (library)", function () {
  this.timeout(120_000);
  let dir: string;
  let store: LocalStore;
  const sorted = sortedHashes(300, "audit");

  before(() => {
    dir = mkdtempSync(join(tmpdir(), "provenant-audit-"));
    store = new LocalStore(dir);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("finds a sound dataset sound, and its prover excludes an absent sample", async () => {
    const stored = await storeLeavesAsGiven(store, sorted, "sound");
    const progress: number[] = [];
    const { report } = await auditStoredDataset(recordOf(stored), store, { onProgress: (done) => progress.push(done) });
    expect(report).to.deep.include({ sound: true, n: 300, shardCount: 1, leavesChecked: 300, violationCount: 0, flaggedOnChain: false });
    expect(report.problems).to.deep.equal([]);
    expect(progress).to.deep.equal([300]);
    const proof = await (await DatasetProver.open(store, stored.manifestCid)).prove(plusOne(leafAt(sorted, 10)));
    expect(proof.kind).to.equal("exclusion");
    expect(verifyProof(proof)).to.equal(true);
  });

  it("attack: over leaves [a, c, b] the prover refuses to prove b absent, which the binary search would", async () => {
    const [a, b, c] = [0, 1, 2].map((i) => leafAt(sorted, i));
    const prover = await DatasetProver.open(store, (await storeLeavesAsGiven(store, swapped(sorted.subarray(0, 96), 1, 2))).manifestCid);
    const { root, n } = prover.index;
    // What the refused proof would have been: a (0) and c (1) around b, valid against the root.
    expect(verifyExclusion(root, n, b, await prover.leafProof(0), await prover.leafProof(1)), "the forgery verifies").to.equal(true);
    expect(verifyInclusion(root, n, b, 2, (await prover.leafProof(2)).siblings), "b is a leaf").to.equal(true);
    await expectMisordered(prover.prove(b), /shard 0 \(\w+\) holds leaves 1 and 2 out of order/);
    expect((await prover.prove(a)).kind).to.equal("inclusion");
    expect((await prover.prove(c)).kind).to.equal("inclusion");
  });

  it("refuses every exclusion whose proof reads a misordered shard, and still proves the leaves it finds", async () => {
    const prover = await DatasetProver.open(store, (await storeLeavesAsGiven(store, swapped(sorted, 100, 101))).manifestCid);
    await expectMisordered(prover.prove(plusOne(leafAt(sorted, 250))), /holds leaves 100 and 101 out of order/);
    const inclusion = await prover.prove(leafAt(sorted, 250));
    expect(inclusion.kind).to.equal("inclusion");
    expect(verifyProof(inclusion)).to.equal(true);
  });

  it("audits that dataset: one violation at leaf 100, and a fraud proof that holds against the root", async () => {
    const leaves = swapped(sorted, 100, 101);
    const stored = await storeLeavesAsGiven(store, leaves);
    const { report, prover } = await auditStoredDataset(recordOf(stored), store);
    expect(report).to.deep.include({ sound: false, violationCount: 1, leavesChecked: 300 });
    expect(report.violations).to.deep.equal([{ index: 100, left: toHex(leafAt(leaves, 100)), right: toHex(leafAt(leaves, 101)), shard: 0 }]);
    const { left, right } = await misorderProof(prover!, 100);
    expect([left.index, right.index]).to.deep.equal([100, 101]);
    expect(compareBytes(left.sampleHash, right.sampleHash)).to.be.greaterThan(0);
    expect(verifyInclusion(prover!.root, 300, left.sampleHash, 100, left.siblings)).to.equal(true);
    expect(verifyInclusion(prover!.root, 300, right.sampleHash, 101, right.siblings)).to.equal(true);
    // A pair in order is no fraud proof: refused before anything could be sent.
    const err = await misorderProof(prover!, 50).catch((e: unknown) => e);
    expect((err as ProvenantError).code).to.equal("PROOF_INVALID");
  });

  it("counts every violation, lists the first ten, and counts equal neighbours as violations", async () => {
    let leaves: Uint8Array = sorted.slice();
    for (let i = 0; i < 24; i++) leaves = swapped(leaves, 10 * i, 10 * i + 1);
    leaves.set(leafAt(leaves, 297), 298 * 32); // leaf 298 = leaf 297
    const stored = await storeLeavesAsGiven(store, leaves);
    const { report } = await auditStoredDataset(recordOf(stored), store);
    expect(report.violationCount).to.equal(25); // the 24 swapped pairs and the pair of equal leaves 297, 298
    expect(report.violations.map((v) => v.index)).to.deep.equal([0, 10, 20, 30, 40, 50, 60, 70, 80, 90]);
  });

  describe("across shard boundaries (65,537 leaves in two shards)", function () {
    const big = sortedHashes(SHARD_SIZE + 1, "boundary");

    it("finds leaves 65535 and 65536 out of order when each shard is sorted, and proves it across the two shards", async () => {
      const leaves = swapped(big, SHARD_SIZE - 1, SHARD_SIZE); // shard 0 ends higher than shard 1 begins
      const stored = await storeLeavesAsGiven(store, leaves);
      const progress: number[] = [];
      const { report, prover } = await auditStoredDataset(recordOf(stored), store, { onProgress: (done) => progress.push(done) });
      expect(progress).to.deep.equal([SHARD_SIZE, SHARD_SIZE + 1]);
      expect(report).to.deep.include({ sound: false, shardCount: 2, violationCount: 1, leavesChecked: SHARD_SIZE + 1 });
      expect(report.violations[0]).to.include({ index: SHARD_SIZE - 1, shard: 0 });
      const { left, right } = await misorderProof(prover!, SHARD_SIZE - 1);
      expect(verifyInclusion(prover!.root, SHARD_SIZE + 1, right.sampleHash, SHARD_SIZE, right.siblings)).to.equal(true);
      expect(compareBytes(left.sampleHash, right.sampleHash)).to.be.greaterThan(0);
    });

    it("refuses exclusions when the index's first leaves are out of order", async () => {
      // Shard 0 holds leaves 1..65536, shard 1 holds leaf 0: each sorted, the index's first leaves not.
      const rotated = new Uint8Array(big.length);
      rotated.set(big.subarray(32), 0);
      rotated.set(big.subarray(0, 32), SHARD_SIZE * 32);
      const prover = await DatasetProver.open(store, (await storeLeavesAsGiven(store, rotated)).manifestCid);
      await expectMisordered(prover.prove(plusOne(leafAt(big, 5))), /lists shard 1's first leaf not above shard 0's/);
    });

    it("reports a shard whose bytes do not fold to the root the index gives it, and checks the others", async () => {
      const stored = await storeLeavesAsGiven(store, big);
      const index = decodeShardIndex(await store.get(stored.indexCid));
      const shard0 = await store.get(index.shards[0].cid);
      const forged = Uint8Array.from(shard0);
      forged[forged.length - 1] ^= 1; // the last leaf changes: same first leaf, same length, another root
      index.shards[0] = { ...index.shards[0], cid: await store.put(forged) };
      const indexCid = await store.put(encodeShardIndex(index));
      const manifest = decodeManifest(await store.get(stored.manifestCid));
      const manifestCid = await store.put(encodeManifest({ ...manifest, index: indexCid }));
      const { report } = await auditStoredDataset({ ...recordOf(stored), manifestCid }, store);
      expect(report.sound).to.equal(false);
      expect(report.problems).to.have.length(1);
      expect(report.problems[0]).to.include({ code: "ROOT_MISMATCH", shard: 0 });
      expect(report.problems[0].message).to.match(/shard 0 \(\w+\) does not match its entry in the index/);
      expect(report).to.deep.include({ leavesChecked: 1, violationCount: 0 });
    });
  });

  it("reports a stored commitment that is not the on-chain one, without reading any shard", async () => {
    const stored = await storeLeavesAsGiven(store, sorted, "sound");
    const { report, prover } = await auditStoredDataset({ ...recordOf(stored), n: 299 }, store);
    expect(prover).to.equal(null);
    expect(report).to.deep.include({ sound: false, shardCount: null, leavesChecked: 0 });
    expect(report.problems[0].code).to.equal("ROOT_MISMATCH");
    expect(report.problems[0].message).to.match(/but the chain records .* \(n=299\)/);
  });
});
