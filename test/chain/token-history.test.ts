import { expect } from "chai";
import { createHash } from "node:crypto";
import { ZeroAddress } from "ethers";
import { DatasetRegistryClient } from "../../core/chain/dataset-registry.ts";
import { ModelRegistryClient } from "../../core/chain/model-registry.ts";
import { mintBlockOf, newerVersions, parentLinks, recordedProofs, tokenHistory } from "../../core/chain/token-history.ts";
import { DatasetProver } from "../../core/dataset/prover.ts";
import { toHex, type Hex32 } from "../../core/hex.ts";
import { readDescendants } from "../../core/lineage/descendants.ts";
import { cidOf } from "../../core/storage/cid.ts";
import { storedDataset, testChain, type TestChain } from "./helpers.ts";

const sha = (s: string) => createHash("sha256").update(s).digest();

describe("token history read from the registries' events (Hardhat node)", function () {
  this.timeout(300_000);
  let chain: TestChain;
  let datasets: DatasetRegistryClient;
  let models: ModelRegistryClient;
  let alice: string;
  let bob: string;

  before(async function () {
    this.timeout(600_000); // the shared node starts in the first suite's hook
    chain = await testChain();
    const signer = await chain.provider.getSigner(0);
    alice = await signer.getAddress();
    bob = await (await chain.provider.getSigner(1)).getAddress();
    datasets = (await DatasetRegistryClient.connect(chain.conn)).withSigner(signer);
    models = (await ModelRegistryClient.connect(chain.conn)).withSigner(signer);
  });

  const mint = async (salt: string, previousVersion?: bigint) => {
    const stored = await storedDataset(chain.store, salt);
    const minted = await datasets.mint({
      root: stored.root,
      n: stored.manifest.n,
      totalSamples: stored.manifest.totalSamples,
      encoding: stored.manifest.encoding,
      manifestCid: stored.manifestCid,
      license: "CC0-1.0",
      previousVersion,
    });
    return minted;
  };

  it("finds the mint transaction and block, every transfer in order, and the current owner", async () => {
    const minted = await mint("history/v1");
    const mintBlock = await mintBlockOf(datasets, minted.id);
    const receipt = await chain.provider.getTransactionReceipt(minted.txHash!);
    expect(mintBlock).to.equal(receipt!.blockNumber);
    const sent = await (await datasets.contract.transferFrom(alice, bob, minted.id)).wait();

    const history = await tokenHistory(datasets, minted.id, mintBlock);
    expect(history.mint).to.deep.equal({ blockNumber: mintBlock, txHash: minted.txHash, timestamp: (await chain.provider.getBlock(mintBlock))!.timestamp });
    expect(history.owner).to.equal(bob);
    expect(history.transfers).to.deep.equal([
      { blockNumber: mintBlock, txHash: minted.txHash, from: ZeroAddress, to: alice },
      { blockNumber: sent.blockNumber, txHash: sent.hash, from: alice, to: bob },
    ]);
  });

  it("refuses a mint block that holds no mint instead of inventing one", async () => {
    const minted = await mint("history/wrong-block");
    const mintBlock = await mintBlockOf(datasets, minted.id);
    const err = await tokenHistory(datasets, minted.id, mintBlock + 1).then(
      () => null,
      (e) => e,
    );
    expect(err?.code).to.equal("TX_REVERTED");
    expect(err.message).to.contain(`missing from block ${mintBlock + 1}`);
  });

  it("lists the newer versions of a dataset: the datasets minted with it as previousVersion, and no others", async () => {
    const v1 = await mint("versions/v1");
    const v2 = await mint("versions/v2", v1.id);
    await mint("versions/unrelated");
    const v3 = await mint("versions/v3", v1.id);
    const fromBlock = await mintBlockOf(datasets, v1.id);
    const newer = await newerVersions(datasets, v1.id, { fromBlock });
    expect(newer.map((v) => v.id)).to.deep.equal([v2.id, v3.id]);
    expect(newer[0]).to.include({ txHash: v2.txHash, publisher: alice });
    expect(await newerVersions(datasets, v2.id, { fromBlock })).to.deep.equal([]);
  });

  it("lists the inclusion and exclusion proofs recorded against a dataset, with hash, index, recorder and transaction", async () => {
    const minted = await mint("proofs/recorded");
    await mint("proofs/other-dataset");
    const prover = await DatasetProver.openMinted(await datasets.record(minted.id), chain.store);
    const inside = await prover.prove(sha("proofs/recorded/5"));
    const outside = await prover.prove(sha("not a member"));
    expect([inside.kind, outside.kind]).to.deep.equal(["inclusion", "exclusion"]);
    const first = await datasets.recordProof(minted.id, inside);
    const second = await datasets.withSigner(await chain.provider.getSigner(1)).recordProof(minted.id, outside);

    const proofs = await recordedProofs(datasets, minted.id, { fromBlock: await mintBlockOf(datasets, minted.id) });
    expect(proofs).to.deep.equal([
      {
        kind: "inclusion",
        sampleHash: toHex(sha("proofs/recorded/5")) as Hex32,
        index: inside.kind === "inclusion" ? inside.index : -1,
        recorder: alice,
        blockNumber: first.blockNumber,
        txHash: first.txHash,
      },
      { kind: "exclusion", sampleHash: toHex(sha("not a member")) as Hex32, index: null, recorder: bob, blockNumber: second.blockNumber, txHash: second.txHash },
    ]);
  });

  it("reads a model's descendants, children before grandchildren, from the parent links that name it", async () => {
    const manifestCid = await cidOf(new TextEncoder().encode("descendants manifest"));
    const register = async (name: string, parents: { modelId: bigint; relation: "finetune" | "merge" | "quantized" }[] = []) =>
      (await models.register({ weightsDigest: toHex(sha(`descendants/${name}`)) as Hex32, manifestCid, license: "MIT", parents, datasets: [] })).id;
    const root = await register("root");
    const other = await register("other");
    const child = await register("child", [{ modelId: root, relation: "finetune" }]);
    const merged = await register("merged", [
      { modelId: other, relation: "merge" },
      { modelId: child, relation: "merge" },
    ]);
    const quantized = await register("quantized", [{ modelId: root, relation: "quantized" }]);
    await register("unrelated", [{ modelId: other, relation: "finetune" }]);

    const found = await readDescendants(models, root);
    expect(found.map((d) => [d.modelId, d.parentId, d.relation, d.depth])).to.deep.equal([
      [child, root, "finetune", 1],
      [quantized, root, "quantized", 1],
      [merged, child, "merge", 2],
    ]);
    expect(await readDescendants(models, quantized)).to.deep.equal([]);
    const direct = await parentLinks(models, { fromBlock: await mintBlockOf(models, root) }, root);
    expect(direct.map((l) => l.childId)).to.deep.equal([child, quantized]);
  });
});
