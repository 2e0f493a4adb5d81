import { expect } from "chai";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { commitSamples, storeCommitment } from "../../core/dataset/commit.ts";
import { DatasetProver, verifyProof } from "../../core/dataset/prover.ts";
import { decodeShardIndex, encodeShardIndex, SHARD_SIZE } from "../../core/dataset/shard-index.ts";
import { decodeManifest, encodeManifest } from "../../core/dataset/manifest.ts";
import { rootOf } from "../../core/merkle/tree.ts";
import { LocalStore } from "../../core/storage/local-store.ts";
import { ProvenantError } from "../../core/errors.ts";
import type { SampleHashes } from "../../core/dataset/encodings.ts";

/** Synthetic sample hashes: SHA-256 of the counter, so the test needs no files. */
function synthetic(count: number): SampleHashes {
  const hashes = new Uint8Array(count * 32);
  for (let i = 0; i < count; i++) hashes.set(createHash("sha256").update(`s${i}`).digest(), i * 32);
  return { encoding: "jsonl", hashes, total: count, skipped: { hidden: 0, symlinks: 0, other: 0, emptyRecords: 0 }, bytes: 0 };
}

describe("shards and the shard index", function () {
  this.timeout(60_000);
  let dir: string;
  let store: LocalStore;
  const n = 2 * SHARD_SIZE + 12_345; // three shards, the last one short
  const samples = synthetic(n);
  const c = commitSamples(samples);
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "provenant-shards-"));
    store = new LocalStore(dir);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("gives the tree over shard roots the root of the tree over all leaves", () => {
    expect(c.shardRoots).to.have.length(3);
    expect(Buffer.from(c.root).equals(Buffer.from(rootOf(c.leaves)))).to.equal(true);
  });

  it("proves members in every shard and non-members between shards, each proof valid", async () => {
    const stored = await storeCommitment(c, store, { name: "synthetic" });
    const prover = await DatasetProver.open(store, stored.manifestCid);
    for (const i of [0, 1, SHARD_SIZE - 1, SHARD_SIZE, 2 * SHARD_SIZE + 5, n - 1]) {
      const x = c.leaves.slice(i * 32, i * 32 + 32);
      const p = await prover.prove(x);
      expect(p.kind).to.equal("inclusion");
      expect(p.kind === "inclusion" && p.index).to.equal(i);
      expect(verifyProof(p)).to.equal(true);
    }
    // Just below shard 1's first leaf: the left neighbour is the last leaf of shard 0.
    const x = c.leaves.slice(SHARD_SIZE * 32, SHARD_SIZE * 32 + 32);
    x[31] -= 1;
    const p = await prover.prove(x);
    expect(p.kind).to.equal("exclusion");
    if (p.kind !== "exclusion") return;
    expect([p.left?.index, p.right?.index]).to.deep.equal([SHARD_SIZE - 1, SHARD_SIZE]);
    expect(verifyProof(p)).to.equal(true);
  });

  it("proves a sample with the manifest, the index and one shard: three reads", async () => {
    const stored = await storeCommitment(c, store, { name: "synthetic" });
    const prover = await DatasetProver.open(store, stored.manifestCid);
    await prover.prove(c.leaves.slice(100 * 32, 101 * 32));
    expect(prover.reads).to.equal(3);
    expect(prover.bytesRead).to.be.below(SHARD_SIZE * 32 + 10_000);
  });

  it("rejects an index with trailing bytes, a wrong magic, or a length that does not match", async () => {
    const stored = await storeCommitment(c, store, { name: "synthetic" });
    const bytes = await store.get(stored.indexCid);
    expect(decodeShardIndex(bytes).shards).to.have.length(3);
    expect(() => decodeShardIndex(new Uint8Array([...bytes, 0]))).to.throw(ProvenantError, /bytes, expected/);
    expect(() => decodeShardIndex(bytes.subarray(0, bytes.length - 1))).to.throw(ProvenantError);
    const wrong = Uint8Array.from(bytes);
    wrong[0] ^= 1;
    expect(() => decodeShardIndex(wrong)).to.throw(ProvenantError, /magic/);
    const shards = decodeShardIndex(bytes);
    expect(Buffer.from(encodeShardIndex(shards)).equals(Buffer.from(bytes))).to.equal(true);
  });

  it("rejects a manifest of another format, or whose counts disagree", async () => {
    const stored = await storeCommitment(c, store, { name: "synthetic" });
    const m = stored.manifest;
    expect(decodeManifest(encodeManifest(m))).to.deep.equal(m);
    const enc = (o: object) => new TextEncoder().encode(JSON.stringify(o));
    expect(() => decodeManifest(enc({ ...m, format: "provenant-dataset-v0" }))).to.throw(ProvenantError, /provenant-dataset-v0/);
    expect(() => decodeManifest(enc({ ...m, n: m.n + 1 }))).to.throw(ProvenantError, /duplicateSamples|shardCount|totalSamples/);
    expect(() => decodeManifest(enc({ ...m, root: "0x12" }))).to.throw(ProvenantError, /root/);
    expect(() => decodeManifest(new TextEncoder().encode("{not json"))).to.throw(ProvenantError, /not JSON/);
  });

  it("refuses a shard whose contents do not match the index", async () => {
    const stored = await storeCommitment(c, store, { name: "synthetic" });
    const index = decodeShardIndex(await store.get(stored.indexCid));
    // Swap shard 1's CID for shard 0's: the CID is genuine, the content is not the one the index commits to.
    index.shards[1] = { ...index.shards[1], cid: index.shards[0].cid };
    const indexCid = await store.put(encodeShardIndex(index));
    const manifestCid = await store.put(encodeManifest({ ...stored.manifest, index: indexCid }));
    const prover = await DatasetProver.open(store, manifestCid);
    await expectReject(prover.leafProof(SHARD_SIZE + 1), /does not match its entry|holds/);
  });
});

async function expectReject(p: Promise<unknown>, re: RegExp) {
  try {
    await p;
  } catch (e) {
    expect((e as Error).message).to.match(re);
    return;
  }
  expect.fail("expected a rejection");
}
