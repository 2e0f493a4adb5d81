import { expect } from "chai";
import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Contract, JsonRpcProvider } from "ethers";
import { startTestChain, type LocalChain } from "../helpers/local-chain.ts";
import { runCli, type CliResult } from "../../scripts/lib/cli.ts";
import { mintDirectly, sortedHashes, storeLeavesAsGiven, swapped } from "../helpers/misordered.ts";
import { datasetRegistryAbi } from "../../core/chain/abi.generated.ts";
import { deployedAddress } from "../../core/chain/deployments.ts";
import { DatasetProver } from "../../core/dataset/prover.ts";
import { LocalStore } from "../../core/storage/local-store.ts";

/**
 * `provenant check-sample` on a real chain: a files dataset trains model #1, a JSONL dataset fine-tunes its child
 * model #2. A training sample is "in" through the ancestry, an altered one "in none"; a shard that fails its CID
 * or a misordered dataset makes that dataset "unknown", never a silent "in none"; a saved ancestry proof is
 * re-checked by verify-proof, and an edited one is refused.
 */
describe("provenant check-sample: one sample against a model's whole ancestry (local chain)", function () {
  this.timeout(600_000);
  let chain: LocalChain;
  let work: string;
  let home: string;
  let env: Record<string, string>;
  const manifestCids: string[] = [];
  const cli = (args: string[]) => runCli(args, env);
  const sha = (b: Uint8Array | string) => createHash("sha256").update(b).digest("hex");

  const expectError = (r: CliResult, code: string, words: RegExp) => {
    expect(r.code, r.stdout).to.equal(1);
    expect(r.json?.error?.code, r.stdout).to.equal(code);
    expect(r.stderr).to.match(words);
    expect(r.stderr.trim().split("\n")).to.have.length(1);
  };

  const weights = (name: string) => {
    const dir = join(work, name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "model.safetensors"), randomBytes(4_000));
    return dir;
  };

  before(async () => {
    chain = await startTestChain("check-sample");
    work = mkdtempSync(join(tmpdir(), "provenant-check-sample-"));
    home = join(work, "home");
    env = { ...chain.env, PROVENANT_HOME: home };
    const digits = join(work, "digits");
    mkdirSync(digits);
    for (let i = 0; i < 30; i++) writeFileSync(join(digits, `digit-${i}.txt`), `digit ${i % 10} drawn by hand #${i}\n`);
    writeFileSync(join(work, "altered.txt"), "digit 7 drawn by hand #7 (retouched)\n");
    writeFileSync(join(work, "chat.jsonl"), Array.from({ length: 40 }, (_, i) => JSON.stringify({ q: `question ${i}`, a: `answer ${i}` })).join("\n") + "\n");
    for (const [path, name] of [
      [digits, "digits"],
      [join(work, "chat.jsonl"), "chat"],
    ]) {
      const r = await cli(["dataset", "mint", path, "--name", name, "--license", "CC0-1.0"]);
      expect(r.code, r.stderr).to.equal(0);
      manifestCids.push(r.json.manifestCid);
    }
    const base = await cli(["model", "register", weights("base"), "--name", "base", "--version", "1.0.0", "--dataset", "1:training"]);
    expect(base.code, base.stderr).to.equal(0);
    const child = await cli(["model", "register", weights("child"), "--name", "child", "--version", "1.1.0", "--parent", "1:finetune", "--dataset", "2:fine-tuning"]);
    expect(child.code, child.stderr).to.equal(0);
  });

  after(async () => {
    await chain?.stop();
    rmSync(join(process.cwd(), "ignition", "deployments", chain?.deploymentId ?? "none"), { recursive: true, force: true });
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("finds a training file through the ancestry: in dataset #1, used for training by model #1, an ancestor of #2", async () => {
    const r = await cli(["check-sample", join(work, "digits", "digit-7.txt"), "--model", "2", "--out", join(work, "in.json")]);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.json).to.include({ ok: true, format: "provenant-ancestry-proof-v1", model: "2", verdict: "in" });
    expect(r.json.summary).to.equal("in dataset #1, used for training by model #1, an ancestor of #2 (self-declared)");
    const [one, two] = r.json.datasets;
    expect(one).to.include({ datasetId: "1", verdict: "in", local: true, onChain: true });
    expect(one.proof.kind).to.equal("inclusion");
    expect(one.sampleHash).to.equal(`0x${sha(readFileSync(join(work, "digits", "digit-7.txt")))}`);
    expect(two).to.include({ datasetId: "2", verdict: "out", local: true, onChain: true });
    expect(two.usedBy).to.deep.equal([{ modelId: "2", role: "fine-tuning", provenance: "self-declared", distance: 0 }]);
    const text = await runCli(["check-sample", join(work, "digits", "digit-7.txt"), "--model", "2"], env);
    expect(text.json.datasets[0].proof.root).to.equal(one.proof.root);
  });

  it("answers in none of the 2 datasets behind model #2 for an altered sample, each exclusion checked by the contract", async () => {
    const r = await cli(["check-sample", join(work, "altered.txt"), "--model", "2"]);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.json).to.include({ verdict: "out", summary: "in none of the 2 datasets behind model #2" });
    for (const d of r.json.datasets) expect(d).to.include({ verdict: "out", local: true, onChain: true });
  });

  it("takes a JSONL record as --text and a hash as sha256sum prints it (bare hex, spaces around)", async () => {
    const line = JSON.stringify({ q: "question 3", a: "answer 3" });
    const byText = await cli(["check-sample", "--text", line, "--model", "2"]);
    expect(byText.json.summary).to.equal("in dataset #2, used for fine-tuning by model #2 (self-declared)");
    const byHash = await cli(["check-sample", "--hash", `  ${sha(line)} `, "--model", "2"]);
    expect(byHash.json.verdict).to.equal("in");
    expect(byHash.json.datasets[1].sampleHash).to.equal(`0x${sha(line)}`);
    expectError(await cli(["check-sample", "--hash", "abc", "--model", "2"]), "INPUT_INVALID", /--hash must be a SHA-256: 64 hex digits/);
    expectError(await cli(["check-sample", "--hash", sha(line), "--model", "9"]), "TOKEN_NOT_FOUND", /model #9/);
  });

  it("verify-proof re-checks a saved ancestry proof, and refuses one edited to say 'in none' or to drop a dataset", async () => {
    const made = await cli(["check-sample", join(work, "digits", "digit-7.txt"), "--model", "2", "--out", join(work, "in.json")]);
    expect(made.code, made.stderr).to.equal(0);
    const ok = await cli(["verify-proof", join(work, "in.json")]);
    expect(ok.code, ok.stderr).to.equal(0);
    expect(ok.json).to.include({ ok: true, kind: "ancestry", claimed: "in", verdict: "in" });

    const saved = JSON.parse(readFileSync(join(work, "in.json"), "utf8"));
    // Attack 1: the verdict and the dataset's entry rewritten to "out", the inclusion proof left in.
    const flipped = { ...saved, verdict: "out", datasets: saved.datasets.map((d: { datasetId: string }) => (d.datasetId === "1" ? { ...d, verdict: "out" } : d)) };
    writeFileSync(join(work, "flipped.json"), JSON.stringify(flipped));
    const r1 = await cli(["verify-proof", join(work, "flipped.json")]);
    expect(r1.code).to.equal(1);
    expect(r1.json).to.include({ ok: false, claimed: "out", verdict: "in" });
    // Attack 2: the dataset that holds the sample dropped, so the rest reads "in none".
    const dropped = { ...saved, verdict: "out", datasets: saved.datasets.filter((d: { datasetId: string }) => d.datasetId !== "1") };
    writeFileSync(join(work, "dropped.json"), JSON.stringify(dropped));
    const r2 = await cli(["verify-proof", join(work, "dropped.json")]);
    expect(r2.code).to.equal(1);
    expect(r2.json.problems.join("\n")).to.contain("dataset #1 is in the ancestry on-chain but not in the file");
    // Attack 3: the exclusion proof of dataset #2 swapped for one with a forged neighbour.
    const forged = structuredClone(saved);
    const ex = forged.datasets[1].proof;
    const neighbour = ex.left ?? ex.right;
    neighbour.siblings[0] = `0x${"ab".repeat(32)}`;
    writeFileSync(join(work, "forged.json"), JSON.stringify(forged));
    const r3 = await cli(["verify-proof", join(work, "forged.json")]);
    expect(r3.code).to.equal(1);
    expect(r3.json.datasets[1]).to.include({ local: false, onChain: false, verdict: "unknown" });
  });

  it("proves a batch: a folder against a dataset, a JSONL file and a hash list against the ancestry, results as CSV and JSON", async () => {
    const folder = await cli(["prove", "--batch", join(work, "digits"), "--dataset", "1", "--out", join(work, "digits.csv")]);
    expect(folder.code, folder.stderr).to.equal(0);
    expect(folder.json).to.include({ ok: true, format: "provenant-batch-v1" });
    expect(folder.json.summary).to.deep.equal({ samples: 30, in: 30, out: 0, unknown: 0 });
    expect(folder.json.datasets[0]).to.include({ datasetId: "1", reads: 1 });
    expect(folder.json.datasets[0].onChain).to.deep.equal({ checked: 16, valid: 16 });
    const csv = readFileSync(join(work, "digits.csv"), "utf8").trim().split("\n");
    expect(csv[0]).to.equal("sample,sha256,verdict,dataset_1,dataset_1_leaf");
    expect(csv).to.have.length(31);
    expect(csv[1]).to.match(/^digit-0\.txt,0x[0-9a-f]{64},in,in,\d+$/);

    const lines = readFileSync(join(work, "chat.jsonl"), "utf8").trim().split("\n").slice(0, 5);
    lines[2] = lines[2].replace("answer", "ANSWER");
    writeFileSync(join(work, "batch.jsonl"), `${lines.join("\n")}\n\n`);
    const records = await cli(["check-sample", "--batch", join(work, "batch.jsonl"), "--model", "2", "--out", join(work, "batch.json")]);
    expect(records.code, records.stderr).to.equal(0);
    expect(records.json.summary).to.deep.equal({ samples: 5, in: 4, out: 1, unknown: 0 });
    expect(records.json.rows.map((r: { label: string; verdict: string }) => `${r.label} ${r.verdict}`)).to.deep.equal([
      "line 1 in",
      "line 2 in",
      "line 3 out",
      "line 4 in",
      "line 5 in",
    ]);
    expect(records.json.rows[0].datasets.map((c: { verdict: string }) => c.verdict)).to.deep.equal(["out", "in"]);
    expect(JSON.parse(readFileSync(join(work, "batch.json"), "utf8")).summary.samples).to.equal(5);

    const list = [`${sha(readFileSync(join(work, "digits", "digit-3.txt")))}  digits/digit-3.txt`, `0x${sha("nothing like it")} nothing.txt`].join("\n");
    writeFileSync(join(work, "hashes.txt"), `${list}\n`);
    const hashes = await cli(["check-sample", "--hash-list", join(work, "hashes.txt"), "--model", "2"]);
    expect(hashes.json.rows.map((r: { label: string; verdict: string }) => `${r.label} ${r.verdict}`)).to.deep.equal(["digits/digit-3.txt in", "nothing.txt out"]);
    writeFileSync(join(work, "bad-hashes.txt"), "not a hash\n");
    expectError(await cli(["check-sample", "--hash-list", join(work, "bad-hashes.txt"), "--model", "2"]), "INPUT_INVALID", /line 1 does not start with a SHA-256/);
    expectError(
      await cli(["prove", "--batch", join(work, "altered.txt"), "--dataset", "1"]),
      "INPUT_INVALID",
      /neither a folder nor a \.jsonl\/\.csv\/\.tar\/\.parquet file/,
    );
  });

  it("fails closed on a shard that fails its CID: that dataset is unknown, and the verdict is never 'in none'", async () => {
    const store = new LocalStore(home);
    const prover = await DatasetProver.open(store, manifestCids[1]);
    const shardPath = store.pathOf(prover.index.shards[0].cid);
    const original = readFileSync(shardPath);
    const damaged = Buffer.from(original);
    damaged[5] ^= 1;
    writeFileSync(shardPath, damaged);
    try {
      const r = await cli(["check-sample", join(work, "altered.txt"), "--model", "2"]);
      expect(r.json.verdict, r.stdout + r.stderr).to.equal("unknown");
      expect(r.code).to.equal(1);
      expect(r.json.summary).to.match(/^not known: absent from 1 of the 2 datasets behind model #2, but dataset #2 could not be checked: /);
      expect(r.json.datasets[1]).to.include({ verdict: "unknown", code: "STORAGE_CORRUPT" });
      expect(r.json.datasets[1].reason).to.contain("does not hash to its CID");
      // In a batch too: every sample of that dataset is unknown, none silently out.
      const batch = await cli(["check-sample", "--batch", join(work, "chat.jsonl"), "--model", "2"]);
      expect(batch.code).to.equal(1);
      expect(batch.json.summary).to.deep.equal({ samples: 40, in: 0, out: 0, unknown: 40 });
      expect(batch.json.datasets[1]).to.include({ datasetId: "2", unknown: 40, out: 0, in: 0 });
      // A sample in another dataset is still found.
      const found = await cli(["check-sample", join(work, "digits", "digit-7.txt"), "--model", "2"]);
      expect(found.json.verdict).to.equal("in");
    } finally {
      writeFileSync(shardPath, original);
    }
  });

  it("fails closed on a misordered dataset: no exclusion from it, before or after it is reported on-chain", async () => {
    process.env.PROVENANT_DEPLOYMENT_ID = chain.deploymentId;
    const provider = new JsonRpcProvider(chain.url, 31337, { staticNetwork: true });
    const registry = new Contract(deployedAddress(31337, "DatasetRegistry"), datasetRegistryAbi as never, await provider.getSigner(0));
    delete process.env.PROVENANT_DEPLOYMENT_ID;
    const stored = await storeLeavesAsGiven(new LocalStore(home), swapped(sortedHashes(3, "check-sample"), 0, 2));
    const datasetId = String(await mintDirectly(registry, stored));
    const model = await cli([
      "model",
      "register",
      weights("on-misordered"),
      "--name",
      "m",
      "--version",
      "1.0.0",
      "--parent",
      "2:finetune",
      "--dataset",
      `${datasetId}:training`,
    ]);
    expect(model.code, model.stderr).to.equal(0);
    const modelId = String(model.json.modelId);

    const before = await cli(["check-sample", join(work, "altered.txt"), "--model", modelId]);
    expect(before.json.verdict, before.stdout + before.stderr).to.equal("unknown");
    expect(before.json.datasets.find((d: { datasetId: string }) => d.datasetId === datasetId)).to.include({ verdict: "unknown", code: "DATASET_MISORDERED" });

    const audit = await cli(["dataset", "audit", datasetId, "--report"]);
    expect(audit.json.flaggedOnChain, audit.stderr).to.equal(true);
    const after = await cli(["check-sample", join(work, "altered.txt"), "--model", modelId]);
    expect(after.json.verdict).to.equal("unknown");
    expect(after.json.datasets.find((d: { datasetId: string }) => d.datasetId === datasetId).reason).to.contain("reported misordered on-chain");
    // An inclusion still holds in a misordered dataset: the digit is found through the ancestry.
    const found = await cli(["check-sample", join(work, "digits", "digit-7.txt"), "--model", modelId]);
    expect(found.json.verdict).to.equal("in");
    expect(found.json.summary).to.contain(`an ancestor of #${modelId}`);
  });
});
