/**
 * Scheduler rows of `npm run bench`: each dataset of BENCH_DATASETS hashed on one machine (all cores) and as a
 * 4-task Slurm job array on a one-node cluster of this machine (test/helpers/slurm.ts), with the combine behind
 * it. Per row: time, throughput per core, peak memory (VmHWM) per process, and the ratio to openssl's one-core
 * SHA-256 rate on messages of the dataset's mean sample size. The array's root must equal the single run's.
 * Alone: `node bench/scheduler.ts [--quick]` (sizes: BENCH_JSONL_LINES, …; BENCH_SLURM_TASKS,
 * BENCH_SLURM_CPUS_PER_TASK, BENCH_SCHEDULER_REPEATS).
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { REPO } from "../scripts/lib/local-chain.ts";
import { startSlurmCluster, type SlurmCluster } from "../test/helpers/slurm.ts";
import { BENCH_DATASETS, datasetSize } from "./datasets.ts";
import { opensslSha256 } from "./openssl.ts";

const CHILD = join(REPO, "bench", "hash-child.ts");
const envInt = (k: string, d: number) => {
  const v = Number(process.env[k]);
  return Number.isSafeInteger(v) && v > 0 ? v : d;
};

interface ChildResult {
  samples: number;
  bytes?: number;
  root?: string;
  manifestCid?: string;
  units?: number;
  seconds: number;
  peakMiB: number;
}

function child(args: string[]): ChildResult {
  const r = spawnSync(process.execPath, [CHILD, ...args], { encoding: "utf8", maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`bench/hash-child.ts ${args[0]} failed: ${r.stderr.trim().split("\n").at(-1)}`);
  return JSON.parse(r.stdout.trim().split("\n").at(-1)!);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** The array and its combine through Slurm, as docs/scale.md submits them; wall time from submit to combined. */
async function slurmRun(cluster: SlurmCluster, input: string, dir: string, tasks: number, cpusPerTask: number, encoding?: string) {
  const parts = join(dir, "parts");
  mkdirSync(parts, { recursive: true });
  const enc = encoding ? ` ${encoding}` : "";
  const t0 = performance.now();
  // $SLURM_ARRAY_TASK_ID and $SLURM_CPUS_PER_TASK are left for the task's shell: no shell runs sbatch here.
  const array = cluster.sbatch([
    `--array=0-${tasks - 1}`,
    `--cpus-per-task=${cpusPerTask}`,
    `--output=${join(dir, "task-%a.json")}`,
    `--error=${join(dir, "task-%a.err")}`,
    "--wrap",
    `exec ${process.execPath} ${CHILD} part ${input} $SLURM_ARRAY_TASK_ID ${tasks} ${parts}/part-$SLURM_ARRAY_TASK_ID $SLURM_CPUS_PER_TASK${enc}`,
  ]);
  const combine = cluster.sbatch([
    `--dependency=afterok:${array}`,
    `--cpus-per-task=${cluster.cpus}`,
    `--output=${join(dir, "combine.json")}`,
    `--error=${join(dir, "combine.err")}`,
    "--wrap",
    `exec ${process.execPath} ${CHILD} combine ${join(dir, "home")} ${cluster.cpus} ${Array.from({ length: tasks }, (_, i) => `${parts}/part-${i}`).join(" ")}`,
  ]);
  const ended = await cluster.waitFor(combine);
  const wall = (performance.now() - t0) / 1000;
  const read = (f: string): ChildResult => {
    try {
      return JSON.parse(readFileSync(join(dir, f), "utf8").trim().split("\n").at(-1)!);
    } catch {
      throw new Error(
        `Slurm job ${f} left no result (${ended[0].state}): ${readFileSync(join(dir, f.replace(".json", ".err")), "utf8")
          .trim()
          .split("\n")
          .at(-1)}`,
      );
    }
  };
  const taskResults = Array.from({ length: tasks }, (_, i) => read(`task-${i}.json`));
  return { wall, tasks: taskResults, combine: read("combine.json") };
}

export async function benchScheduler(options: { quick: boolean; log: (s: string) => void }): Promise<Record<string, any>> {
  const { quick, log } = options;
  const repeats = envInt("BENCH_SCHEDULER_REPEATS", quick ? 1 : 5);
  const tasks = envInt("BENCH_SLURM_TASKS", 4);
  const cpusPerTask = envInt("BENCH_SLURM_CPUS_PER_TASK", 1);
  const cores = availableParallelism();
  const work = mkdtempSync(join(tmpdir(), "provenant-bench-scheduler-"));
  const out: Record<string, any> = { repeats, tasks, cpusPerTask, cores, datasets: {} };
  let cluster: SlurmCluster | null = null;
  try {
    try {
      cluster = await startSlurmCluster();
      out.slurmNode = { cpus: cluster.cpus };
    } catch (e) {
      out.slurmSkipped = (e as Error).message.split("\n")[0];
      log(`  Slurm rows skipped: ${out.slurmSkipped}`);
    }
    for (const d of BENCH_DATASETS) {
      const size = datasetSize(d, quick);
      const dir = join(work, d.key);
      mkdirSync(dir);
      log(`\n## ${d.describe(size)}: one machine and a ${tasks}-task Slurm array`);
      const g0 = performance.now();
      const input = await d.make(dir, size);
      log(`  generated in ${((performance.now() - g0) / 1000).toFixed(1)} s`);
      const row: Record<string, any> = { name: d.describe(size), size };

      const singles: ChildResult[] = [];
      for (let i = 0; i <= repeats; i++) {
        const home = join(dir, `single-${i}`);
        const r = child(["single", input, home, String(cores), ...(d.encoding ? [d.encoding] : [])]);
        rmSync(home, { recursive: true, force: true });
        if (i > 0) singles.push(r); // the first run warms the page cache
      }
      const s = singles[0];
      const meanSample = s.bytes! / s.samples;
      const limitPerCore = opensslSha256(Math.max(1, Math.round(meanSample)), 1, quick ? 1 : 2) / Math.max(1, Math.round(meanSample));
      row.samples = s.samples;
      row.bytes = s.bytes;
      row.meanSampleBytes = meanSample;
      row.opensslPerCore = limitPerCore;
      const singleSeconds = singles.map((x) => x.seconds);
      const singlePerCore = s.samples / median(singleSeconds) / cores;
      row.oneMachine = {
        workers: cores,
        seconds: singleSeconds,
        peakMiB: Math.max(...singles.map((x) => x.peakMiB)),
        perCore: singlePerCore,
        vsOpenssl: singlePerCore / limitPerCore,
        units: s.units,
      };
      log(
        `  one machine, ${cores} workers: median ${median(singleSeconds).toFixed(2)} s (plan+hash+merge+store) = ${(singlePerCore / 1e6).toFixed(2)} M samples/s per core, ` +
          `${(100 * row.oneMachine.vsOpenssl).toFixed(0)}% of openssl's one-core rate on ${Math.round(meanSample)}-byte messages; peak ${Math.round(row.oneMachine.peakMiB)} MiB`,
      );

      if (cluster) {
        const runs: Array<Awaited<ReturnType<typeof slurmRun>>> = [];
        for (let i = 0; i <= repeats; i++) {
          const rdir = join(dir, `slurm-${i}`);
          mkdirSync(rdir);
          const r = await slurmRun(cluster, input, rdir, tasks, cpusPerTask, d.encoding);
          rmSync(rdir, { recursive: true, force: true });
          if (r.combine.root !== s.root || r.combine.manifestCid !== s.manifestCid)
            throw new Error(`the Slurm array's root ${r.combine.root} is not the single run's ${s.root}`);
          if (i > 0) runs.push(r);
        }
        const walls = runs.map((r) => r.wall);
        const used = Math.min(cluster.cpus, tasks * cpusPerTask);
        const perTask = runs[0].tasks.map((t, k) => ({
          samples: t.samples,
          seconds: median(runs.map((r) => r.tasks[k].seconds)),
          peakMiB: Math.max(...runs.map((r) => r.tasks[k].peakMiB)),
        }));
        const taskPerCore = perTask.map((t) => t.samples / t.seconds / cpusPerTask);
        const endToEndPerCore = s.samples / median(walls) / used;
        row.slurm = {
          cores: used,
          wall: walls,
          perCore: endToEndPerCore,
          vsOpenssl: endToEndPerCore / limitPerCore,
          tasks: perTask,
          taskPerCore: median(taskPerCore),
          taskVsOpenssl: median(taskPerCore) / limitPerCore,
          taskPeakMiB: Math.max(...perTask.map((t) => t.peakMiB)),
          combine: { seconds: median(runs.map((r) => r.combine.seconds)), peakMiB: Math.max(...runs.map((r) => r.combine.peakMiB)) },
        };
        log(
          `  Slurm, ${tasks} tasks x ${cpusPerTask} CPU on ${cluster.cpus} CPUs, then combine: median ${median(walls).toFixed(2)} s submit to combined = ` +
            `${(endToEndPerCore / 1e6).toFixed(2)} M samples/s per core (${(100 * row.slurm.vsOpenssl).toFixed(0)}% of openssl)`,
        );
        log(
          `    per task (hash one part, ${cpusPerTask} CPU): ${perTask.map((t) => `${t.seconds.toFixed(2)} s / ${Math.round(t.peakMiB)} MiB`).join(", ")}; ` +
            `${(row.slurm.taskPerCore / 1e6).toFixed(2)} M samples/s per core (${(100 * row.slurm.taskVsOpenssl).toFixed(0)}% of openssl)`,
        );
        log(
          `    combine (${cluster.cpus} CPUs): ${row.slurm.combine.seconds.toFixed(2)} s, peak ${Math.round(row.slurm.combine.peakMiB)} MiB; same root and manifest as one machine`,
        );
      }
      out.datasets[d.key] = row;
      rmSync(dir, { recursive: true, force: true });
    }
  } finally {
    await cluster?.stop();
    rmSync(work, { recursive: true, force: true });
  }
  return out;
}

/** The docs/benchmarks.md section for these rows. */
export function schedulerSection(r: Record<string, any>): string {
  if (!r) return "";
  const mps = (x: number) => `${(x / 1e6).toFixed(2)} M/s`;
  const s = (xs: number[]) => `${Math.min(...xs).toFixed(2)} / ${median(xs).toFixed(2)} s`;
  const rows = Object.values(r.datasets as Record<string, any>).flatMap((d: any) => [
    `| ${d.name} | one machine, ${d.oneMachine.workers} workers | ${s(d.oneMachine.seconds)} | ${mps(d.oneMachine.perCore)} | ${(100 * d.oneMachine.vsOpenssl).toFixed(0)}% | ${Math.round(d.oneMachine.peakMiB)} MiB |`,
    ...(d.slurm
      ? [
          `| | Slurm array, ${r.tasks} tasks x ${r.cpusPerTask} CPU + combine (submit to combined) | ${s(d.slurm.wall)} | ${mps(d.slurm.perCore)} | ${(100 * d.slurm.vsOpenssl).toFixed(0)}% | task ${Math.round(d.slurm.taskPeakMiB)} MiB, combine ${Math.round(d.slurm.combine.peakMiB)} MiB |`,
          `| | one array task (its part, ${r.cpusPerTask} CPU) | ${median(d.slurm.tasks.map((t: any) => t.seconds)).toFixed(2)} s | ${mps(d.slurm.taskPerCore)} | ${(100 * d.slurm.taskVsOpenssl).toFixed(0)}% | ${Math.round(d.slurm.taskPeakMiB)} MiB |`,
        ]
      : []),
  ]);
  return `## Hashing under a scheduler (one machine vs a Slurm job array)
One-node Slurm cluster on this machine (test/helpers/slurm.ts), ${r.cores} CPUs; the array's root and manifest equal the
single run's. Each case ran ${r.repeats} times after a warm-up. Per core: samples per second divided by the cores used.
openssl: its one-core SHA-256 rate on messages of the input's bytes per sample (as stored: compressed, for Parquet).
Peak memory: VmHWM of each process (task, combine, single run).
${r.slurmSkipped ? `Slurm rows skipped: ${r.slurmSkipped}\n` : ""}
| dataset | run | min / median | per core | of openssl | peak memory |
|---|---|---|---|---|---|
${rows.join("\n")}
`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const r = await benchScheduler({ quick: process.argv.includes("--quick"), log: (s) => console.log(s) });
  console.log(`\n${schedulerSection(r)}`);
  console.log(JSON.stringify(r));
}
