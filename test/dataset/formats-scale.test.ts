// WebDataset shards and Parquet row groups as work units: every core, --part and combine, resume, and the
// encodings-v2 vectors through the same pipeline, all to the in-process reference's root.
import { expect } from "chai";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { commitSamples } from "../../core/dataset/commit.ts";
import { hashSamples } from "../../core/dataset/encodings.ts";
import { hashContainerSamples } from "../../core/dataset/formats/containers.ts";
import { commitAndStore } from "../../core/dataset/scale/pipeline.ts";
import { LocalStore } from "../../core/storage/local-store.ts";
import { toHex } from "../../core/hex.ts";
import { ProvenantError } from "../../core/errors.ts";
import { runCli } from "../../scripts/lib/cli.ts";
import { writeShard } from "../../scripts/lib/shards.ts";
import { textTable, writeParquet } from "../../scripts/lib/parquet-tables.ts";
import { materializeV2, type ContainerVector } from "../../scripts/make-encoding-vectors.ts";

const vectors = JSON.parse(readFileSync(join(import.meta.dirname, "..", "vectors", "encodings-v2.json"), "utf8"));

describe("encodings-v2 at scale: shards and row groups as work units", function () {
  this.timeout(600_000);
  let work: string;
  let env: Record<string, string>;
  const shards = () => join(work, "wds");
  const table = () => join(work, "rows.parquet");

  before(async () => {
    work = mkdtempSync(join(tmpdir(), "provenant-formats-scale-"));
    env = { PROVENANT_HOME: join(work, "home") };
    // Six shards of about 7 MiB (past the size where child processes pay), one gzip-compressed, one empty.
    for (let s = 0; s < 6; s++) {
      const members =
        s === 4
          ? []
          : Array.from({ length: 40 }, (_, i) => i).flatMap((i) => {
              const key = `s${s}-${String(i).padStart(3, "0")}`;
              // Every 10th sample repeats one of shard 0's: duplicates across shards.
              const seed = i % 10 === 0 ? `s0-${i}` : key;
              return [
                { name: `${key}.bin`, bytes: i % 10 === 0 ? Buffer.from(seed.repeat(5000)) : randomBytes(200_000) },
                { name: `${key}.txt`, bytes: `caption ${seed}` },
              ];
            });
      await writeShard(join(shards(), `shard-${s}.tar${s === 2 ? ".gz" : ""}`), members, { gzip: s === 2 });
    }
    writeFileSync(table(), writeParquet(textTable(120_000), { rowGroupSize: 15_000 }));
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  it("checks every encodings-v2 vector, v1's included, in this process and through the parallel pipeline", async () => {
    const v1 = JSON.parse(readFileSync(join(import.meta.dirname, "..", "vectors", "encodings-v1.json"), "utf8")).vectors;
    expect(vectors.vectors.slice(0, v1.length)).to.deep.equal(v1);
    for (const v of vectors.vectors.slice(v1.length) as ContainerVector[]) {
      const dir = mkdtempSync(join(work, "vector-"));
      const input = await materializeV2(v, dir);
      let inProcess: unknown;
      let parallel: unknown;
      try {
        const s = await hashContainerSamples(input, v.encoding, v.input.split);
        const c = commitSamples(s);
        inProcess = { samples: Array.from({ length: s.total }, (_, i) => toHex(s.hashes.subarray(i * 32, i * 32 + 32))), n: c.n, root: toHex(c.root) };
      } catch (e) {
        inProcess = { error: (e as ProvenantError).code };
      }
      try {
        const r = await commitAndStore(
          input,
          new LocalStore(join(dir, "store")),
          { name: "" },
          { encoding: v.encoding, split: v.input.split, workers: 2, workDir: join(dir, "work") },
        );
        parallel = { n: r.manifest.n, root: r.manifest.root };
      } catch (e) {
        parallel = { error: (e as ProvenantError).code };
      }
      if ("error" in v.expect) {
        expect(inProcess, v.name).to.deep.equal({ error: v.expect.error });
        expect(parallel, v.name).to.deep.equal({ error: v.expect.error });
      } else {
        expect(inProcess, v.name).to.deep.equal({ samples: v.expect.samples, n: v.expect.n, root: v.expect.root });
        expect(parallel, v.name).to.deep.equal({ n: v.expect.n, root: v.expect.root });
      }
    }
  });

  for (const [what, input, format] of [
    ["a directory of WebDataset shards", shards, "webdataset"],
    ["a Parquet file of eight row groups", table, "parquet"],
  ] as const) {
    it(`hashes ${what} on two workers, and as parts combined, to the in-process root`, async () => {
      const reference = commitSamples(await hashContainerSamples(input(), format));
      const single = await runCli(["dataset", "hash", input(), "--format", format, "--workers", "2"], env);
      expect(single.code, single.stderr).to.equal(0);
      expect(single.json).to.include({ root: toHex(reference.root), totalSamples: reference.totalSamples, n: reference.n, hashing: "processes" });
      expect(single.json.units).to.equal(format === "webdataset" ? 6 : 8);
      const dirs: string[] = [];
      for (let i = 2; i >= 0; i--) {
        const dir = join(work, `${format}-part-${i}`);
        const r = await runCli(["dataset", "hash", input(), "--format", format, "--part", `${i}/3`, "--out", dir, "--workers", "1"], env);
        expect(r.code, r.stderr).to.equal(0);
        dirs.push(dir);
      }
      const combined = await runCli(["dataset", "combine", ...dirs], env);
      expect(combined.code, combined.stderr).to.equal(0);
      expect(combined.json).to.include({ root: single.json.root, manifestCid: single.json.manifestCid, indexCid: single.json.indexCid });
    });
  }

  it("resumes a part from its finished units: a unit's run removed is hashed again, the rest kept", async () => {
    const dir = join(work, "resume-part");
    const first = await runCli(["dataset", "hash", table(), "--part", "0/1", "--out", dir, "--workers", "1"], env);
    expect(first.code, first.stderr).to.equal(0);
    rmSync(join(dir, "buckets", "unit-3.bucket"));
    rmSync(join(dir, "part.json"));
    const again = await runCli(["dataset", "hash", table(), "--part", "0/1", "--out", dir, "--workers", "1"], env);
    expect(again.code, again.stderr).to.equal(0);
    const combined = await runCli(["dataset", "combine", dir], env);
    const direct = await runCli(["dataset", "hash", table()], env);
    expect(combined.json.root).to.equal(direct.json.root);
    expect(readdirSync(join(dir, "buckets")).filter((f) => f.endsWith(".bucket"))).to.have.length(8);
  });

  it("refuses at combine a key split between shards hashed by different parts", async () => {
    const d = join(work, "split-key");
    await writeShard(join(d, "a.tar"), [
      { name: "1.jpg", bytes: "a" },
      { name: "2.jpg", bytes: "b" },
    ]);
    await writeShard(join(d, "b.tar"), [
      { name: "2.txt", bytes: "c" },
      { name: "3.txt", bytes: "d" },
    ]);
    const parts = [0, 1].map((i) => join(work, `split-key-${i}`));
    for (const [i, out] of parts.entries()) {
      const r = await runCli(["dataset", "hash", d, "--format", "webdataset", "--part", `${i}/2`, "--out", out], env);
      expect(r.code, r.stderr).to.equal(0); // each part alone sees whole keys
    }
    const combined = await runCli(["dataset", "combine", ...parts], env);
    expect(combined.code).to.equal(1);
    expect(combined.stderr).to.match(/key "2" is split between a\.tar and b\.tar/);
  });

  it("hashes one split of a Hugging Face folder from the CLI, and refuses --split where it means nothing", async () => {
    const hf = join(work, "hf");
    mkdirSync(join(hf, "data"), { recursive: true });
    writeFileSync(join(hf, "data", "train-00000-of-00001.parquet"), writeParquet(textTable(30)));
    writeFileSync(join(hf, "data", "test-00000-of-00001.parquet"), writeParquet(textTable(5, 500)));
    const train = await runCli(["dataset", "hash", hf, "--format", "parquet", "--split", "train"], env);
    expect(train.code, train.stderr).to.equal(0);
    expect(train.json.totalSamples).to.equal(30);
    const all = await runCli(["dataset", "hash", hf, "--format", "parquet"], env);
    expect(all.json.totalSamples).to.equal(35);
    const jsonl = join(work, "x.jsonl");
    writeFileSync(jsonl, "{}\n");
    const bad = await runCli(["dataset", "hash", jsonl, "--split", "train"], env);
    expect(bad.stderr).to.contain("a split picks files of a webdataset or parquet directory, not of jsonl");
    expect(hashSamples(jsonl, "jsonl").total).to.equal(1);
    expect(existsSync(join(work, "home"))).to.equal(true);
  });
});
