import { expect } from "chai";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Contract, JsonRpcProvider } from "ethers";
import { datasetRegistryAbi } from "../../core/chain/abi.generated.ts";
import { deployedAddress } from "../../core/chain/deployments.ts";
import { decodeShardIndex, encodeShardIndex } from "../../core/dataset/shard-index.ts";
import { decodeManifest, encodeManifest } from "../../core/dataset/manifest.ts";
import { DatasetProver } from "../../core/dataset/prover.ts";
import { toHex } from "../../core/hex.ts";
import { LocalStore } from "../../core/storage/local-store.ts";
import { REPO, startTestChain, type LocalChain } from "../helpers/local-chain.ts";
import { runCli, type CliResult } from "../../scripts/lib/cli.ts";
import { leafAt, mintDirectly, sortedHashes, storeLeavesAsGiven, swapped } from "../helpers/misordered.ts";

const solLeaf = (p: { sampleHash: Uint8Array; index: number; siblings: Uint8Array[] }) => ({
  sampleHash: toHex(p.sampleHash),
  index: p.index,
  siblings: p.siblings.map(toHex),
});

describe("provenant dataset audit: a misordered commitment minted directly, found and reported", function () {
  this.timeout(300_000);
  let chain: LocalChain;
  let work: string;
  let env: Record<string, string>;
  let store: LocalStore;
  /** The registry as a publisher who calls mint directly (account 1; the CLI signs with account 0). */
  let registry: Contract;

  before(async () => {
    chain = await startTestChain("audit");
    work = mkdtempSync(join(tmpdir(), "provenant-audit-cli-"));
    env = { ...chain.env, PROVENANT_HOME: join(work, "home") };
    store = new LocalStore(env.PROVENANT_HOME);
    process.env.PROVENANT_DEPLOYMENT_ID = chain.deploymentId;
    const address = deployedAddress(31337, "DatasetRegistry");
    delete process.env.PROVENANT_DEPLOYMENT_ID;
    registry = new Contract(address, datasetRegistryAbi as never, await new JsonRpcProvider(chain.url).getSigner(1));
  });

  after(async () => {
    await chain?.stop();
    rmSync(join(REPO, "ignition", "deployments", chain?.deploymentId ?? "none"), { recursive: true, force: true });
    if (work) rmSync(work, { recursive: true, force: true });
  });

  const unsound = (r: CliResult) => {
    expect(r.code, r.stderr).to.equal(1);
    expect(r.json).to.include({ ok: false, sound: false, format: "provenant-audit-v1" });
  };

  describe("leaves [a, c, b, …]: b gets a valid exclusion proof until the pair is reported", () => {
    const sorted = sortedHashes(300, "cli-audit");
    const leaves = swapped(sorted, 1, 2);
    const [a, b] = [leafAt(sorted, 0), leafAt(sorted, 1)];
    let id: string;
    let forged: ReturnType<typeof solLeaf>[];

    before(async () => {
      const stored = await storeLeavesAsGiven(store, leaves);
      id = String(await mintDirectly(registry, stored));
      const prover = await DatasetProver.open(store, stored.manifestCid);
      forged = [solLeaf(await prover.leafProof(0)), solLeaf(await prover.leafProof(1))];
    });

    it("the attack works on-chain: the contract accepts a proof that leaf b is absent", async () => {
      expect(toHex(leafAt(leaves, 0))).to.equal(toHex(a));
      expect(await registry.verifyExclusion(id, toHex(b), forged)).to.equal(true);
    });

    it("prove refuses to build that proof from the misordered shard, in one line", async () => {
      const r = await runCli(["prove", "--hash", toHex(b), "--dataset", id], env);
      expect(r.code).to.equal(1);
      expect(r.json.error.code).to.equal("DATASET_MISORDERED");
      expect(r.stderr).to.match(/holds leaves 1 and 2 out of order/);
      expect(r.stderr.trim().split("\n")).to.have.length(1);
    });

    it("audit finds leaves 1 and 2 out of order, exits non-zero and sends nothing", async () => {
      const r = await runCli(["dataset", "audit", id], env);
      unsound(r);
      expect(r.json).to.deep.include({ datasetId: id, n: 300, shardCount: 1, leavesChecked: 300, violationCount: 1, flaggedOnChain: false, reported: null });
      expect(r.json.violations[0]).to.deep.equal({ index: 1, left: toHex(leafAt(leaves, 1)), right: toHex(b), shard: 0 });
      expect((await registry.datasetOf(id)).misordered).to.equal(false);
    });

    it("audit --report proves the pair on-chain: the dataset is flagged and b's forged exclusion is refused", async () => {
      const r = await runCli(["dataset", "audit", id, "--report"], env);
      unsound(r);
      expect(r.json.reported).to.include({ index: 1 });
      expect(r.json.flaggedOnChain).to.equal(true);
      const receipt = await registry.runner!.provider!.getTransactionReceipt(r.json.reported.txHash);
      const event = receipt!.logs.map((l) => registry.interface.parseLog(l)).find((l) => l?.name === "DatasetMisordered");
      expect(event!.args.map(String)).to.deep.equal([id, "1", "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"]);
      expect((await registry.datasetOf(id)).misordered).to.equal(true);
      expect(await registry.verifyExclusion(id, toHex(b), forged)).to.equal(false);
      const refused = await registry.recordExclusion.staticCall(id, toHex(b), forged).then(
        () => null,
        (e: { data?: string }) => e,
      );
      const error = registry.interface.parseError(refused?.data ?? "0x");
      expect(error?.name).to.equal("DatasetRegistryMisordered");
      expect(error?.args.map(String)).to.deep.equal([id]);
    });

    it("a second audit --report sends nothing: the dataset is already flagged", async () => {
      const r = await runCli(["dataset", "audit", id, "--report"], env);
      unsound(r);
      expect(r.json).to.include({ flaggedOnChain: true, reported: null });
    });

    it("once flagged, prove still proves a member in, and says why it proves nothing out", async () => {
      const member = await runCli(["prove", "--hash", toHex(leafAt(sorted, 200)), "--dataset", id], env);
      expect(member.code, member.stderr).to.equal(0);
      expect(member.json.kind).to.equal("inclusion");
      const absent = await runCli(["prove", "--text", "never seen", "--dataset", id], env);
      expect(absent.json.error.code).to.equal("DATASET_MISORDERED");
    });
  });

  it("reports a misorder across a shard boundary, with proofs from both shards", async () => {
    const big = sortedHashes(65_537, "cli-boundary");
    const id = String(await mintDirectly(registry, await storeLeavesAsGiven(store, swapped(big, 65_535, 65_536))));
    // The last shard alone is sorted: the prover proves a sample after the last leaf absent, truly so.
    const proofFile = join(work, "after-last.json");
    const last = `0x${"ff".repeat(31)}fe`;
    const before = await runCli(["prove", "--hash", last, "--dataset", id, "--out", proofFile], env);
    expect(before.code, before.stderr).to.equal(0);
    expect(before.json.kind).to.equal("exclusion");

    const r = await runCli(["dataset", "audit", id, "--report"], env);
    unsound(r);
    expect(r.json).to.deep.include({ shardCount: 2, violationCount: 1, leavesChecked: 65_537 });
    expect(r.json.violations[0]).to.include({ index: 65_535, shard: 0 });
    expect(r.json.reported).to.include({ index: 65_535 });
    expect((await registry.datasetOf(id)).misordered).to.equal(true);
    // Flagged: prove and verify-proof say why the contract refuses every exclusion proof of it.
    for (const after of [await runCli(["prove", "--hash", last, "--dataset", id], env), await runCli(["verify-proof", proofFile, "--dataset", id], env)]) {
      expect(after.code).to.equal(1);
      expect(after.json.error.code).to.equal("DATASET_MISORDERED");
      expect(after.stderr).to.match(new RegExp(`dataset #${id} was reported misordered on-chain`));
    }
  });

  describe("a sound dataset of 70,000 samples in two shards", () => {
    let id: string;
    let manifestCid: string;

    before(async () => {
      const file = join(work, "sound.jsonl");
      writeFileSync(file, Array.from({ length: 70_000 }, (_, i) => JSON.stringify({ text: `sample ${i}` })).join("\n") + "\n");
      const minted = await runCli(["dataset", "mint", file, "--name", "Sound", "--license", "CC0-1.0"], env);
      expect(minted.code, minted.stderr).to.equal(0);
      id = minted.json.datasetId;
      manifestCid = minted.json.manifestCid;
    });

    it("audits clean and exits 0, even with --report (nothing to send)", async () => {
      const r = await runCli(["dataset", "audit", id, "--report"], env);
      expect(r.code, r.stderr).to.equal(0);
      expect(r.json).to.deep.include({
        ok: true,
        sound: true,
        n: 70_000,
        shardCount: 2,
        leavesChecked: 70_000,
        violationCount: 0,
        problems: [],
        reported: null,
        flaggedOnChain: false,
      });
    });

    it("catches a shard whose bytes do not fold to the root the index gives it", async () => {
      const manifest = decodeManifest(await store.get(manifestCid));
      const index = decodeShardIndex(await store.get(manifest.index));
      const shard = Uint8Array.from(await store.get(index.shards[1].cid));
      shard[shard.length - 1] ^= 1; // same first leaf and length, another root
      index.shards[1] = { ...index.shards[1], cid: await store.put(shard) };
      const forgedManifest = await store.put(encodeManifest({ ...manifest, index: await store.put(encodeShardIndex(index)) }));
      const forgedId = String(await mintDirectly(registry, { root: index.root, manifest, manifestCid: forgedManifest }));
      const r = await runCli(["dataset", "audit", forgedId, "--report"], env);
      unsound(r);
      expect(r.json).to.deep.include({ leavesChecked: 65_536, violationCount: 0, reported: null });
      expect(r.json.problems).to.have.length(1);
      expect(r.json.problems[0]).to.include({ code: "ROOT_MISMATCH", shard: 1 });
      expect(r.json.problems[0].message).to.match(/shard 1 \(\w+\) does not match its entry in the index/);
    });
  });

  it("names a bad or unknown dataset id in one line", async () => {
    const bad = await runCli(["dataset", "audit", "x1"], env);
    expect(bad.json.error.code).to.equal("INPUT_INVALID");
    expect(bad.stderr).to.match(/the dataset must be a token id/);
    const unknown = await runCli(["dataset", "audit", "999"], env);
    expect(unknown.json.error.code).to.equal("TOKEN_NOT_FOUND");
    expect(unknown.stderr.trim().split("\n")).to.have.length(1);
  });
});
