/**
 * The 100M-leaf commit, in its own process so its peak memory is its own.
 * Synthetic sample hashes (uniform random 32-byte values, as SHA-256 outputs are) are written as bucket
 * files exactly as the hashing workers write them, then merged into stored shards; then one proof is made
 * through the store, counting reads and bytes. argv: <leaves> <dataDir>. Prints one JSON line.
 */
import { randomFillSync } from "node:crypto";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { writeBucketFile } from "../core/dataset/scale/bucket-file.ts";
import { mergeBucketFiles } from "../core/dataset/scale/pipeline.ts";
import { storeIndexAndManifest } from "../core/dataset/commit.ts";
import { DatasetProver } from "../core/dataset/prover.ts";
import { LocalStore } from "../core/storage/local-store.ts";
import { peakMemoryMiB } from "./peak-memory.ts";

const [leavesArg, dir] = process.argv.slice(2);
const total = Number(leavesArg);
const perFile = 4_000_000;
const bucketsDir = join(dir, "buckets");
mkdirSync(bucketsDir, { recursive: true });
const store = new LocalStore(join(dir, "home"));

const t0 = performance.now();
const files: string[] = [];
const buf = new Uint8Array(perFile * 32);
for (let done = 0, r = 0; done < total; done += perFile, r++) {
  const count = Math.min(perFile, total - done);
  randomFillSync(buf, 0, count * 32);
  const path = join(bucketsDir, `unit-${r}.bucket`);
  writeBucketFile(path, buf.subarray(0, count * 32));
  files.push(path);
}
const t1 = performance.now();
const tree = await mergeBucketFiles(files, store);
const stored = await storeIndexAndManifest(
  tree,
  store,
  { name: "synthetic" },
  {
    encoding: "jsonl",
    totalSamples: total,
    skipped: { hidden: 0, symlinks: 0, other: 0, emptyRecords: 0 },
    bytes: 0,
  },
);
const t2 = performance.now();

const prover = await DatasetProver.open(store, stored.manifestCid);
const x = new Uint8Array(32);
randomFillSync(x);
const p0 = performance.now();
await prover.prove(x);
const proveMs = performance.now() - p0;
console.log(
  JSON.stringify({
    leaves: tree.n,
    // The key keeps its first name so that bench-results.json stays comparable across runs.
    runsSeconds: (t1 - t0) / 1000,
    mergeAndStoreSeconds: (t2 - t1) / 1000,
    shards: tree.shards.length,
    maxRssMiB: peakMemoryMiB(),
    proof: { reads: prover.reads, bytesRead: prover.bytesRead, ms: proveMs },
  }),
);
