import { expect } from "chai";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parquetWriteBuffer } from "hyparquet-writer";
import { freePort, startLocalChain, type LocalChain } from "../../scripts/lib/local-chain.ts";
import { runCli, type CliResult } from "../../scripts/lib/cli.ts";
import { writeShard } from "../../scripts/lib/shards.ts";

/**
 * `provenant check-sample` and batch proving on WebDataset and Parquet datasets (local chain): a WebDataset shard
 * set trains model #1; its child model #2 is fine-tuned on a Parquet file and evaluated on a JSONL file. A key's
 * files, or a .tar of that key, and a Parquet row (as JSON or by index) are "in"; altered ones are "in none". The
 * datasets of another encoding answer for themselves: the sample is looked up there by its own hash, and says so.
 */
describe("provenant check-sample and prove --batch on WebDataset and Parquet datasets (local chain)", function () {
  this.timeout(600_000);
  let chain: LocalChain;
  let work: string;
  let env: Record<string, string>;
  const cli = (args: string[]) => runCli(args, env);
  const ok = (r: CliResult) => {
    expect(r.code, r.stderr + r.stdout).to.equal(0);
    return r.json;
  };
  const caption = (k: number) => `a hand-drawn ${k % 10}, sample ${k}`;
  const pixels = (k: number) => Uint8Array.from({ length: 64 }, (_, i) => (i * 7 + k) & 0xff);
  const rowText = (i: number) => `row ${i}: the quick brown fox ${i % 7}`;
  const parquet = (texts: string[]) =>
    new Uint8Array(
      parquetWriteBuffer({
        rowGroupSize: 5,
        columnData: [
          { name: "id", data: Int32Array.from(texts, (_, i) => i), type: "INT32" },
          { name: "text", data: texts, type: "STRING" },
        ],
      }) as unknown as ArrayBuffer,
    );

  before(async () => {
    const port = await freePort();
    chain = await startLocalChain({ port, deploymentId: `test-check-formats-${port}` });
    work = mkdtempSync(join(tmpdir(), "provenant-check-formats-"));
    env = { ...chain.env, PROVENANT_HOME: join(work, "home") };
    // Two shards of 6 keys each: 000000.png + 000000.txt, ...
    for (let s = 0; s < 2; s++) {
      const members = [];
      for (let k = s * 6; k < s * 6 + 6; k++) {
        const key = String(k).padStart(6, "0");
        members.push({ name: `${key}.png`, bytes: pixels(k) }, { name: `${key}.txt`, bytes: caption(k) });
      }
      await writeShard(join(work, "shards", `shard-${s}.tar`), members);
    }
    writeFileSync(join(work, "rows.parquet"), parquet(Array.from({ length: 12 }, (_, i) => rowText(i))));
    writeFileSync(join(work, "eval.jsonl"), Array.from({ length: 8 }, (_, i) => JSON.stringify({ q: `q${i}`, a: `a${i}` })).join("\n") + "\n");
    const minted = [
      ok(await cli(["dataset", "mint", join(work, "shards"), "--format", "webdataset", "--name", "digits (WebDataset)", "--license", "CC0-1.0"])),
      ok(await cli(["dataset", "mint", join(work, "rows.parquet"), "--name", "rows (Parquet)", "--license", "CC0-1.0"])),
      ok(await cli(["dataset", "mint", join(work, "eval.jsonl"), "--name", "eval", "--license", "CC0-1.0"])),
    ];
    expect(minted.map((m) => m.datasetId)).to.deep.equal(["1", "2", "3"]);
    const weights = (name: string) => {
      mkdirSync(join(work, name));
      writeFileSync(join(work, name, "model.safetensors"), randomBytes(2_000));
      return join(work, name);
    };
    ok(await cli(["model", "register", weights("base"), "--name", "base", "--version", "1.0.0", "--dataset", "1:training"]));
    ok(
      await cli([
        "model",
        "register",
        weights("child"),
        "--name",
        "child",
        "--version",
        "1.1.0",
        "--parent",
        "1:finetune",
        "--dataset",
        "2:fine-tuning",
        "--dataset",
        "3:evaluation",
      ]),
    );
    // One key's files, as a user has them, and a .tar holding just that key.
    mkdirSync(join(work, "key"));
    writeFileSync(join(work, "key", "000007.png"), pixels(7));
    writeFileSync(join(work, "key", "000007.txt"), caption(7));
    await writeShard(join(work, "one-key.tar"), [
      { name: "000007.png", bytes: pixels(7) },
      { name: "000007.txt", bytes: caption(7) },
    ]);
    mkdirSync(join(work, "altered"));
    writeFileSync(join(work, "altered", "000007.png"), pixels(7));
    writeFileSync(join(work, "altered", "000007.txt"), `${caption(7)} (retouched)`);
  });

  after(async () => {
    await chain?.stop();
    rmSync(join(process.cwd(), "ignition", "deployments", chain?.deploymentId ?? "none"), { recursive: true, force: true });
    if (work) rmSync(work, { recursive: true, force: true });
  });

  const byId = (r: { datasets: Array<{ datasetId: string }> }, id: string) => r.datasets.find((d) => d.datasetId === id) as Record<string, unknown>;

  it("finds a WebDataset sample given as its key's files, or as a .tar of that key; the other datasets answer by its own hash", async () => {
    const r = ok(await cli(["check-sample", join(work, "key", "000007.png"), join(work, "key", "000007.txt"), "--model", "2", "--out", join(work, "wds-in.json")]));
    expect(r).to.include({ verdict: "in", summary: "in dataset #1, used for training by model #1, an ancestor of #2 (self-declared)" });
    expect(byId(r, "1")).to.include({ verdict: "in", local: true, onChain: true });
    expect(byId(r, "1").hashedAs).to.equal(undefined);
    for (const id of ["2", "3"]) {
      expect(byId(r, id)).to.include({ verdict: "out", hashedAs: "webdataset", sampleHash: byId(r, "1").sampleHash, local: true, onChain: true });
      expect(byId(r, id).reason).to.contain("a sample given as 2 files is not a");
      expect(byId(r, id).reason).to.contain("the dataset holds it only if one of its samples has the same canonical bytes");
    }
    const tar = ok(await cli(["check-sample", join(work, "one-key.tar"), "--model", "2"]));
    expect(byId(tar, "1")).to.include({ verdict: "in", sampleHash: byId(r, "1").sampleHash });
    // The saved proof re-checks, misfit datasets included.
    expect(ok(await cli(["verify-proof", join(work, "wds-in.json")]))).to.include({ ok: true, verdict: "in" });
  });

  it("answers in none for an altered WebDataset sample: every dataset proves it absent", async () => {
    const r = ok(await cli(["check-sample", join(work, "altered", "000007.png"), join(work, "altered", "000007.txt"), "--model", "2"]));
    expect(r).to.include({ verdict: "out", summary: "in none of the 3 datasets behind model #2" });
    for (const d of r.datasets) expect(d).to.include({ verdict: "out", local: true, onChain: true });
  });

  it("finds a Parquet row as JSON or by index in a file, and answers in none for an altered row", async () => {
    const json = ok(await cli(["check-sample", "--row-json", JSON.stringify({ text: rowText(4), id: 4 }), "--model", "2"]));
    expect(json).to.include({ verdict: "in", summary: "in dataset #2, used for fine-tuning by model #2 (self-declared)" });
    expect(byId(json, "1")).to.include({ verdict: "out", hashedAs: "parquet" });
    const byIndex = ok(await cli(["check-sample", join(work, "rows.parquet"), "--row", "4", "--model", "2"]));
    expect(byId(byIndex, "2")).to.include({ verdict: "in", sampleHash: byId(json, "2").sampleHash });
    const altered = ok(await cli(["check-sample", "--row-json", JSON.stringify({ id: 4, text: `${rowText(4)}!` }), "--model", "2"]));
    expect(altered).to.include({ verdict: "out", summary: "in none of the 3 datasets behind model #2" });
    // A JSONL line fits the jsonl dataset; a lone .parquet file without --row is a file there, and says so for Parquet.
    const line = ok(await cli(["check-sample", "--text", JSON.stringify({ q: "q3", a: "a3" }), "--model", "2"]));
    expect(byId(line, "3")).to.include({ verdict: "in" });
    expect(byId(line, "2")).to.include({ verdict: "out", hashedAs: "jsonl" });
  });

  it("refuses a sample that fits no dataset of the ancestry in one line, naming the inputs that would", async () => {
    const r = await cli(["check-sample", "--row-json", '{"id":1}', "--model", "1"]);
    expect(r.code).to.equal(1);
    expect(r.json.error.code).to.equal("INPUT_INVALID");
    expect(r.stderr).to.match(/a sample given as a JSON row does not fit a webdataset dataset/);
  });

  it("proves every key of a shard set and every row of a Parquet file in one batch, one altered row out", async () => {
    const shards = ok(await cli(["prove", "--batch", join(work, "shards"), "--batch-format", "webdataset", "--dataset", "1", "--out", join(work, "wds.csv")]));
    expect(shards.summary).to.deep.equal({ samples: 12, in: 12, out: 0, unknown: 0 });
    expect(shards.rows[7]).to.include({ label: "shard-1.tar:000007", verdict: "in" });
    const csv = readFileSync(join(work, "wds.csv"), "utf8").trim().split("\n");
    expect(csv[0]).to.equal("sample,sha256,verdict,dataset_1,dataset_1_leaf");
    expect(csv).to.have.length(13);
    // One shard file on its own, against the whole ancestry.
    const one = ok(await cli(["check-sample", "--batch", join(work, "shards", "shard-0.tar"), "--model", "2"]));
    expect(one.summary).to.deep.equal({ samples: 6, in: 6, out: 0, unknown: 0 });
    expect(one.datasets.map((d: { hashedAs?: string }) => d.hashedAs ?? null)).to.deep.equal([null, "webdataset", "webdataset"]);

    const texts = Array.from({ length: 12 }, (_, i) => rowText(i));
    texts[9] = `${texts[9]} (edited)`;
    writeFileSync(join(work, "batch.parquet"), parquet(texts));
    const rows = ok(await cli(["check-sample", "--batch", join(work, "batch.parquet"), "--model", "2", "--out", join(work, "rows.json")]));
    expect(rows.summary).to.deep.equal({ samples: 12, in: 11, out: 1, unknown: 0 });
    expect(rows.rows.filter((r: { verdict: string }) => r.verdict === "out").map((r: { label: string }) => r.label)).to.deep.equal(["batch.parquet row 9"]);
    expect(rows.rows[0].datasets.map((c: { verdict: string }) => c.verdict)).to.deep.equal(["out", "in", "out"]);
    expect(JSON.parse(readFileSync(join(work, "rows.json"), "utf8")).summary.out).to.equal(1);

    const wrong = await cli(["prove", "--batch", join(work, "shards"), "--batch-format", "arrow", "--dataset", "1"]);
    expect(wrong.code).to.equal(1);
    expect(wrong.stderr).to.match(/--batch-format must be webdataset or parquet/);
  });
});
