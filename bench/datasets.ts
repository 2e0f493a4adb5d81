/**
 * Generated datasets for the bench, one entry per encoding, each sized by an environment variable so a quick run
 * is possible. The scheduler rows (bench/scheduler.ts) run over every entry of BENCH_DATASETS.
 */
import { createHash } from "node:crypto";
import { closeSync, mkdirSync, openSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import * as arrow from "apache-arrow";
import { textTable, writeParquet } from "../scripts/lib/parquet-tables.ts";
import { writeShard, type MemberSpec } from "../scripts/lib/shards.ts";

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
  make(dir: string, size: number): string | Promise<string>;
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
      for (let i = from; i < Math.min(lines, from + 100_000); i++)
        parts.push(`{"id":${i},"text":"${createHash("sha256").update(String(i)).digest("hex")}","label":${i % 10}}`);
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
 * `samples` WebDataset samples in `shards` tar shards under `dir` (keys in order, each whole in one shard): a sample is
 * one `.txt` member of about 80 bytes, the JSONL lines' text. A tar member takes at least 1 KiB (header and block).
 */
export async function writeWebDataset(dir: string, samples: number, shards: number): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const per = Math.ceil(samples / shards);
  for (let s = 0; s * per < samples; s++) {
    const members: MemberSpec[] = [];
    for (let i = s * per; i < Math.min(samples, (s + 1) * per); i++) {
      members.push({ name: `${String(i).padStart(9, "0")}.txt`, bytes: `${i} ${createHash("sha256").update(String(i)).digest("hex")} ${i % 10}` });
    }
    await writeShard(join(dir, `shard-${String(s).padStart(5, "0")}.tar`), members);
  }
}

export const WEBDATASET_DATASET: BenchDataset = {
  key: "webdataset",
  sizeEnv: "BENCH_WEBDATASET_SAMPLES",
  size: 10_000_000,
  quickSize: 200_000,
  encoding: "webdataset",
  // 10,000 samples a shard unless BENCH_WEBDATASET_SHARDS says: the 1,000 shards at full size.
  describe: (n) => `WebDataset, ${n.toLocaleString()} samples in ${webdatasetShards(n).toLocaleString()} .tar shards`,
  async make(dir, n) {
    await writeWebDataset(join(dir, "shards"), n, webdatasetShards(n));
    return join(dir, "shards");
  },
};
const webdatasetShards = (n: number) => Number(process.env.BENCH_WEBDATASET_SHARDS) || Math.max(1, Math.round(n / 10_000));

/** `rows` rows of scripts/lib/parquet-tables.ts's text table in one .parquet file, row groups of 100,000 (the units). */
export function writeParquetRows(path: string, rows: number): void {
  const chunks: arrow.Table[] = [];
  for (let from = 0; from < rows; from += 1_000_000) chunks.push(textTable(Math.min(1_000_000, rows - from), from));
  writeFileSync(path, writeParquet(new arrow.Table(chunks.flatMap((t) => t.batches)), { rowGroupSize: 100_000 }));
}

export const PARQUET_DATASET: BenchDataset = {
  key: "parquet",
  sizeEnv: "BENCH_PARQUET_ROWS",
  size: 10_000_000,
  quickSize: 500_000,
  describe: (n) => `Parquet, ${n.toLocaleString()} rows of ~120 B (id, text, score, label) in one file`,
  make(dir, n) {
    const path = join(dir, "rows.parquet");
    writeParquetRows(path, n);
    return path;
  },
};

/** Every dataset the scheduler rows hash (the issue's: JSONL, WebDataset and Parquet at 10,000,000 samples each). */
export const BENCH_DATASETS: BenchDataset[] = [JSONL_DATASET, WEBDATASET_DATASET, PARQUET_DATASET];

/** The size to generate: the variable if set, else the quick or full size. */
export function datasetSize(d: BenchDataset, quick: boolean): number {
  const v = Number(process.env[d.sizeEnv]);
  return Number.isSafeInteger(v) && v > 0 ? v : quick ? d.quickSize : d.size;
}
