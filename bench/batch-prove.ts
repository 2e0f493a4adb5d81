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
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REPO, startLocalChain } from "../scripts/lib/local-chain.ts";

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const SAMPLES = arg("samples", 10_000);
const DATASET = arg("dataset", 1_000_000);
const RUNS = arg("runs", 3);
const CLI = join(REPO, "cli", "provenant.ts");

const record = (i: number) => JSON.stringify({ id: i, text: `sample number ${i} of the benchmark set`, label: i % 10 });

function cli(args: string[], env: Record<string, string>): { seconds: number; json: any } {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [CLI, ...args, "--json"], { env: { ...process.env, ...env }, maxBuffer: 1 << 28, encoding: "utf8" });
  const seconds = (performance.now() - t0) / 1000;
  let json: any = null;
  try {
    json = JSON.parse(r.stdout);
  } catch {}
  if (r.status !== 0 && !json) throw new Error(`provenant ${args.join(" ")} failed: ${r.stderr}`);
  return { seconds, json };
}

const work = mkdtempSync(join(tmpdir(), "provenant-bench-batch-"));
const chain = await startLocalChain({ deploymentId: `bench-batch-${process.pid}` });
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

  const runs: { seconds: number; timings: Record<string, number>; summary: Record<string, number> }[] = [];
  for (let r = 0; r < RUNS; r++) {
    const out = cli(["prove", "--batch", batch, "--dataset", String(mint.json.datasetId), "--out", join(work, "results.csv")], env);
    runs.push({ seconds: out.seconds, timings: out.json.timings, summary: out.json.summary });
    console.log(
      `prove --batch: ${SAMPLES} samples vs ${DATASET}: ${out.seconds.toFixed(2)} s wall (in ${out.json.summary.in}, out ${out.json.summary.out}, unknown ${out.json.summary.unknown}; ` +
        `hash ${out.json.timings.hash.toFixed(2)} s, read+prove ${out.json.timings.prove.toFixed(2)} s, verify ${out.json.timings.verify.toFixed(2)} s, contract ${out.json.timings.chain.toFixed(2)} s; ` +
        `${out.json.datasets[0].reads} shard reads, ${out.json.datasets[0].onChain.valid}/${out.json.datasets[0].onChain.checked} on-chain)`,
    );
  }
  const ancestry = cli(["check-sample", "--batch", batch, "--model", String(model.json.modelId), "--out", join(work, "results.json")], env);
  console.log(`check-sample --batch through model #${model.json.modelId}: ${ancestry.seconds.toFixed(2)} s wall`);
  const sorted = runs.map((r) => r.seconds).sort((a, b) => a - b);
  console.log(`prove --batch wall clock: min ${sorted[0].toFixed(2)} s, median ${sorted[Math.floor(sorted.length / 2)].toFixed(2)} s over ${RUNS} runs`);
  const t0 = performance.now();
  spawnSync(process.execPath, [CLI, "prove", "--help"], { env: { ...process.env, ...env } });
  console.log(`(CLI start-up alone, provenant prove --help: ${((performance.now() - t0) / 1000).toFixed(2)} s)`);
} finally {
  await chain.stop();
  rmSync(join(REPO, "ignition", "deployments", chain.deploymentId), { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
}
