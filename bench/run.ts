/**
 * `npm run bench`: Provenant's hashing, tree and proof speed side by side with the physical limit (openssl) and
 * the peers (merkletreejs, @openzeppelin/merkle-tree), a 100M-leaf commit, and gas, all in one run.
 * Prints a table, writes bench-results.json and docs/benchmarks.md. `--quick` shrinks every size for a smoke run.
 * A benchmark, never a test: nothing here asserts a time.
 */
import { execFileSync, spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { cpus, totalmem, tmpdir } from "node:os";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { REPO } from "../scripts/lib/local-chain.ts";
import { hashUnits } from "../core/dataset/scale/pipeline.ts";

const quick = process.argv.includes("--quick");
const CAP_SECONDS = Number(process.env.BENCH_PEER_CAP ?? (quick ? 20 : 120));
const NODE = process.execPath;
const work = mkdtempSync(join(tmpdir(), "provenant-bench-"));
const results: Record<string, unknown> = {};
const log = (s: string) => console.log(s);

function openssl(bytes: number, multi: number): number {
  const args = ["speed", "-evp", "sha256", "-seconds", quick ? "1" : "3", "-bytes", String(bytes), ...(multi > 1 ? ["-multi", String(multi)] : [])];
  const out = execFileSync("openssl", args, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
  const line = out.trim().split("\n").filter((l) => /sha256/.test(l)).at(-1)!;
  const k = Number(line.trim().split(/\s+/).at(-1)!.replace(/k$/, ""));
  return k * 1000; // bytes per second
}

async function timeHash(input: string, workers: number): Promise<{ seconds: number; samples: number; bytes: number }> {
  const workDir = join(work, `w-${Math.random().toString(16).slice(2)}`);
  const t0 = performance.now();
  const r = await hashUnits(input, { workDir, workers });
  const seconds = (performance.now() - t0) / 1000;
  rmSync(workDir, { recursive: true, force: true });
  return { seconds, samples: r.stats.reduce((a, s) => a + s.samples, 0), bytes: r.stats.reduce((a, s) => a + s.bytes, 0) };
}

const cores = cpus().length;
const gb = (bps: number) => `${(bps / 1e9).toFixed(2)} GB/s`;

// 1. The physical limit on this machine.
log(`# openssl speed -evp sha256 (the limit), ${cores} cores`);
const limit = {
  bulk1: openssl(1 << 20, 1),
  bulkAll: openssl(1 << 20, cores),
  small1: openssl(64, 1) / 64,
  smallAll: openssl(64, cores) / 64,
};
results.openssl = limit;
log(`  1 MiB blocks: ${gb(limit.bulk1)} one core, ${gb(limit.bulkAll)} all cores; 64-byte messages: ${(limit.small1 / 1e6).toFixed(2)} M/s one core`);

// 2. Sample hashing through the real pipeline (plan, units on child processes, bucketed runs).
const bigDir = join(work, "big");
const smallDir = join(work, "small");
const jsonl = join(work, "lines.jsonl");
mkdirSync(bigDir);
mkdirSync(smallDir);
const bigFiles = quick ? 4 : 8;
for (let i = 0; i < bigFiles; i++) writeFileSync(join(bigDir, `w${i}.bin`), randomBytes(128 << 20));
const smallCount = quick ? 7_000 : 70_000;
for (let i = 0; i < smallCount; i++) writeFileSync(join(smallDir, `${i}.bin`), randomBytes(1024));
const lineCount = quick ? 100_000 : 1_000_000;
{
  const parts: string[] = [];
  for (let i = 0; i < lineCount; i++) parts.push(`{"id":${i},"text":"${createHash("sha256").update(String(i)).digest("hex")}","label":${i % 10}}`);
  writeFileSync(jsonl, parts.join("\n") + "\n");
}
const hashing: Record<string, unknown> = {};
log(`\n# sample hashing (warm cache): provenant vs openssl`);
for (const [name, input] of [["big files (128 MiB)", bigDir], ["1 KiB files", smallDir], ["JSONL lines (~100 B)", jsonl]] as const) {
  await timeHash(input, 1); // warm the page cache
  const one = await timeHash(input, 1);
  const all = await timeHash(input, cores);
  const row = {
    samples: one.samples,
    bytes: one.bytes,
    oneCore: { seconds: one.seconds, bytesPerSecond: one.bytes / one.seconds, samplesPerSecond: one.samples / one.seconds },
    allCores: { seconds: all.seconds, bytesPerSecond: all.bytes / all.seconds, samplesPerSecond: all.samples / all.seconds },
  };
  hashing[name] = row;
  const vsLimit = name.startsWith("big") ? ` = ${((100 * row.allCores.bytesPerSecond) / limit.bulkAll).toFixed(0)}% of openssl all-core` : "";
  log(
    `  ${name.padEnd(22)} ${one.samples} samples: one core ${one.seconds.toFixed(2)} s (${gb(row.oneCore.bytesPerSecond)}, ${Math.round(row.oneCore.samplesPerSecond)}/s); ` +
      `${cores} cores ${all.seconds.toFixed(2)} s (${gb(row.allCores.bytesPerSecond)}, ${Math.round(row.allCores.samplesPerSecond)}/s)${vsLimit}`,
  );
}
results.hashing = hashing;
rmSync(bigDir, { recursive: true, force: true });

// 3. Tree build and proof by sample hash against the peers, each in its own process with a time cap.
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
const sizes = quick ? [100_000, 1_000_000] : [100_000, 1_000_000, 4_000_000];
const trees: Record<string, unknown>[] = [];
log(`\n# tree build and proof by sample hash (peers capped at ${CAP_SECONDS} s)`);
for (const n of sizes) {
  for (const impl of ["provenant", "merkletreejs", "openzeppelin"]) {
    const r = await peer(impl, n);
    trees.push(r);
    log(
      `  n=${String(n).padEnd(8)} ${impl.padEnd(13)} ` +
        (r.capped ? `did not finish within ${CAP_SECONDS} s` : `build ${(r.buildSeconds as number).toFixed(3)} s, proof ${(r.proofMicros as number).toFixed(1)} µs, peak ${Math.round(r.maxRssMiB as number)} MiB`),
    );
  }
  const ours = trees.find((t) => t.impl === "provenant" && t.n === n)!;
  for (const impl of ["merkletreejs", "openzeppelin"]) {
    const p = trees.find((t) => t.impl === impl && t.n === n)!;
    if (!p.capped) log(`    ${impl}/provenant: build ${((p.buildSeconds as number) / (ours.buildSeconds as number)).toFixed(0)}x, proof ${((p.proofMicros as number) / (ours.proofMicros as number)).toFixed(0)}x`);
    else log(`    ${impl}/provenant: build > ${(CAP_SECONDS / (ours.buildSeconds as number)).toFixed(0)}x (capped)`);
  }
}
results.trees = trees;

// 4. A synthetic 100M-leaf commit: time, peak memory, and one proof's reads and bytes.
const leaves = quick ? 5_000_000 : 100_000_000;
log(`\n# commit of ${leaves.toLocaleString()} synthetic leaves (bucketed runs -> merge -> 2 MiB shards in the local store)`);
{
  const dir = join(work, "scale");
  const out = execFileSync("/usr/bin/time", ["-f", "%M", NODE, join(REPO, "bench", "scale-child.ts"), String(leaves), dir], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 1 << 20 });
  const r = JSON.parse(out.trim().split("\n").at(-1)!);
  results.scale = r;
  log(`  ${r.leaves} leaves, ${r.shards} shards: runs written in ${r.runsSeconds.toFixed(1)} s, merged and stored in ${r.mergeAndStoreSeconds.toFixed(1)} s; peak ${Math.round(r.maxRssMiB)} MiB`);
  log(`  one proof: ${r.proof.reads} reads, ${(r.proof.bytesRead / 2 ** 20).toFixed(2)} MiB, ${r.proof.ms.toFixed(1)} ms`);
  const shards1B = Math.ceil(1e9 / 65536);
  const bytes1B = 64 + shards1B * 100 + 65536 * 32 + 1024;
  results.proofAt1B = { reads: 3, bytes: bytes1B, shards: shards1B };
  log(`  at 1B leaves (from the format): 3 reads, ${(bytes1B / 2 ** 20).toFixed(2)} MiB (index ${shards1B} entries + one 2 MiB shard + manifest)`);
  rmSync(dir, { recursive: true, force: true });
}

// 5. Gas, from the contract tests' own measurement.
log(`\n# gas (Hardhat simulated network, cancun)`);
try {
  execFileSync(join(REPO, "node_modules", ".bin", "hardhat"), ["test", "mocha", "test/contracts/gas.test.ts"], { cwd: REPO, stdio: "ignore" });
  const gas = JSON.parse(readFileSync(join(REPO, "gas-report.json"), "utf8"));
  results.gas = gas;
  log(`  mint ${gas.mint}; inclusion ${JSON.stringify(gas.inclusion)}; exclusion ${JSON.stringify(gas.exclusion)}; recordInclusion ${JSON.stringify(gas.recordInclusion)}`);
} catch (e) {
  log(`  gas test failed: ${(e as Error).message}`);
}

const machine = {
  cpu: cpus()[0]?.model,
  cores,
  memoryGiB: Math.round(totalmem() / 2 ** 30),
  node: process.version,
  date: new Date().toISOString(),
  quick,
};
results.machine = machine;
writeFileSync(join(REPO, quick ? "bench-results.local.json" : "bench-results.json"), `${JSON.stringify(results, null, 2)}\n`);
if (!quick) writeBenchmarksDoc(results);
rmSync(work, { recursive: true, force: true });

function writeBenchmarksDoc(r: Record<string, any>) {
  const h = r.hashing;
  const rows = Object.entries(h).map(
    ([k, v]: [string, any]) =>
      `| ${k} | ${v.samples} | ${gb(v.oneCore.bytesPerSecond)} · ${Math.round(v.oneCore.samplesPerSecond).toLocaleString()}/s | ${gb(v.allCores.bytesPerSecond)} · ${Math.round(v.allCores.samplesPerSecond).toLocaleString()}/s |`,
  );
  const treeRows = (r.trees as any[]).map((t) =>
    t.capped ? `| ${t.n.toLocaleString()} | ${t.impl} | > ${t.capSeconds} s (cap) | — | — |` : `| ${t.n.toLocaleString()} | ${t.impl} | ${t.buildSeconds.toFixed(3)} s | ${t.proofMicros.toFixed(1)} µs | ${Math.round(t.maxRssMiB)} MiB |`,
  );
  const doc = `# Benchmarks

Latest \`npm run bench\` run. Machine: ${r.machine.cpu}, ${r.machine.cores} cores, ${r.machine.memoryGiB} GiB, Node ${r.machine.node}, ${r.machine.date}.
Figures are from one run, side by side; \`bench-results.json\` has every number.

## SHA-256 limit (openssl speed -evp sha256)
1 MiB blocks: ${gb(r.openssl.bulk1)} on one core, ${gb(r.openssl.bulkAll)} on all cores. 64-byte messages: ${(r.openssl.small1 / 1e6).toFixed(2)} M/s on one core.

## Sample hashing (plan → units on child processes → bucketed runs), warm cache
| input | samples | one core | all cores |
|---|---|---|---|
${rows.join("\n")}

## Tree build and proof by sample hash
| leaves | implementation | build | proof | peak memory |
|---|---|---|---|---|
${treeRows.join("\n")}

Provenant: flat levels, 64-byte nodes hashed in batches by @chainsafe/hashtree, proof by binary search on the sorted leaves.
merkletreejs and StandardMerkleTree: proof by leaf value (both scan or hash-map the leaves), timed over 5 proofs.

## 100M leaves
${r.scale.leaves.toLocaleString()} synthetic leaves: runs written in ${r.scale.runsSeconds.toFixed(1)} s, merged into ${r.scale.shards} shards and stored in ${r.scale.mergeAndStoreSeconds.toFixed(1)} s, peak memory ${Math.round(r.scale.maxRssMiB)} MiB.
One proof read ${r.scale.proof.reads} objects, ${(r.scale.proof.bytesRead / 2 ** 20).toFixed(2)} MiB. At 1B leaves the format gives ${r.proofAt1B.reads} reads and ${(r.proofAt1B.bytes / 2 ** 20).toFixed(2)} MiB.

## Gas
${r.gas ? `mint ${r.gas.mint}; verifyInclusion ${JSON.stringify(r.gas.inclusion)}; verifyExclusion ${JSON.stringify(r.gas.exclusion)}; recordInclusion ${JSON.stringify(r.gas.recordInclusion)} (by depth).` : "not measured in this run"}
`;
  writeFileSync(join(REPO, "docs", "benchmarks.md"), doc);
}
