/**
 * Generated datasets for the bench, one entry per encoding, each sized by an environment variable so a quick run
 * is possible. The scheduler rows (bench/scheduler.ts) run over every entry of BENCH_DATASETS.
 */
import { createHash } from "node:crypto";
import { closeSync, openSync, writeSync } from "node:fs";
import { join } from "node:path";

export interface BenchDataset {
  /** Short name in results and tables. */
  key: string;
  /** Read its size from this variable (samples or lines). */
  sizeEnv: string;
  /** The size (full `npm run bench`), and a size for `--quick`. */
  size: number;
  quickSize: number;
  /** The encoding to hash it with, when the input does not say (passed as `--format`). */
  encoding?: string;
  describe(size: number): string;
  /** Writes the dataset under `dir`; returns the path a user would hand to `provenant dataset hash`. */
  make(dir: string, size: number): string;
}

/**
 * `lines` JSON lines of about 100 bytes (`{"id":…,"text":<64 hex>,"label":…}`), all distinct. Written in chunks:
 * millions of strings held at once would leave the calling process a big heap to collect while it times things.
 */
export function writeJsonl(path: string, lines: number): void {
  const fd = openSync(path, "w");
  try {
    for (let from = 0; from < lines; from += 100_000) {
      const parts: string[] = [];
      for (let i = from; i < Math.min(lines, from + 100_000); i++) parts.push(`{"id":${i},"text":"${createHash("sha256").update(String(i)).digest("hex")}","label":${i % 10}}`);
      writeSync(fd, parts.join("\n") + "\n");
    }
  } finally {
    closeSync(fd);
  }
}

export const JSONL_DATASET: BenchDataset = {
  key: "jsonl",
  sizeEnv: "BENCH_JSONL_LINES",
  size: 10_000_000,
  quickSize: 500_000,
  describe: (n) => `JSONL, ${n.toLocaleString()} lines of ~100 B`,
  make(dir, n) {
    const path = join(dir, "lines.jsonl");
    writeJsonl(path, n);
    return path;
  },
};

/**
 * Every dataset the scheduler rows hash. The WebDataset (10,000,000 samples in 1,000 shards,
 * BENCH_WEBDATASET_SAMPLES / BENCH_WEBDATASET_SHARDS) and Parquet (10,000,000 rows, BENCH_PARQUET_ROWS) sets are
 * one entry each here, with their generators, once those encodings exist.
 */
export const BENCH_DATASETS: BenchDataset[] = [JSONL_DATASET];

/** The size to generate: the variable if set, else the quick or full size. */
export function datasetSize(d: BenchDataset, quick: boolean): number {
  const v = Number(process.env[d.sizeEnv]);
  return Number.isSafeInteger(v) && v > 0 ? v : quick ? d.quickSize : d.size;
}
