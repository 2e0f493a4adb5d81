/**
 * `npm run bench`: Provenant's dataset hashing, tree and proof speed side by side with the physical limit
 * (openssl speed), the peers a user would reach for (find | xargs sha256sum, openssl dgst, a Python hashlib loop,
 * merkletreejs, @openzeppelin/merkle-tree), each dataset encoding on one machine and as a Slurm job array
 * (bench/scheduler.ts), a 100M-leaf commit, and gas, all in one run on this machine.
 * Every timed case runs REPEATS times after a warm-up and reports min and median. Prints a table, writes
 * bench-results.json and docs/benchmarks.md. `--quick` shrinks every size for a smoke run.
 * A benchmark, never a test: nothing here asserts a time; the ratios are printed for people to read.
 */
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { cpus, totalmem, tmpdir } from "node:os";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CLI, ensureBuiltCli } from "../scripts/lib/cli.ts";
import { REPO } from "../scripts/lib/local-chain.ts";
import { commitAndStore } from "../core/dataset/scale/pipeline.ts";
import { nativeHasher } from "../core/dataset/native.ts";
import { LocalStore } from "../core/storage/local-store.ts";
import { opensslSha256 } from "./openssl.ts";
import { writeJsonl } from "./datasets.ts";
import { benchScheduler, schedulerSection } from "./scheduler.ts";
import { benchCliLatency, cliLatencySection, type Timing } from "./cli-latency.ts";

const quick = process.argv.includes("--quick");
const REPEATS = quick ? 3 : 5;
const CAP_SECONDS = Number(process.env.BENCH_PEER_CAP ?? (quick ? 20 : 45));
const NODE = process.execPath;
ensureBuiltCli();
const work = mkdtempSync(join(tmpdir(), "provenant-bench-"));
const results: Record<string, any> = {};
const log = (s: string) => console.log(s);
const cores = cpus().length;
const gb = (bps: number) => `${(bps / 1e9).toFixed(2)} GB/s`;
const mps = (n: number) => `${(n / 1e6).toFixed(2)} M/s`;

/** min and median of REPEATS timings of `run` (seconds), after one untimed warm-up. */
async function repeat(run: () => Promise<number> | number, times = REPEATS): Promise<Timing> {
  await run();
  const runs: number[] = [];
  for (let i = 0; i < times; i++) runs.push(await run());
  const sorted = [...runs].sort((a, b) => a - b);
  return { min: sorted[0], median: sorted[Math.floor(sorted.length / 2)], runs };
}
const fmt = (t: Timing) => `min ${t.min.toFixed(3)} s, median ${t.median.toFixed(3)} s`;

function wall(cmd: string, args: string[], env: Record<string, string> = {}): number {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, ...env }, maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed: ${r.stderr}`);
  return (performance.now() - t0) / 1000;
}
const shell = (script: string) => wall("bash", ["-c", `set -o pipefail; ${script}`]);

const openssl = (bytes: number, multi: number) => opensslSha256(bytes, multi, quick ? 1 : 2); // bytes per second

// 1. The physical limit on this machine.
log(`# openssl speed -evp sha256 (the limit), ${cores} cores`);
const limit = {
  bulk1: openssl(1 << 20, 1),
  bulkAll: openssl(1 << 20, cores),
  msg128One: openssl(128, 1) / 128,
  msg128All: openssl(128, cores) / 128,
  msg64One: openssl(64, 1) / 64,
};
results.openssl = limit;
log(`  1 MiB blocks: ${gb(limit.bulk1)} one core, ${gb(limit.bulkAll)} all cores`);
log(`  128-byte messages: ${mps(limit.msg128One)} one core, ${mps(limit.msg128All)} all cores; 64-byte: ${mps(limit.msg64One)} one core`);

// 2. Inputs (warm page cache: each case runs once untimed first).
const bigDir = join(work, "big");
const smallDir = join(work, "small");
const jsonl = join(work, "lines.jsonl");
mkdirSync(bigDir);
mkdirSync(smallDir);
const bigFiles = quick ? 2 : 4;
for (let i = 0; i < bigFiles; i++) writeFileSync(join(bigDir, `w${i}.bin`), randomBytes(128 << 20));
const smallCount = quick ? 7_000 : 70_000;
for (let i = 0; i < smallCount; i++) writeFileSync(join(smallDir, `${i}.bin`), randomBytes(1024));
const lineCount = quick ? 200_000 : 4_000_000;
writeJsonl(jsonl, lineCount);
const pythonLoop = join(work, "loop.py");
writeFileSync(
  pythonLoop,
  [
    "import hashlib, os, sys",
    "digests = []",
    "if sys.argv[1] == 'lines':",
    "    with open(sys.argv[2], 'rb') as f:",
    "        for line in f:",
    "            line = line.rstrip(b'\\n')",
    "            if line.endswith(b'\\r'): line = line[:-1]",
    "            if line: digests.append(hashlib.sha256(line).digest())",
    "else:",
    "    for root, dirs, files in os.walk(sys.argv[2]):",
    "        for name in files:",
    "            with open(os.path.join(root, name), 'rb') as f: digests.append(hashlib.sha256(f.read()).digest())",
    "print(len(digests))",
  ].join("\n"),
);

/** The library's two phases in this process (hash into bucket files; merge into stored shards), on `workers`. */
async function phases(input: string, workers: number, env: Record<string, string> = {}) {
  const saved = { ...process.env };
  Object.assign(process.env, env);
  const rows = { plan: [] as number[], hash: [] as number[], merge: [] as number[], samples: 0, bytes: 0 };
  try {
    const once = async () => {
      const home = mkdtempSync(join(work, "home-"));
      const r = await commitAndStore(input, new LocalStore(home), { name: "bench" }, { workDir: join(home, "work"), workers });
      rmSync(home, { recursive: true, force: true });
      rows.samples = r.manifest.totalSamples;
      rows.bytes = r.manifest.bytes;
      return r.timings;
    };
    await once();
    for (let i = 0; i < REPEATS; i++) {
      const t = await once();
      rows.plan.push(t.planSeconds ?? 0);
      rows.hash.push(t.hashSeconds);
      rows.merge.push(t.mergeSeconds);
    }
  } finally {
    for (const k of Object.keys(env)) delete process.env[k];
    Object.assign(process.env, saved);
  }
  const stat = (xs: number[]): Timing => {
    const s = [...xs].sort((a, b) => a - b);
    return { min: s[0], median: s[Math.floor(s.length / 2)], runs: xs };
  };
  const total = rows.hash.map((h, i) => h + rows.merge[i]);
  return { samples: rows.samples, bytes: rows.bytes, plan: stat(rows.plan), hash: stat(rows.hash), merge: stat(rows.merge), total: stat(total) };
}

/** `provenant dataset hash <input>` as a user runs it: a fresh process and a fresh data directory each time. */
async function cli(input: string, args: string[] = [], env: Record<string, string> = {}): Promise<Timing> {
  return repeat(() => {
    const home = mkdtempSync(join(work, "cli-"));
    try {
      return wall(NODE, [CLI, "dataset", "hash", input, "--json", "--data-dir", home, ...args], env);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
}

log(`\n# small commands: start-up and one proof (built CLI, sources, npx)`);
results.cliLatency = await benchCliLatency({ quick, work, repeat, log });

const backend = nativeHasher() ? "native" : "JavaScript (native build missing)";
log(`\n# dataset hashing, warm cache, ${REPEATS} runs each after a warm-up (hashing backend: ${backend})`);
const startup = await repeat(() => wall(NODE, [CLI, "--version"]));
results.cliStartup = startup;
log(`  CLI start-up (provenant --version): ${fmt(startup)}`);
const oneLine = join(work, "one.jsonl");
writeFileSync(oneLine, '{"id":0}\n');
const fixedCost = await cli(oneLine);
results.cliFixedCost = fixedCost;
log(`  fixed cost of a run (provenant dataset hash of a one-line file): ${fmt(fixedCost)}`);

const hashing: Record<string, any> = {};
const rateOf = (n: number, t: Timing) => ({ perSecondAtMin: n / t.min, perSecondAtMedian: n / t.median });

for (const [key, name, input] of [
  ["big", `big files (${bigFiles} x 128 MiB)`, bigDir],
  ["small", `1 KiB files (${smallCount.toLocaleString()})`, smallDir],
  ["jsonl", `JSONL lines (${lineCount.toLocaleString()}, ~100 B)`, jsonl],
] as const) {
  log(`\n## ${name}`);
  const row: Record<string, any> = { name };
  const one = await phases(input, 1);
  const all = await phases(input, cores);
  row.samples = all.samples;
  row.bytes = all.bytes;
  row.phases = { oneWorker: one, allWorkers: all };
  log(`  phases, 1 worker:  hash ${fmt(one.hash)} (of which plan ${fmt(one.plan)}); merge+store ${fmt(one.merge)}`);
  log(`  phases, ${cores} workers: hash ${fmt(all.hash)} (of which plan ${fmt(all.plan)}); merge+store ${fmt(all.merge)}`);
  log(`  ${cores} workers vs 1 (median hash+merge): ${(one.total.median / all.total.median).toFixed(2)}x`);
  row.cli = await cli(input);
  log(`  end to end (provenant dataset hash): ${fmt(row.cli)}  = ${(all.samples / row.cli.min).toFixed(0)} samples/s, ${gb(all.bytes / row.cli.min)} at min`);
  if (key !== "big") {
    row.cliJs = await cli(input, [], { PROVENANT_NATIVE: "0" });
    log(`  end to end, JavaScript path (PROVENANT_NATIVE=0): ${fmt(row.cliJs)}`);
  }
  const peers: Record<string, Timing> = {};
  if (key === "jsonl") {
    peers.python = await repeat(() => wall("python3", [pythonLoop, "lines", input]));
  } else {
    // Big files: one file per command so both cores get work; small files: xargs' own batching, as users type it.
    const n = key === "big" ? "-n 1 " : "";
    peers.sha256sum = await repeat(() => shell(`find ${input} -type f -print0 | xargs -0 ${n}-P${cores} sha256sum > /dev/null`));
    peers.opensslDgst = await repeat(() => shell(`find ${input} -type f -print0 | xargs -0 ${n}-P${cores} openssl dgst -sha256 > /dev/null`));
    if (key === "small") peers.python = await repeat(() => wall("python3", [pythonLoop, "files", input]));
  }
  row.peers = peers;
  for (const [p, t] of Object.entries(peers)) log(`  peer ${p}: ${fmt(t)}  (provenant end to end / peer at min: ${(row.cli.min / t.min).toFixed(2)}x the time)`);
  row.rates = { cli: rateOf(all.samples, row.cli), cliBytes: rateOf(all.bytes, row.cli) };
  if (key === "jsonl") {
    row.vsOpenssl128All = row.rates.cli.perSecondAtMin / limit.msg128All;
    row.vsPython = peers.python.min / row.cli.min;
    log(
      `  => ${mps(row.rates.cli.perSecondAtMin)} lines end to end = ${(100 * row.vsOpenssl128All).toFixed(0)}% of openssl's 128-byte all-core rate, ${row.vsPython.toFixed(2)}x the Python loop`,
    );
  } else if (key === "small") {
    row.vsSha256sum = peers.sha256sum.min / row.cli.min;
    log(`  => end to end ${row.vsSha256sum.toFixed(2)}x the speed of find | xargs -P${cores} sha256sum`);
  } else {
    row.vsOpensslBulkAll = row.rates.cliBytes.perSecondAtMin / limit.bulkAll;
    row.phaseVsOpensslBulkAll = all.bytes / all.hash.min / limit.bulkAll;
    log(
      `  => end to end ${(100 * row.vsOpensslBulkAll).toFixed(0)}% of openssl's all-core bulk rate (hash phase alone ${(100 * row.phaseVsOpensslBulkAll).toFixed(0)}%)`,
    );
  }
  hashing[key] = row;
}
results.hashing = hashing;
rmSync(bigDir, { recursive: true, force: true });
rmSync(smallDir, { recursive: true, force: true });
rmSync(jsonl, { force: true });

// 2b. Each dataset encoding on one machine and as a Slurm job array (bench/scheduler.ts).
log(`\n# hashing under a scheduler: one machine vs a Slurm job array`);
try {
  results.scheduler = await benchScheduler({ quick, log });
} catch (e) {
  log(`  scheduler rows failed: ${(e as Error).message}`);
}

// 3. Tree build and proof by sample hash against the peers, each once in its own process with a time cap.
function peer(impl: string, n: number): Promise<Record<string, unknown>> {
  return new Promise((resolve) => {
    const child = spawn(NODE, ["--max-old-space-size=16384", join(REPO, "bench", "peers.ts"), impl, String(n)], { stdio: ["ignore", "pipe", "ignore"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), CAP_SECONDS * 1000);
    child.on("exit", () => {
      clearTimeout(timer);
      try {
        resolve(JSON.parse(out));
      } catch {
        resolve({ impl, n, capped: true, capSeconds: CAP_SECONDS });
      }
    });
  });
}
const sizes = quick ? [100_000] : [100_000, 1_000_000];
const trees: Record<string, unknown>[] = [];
log(`\n# tree build and proof by sample hash (peers run once, capped at ${CAP_SECONDS} s)`);
for (const n of sizes) {
  for (const impl of ["provenant", "merkletreejs", "openzeppelin"]) {
    const r = await peer(impl, n);
    trees.push(r);
    log(
      `  n=${String(n).padEnd(8)} ${impl.padEnd(13)} ` +
        (r.capped
          ? `did not finish within ${CAP_SECONDS} s`
          : `build ${(r.buildSeconds as number).toFixed(3)} s, proof ${(r.proofMicros as number).toFixed(1)} µs, peak ${Math.round(r.maxRssMiB as number)} MiB`),
    );
  }
  const ours = trees.find((t) => t.impl === "provenant" && t.n === n)!;
  for (const impl of ["merkletreejs", "openzeppelin"]) {
    const p = trees.find((t) => t.impl === impl && t.n === n)!;
    if (!p.capped)
      log(
        `    ${impl}/provenant: build ${((p.buildSeconds as number) / (ours.buildSeconds as number)).toFixed(0)}x, proof ${((p.proofMicros as number) / (ours.proofMicros as number)).toFixed(0)}x`,
      );
    else log(`    ${impl}/provenant: build > ${(CAP_SECONDS / (ours.buildSeconds as number)).toFixed(0)}x (capped)`);
  }
}
results.trees = trees;

// 4. A synthetic 100M-leaf commit: time, peak memory, and one proof's reads and bytes.
const leaves = quick ? 5_000_000 : 100_000_000;
log(`\n# commit of ${leaves.toLocaleString()} synthetic leaves (bucket files -> merge -> 2 MiB shards in the local store)`);
{
  const dir = join(work, "scale");
  const out = execFileSync("/usr/bin/time", ["-f", "%M", NODE, join(REPO, "bench", "scale-child.ts"), String(leaves), dir], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    maxBuffer: 1 << 20,
  });
  const r = JSON.parse(out.trim().split("\n").at(-1)!);
  results.scale = r;
  log(
    `  ${r.leaves} leaves, ${r.shards} shards: bucket files written in ${r.runsSeconds.toFixed(1)} s, merged and stored in ${r.mergeAndStoreSeconds.toFixed(1)} s; peak ${Math.round(r.maxRssMiB)} MiB`,
  );
  log(`  one proof: ${r.proof.reads} reads, ${(r.proof.bytesRead / 2 ** 20).toFixed(2)} MiB, ${r.proof.ms.toFixed(1)} ms`);
  const shards1B = Math.ceil(1e9 / 65536);
  const bytes1B = 64 + shards1B * 100 + 65536 * 32 + 1024;
  results.proofAt1B = { reads: 3, bytes: bytes1B, shards: shards1B };
  log(`  at 1B leaves (from the format): 3 reads, ${(bytes1B / 2 ** 20).toFixed(2)} MiB (index ${shards1B} entries + one 2 MiB shard + manifest)`);
  rmSync(dir, { recursive: true, force: true });
}

// 5. Gas, from the contract tests' own measurement.
/** gas-report.json in one line: mint, then the proof calls by tree depth. */
function gasLine(gas: { mint: { firstOfPublisher: number; later: number }; inclusion: object; exclusion: object; recordInclusion: object }): string {
  const n = (x: number) => x.toLocaleString("en-US");
  return `mint ${n(gas.mint.firstOfPublisher)} (a publisher's first), ${n(gas.mint.later)} (later); verifyInclusion ${JSON.stringify(gas.inclusion)}; verifyExclusion ${JSON.stringify(gas.exclusion)}; recordInclusion ${JSON.stringify(gas.recordInclusion)} (by tree depth)`;
}
log(`\n# gas (Hardhat simulated network, cancun)`);
try {
  execFileSync(join(REPO, "node_modules", ".bin", "hardhat"), ["test", "mocha", "test/contracts/gas.test.ts"], { cwd: REPO, stdio: "ignore" });
  const gas = JSON.parse(readFileSync(join(REPO, "gas-report.json"), "utf8"));
  results.gas = gas;
  log(`  ${gasLine(gas)}`);
} catch (e) {
  log(`  gas test failed: ${(e as Error).message}`);
}

const machine = {
  cpu: cpus()[0]?.model,
  cores,
  memoryGiB: Math.round(totalmem() / 2 ** 30),
  node: process.version,
  date: new Date().toISOString(),
  loadAverageAtEnd: readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" "),
  hashingBackend: backend,
  repeats: REPEATS,
  quick,
};
results.machine = machine;
writeFileSync(join(REPO, quick ? "bench-results.local.json" : "bench-results.json"), `${JSON.stringify(results, null, 2)}\n`);
if (!quick) writeBenchmarksDoc(results);
rmSync(work, { recursive: true, force: true });

function writeBenchmarksDoc(r: Record<string, any>) {
  const t = (x: Timing) => `${x.min.toFixed(3)} / ${x.median.toFixed(3)} s`;
  const h = r.hashing;
  // Pipes inside a table cell must be escaped, code spans included.
  const row = (label: string, x: any, count: number, bytes?: number) =>
    `| ${label.replaceAll("|", "\\|")} | ${t(x)} | ${Math.round(count / x.min).toLocaleString()}/s${bytes === undefined ? "" : ` · ${gb(bytes / x.min)}`} |`;
  const section = (key: string, extra: string) => {
    const v = h[key];
    const rows = [
      row("plan (inside the hash phase)", v.phases.allWorkers.plan, v.samples),
      row("hash phase, 1 worker", v.phases.oneWorker.hash, v.samples, v.bytes),
      row(`hash phase, ${r.machine.cores} workers`, v.phases.allWorkers.hash, v.samples, v.bytes),
      row("merge + store phase, 1 worker", v.phases.oneWorker.merge, v.samples),
      row(`merge + store phase, ${r.machine.cores} workers`, v.phases.allWorkers.merge, v.samples),
      row("**end to end: `provenant dataset hash`**", v.cli, v.samples, v.bytes),
      ...(v.cliJs ? [row("end to end, JavaScript path (`PROVENANT_NATIVE=0`)", v.cliJs, v.samples, v.bytes)] : []),
      ...Object.entries(v.peers).map(([p, x]: [string, any]) => row(`peer: ${peerLabel(p, key)}`, x, v.samples, v.bytes)),
    ];
    return `### ${v.name}\n| case | min / median | rate at min |\n|---|---|---|\n${rows.join("\n")}\n\n${extra}\n`;
  };
  const peerLabel = (p: string, key: string) => {
    const n = key === "big" ? "-n 1 " : "";
    if (p === "sha256sum") return `\`find | xargs -0 ${n}-P${r.machine.cores} sha256sum\``;
    if (p === "opensslDgst") return `\`find | xargs -0 ${n}-P${r.machine.cores} openssl dgst -sha256\``;
    return key === "jsonl" ? "Python `hashlib` loop over lines (one core)" : "Python `hashlib` loop over files (one core)";
  };
  const treeRows = (r.trees as any[]).map((x) =>
    x.capped
      ? `| ${x.n.toLocaleString()} | ${x.impl} | > ${x.capSeconds} s (cap) | — | — |`
      : `| ${x.n.toLocaleString()} | ${x.impl} | ${x.buildSeconds.toFixed(3)} s | ${x.proofMicros.toFixed(1)} µs | ${Math.round(x.maxRssMiB)} MiB |`,
  );
  const speedup = (key: string) => (h[key].phases.oneWorker.total.median / h[key].phases.allWorkers.total.median).toFixed(2);
  const doc = `# Benchmarks

Latest \`npm run bench\` run. Machine: ${r.machine.cpu}, ${r.machine.cores} cores, ${r.machine.memoryGiB} GiB, Node ${r.machine.node}, ${r.machine.date}
(load average at the end ${r.machine.loadAverageAtEnd}). Hashing backend: ${r.machine.hashingBackend}.
Every timed case ran ${r.machine.repeats} times after a warm-up (warm page cache); tables give min / median. Ratios compare
figures from this one run. \`bench-results.json\` has every number.

## SHA-256 limit (openssl speed -evp sha256)
1 MiB blocks: ${gb(r.openssl.bulk1)} on one core, ${gb(r.openssl.bulkAll)} on all cores.
128-byte messages: ${mps(r.openssl.msg128One)} on one core, ${mps(r.openssl.msg128All)} on all cores. 64-byte: ${mps(r.openssl.msg64One)} on one core.
CLI start-up (\`provenant --version\`): ${t(r.cliStartup)}. Fixed cost of a run (\`provenant dataset hash\` of a one-line file:
start-up, module loading, plan, store): ${t(r.cliFixedCost)}; it is inside every end-to-end row.

${cliLatencySection(r.cliLatency)}
## Dataset hashing (plan → units → bucket files → merge → 2 MiB shards in the local store)
${section("jsonl", `JSONL end to end: **${mps(h.jsonl.rates.cli.perSecondAtMin)} lines**, ${(100 * h.jsonl.vsOpenssl128All).toFixed(0)}% of openssl's 128-byte all-core rate, ${h.jsonl.vsPython.toFixed(2)}x the Python loop. ${r.machine.cores} workers vs 1 (hash + merge, median): ${speedup("jsonl")}x.`)}
${section("small", `1 KiB files end to end: **${h.small.vsSha256sum.toFixed(2)}x the speed** of \`find | xargs -0 -P${r.machine.cores} sha256sum\`. ${r.machine.cores} workers vs 1: ${speedup("small")}x.`)}
${section("big", `Big files end to end: **${(100 * h.big.vsOpensslBulkAll).toFixed(0)}%** of openssl's all-core bulk rate (hash phase alone ${(100 * h.big.phaseVsOpensslBulkAll).toFixed(0)}%). ${r.machine.cores} workers vs 1: ${speedup("big")}x.`)}
How: one native call (native/hash.c, N-API) walks a files dataset with its sizes, and one hashes a whole unit — every record
of a byte range (two records at a time with the SHA extensions), or every file of a list (opened relative to its directory) —
and writes its bucket file; units run on libuv's thread pool inside one process. The merge sorts bucket ranges on the pool and
hands them to the shard writer in order; each shard's tree (64-byte nodes two at a time with the SHA extensions), its CID's
256 KiB leaf digests and its write into the local store run on the pool too, so the main thread only cuts and names shards.
The JavaScript path (child processes, node:crypto per sample) gives the same roots and is what runs when the native build is missing.

${r.scheduler ? schedulerSection(r.scheduler) : ""}
## Tree build and proof by sample hash
| leaves | implementation | build | proof | peak memory |
|---|---|---|---|---|
${treeRows.join("\n")}

Provenant: flat levels, 64-byte nodes hashed in batches by @chainsafe/hashtree, proof by binary search on the sorted leaves.
merkletreejs and StandardMerkleTree: proof by leaf value (both scan or hash-map the leaves), timed over 5 proofs; each runs once.

## 100M leaves
${r.scale.leaves.toLocaleString()} synthetic leaves: bucket files written in ${r.scale.runsSeconds.toFixed(1)} s, merged into ${r.scale.shards} shards and stored in ${r.scale.mergeAndStoreSeconds.toFixed(1)} s, peak memory ${Math.round(r.scale.maxRssMiB)} MiB.
One proof read ${r.scale.proof.reads} objects, ${(r.scale.proof.bytesRead / 2 ** 20).toFixed(2)} MiB. At 1B leaves the format gives ${r.proofAt1B.reads} reads and ${(r.proofAt1B.bytes / 2 ** 20).toFixed(2)} MiB.

## Gas
${r.gas ? `${gasLine(r.gas)}.` : "not measured in this run"}
`;
  writeFileSync(join(REPO, "docs", "benchmarks.md"), doc);
  // Tables aligned as the tree's formatting check (npm run lint) wants them.
  spawnSync(join(REPO, "node_modules", ".bin", "prettier"), ["--write", "docs/benchmarks.md"], { cwd: REPO, stdio: "ignore" });
}
