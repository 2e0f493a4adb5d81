/**
 * The docs/scale.md Slurm recipe, run as written on a real one-node Slurm cluster (test/helpers/slurm.ts):
 * its job script and its submit lines are read from the document, so the two cannot drift apart.
 * Each dataset is a line of DATASETS: an encoding is covered by adding its generator there.
 */
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REPO } from "../../helpers/local-chain.ts";
import { ensureBuiltCli, runCli } from "../../../scripts/lib/cli.ts";
import { sectionBlocks } from "../../helpers/markdown.ts";
import { startSlurmCluster, taskEnded, type SlurmCluster } from "../../helpers/slurm.ts";
import { decodeShardIndex } from "../../../core/dataset/shard-index.ts";
import { LocalStore } from "../../../core/storage/local-store.ts";
import { textTable, writeParquet } from "../../../scripts/lib/parquet-tables.ts";
import { writeShard } from "../../../scripts/lib/shards.ts";

const doc = readFileSync(join(REPO, "docs", "scale.md"), "utf8");
const [jobScript, submitBlock] = sectionBlocks(doc, "### Slurm job array", "sh");

/** The submit block with our settings line in place of the document's (the only line not run as written). */
function submitLines(settings: { input: string; parts: string; n: number; cpus: number; format: string }): string {
  const [first, ...rest] = submitBlock.split("\n");
  expect(first, "the submit block starts with its settings line").to.match(/^input=\S+ parts=\S+ n=\d+ cpus=\d+ format=\S+$/);
  return [`input=${settings.input} parts=${settings.parts} n=${settings.n} cpus=${settings.cpus} format=${settings.format}`, ...rest].join("\n");
}

/** A JSONL file of 150,000 short records: three shards' worth of distinct samples, and some duplicates. */
function makeJsonl(dir: string): string {
  const path = join(dir, "data.jsonl");
  const lines: string[] = [];
  for (let i = 0; i < 150_000; i++) lines.push(`{"id":${i % 140_000},"label":${i % 10}}`);
  writeFileSync(path, lines.join("\n") + "\n");
  return path;
}

/** A folder of small files, in subfolders. */
function makeFiles(dir: string): string {
  const root = join(dir, "files");
  for (let i = 0; i < 60; i++) {
    mkdirSync(join(root, `d${i % 4}`), { recursive: true });
    writeFileSync(join(root, `d${i % 4}`, `${i}.txt`), `sample ${i % 55}\n`);
  }
  return root;
}

/** Ten WebDataset shards of 30 samples (an image-like .bin and a .txt each): a shard is a unit. */
async function makeShards(dir: string): Promise<string> {
  const root = join(dir, "shards");
  for (let s = 0; s < 10; s++) {
    const keys = Array.from({ length: 30 }, (_, k) => String(s * 30 + k).padStart(6, "0"));
    await writeShard(
      join(root, `shard-${s}.tar`),
      keys.flatMap((key) => [
        { name: `${key}.bin`, bytes: `pixels of ${Number(key) % 280}` },
        { name: `${key}.txt`, bytes: `caption ${key}` },
      ]),
    );
  }
  return root;
}

/** A Parquet file of 6,000 text rows in twelve row groups: a row group is a unit. */
function makeParquet(dir: string): string {
  const path = join(dir, "rows.parquet");
  writeFileSync(path, writeParquet(textTable(6_000), { rowGroupSize: 500 }));
  return path;
}

/** The datasets the recipe runs over, with the encoding the recipe's format= names; each generator returns the input path. */
const DATASETS: Array<{ name: string; format: string; make: (dir: string) => string | Promise<string> }> = [
  { name: "JSONL file", format: "jsonl", make: makeJsonl },
  { name: "folder of files", format: "files", make: makeFiles },
  { name: "folder of WebDataset shards", format: "webdataset", make: makeShards },
  { name: "Parquet file", format: "parquet", make: makeParquet },
];

/** Small units, so each of 4 parts holds several (unit sizes are part of the plan; every run here uses them). */
const UNIT_ENV = { PROVENANT_UNIT_BYTES: String(128 << 10), PROVENANT_UNIT_FILES: "4" };
const PARTS = 4;

describe("scale: the docs/scale.md Slurm recipe on a one-node cluster", function () {
  this.timeout(600_000);
  let cluster: SlurmCluster;
  let work: string;
  let project: string;
  /** What every job gets (sbatch exports the submitting environment). */
  let jobEnv: Record<string, string>;

  before(async function () {
    cluster = await startSlurmCluster();
    work = mkdtempSync(join(tmpdir(), "provenant-slurm-test-"));
    // A user's folder with provenant installed as npm lays it out: `npx provenant` runs this checkout from there.
    project = join(work, "project");
    mkdirSync(join(project, "node_modules", ".bin"), { recursive: true });
    symlinkSync(REPO, join(project, "node_modules", "provenant"));
    ensureBuiltCli();
    symlinkSync(join("..", "provenant", "dist", "provenant.js"), join(project, "node_modules", ".bin", "provenant"));
    writeFileSync(join(project, "provenant-hash.sh"), jobScript, { mode: 0o755 });
    jobEnv = {
      ...UNIT_ENV,
      // The project's Node (22) first; npm never reaches for the registry.
      PATH: `${join(REPO, "node_modules", ".bin")}:${process.env.PATH}`,
      npm_config_offline: "true",
      npm_config_update_notifier: "false",
    };
  });

  after(async function () {
    await cluster?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  /** Runs bash lines in the project folder with the jobs' environment; returns stdout. */
  function shell(lines: string, env: Record<string, string>): string {
    const r = spawnSync("bash", ["-euo", "pipefail", "-c", lines], { cwd: project, encoding: "utf8", env: { ...process.env, ...cluster.env, ...jobEnv, ...env } });
    if (r.status !== 0) throw new Error(`the recipe failed (exit ${r.status}): ${r.stderr.trim()}`);
    return r.stdout;
  }

  /** The JSON result a job printed (from its first line "{" to the line "}": the output file also holds stderr). */
  function jobJson(file: string): any {
    const lines = readFileSync(join(project, file), "utf8").split("\n");
    const from = lines.indexOf("{");
    const to = lines.indexOf("}", from);
    if (from < 0 || to < 0) throw new Error(`${file} holds no JSON result: ${lines.join("\n").slice(0, 400)}`);
    return JSON.parse(lines.slice(from, to + 1).join("\n"));
  }

  async function expectSucceeded(jobId: string) {
    const tasks = await cluster.waitFor(jobId);
    for (const t of tasks) expect(`${t.id} ${t.state} ${t.exitCode}`, readOutput(t.id)).to.equal(`${t.id} COMPLETED 0:0`);
    return tasks;
  }
  const readOutput = (id: string) => {
    const f = join(project, `slurm-${id}.out`);
    return existsSync(f) ? readFileSync(f, "utf8").slice(-2000) : "(no output)";
  };

  /** One machine, one command: the result the parts must add up to. */
  async function singleRun(input: string, home: string, format: string) {
    const r = await runCli(["dataset", "hash", input, "--format", format], { ...UNIT_ENV, PROVENANT_HOME: home });
    expect(r.code, r.stderr).to.equal(0);
    return r.json;
  }

  /** The shard CIDs an index lists, read from the local store of a data directory. */
  async function shardCids(home: string, indexCid: string): Promise<string[]> {
    return decodeShardIndex(await new LocalStore(home).get(indexCid)).shards.map((s) => s.cid);
  }

  async function expectSameCommitment(combined: any, single: any, homes: { combined: string; single: string }) {
    expect(combined).to.include({
      ok: true,
      root: single.root,
      n: single.n,
      totalSamples: single.totalSamples,
      indexCid: single.indexCid,
      manifestCid: single.manifestCid,
    });
    const shards = await shardCids(homes.single, single.indexCid);
    expect(shards).to.have.length(single.shardCount);
    expect(await shardCids(homes.combined, combined.indexCid)).to.deep.equal(shards);
  }

  for (const dataset of DATASETS) {
    it(`hashes a ${dataset.name} as a ${PARTS}-task job array whose parts combine to the single-run root, manifest and shards`, async function () {
      const dir = mkdtempSync(join(work, "run-"));
      const input = await dataset.make(dir);
      const home = { single: join(dir, "single-home"), combined: join(dir, "slurm-home") };
      const single = await singleRun(input, home.single, dataset.format);
      expect(single.units, "every part gets several units").to.be.at.least(2 * PARTS);

      const parts = join(dir, "parts");
      const { array, combine: combineJob } = submitted(
        shell(submitLines({ input, parts, n: PARTS, cpus: 1, format: dataset.format }), { PROVENANT_HOME: home.combined }),
      );
      await expectSucceeded(combineJob);
      const tasks = await expectSucceeded(array);
      expect(tasks.map((t) => t.taskId).sort()).to.deep.equal([0, 1, 2, 3]);

      await expectSameCommitment(jobJson(`slurm-${combineJob}.out`), single, home);
    });
  }

  // On the first dataset: resuming is the same plan/run machinery for every encoding.
  it("resumes a task killed mid-run from its finished units when it is resubmitted alone, and combines to the same result", async function () {
    const dir = mkdtempSync(join(work, "kill-"));
    const { format } = DATASETS[0];
    const input = await DATASETS[0].make(dir);
    const home = { single: join(dir, "single-home"), combined: join(dir, "slurm-home") };
    const single = await singleRun(input, home.single, format);
    const parts = join(dir, "parts");
    const victim = 1;
    const units = () => {
      const buckets = join(parts, `part-${victim}`, "buckets");
      return existsSync(buckets)
        ? readdirSync(buckets)
            .filter((f) => /^unit-\d+\.json$/.test(f))
            .sort()
        : [];
    };

    // While the hold file exists every task stops after its first unit (one CPU each: one unit at a time).
    const hold = join(dir, "hold");
    writeFileSync(hold, "");
    const { array, combine: firstCombine } = submitted(
      shell(submitLines({ input, parts, n: PARTS, cpus: 1, format }), { PROVENANT_HOME: home.combined, PROVENANT_TEST_HOLD_FILE: hold }),
    );
    const victimId = `${array}_${victim}`;
    await cluster.waitFor(array, (ts) => ts.some((t) => t.id === victimId && t.state === "RUNNING") && units().length > 0);

    cluster.run("scancel", [victimId]);
    await cluster.waitFor(array, (ts) => ts.some((t) => t.id === victimId && taskEnded(t)));
    rmSync(hold);

    const tasks = await cluster.waitFor(array);
    expect(tasks.find((t) => t.id === victimId)?.state).to.equal("CANCELLED");
    for (const t of tasks.filter((t) => t.id !== victimId)) expect(`${t.id} ${t.state}`, readOutput(t.id)).to.equal(`${t.id} COMPLETED`);
    // The combine behind the array can never start now, as the document says.
    const [never] = await cluster.waitFor(firstCombine, (ts) => ts[0]?.reason === "DependencyNeverSatisfied");
    expect(never.state).to.equal("PENDING");
    cluster.run("scancel", [firstCombine]);

    // Killed between its first and second unit: one unit finished, the part not.
    const finished = units();
    expect(finished).to.have.length(1);
    expect(existsSync(join(parts, `part-${victim}`, "part.json"))).to.equal(false);
    const before = finished.map((f) => stamp(join(parts, `part-${victim}`, "buckets", f)));
    const bucketBefore = stamp(join(parts, `part-${victim}`, "buckets", finished[0].replace(/\.json$/, ".bucket")));

    // Resubmitted alone with the same arguments, as the document says; then the combine again.
    const again = shell(`sbatch --parsable --array=${victim} --cpus-per-task=1 provenant-hash.sh "${input}" "${parts}" ${PARTS} --format ${format}`, {
      PROVENANT_HOME: home.combined,
    }).trim();
    await expectSucceeded(again);
    const resumed = jobJson(`slurm-${again}_${victim}.out`);
    expect(resumed.units).to.be.greaterThan(1);
    // The unit finished before the kill was kept as it was (same file, same modification time), not hashed again.
    expect(finished.map((f) => stamp(join(parts, `part-${victim}`, "buckets", f)))).to.deep.equal(before);
    expect(stamp(join(parts, `part-${victim}`, "buckets", finished[0].replace(/\.json$/, ".bucket")))).to.equal(bucketBefore);
    expect(units()).to.have.length(resumed.units);

    const combineJob = shell(`sbatch --parsable --dependency=afterok:${again} --wrap "npx provenant dataset combine ${parts}/part-* --json"`, {
      PROVENANT_HOME: home.combined,
    }).trim();
    await expectSucceeded(combineJob);
    await expectSameCommitment(jobJson(`slurm-${combineJob}.out`), single, home);
  });
});

/** The job ids the submit block prints: "hashing: job <array>; combine: job <combine>, ...". */
function submitted(out: string): { array: string; combine: string } {
  const m = /hashing: job (\d+); combine: job (\d+)/.exec(out);
  if (!m) throw new Error(`the submit block printed no job ids: ${out}`);
  return { array: m[1], combine: m[2] };
}

/** A file's identity and last write: equal stamps mean the file was not written again. */
function stamp(path: string): string {
  const s = statSync(path, { bigint: true });
  return `${s.ino}:${s.mtimeNs}`;
}
