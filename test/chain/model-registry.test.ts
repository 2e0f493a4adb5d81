import { expect } from "chai";
import { createHash } from "node:crypto";
import { DatasetRegistryClient } from "../../core/chain/dataset-registry.ts";
import { ModelRegistryClient } from "../../core/chain/model-registry.ts";
import { toHex, type Hex32 } from "../../core/hex.ts";
import { cidOf } from "../../core/storage/cid.ts";
import { failure, storedDataset, testChain, type TestChain } from "./helpers.ts";

const digest = (s: string) => toHex(createHash("sha256").update(s).digest()) as Hex32;

describe("ModelRegistryClient against a Hardhat node", function () {
  this.timeout(300_000);
  let chain: TestChain;
  let models: ModelRegistryClient;
  let datasetId: bigint;
  let manifestCid: string;

  before(async function () {
    this.timeout(600_000); // the shared node starts in the first suite's hook
    chain = await testChain();
    manifestCid = await cidOf(new TextEncoder().encode("a model manifest"));
    const signer = await chain.provider.getSigner(0);
    models = (await ModelRegistryClient.connect(chain.conn)).withSigner(signer);
    const datasets = (await DatasetRegistryClient.connect(chain.conn)).withSigner(signer);
    const stored = await storedDataset(chain.store, "model-training-set");
    datasetId = (
      await datasets.mint({
        root: stored.root,
        n: stored.manifest.n,
        totalSamples: stored.manifest.totalSamples,
        encoding: "jsonl",
        manifestCid: stored.manifestCid,
        license: "CC0-1.0",
      })
    ).id;
  });

  const request = (weights: string, lineage: Partial<Parameters<ModelRegistryClient["register"]>[0]> = {}) => ({
    weightsDigest: digest(weights),
    manifestCid,
    license: "MIT",
    parents: [],
    datasets: [],
    ...lineage,
  });

  it("registers once per weights digest, and reads the record, parents and datasets back", async () => {
    const base = await models.register(request("base", { datasets: [{ datasetId, role: "training" }] }));
    expect(base.existing).to.equal(false);
    expect(base.txHash).to.match(/^0x[0-9a-f]{64}$/);
    expect(await models.register(request("base", { datasets: [{ datasetId, role: "training" }] }))).to.deep.equal({
      id: base.id,
      existing: true,
      txHash: null,
      gasUsed: null,
    });
    const tuned = await models.register(request("tuned", { parents: [{ modelId: base.id, relation: "finetune" }], datasets: [{ datasetId, role: "evaluation" }] }));
    const r = await models.record(tuned.id);
    expect(r).to.include({
      id: tuned.id,
      weightsDigest: digest("tuned"),
      provenance: "self-declared",
      parentCount: 1,
      datasetCount: 1,
      attestor: null,
      certificateDigest: null,
      certificateCid: null,
      license: "MIT",
      manifestCid,
    });
    expect(await models.parents(tuned.id)).to.deep.equal([{ modelId: base.id, relation: "finetune" }]);
    expect(await models.datasets(tuned.id)).to.deep.equal([{ datasetId, role: "evaluation" }]);
  });

  it("names what the registry refuses: an unknown parent, a dataset listed twice, a model that does not exist", async () => {
    const unknown = await failure(models.register(request("orphan", { parents: [{ modelId: 9_999n, relation: "merge" }] })));
    expect(unknown.code).to.equal("TOKEN_NOT_FOUND");
    expect(unknown.message).to.match(/^register: parent model #9999 does not exist/);
    const twice = await failure(
      models.register(
        request("twice", {
          datasets: [
            { datasetId, role: "training" },
            { datasetId, role: "training" },
          ],
        }),
      ),
    );
    expect(twice.code).to.equal("LINEAGE_INVALID");
    expect(twice.message).to.equal(`register: dataset #${datasetId} is listed twice as training`);
    const missing = await failure(models.record(9_999n));
    expect(missing.code).to.equal("TOKEN_NOT_FOUND");
    expect(missing.message).to.equal("model #9999 does not exist on chain 31337");
  });
});
