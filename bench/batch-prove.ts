/**
 * Batch proving benchmark (issue 14 §2): 10,000 samples against a 1M-sample dataset from the CLI, as a user runs
 * it: `provenant prove --batch samples.jsonl --dataset 1 --out results.csv`, wall clock from process start to
 * exit, on a local Hardhat chain. Half the samples are records of the dataset, half are altered records. Also
 * `check-sample --batch` through a model trained on that dataset. Prints the timings and the report's own split
 * (hashing, reading and proving, local verification, contract calls). A benchmark, never a test.
 *
 *   node bench/batch-prove.ts [--samples 10000] [--dataset 1000000] [--runs 3]
 */
import { spawnSync } from "node:child_process";
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REPO, startLocalChain } from "../scripts/lib/local-chain.ts";
import { CLI, ensureBuiltCli } from "../scripts/lib/cli.ts";

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const SAMPLES = arg("samples", 10_000);
const DATASET = arg("dataset", 1_000_000);
const RUNS = arg("runs", 3);
ensureBuiltCli();

const record = (i: number) => JSON.stringify({ id: i, text: `sample number ${i} of the benchmark set`, label: i % 10 });

/** Runs the CLI under /usr/bin/time: wall clock, and CPU seconds (user + system), which load on a shared machine inflates less. */
function cli(args: string[], env: Record<string, string>, json = true): { seconds: number; cpu: number; json: any; stdout: string } {
  const t0 = performance.now();
  const r = spawnSync("/usr/bin/time", ["-f", "TIME %U %S", process.execPath, CLI, ...args, ...(json ? ["--json"] : [])], {
    env: { ...process.env, ...env },
    maxBuffer: 1 << 28,
    encoding: "utf8",
  });
  const seconds = (performance.now() - t0) / 1000;
  const [, user, sys] = /TIME ([\d.]+) ([\d.]+)/.exec(r.stderr) ?? ["", "0", "0"];
  const cpu = Number(user) + Number(sys);
  let parsed: any = null;
  try {
    parsed = JSON.parse(r.stdout);
  } catch {}
  if (r.status !== 0) throw new Error(`provenant ${args.join(" ")} failed: ${r.stderr}`);
  return { seconds, cpu, json: parsed, stdout: r.stdout };
}

const work = mkdtempSync(join(tmpdir(), "provenant-bench-batch-"));
const chain = await startLocalChain({ deploymentId: `bench-batch-${process.pid}` });
const cleanUp = async () => {
  await chain.stop();
  rmSync(join(REPO, "ignition", "deployments", chain.deploymentId), { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
};
process.once("SIGTERM", () => void cleanUp().then(() => process.exit(1)));
try {
  const env = { ...chain.env, PROVENANT_HOME: join(work, "home") };
  const data = join(work, "data.jsonl");
  const fd = openSync(data, "w");
  for (let i = 0; i < DATASET; i += 10_000) {
    let chunk = "";
    for (let j = i; j < Math.min(DATASET, i + 10_000); j++) chunk += `${record(j)}\n`;
    writeSync(fd, chunk);
  }
  closeSync(fd);
  const mint = cli(["dataset", "mint", data, "--name", "bench 1M", "--license", "CC0-1.0"], env);
  console.log(`minted ${mint.json.n} samples in ${mint.seconds.toFixed(1)} s (dataset #${mint.json.datasetId}, ${mint.json.shardCount} shards)`);
  const weights = join(work, "weights");
  mkdirSync(weights);
  writeFileSync(join(weights, "model.safetensors"), randomBytes(10_000));
  const model = cli(["model", "register", weights, "--name", "bench", "--version", "1.0.0", "--dataset", `${mint.json.datasetId}:training`], env);

  const lines: string[] = [];
  for (let k = 0; k < SAMPLES; k++) {
    const i = Math.floor(Math.random() * DATASET);
    lines.push(k % 2 === 0 ? record(i) : record(i).replace("benchmark", "altered"));
  }
  const batch = join(work, "batch.jsonl");
  writeFileSync(batch, `${lines.join("\n")}\n`);

  // As a user runs it: results to a file (CSV), one summary on the terminal; the JSON results give the split.
  const runs: { seconds: number; cpu: number }[] = [];
  for (let r = 0; r < RUNS; r++) {
    const csv = cli(["prove", "--batch", batch, "--dataset", String(mint.json.datasetId), "--out", join(work, "results.csv")], env, false);
    const out = cli(["prove", "--batch", batch, "--dataset", String(mint.json.datasetId), "--out", join(work, "results.json")], env, false);
    const report = JSON.parse(readFileSync(join(work, "results.json"), "utf8"));
    runs.push({ seconds: csv.seconds, cpu: csv.cpu });
    console.log(
      `prove --batch (--out results.csv): ${SAMPLES} samples vs ${DATASET}: ${csv.seconds.toFixed(2)} s wall, ${csv.cpu.toFixed(2)} s CPU; ` +
        `same with --out results.json: ${out.seconds.toFixed(2)} s wall (in ${report.summary.in}, out ${report.summary.out}, unknown ${report.summary.unknown}; ` +
        `hash ${report.timings.hash.toFixed(2)} s, read+prove ${report.timings.prove.toFixed(2)} s, verify ${report.timings.verify.toFixed(2)} s, contract ${report.timings.chain.toFixed(2)} s; ` +
        `${report.datasets[0].reads} shard reads, ${report.datasets[0].onChain.valid}/${report.datasets[0].onChain.checked} on-chain)`,
    );
  }
  const ancestry = cli(["check-sample", "--batch", batch, "--model", String(model.json.modelId), "--out", join(work, "results-model.csv")], env, false);
  console.log(`check-sample --batch through model #${model.json.modelId}: ${ancestry.seconds.toFixed(2)} s wall, ${ancestry.cpu.toFixed(2)} s CPU`);
  const sorted = runs.map((r) => r.seconds).sort((a, b) => a - b);
  const cpus = runs.map((r) => r.cpu).sort((a, b) => a - b);
  console.log(
    `prove --batch: wall min ${sorted[0].toFixed(2)} s, median ${sorted[Math.floor(sorted.length / 2)].toFixed(2)} s; CPU min ${cpus[0].toFixed(2)} s over ${RUNS} runs`,
  );
  console.log(
    `load average at the end: ${(await import("node:os"))
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(" ")} on ${(await import("node:os")).cpus().length} cores`,
  );
  const t0 = performance.now();
  spawnSync(process.execPath, [CLI, "prove", "--help"], { env: { ...process.env, ...env } });
  console.log(`(CLI start-up alone, provenant prove --help: ${((performance.now() - t0) / 1000).toFixed(2)} s)`);
} finally {
  await cleanUp();
}
