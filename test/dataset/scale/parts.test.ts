import { expect } from "chai";
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REPO } from "../../helpers/local-chain.ts";
import { CLI, ensureBuiltCli, runCli } from "../../../scripts/lib/cli.ts";
import { commitSamples } from "../../../core/dataset/commit.ts";
import { hashSamples } from "../../../core/dataset/encodings.ts";
import { toHex } from "../../../core/hex.ts";
import { BYTES_PER_UNIT, FILES_PER_UNIT, RECORD_UNITS, makePlan } from "../../../core/dataset/scale/plan.ts";

/** A JSONL file big enough for several 64 MiB units, with duplicates and empty lines. */
function makeJsonl(path: string, lines: number): void {
  const chunk: string[] = [];
  const out = [];
  for (let i = 0; i < lines; i++) {
    chunk.push(i % 1000 === 0 ? "" : `{"id":${i % 900_000},"text":"${"abcdefghij".repeat(12)}"}`);
    if (chunk.length === 100_000) {
      out.push(chunk.join("\n"));
      chunk.length = 0;
    }
  }
  out.push(chunk.join("\n"));
  writeFileSync(path, out.join("\n") + "\n");
}

/** A CSV whose quoted fields hold newlines, so byte ranges must find record starts by quote parity. */
function makeCsv(path: string, records: number): void {
  const rows = ["id,text"];
  for (let i = 0; i < records; i++) rows.push(i % 3 === 0 ? `${i},"line one\nline ""two"" of ${i}"` : `${i},plain ${"x".repeat(150)}`);
  writeFileSync(path, rows.join("\r\n") + "\r\n");
}

describe("scale: parts, combine and resume give the single-machine result", function () {
  this.timeout(600_000);
  let work: string;
  let env: Record<string, string>;
  const jsonl = () => join(work, "big.jsonl");

  before(() => {
    work = mkdtempSync(join(tmpdir(), "provenant-scale-"));
    // 4 MiB units and 3-file units: several units from small inputs (sizes enter the plan hash).
    env = { PROVENANT_HOME: join(work, "home"), PROVENANT_UNIT_BYTES: String(4 << 20), PROVENANT_UNIT_FILES: "3" };
    makeJsonl(jsonl(), 160_000); // about 21 MB: six units
    makeCsv(join(work, "data.csv"), 90_000);
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  it("hashes a multi-unit JSONL file on several workers to the root the in-memory path computes", async () => {
    const samples = hashSamples(jsonl(), "jsonl");
    const r = await runCli(["dataset", "hash", jsonl(), "--workers", "2"], env);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.json.units).to.be.greaterThan(2);
    expect(r.json.root).to.equal(toHex(commitSamples(samples).root));
    expect(r.json.totalSamples).to.equal(samples.total);
    expect(r.json.skipped.emptyRecords).to.equal(samples.skipped.emptyRecords).and.to.be.greaterThan(150);
  });

  it("splits a CSV with quoted newlines into byte ranges without losing or splitting a record", async () => {
    const expected = commitSamples(hashSamples(join(work, "data.csv"), "csv"));
    const r = await runCli(["dataset", "hash", join(work, "data.csv"), "--workers", "2"], env);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.json.units).to.be.greaterThan(1);
    expect(r.json.totalSamples).to.equal(90_000);
    expect(r.json.root).to.equal(toHex(expected.root));
  });

  for (const parts of [1, 2, 3, 5]) {
    it(`combines ${parts} part(s) into the same shards, index and root as one run`, async () => {
      const single = await runCli(["dataset", "hash", jsonl()], env);
      const dirs: string[] = [];
      // Parts in reverse order: the result must not depend on which machine finishes first.
      for (let i = parts - 1; i >= 0; i--) {
        const dir = join(work, `p${parts}-${i}`);
        const r = await runCli(["dataset", "hash", jsonl(), "--part", `${i}/${parts}`, "--out", dir, "--workers", "1"], env);
        expect(r.code, r.stderr).to.equal(0);
        dirs.push(dir);
      }
      const combined = await runCli(["dataset", "combine", ...dirs], env);
      expect(combined.code, combined.stderr).to.equal(0);
      expect(combined.json).to.include({ root: single.json.root, n: single.json.n, totalSamples: single.json.totalSamples });
      expect(combined.json.indexCid).to.equal(single.json.indexCid);
      expect(combined.json.manifestCid).to.equal(single.json.manifestCid);
    });
  }

  it("refuses an incomplete or mixed set of parts with one clear line", async () => {
    const a = join(work, "p3-0");
    const b = join(work, "p3-1");
    const missing = await runCli(["dataset", "combine", a, b], env);
    expect(missing.code).to.equal(1);
    expect(missing.stderr).to.match(/missing part\(s\) 2\/3/);
    const twice = await runCli(["dataset", "combine", a, a, b], env);
    expect(twice.stderr).to.match(/given twice/);
    const mixed = await runCli(["dataset", "combine", a, join(work, "p2-1"), join(work, "p3-2")], env);
    expect(mixed.stderr).to.match(/other data or another split/);
  });

  it("resumes an interrupted hash from its finished units and ends with the uninterrupted result", async () => {
    const uninterrupted = await runCli(["dataset", "hash", jsonl(), "--workers", "1"], env);
    const home = join(work, "resume-home");
    ensureBuiltCli();
    const child = spawn(process.execPath, [CLI, "dataset", "hash", jsonl(), "--workers", "1", "--json"], {
      cwd: REPO,
      env: { ...process.env, ...env, PROVENANT_HOME: home },
      stdio: "ignore",
    });
    // Kill it hard once the first unit is on disk and before the last one is.
    const finishedUnits = () => {
      const dir = join(home, "work");
      if (!existsSync(dir)) return 0;
      return readdirSync(dir)
        .flatMap((w) => (existsSync(join(dir, w, "buckets")) ? readdirSync(join(dir, w, "buckets")) : []))
        .filter((f) => f.endsWith(".json")).length;
    };
    while (finishedUnits() < 1) await new Promise((r) => setTimeout(r, 20));
    child.kill("SIGKILL");
    await new Promise((r) => child.once("exit", r));
    expect(finishedUnits()).to.be.within(1, uninterrupted.json.units - 1);
    const resumed = await runCli(["dataset", "hash", jsonl(), "--workers", "1"], { ...env, PROVENANT_HOME: home });
    expect(resumed.code, resumed.stderr).to.equal(0);
    expect(resumed.json.resumedUnits).to.be.at.least(1);
    expect(resumed.json.root).to.equal(uninterrupted.json.root);
    expect(resumed.json.manifestCid).to.equal(uninterrupted.json.manifestCid);
  });

  it("starts over when the input changed since the interrupted run", async () => {
    const dir = join(work, "changing");
    mkdirSync(dir);
    for (let i = 0; i < 10; i++) writeFileSync(join(dir, `${i}.txt`), `v1 ${i}`);
    const part = join(work, "changing-part");
    await runCli(["dataset", "hash", dir, "--part", "0/1", "--out", part], env);
    writeFileSync(join(dir, "new.txt"), "added later");
    const again = await runCli(["dataset", "hash", dir, "--part", "0/1", "--out", part], env);
    expect(again.json.samples).to.equal(11);
    const combined = await runCli(["dataset", "combine", part], env);
    const direct = await runCli(["dataset", "hash", dir], env);
    expect(combined.json.root).to.equal(direct.json.root);
  });

  it("trusts nothing in a work directory whose plan.json is of another version: every unit is hashed again", async () => {
    const make = (name: string, text: string) => {
      const dir = join(work, name);
      mkdirSync(dir);
      for (let i = 0; i < 10; i++) writeFileSync(join(dir, `${i}.txt`), `${text} ${i}`);
      return dir;
    };
    const mine = make("versioned", "mine");
    const theirs = make("versioned-other", "theirs");
    const part = join(work, "versioned-part");
    const otherPart = join(work, "versioned-other-part");
    expect((await runCli(["dataset", "hash", mine, "--part", "0/1", "--out", part], env)).code).to.equal(0);
    expect((await runCli(["dataset", "hash", theirs, "--part", "0/1", "--out", otherPart], env)).code).to.equal(0);
    // Finished units that describe other data, under a plan this version does not read (as a newer version's).
    for (const f of readdirSync(join(part, "buckets"))) copyFileSync(join(otherPart, "buckets", f), join(part, "buckets", f));
    const plan = JSON.parse(readFileSync(join(part, "plan.json"), "utf8"));
    writeFileSync(join(part, "plan.json"), JSON.stringify({ ...plan, format: "provenant-plan-v2" }));
    const again = await runCli(["dataset", "hash", mine, "--part", "0/1", "--out", part], env);
    expect(again.code, again.stderr).to.equal(0);
    const combined = await runCli(["dataset", "combine", part], env);
    const direct = await runCli(["dataset", "hash", mine], env);
    expect(combined.json.root).to.equal(direct.json.root);
  });

  it("hashes a directory of files split into units to the same root as one unit", async () => {
    const dir = join(work, "many");
    mkdirSync(dir);
    for (let i = 0; i < 20; i++)
      writeFileSync(
        join(dir, `${i}.bin`),
        createHash("sha256")
          .update(String(i % 17))
          .digest(),
      );
    const split = await runCli(["dataset", "hash", dir, "--workers", "2"], env);
    const whole = await runCli(["dataset", "hash", dir], { PROVENANT_HOME: env.PROVENANT_HOME });
    expect(split.json.units).to.equal(7);
    expect(whole.json.units).to.equal(1);
    expect(split.json).to.include({ root: whole.json.root, n: 17, totalSamples: 20 });
  });

  it("sizes record units from the file: about 32 ranges of 1 to 64 MiB; 4,096 files per unit", () => {
    expect(BYTES_PER_UNIT).to.equal(64 << 20);
    expect(FILES_PER_UNIT).to.equal(4096);
    expect(RECORD_UNITS).to.equal(32);
    // Sparse files: planning a JSONL file only needs its size.
    const unitsFor = (size: number) => {
      const f = join(work, `sparse-${size}.jsonl`);
      writeFileSync(f, "");
      truncateSync(f, size);
      const plan = makePlan(f, "jsonl", join(work, `plan-${size}`));
      const lengths = plan.units.map((u) => (u.kind === "range" ? u.end - u.start : 0));
      return { count: plan.units.length, biggest: Math.max(...lengths) };
    };
    expect(unitsFor(1000)).to.deep.equal({ count: 1, biggest: 1000 });
    expect(unitsFor(5 << 20)).to.deep.equal({ count: 5, biggest: 1 << 20 });
    expect(unitsFor(200e6).count).to.equal(32);
    expect(unitsFor(10 * 2 ** 30)).to.deep.equal({ count: 160, biggest: 64 << 20 });
  });
});
