import { expect } from "chai";
import { createHash } from "node:crypto";
import { DatasetRegistryClient } from "../../core/chain/dataset-registry.ts";
import { checkManifestMatchesRecord, manifestMismatch } from "../../core/dataset/minted.ts";
import { proveSample, type ProofVerifier } from "../../core/dataset/prove-sample.ts";
import { DatasetProver, type Proof } from "../../core/dataset/prover.ts";
import { toHex } from "../../core/hex.ts";
import { failure, storedDataset, testChain, type TestChain } from "../chain/helpers.ts";

const sha = (s: string) => createHash("sha256").update(s).digest();

describe("proveSample: the use case behind provenant prove and the prove panel", function () {
  this.timeout(300_000);
  let chain: TestChain;
  let registry: DatasetRegistryClient;
  /** The registry, counting the proofs it was asked about. */
  let asked: Proof[];
  let verifier: ProofVerifier;

  before(async function () {
    this.timeout(600_000); // the shared node starts in the first suite's hook
    chain = await testChain();
    registry = (await DatasetRegistryClient.connect(chain.conn)).withSigner(await chain.provider.getSigner(0));
    verifier = { verify: (id, p) => (asked.push(p), registry.verify(id, p)) };
  });
  beforeEach(() => (asked = []));

  async function minted(salt: string, count = 40) {
    const stored = await storedDataset(chain.store, salt, count);
    const { id } = await registry.mint({ root: stored.root, n: count, totalSamples: count, encoding: "jsonl", manifestCid: stored.manifestCid, license: "CC0-1.0" });
    return { stored, record: await registry.record(id) };
  }

  it("proves a member in and an absent sample out; the library and the contract agree, stage by stage", async () => {
    const { record } = await minted("use-case");
    const prover = await DatasetProver.openMinted(record, chain.store);
    const stages: string[] = [];
    const inside = await proveSample({ record, prover, sampleHash: sha("use-case/3"), verifier, onStage: (s) => stages.push(s) });
    expect(inside).to.deep.include({ localVerdict: true, onChain: true });
    expect(inside.proof.kind).to.equal("inclusion");
    expect(inside.json).to.include({ format: "provenant-proof-v1", kind: "inclusion", datasetId: String(record.id), root: record.root.toLowerCase() });
    expect(stages).to.deep.equal(["proving", "checking"]);
    const outside = await proveSample({ record, prover, sampleHash: sha("absent"), verifier });
    expect(outside).to.deep.include({ localVerdict: true, onChain: true });
    expect(outside.proof.kind).to.equal("exclusion");
    expect(asked).to.have.length(2);
  });

  it("attack: a prover over another dataset's commitment with the same leaf count is refused before anything is proven", async () => {
    const { record } = await minted("honest", 40);
    const { stored: other } = await minted("substitute", 40);
    // The store answers for the other manifest: same n, another root (what a leaf-count check alone lets through).
    const substituted = await DatasetProver.open(chain.store, other.manifestCid);
    const e = await failure(proveSample({ record, prover: substituted, sampleHash: sha("substitute/1"), verifier }));
    expect(e.code).to.equal("ROOT_MISMATCH");
    expect(e.message).to.contain(`commits to root ${toHex(other.root)}`);
    expect(asked, "the contract was asked about a proof over the wrong commitment").to.have.length(0);
  });

  it("refuses an exclusion from a dataset flagged misordered on-chain without asking the contract; inclusions still prove", async () => {
    const { record } = await minted("flagged");
    const prover = await DatasetProver.openMinted(record, chain.store);
    const flagged = { ...record, misordered: true };
    const e = await failure(proveSample({ record: flagged, prover, sampleHash: sha("absent"), verifier }));
    expect(e.code).to.equal("DATASET_MISORDERED");
    expect(asked).to.have.length(0);
    expect((await proveSample({ record: flagged, prover, sampleHash: sha("flagged/9"), verifier })).onChain).to.equal(true);
  });

  it("matches a manifest to its record by root (any hex case) and leaf count, naming both sides otherwise", () => {
    const record = { id: 7n, root: `0x${"AB".repeat(32)}`, n: 5, manifestCid: "bafkreimanifest" };
    expect(manifestMismatch({ root: `0x${"ab".repeat(32)}`, n: 5 }, record)).to.equal(null);
    expect(manifestMismatch({ root: `0x${"ab".repeat(32)}`, n: 6 }, record)).to.equal(
      `dataset #7's manifest bafkreimanifest commits to root 0x${"ab".repeat(32)} (n=6) but the chain records 0x${"AB".repeat(32)} (n=5)`,
    );
    expect(() => checkManifestMatchesRecord({ root: `0x${"cd".repeat(32)}`, n: 5 }, record)).to.throw(/commits to root 0xcdcd/);
  });
});
