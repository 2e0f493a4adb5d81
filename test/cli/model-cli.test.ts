import { expect } from "chai";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, appendFileSync, copyFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Contract, JsonRpcProvider } from "ethers";
import { startTestChain, type LocalChain } from "../helpers/local-chain.ts";
import { runCli, type CliResult } from "../../scripts/lib/cli.ts";
import { datasetRegistryAbi, modelRegistryAbi } from "../../core/chain/abi.generated.ts";
import { deployedAddress } from "../../core/chain/deployments.ts";
import { LocalStore } from "../../core/storage/local-store.ts";
import { decodeModelManifest } from "../../core/model/manifest.ts";
import { fromInTotoStatement } from "../../core/model/in-toto.ts";
import type { LineageGraph, ModelNode } from "../../core/lineage/graph.ts";
import { mintDirectly, sortedHashes, storeLeavesAsGiven, swapped } from "../helpers/misordered.ts";
import { manifestCidBytes } from "../../core/chain/manifest-cid.ts";
import { readModelRecord } from "../../core/chain/model-registry.ts";

/** A directory of weight-like files: a config and a binary blob. */
function makeWeights(dir: string, bytes = 40_000): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "config.json"), JSON.stringify({ hidden_size: 8 }));
  writeFileSync(join(dir, "model.safetensors"), randomBytes(bytes));
  writeFileSync(join(dir, ".gitattributes"), "*.safetensors filter=lfs\n");
}

function makeDataset(dir: string, tag: string): void {
  mkdirSync(dir, { recursive: true });
  for (let i = 0; i < 20; i++) writeFileSync(join(dir, `${tag}-${i}.txt`), `${tag} sample ${i}\n`);
}

const expectError = (r: CliResult, code: string, words: RegExp) => {
  expect(r.code, r.stdout).to.equal(1);
  expect(r.json, r.stdout).to.deep.include({ ok: false });
  expect(r.json.error.code, r.json.error.message).to.equal(code);
  expect(r.stderr).to.match(words);
  expect(r.stderr.trim().split("\n"), r.stderr).to.have.length(1);
  expect(r.stderr).to.not.match(/\n\s+at /);
};

type Check = { node: string; check: string; status: string; reason: string; code?: string };
const checkOf = (r: CliResult, node: string, check: string): Check => {
  const found = (r.json.checks as Check[]).find((c) => c.node === node && c.check === check);
  expect(found, `${node} ${check}`).to.not.equal(undefined);
  return found!;
};

describe("provenant CLI: models and lineage end to end on a local chain", function () {
  this.timeout(240_000);
  let chain: LocalChain;
  let work: string;
  let env: Record<string, string>;
  let home: string;
  let base: string;
  let child: string;
  let registry: Contract;
  const runText = (args: string[]) => runCli(args, env, { json: false });

  before(async () => {
    chain = await startTestChain("model-cli");
    work = mkdtempSync(join(tmpdir(), "provenant-model-cli-"));
    home = join(work, "home");
    env = { ...chain.env, PROVENANT_HOME: home };
    base = join(work, "base");
    child = join(work, "child");
    makeWeights(base);
    makeWeights(child, 50_000);
    for (const [i, tag] of ["train", "tune"].entries()) {
      makeDataset(join(work, tag), tag);
      const r = await runCli(["dataset", "mint", join(work, tag), "--name", `${tag} set`, "--license", "CC0-1.0"], env);
      expect(r.code, r.stderr).to.equal(0);
      expect(r.json.datasetId).to.equal(String(i + 1));
    }
    process.env.PROVENANT_DEPLOYMENT_ID = chain.deploymentId;
    const provider = new JsonRpcProvider(chain.url, 31337, { staticNetwork: true });
    registry = new Contract(deployedAddress(31337, "ModelRegistry"), modelRegistryAbi as never, await provider.getSigner(0));
    delete process.env.PROVENANT_DEPLOYMENT_ID;
  });

  after(async () => {
    await chain?.stop();
    rmSync(join(process.cwd(), "ignition", "deployments", chain?.deploymentId ?? "none"), { recursive: true, force: true });
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("registers a base model on a dataset: edges and record on-chain, manifest in the store", async () => {
    writeFileSync(
      join(work, "base.yaml"),
      [
        "architecture: MLP 784-64-10",
        "task: image-classification",
        "metrics: { accuracy: 0.93 }",
        "hyperparameters: { epochs: 4, learningRate: 0.05 }",
        "intendedUse: tests",
        "license: Apache-2.0",
      ].join("\n"),
    );
    const stmt = join(work, "base.intoto.json");
    const r = await runCli(
      ["model", "register", base, "--name", "base", "--version", "1.0.0", "--dataset", "1:training", "--record", join(work, "base.yaml"), "--in-toto", stmt],
      env,
    );
    expect(r.code, r.stderr).to.equal(0);
    expect(r.json).to.include({ ok: true, modelId: "1", existing: false, license: "Apache-2.0", files: 2 });
    expect(r.json.hidden).to.deep.equal([".gitattributes"]);
    expect(r.json.gasUsed).to.be.a("string");

    const record = await registry.modelOf(1n);
    expect(record.weightsDigest).to.equal(r.json.weightsDigest);
    expect(record.manifestCid).to.equal(r.json.manifestCid);
    expect((await readModelRecord(registry, 1n)).registered.license).to.equal("Apache-2.0");
    expect(record.provenance).to.equal(0n);
    expect((await registry.datasetsOf(1n)).map((e: { datasetId: bigint; role: bigint }) => [e.datasetId, e.role])).to.deep.equal([[1n, 0n]]);
    expect(await registry.tokenURI(1n)).to.equal(`ipfs://${r.json.manifestCid}`);

    const manifest = decodeModelManifest(await new LocalStore(home).get(r.json.manifestCid));
    expect(manifest.weights.digest).to.equal(r.json.weightsDigest);
    expect(manifest.record).to.include({ name: "base", version: "1.0.0", architecture: "MLP 784-64-10" });
    expect(fromInTotoStatement(JSON.parse(readFileSync(stmt, "utf8"))).weightsDigest).to.equal(r.json.weightsDigest);
  });

  it("registers a fine-tune with its parent edge and two datasets; its record inherits what it leaves out", async () => {
    writeFileSync(join(work, "child.yaml"), "description: tuned\nmetrics: { accuracy: 0.96 }\nhyperparameters: { learningRate: 0.01 }\n");
    const r = await runCli(
      [
        "model",
        "register",
        child,
        "--name",
        "child",
        "--version",
        "1.1.0",
        "--parent",
        "1:finetune",
        "--dataset",
        "2:fine-tuning",
        "--dataset",
        "1:evaluation",
        "--record",
        join(work, "child.yaml"),
      ],
      env,
    );
    expect(r.code, r.stderr).to.equal(0);
    expect(r.json.modelId).to.equal("2");
    expect(r.json.license).to.equal("Apache-2.0");
    expect(r.json.record).to.deep.include({ architecture: "MLP 784-64-10", description: "tuned", metrics: { accuracy: 0.96 } });
    expect(r.json.record.hyperparameters).to.deep.equal({ epochs: 4, learningRate: 0.01 });
    expect(r.json.inherited).to.include.members(["architecture", "task", "license"]);
    expect((await registry.parentsOf(2n)).map((e: { modelId: bigint; relation: bigint }) => [e.modelId, e.relation])).to.deep.equal([[1n, 0n]]);
    expect((await registry.datasetsOf(2n)).map((e: { datasetId: bigint; role: bigint }) => [e.datasetId, e.role])).to.deep.equal([
      [2n, 1n],
      [1n, 2n],
    ]);
  });

  it("answers a repeated registration of the same weights with the existing token, and says when the lineage differs", async () => {
    const r = await runCli(["model", "register", child, "--name", "child", "--version", "1.1.0", "--parent", "1:merge"], env);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.json).to.include({ modelId: "2", existing: true, txHash: null, lineageDiffers: true });
  });

  it("prints the two-generation lineage as a graph, a tree, DOT and Mermaid", async () => {
    const r = await runCli(["lineage", "2"], env);
    expect(r.code, r.stderr).to.equal(0);
    const g = r.json as LineageGraph;
    expect(g.format).to.equal("provenant-lineage-v1");
    expect(g.root).to.equal("model:2");
    expect(g.chainId).to.equal(31337);
    expect(g.nodes.map((n) => n.id).sort()).to.deep.equal(["dataset:1", "dataset:2", "model:1", "model:2"]);
    expect(g.edges).to.deep.equal([
      { from: "model:2", to: "model:1", type: "parent", relation: "finetune" },
      { from: "model:2", to: "dataset:2", type: "dataset", role: "fine-tuning" },
      { from: "model:2", to: "dataset:1", type: "dataset", role: "evaluation" },
      { from: "model:1", to: "dataset:1", type: "dataset", role: "training" },
    ]);
    const m2 = g.nodes.find((n) => n.id === "model:2") as ModelNode;
    expect(m2).to.deep.include({ kind: "model", tokenId: "2", provenance: "self-declared", certificateCid: null, license: "Apache-2.0" });
    expect(m2.record).to.include({ name: "child", version: "1.1.0", task: "image-classification" });
    expect(m2.files.map((f) => f.path)).to.deep.equal(["config.json", "model.safetensors"]);
    expect(g.nodes.find((n) => n.id === "dataset:1")).to.deep.include({ kind: "dataset", name: "train set", n: 20, encoding: "files" });

    const { stdout: tree } = await runText(["lineage", "2"]);
    expect(tree).to.match(/^model #2 child 1\.1\.0/);
    expect(tree).to.match(/finetune of model #1 base 1\.0\.0/);
    expect(tree).to.match(/training: dataset #1 train set/);
    expect(tree).to.match(/evaluation: dataset #1 train set .*\(see above\)/);
    const dot = (await runText(["lineage", "2", "--dot"])).stdout;
    expect(dot).to.match(/^digraph /);
    expect(dot).to.include('"model:2" -> "model:1" [label="finetune"]');
    const mermaid = (await runText(["lineage", "2", "--mermaid"])).stdout;
    expect(mermaid).to.match(/^flowchart BT/);
    expect(mermaid).to.include("m2 -->|finetune| m1");
    expect(mermaid).to.include("m2 -.->|fine-tuning| d2");
  });

  it("prints a model's descendants with --descendants: the fine-tune under its base, none under the fine-tune", async () => {
    const r = await runCli(["lineage", "1", "--descendants"], env);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.json.modelId).to.equal("1");
    expect(
      r.json.descendants.map((d: { modelId: string; parentId: string; relation: string; depth: number }) => [d.modelId, d.parentId, d.relation, d.depth]),
    ).to.deep.equal([["2", "1", "finetune", 1]]);
    expect((await runText(["lineage", "1", "--descendants", "--ascii"])).stdout).to.match(/^model #1\n`-- model #2 \(finetune of #1, block \d+\)/);
    expect((await runText(["lineage", "2", "--descendants"])).stdout).to.contain("no descendants");
  });

  it("verifies the whole ancestry, weights on disk included, and prints a tree of marks", async () => {
    const r = await runCli(["verify", "model", "2", "--weights", child], env);
    expect(r.code, r.stdout).to.equal(0);
    expect(r.json).to.include({ format: "provenant-verify-v1", ok: true, root: "model:2" });
    expect(r.json.summary).to.deep.equal({ passed: r.json.checks.length, failed: 0, skipped: 0 });
    const names = new Set((r.json.checks as Check[]).map((c) => `${c.node} ${c.check}`));
    for (const want of [
      "model:2 model.weights-on-disk",
      "model:1 model.weights-digest",
      "dataset:1 dataset.shard-index",
      "dataset:2 dataset.root",
      "model:2 model.record",
    ]) {
      expect(names.has(want), want).to.equal(true);
    }
    const text = await runText(["verify", "model", "2"]);
    expect(text.code).to.equal(0);
    expect(text.stdout).to.match(/^model #2 child 1\.1\.0 \[self-declared\] ✓/);
    expect(text.stdout).to.match(/VERIFIED: \d+ check\(s\) passed, 0 failed/);
  });

  describe("bad input and tampering: a clear error and a non-zero exit", () => {
    it("refuses a parent that does not exist, and a self-reference (the model's own future id)", async () => {
      expectError(
        await runCli(["model", "register", base, "--name", "x", "--version", "1.0.0", "--parent", "9:finetune"], env),
        "TOKEN_NOT_FOUND",
        /model #9 does not exist/,
      );
      // The next model would be #3: naming it as its own parent is a cycle attempt, refused as an unknown parent.
      const fresh = join(work, "fresh");
      makeWeights(fresh);
      expectError(
        await runCli(["model", "register", fresh, "--name", "x", "--version", "1.0.0", "--parent", "3:finetune"], env),
        "TOKEN_NOT_FOUND",
        /model #3 does not exist/,
      );
      expect(await registry.totalRegistered()).to.equal(2n);
    });

    it("refuses the same cycle attempt at the contract when the CLI's own check is bypassed", async () => {
      const err = await registry.register
        .staticCall({
          weightsDigest: `0x${"ab".repeat(32)}`,
          manifestCid: manifestCidBytes(`bafkrei${"a".repeat(52)}`),
          license: "",
          parents: [{ modelId: 3n, relation: 0 }],
          datasets: [],
        })
        .catch((e: { revert?: { name: string; args: unknown[] } }) => e);
      expect(err.revert?.name).to.equal("ModelRegistryUnknownParent");
      expect(err.revert?.args).to.deep.equal([3n]);
    });

    it("refuses a dataset that does not exist, a malformed edge, and a duplicate edge", async () => {
      expectError(
        await runCli(["model", "register", base, "--name", "x", "--version", "1.0.0", "--dataset", "7:training"], env),
        "TOKEN_NOT_FOUND",
        /dataset #7 does not exist/,
      );
      expectError(
        await runCli(["model", "register", base, "--name", "x", "--version", "1.0.0", "--parent", "1:fine-tune"], env),
        "INPUT_INVALID",
        /relation one of finetune/,
      );
      expectError(await runCli(["model", "register", base, "--name", "x", "--version", "1.0.0", "--dataset", "1"], env), "INPUT_INVALID", /--dataset must be/);
      expectError(
        await runCli(["model", "register", base, "--name", "x", "--version", "1.0.0", "--dataset", "1:training", "--dataset", "1:training"], env),
        "LINEAGE_INVALID",
        /twice/,
      );
    });

    it("refuses a bad version, a bad record, and an empty weights directory", async () => {
      expectError(await runCli(["model", "register", base, "--name", "x", "--version", "v1"], env), "RECORD_INVALID", /semantic version/);
      writeFileSync(join(work, "bad.yaml"), "name: x\nversion: 1.0.0\nintended_use: typo\n");
      expectError(await runCli(["model", "register", base, "--record", join(work, "bad.yaml")], env), "RECORD_INVALID", /unknown field "intended_use"/);
      const empty = join(work, "empty");
      mkdirSync(empty);
      writeFileSync(join(empty, ".hidden"), "x");
      expectError(await runCli(["model", "register", empty, "--name", "x", "--version", "1.0.0"], env), "MODEL_EMPTY", /no weight file/);
    });

    it("fails verify when the weights on disk do not match the manifest, naming the changed file", async () => {
      const copy = join(work, "copy");
      makeWeights(copy);
      copyFileSync(join(child, "config.json"), join(copy, "config.json"));
      copyFileSync(join(child, "model.safetensors"), join(copy, "model.safetensors"));
      appendFileSync(join(copy, "model.safetensors"), "!");
      const r = await runCli(["verify", "model", "2", "--weights", copy], env);
      expect(r.code).to.equal(1);
      expect(r.json.ok).to.equal(false);
      const c = checkOf(r, "model:2", "model.weights-on-disk");
      expect(c).to.include({ status: "fail", code: "WEIGHTS_MISMATCH" });
      expect(c.reason).to.match(/model\.safetensors changed/);
      expect(r.json.summary.failed).to.equal(1);
      const text = await runText(["verify", "model", "2", "--weights", copy]);
      expect(text.code).to.equal(1);
      expect(text.stdout).to.match(/✗ model\.weights-on-disk: .*model\.safetensors changed/);
      expect(text.stdout).to.match(/FAILED: /);
    });

    it("fails verify when a manifest in storage was tampered with, and skips what depends on it", async () => {
      const cid = (await registry.modelOf(1n)).manifestCid as string;
      const path = new LocalStore(home).pathOf(cid);
      const original = readFileSync(path);
      writeFileSync(path, original.toString("utf8").replace('"version": "1.0.0"', '"version": "6.6.6"'));
      try {
        const r = await runCli(["verify", "model", "2"], env);
        expect(r.code).to.equal(1);
        expect(checkOf(r, "model:1", "model.manifest")).to.include({ status: "fail", code: "STORAGE_CORRUPT" });
        expect(checkOf(r, "model:1", "model.weights-digest").status).to.equal("skip");
        // The child inherits from the tampered parent's record: that check fails too, naming the parent.
        expect(checkOf(r, "model:2", "model.record").reason).to.match(/model #1/);
        expect(checkOf(r, "model:2", "model.weights-digest").status).to.equal("pass");
        const lineage = await runCli(["lineage", "2"], env);
        expectError(lineage, "LINEAGE_INVALID", /verify model 2/);
      } finally {
        writeFileSync(path, original);
      }
      expect((await runCli(["verify", "model", "2"], env)).json.ok).to.equal(true);
    });

    it("fails verify when a dataset's shard index in storage was tampered with", async () => {
      const ds = new Contract((await registry.datasetRegistry()) as string, datasetRegistryAbi as never, registry.runner);
      const manifestCid = (await ds.datasetOf(2n)).manifestCid as string;
      const store = new LocalStore(home);
      const indexCid = JSON.parse(Buffer.from(await store.get(manifestCid)).toString("utf8")).index as string;
      const path = store.pathOf(indexCid);
      const original = readFileSync(path);
      const bad = Buffer.from(original);
      bad[bad.length - 40] ^= 1;
      writeFileSync(path, bad);
      try {
        const r = await runCli(["verify", "model", "2"], env);
        expect(r.code).to.equal(1);
        expect(checkOf(r, "dataset:2", "dataset.shard-index").status).to.equal("fail");
        expect(checkOf(r, "dataset:1", "dataset.shard-index").status).to.equal("pass");
      } finally {
        writeFileSync(path, original);
      }
    });

    it("fails verify when a model's manifest is for other weights than the digest on-chain", async () => {
      // Registered directly, so nothing checks it: model #1's manifest CID with a digest that is not its.
      const cid = (await registry.modelOf(1n)).manifestCid as string;
      await (
        await registry.register({ weightsDigest: `0x${"cd".repeat(32)}`, manifestCid: manifestCidBytes(cid), license: "Apache-2.0", parents: [], datasets: [] })
      ).wait();
      const id = (await registry.totalRegistered()).toString();
      const r = await runCli(["verify", "model", id], env);
      expect(r.code).to.equal(1);
      const c = checkOf(r, `model:${id}`, "model.weights-digest");
      expect(c).to.include({ status: "fail", code: "ROOT_MISMATCH" });
      expect(c.reason).to.match(/but the chain records 0xcdcd/);
    });

    it("flags a model trained on a dataset reported misordered: verify fails dataset.order, lineage says MISORDERED", async () => {
      // A publisher mints leaves [a, c, b] directly; anyone's audit proves the pair on-chain.
      const ds = new Contract((await registry.datasetRegistry()) as string, datasetRegistryAbi as never, await new JsonRpcProvider(chain.url).getSigner(1));
      const stored = await storeLeavesAsGiven(new LocalStore(home), swapped(sortedHashes(3, "model-cli"), 1, 2));
      const datasetId = String(await mintDirectly(ds, stored));
      const weights = join(work, "on-misordered");
      makeWeights(weights, 1000);
      const registered = await runCli(["model", "register", weights, "--name", "tainted", "--version", "1.0.0", "--dataset", `${datasetId}:training`], env);
      expect(registered.code, registered.stderr).to.equal(0);
      const modelId = registered.json.modelId as string;
      expect((await runCli(["verify", "model", modelId], env)).json.ok, "before the report").to.equal(true);

      const audit = await runCli(["dataset", "audit", datasetId, "--report"], env);
      expect(audit.json.reported).to.include({ index: 1 });
      const r = await runCli(["verify", "model", modelId], env);
      expect(r.code).to.equal(1);
      expect(checkOf(r, `dataset:${datasetId}`, "dataset.order")).to.include({ status: "fail", code: "DATASET_MISORDERED" });
      expect(r.json.summary.failed).to.equal(1);
      const text = await runText(["verify", "model", modelId]);
      expect(text.stdout).to.include(`training: dataset #${datasetId} misordered (3 samples) MISORDERED ✗`);
      expect(text.stdout).to.match(/FAILED: \d+ check\(s\) passed, 1 failed/);

      const lineage = await runCli(["lineage", modelId], env);
      expect((lineage.json as LineageGraph).nodes.find((n) => n.id === `dataset:${datasetId}`)).to.deep.include({ misordered: true });
      expect((await runText(["lineage", modelId])).stdout).to.match(/training: dataset #\d+ misordered .* MISORDERED \(exclusion proofs void\)/);
    });

    it("exports the two-generation lineage, and refuses an unknown export format", async () => {
      const r = await runCli(["export", "2", "--format", "openlineage"], env);
      expect(r.code, r.stderr).to.equal(0);
      expect(r.json).to.include({ ok: true, models: 2, datasets: 2 });
      expectError(await runCli(["export", "2", "--format", "onnx"], env), "FORMAT_UNSUPPORTED", /unknown export format "onnx"/);
    });

    it("fails verify and lineage for a model that does not exist", async () => {
      const r = await runCli(["verify", "model", "99"], env);
      expect(r.code).to.equal(1);
      expect(checkOf(r, "model:99", "model.on-chain")).to.include({ status: "fail", code: "TOKEN_NOT_FOUND" });
      expectError(await runCli(["lineage", "99"], env), "LINEAGE_INVALID", /model #99 does not exist/);
      expectError(await runCli(["lineage", "two"], env), "INPUT_INVALID", /token id/);
      expectError(await runCli(["lineage", "1", "--dot", "--mermaid"], env), "INPUT_INVALID", /one of --dot/);
    });
  });
});
