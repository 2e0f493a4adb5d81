/**
 * One hashing job in its own process, so its peak memory (VmHWM) is its own; the scheduler rows run it on one
 * machine and as Slurm array tasks. Prints one JSON line.
 *   single  <input> <dataDir> <workers> [encoding]           hash, merge and store, as `provenant dataset hash`
 *   part    <input> <i> <N> <outDir> <workers> [encoding]    one part, as `provenant dataset hash --part i/N`
 *   combine <dataDir> <workers> <partDir>...                 as `provenant dataset combine`
 */
import { commitAndStore, combineParts, hashPart } from "../core/dataset/scale/pipeline.ts";
import type { Encoding } from "../core/dataset/encodings.ts";
import { LocalStore } from "../core/storage/local-store.ts";
import { join } from "node:path";
import { peakMemoryMiB } from "./peak-memory.ts";

const [mode, ...args] = process.argv.slice(2);
const t0 = performance.now();
const seconds = () => (performance.now() - t0) / 1000;
const print = (r: Record<string, unknown>) => console.log(JSON.stringify({ mode, ...r, seconds: seconds(), peakMiB: peakMemoryMiB() }));

if (mode === "single") {
  const [input, dataDir, workers, encoding] = args;
  const r = await commitAndStore(
    input,
    new LocalStore(dataDir),
    { name: "bench" },
    { workDir: join(dataDir, "work"), workers: Number(workers), encoding: encoding as Encoding | undefined },
  );
  print({ samples: r.manifest.totalSamples, bytes: r.manifest.bytes, root: r.manifest.root, manifestCid: r.manifestCid, units: r.units, hashing: r.hashing });
} else if (mode === "part") {
  const [input, i, n, outDir, workers, encoding] = args;
  const p = await hashPart(input, Number(i), Number(n), outDir, { workers: Number(workers), encoding: encoding as Encoding | undefined });
  print({ part: p.part, of: p.of, units: p.units.length, samples: p.units.reduce((a, u) => a + u.samples, 0), bytes: p.units.reduce((a, u) => a + u.bytes, 0) });
} else if (mode === "combine") {
  const [dataDir, workers, ...parts] = args;
  const r = await combineParts(parts, new LocalStore(dataDir), { name: "bench" }, { workers: Number(workers) });
  print({ samples: r.manifest.totalSamples, root: r.manifest.root, manifestCid: r.manifestCid });
} else {
  console.error("usage: hash-child.ts single|part|combine ...");
  process.exit(2);
}
