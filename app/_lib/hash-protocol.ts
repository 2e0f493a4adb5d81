import type { Encoding } from "../../core/dataset/encoding-table.ts";
import type { ContainerEncoding } from "../../core/dataset/encoding-table.ts";
import type { SampleEncoding } from "../../core/dataset/sample-hash.ts";

/** Messages between the page and the hashing worker (app/_lib/hash.worker.ts). */

export interface FileEntry {
  file: File;
  /** Path relative to the chosen folder, "/"-separated. */
  path: string;
}

export type HashRequest =
  | { id: number; kind: "sample"; file: File; encoding: SampleEncoding }
  | { id: number; kind: "files"; entries: FileEntry[]; skippedHidden: number }
  | { id: number; kind: "records"; file: File; encoding: "jsonl" | "csv" }
  /** WebDataset shards or Parquet files (one, or a folder's: other files are skipped as the CLI skips them). */
  | { id: number; kind: "container"; entries: FileEntry[]; encoding: ContainerEncoding; skippedHidden: number };

export interface HashProgress {
  id: number;
  type: "progress";
  /** Samples hashed so far. */
  done: number;
  /** Samples in all, when known (folders); null while streaming records. */
  total: number | null;
  bytes: number;
  totalBytes: number;
}

export interface SampleResult {
  hash: Uint8Array;
  bytes: number;
  /** For a jsonl/csv dataset: how many records the dropped file holds (a sample is one). */
  records: number | null;
  ms: number;
  streamed: boolean;
}

export interface DatasetResult {
  encoding: Encoding;
  /** Sorted distinct leaves, n x 32 bytes. */
  leaves: Uint8Array;
  root: Uint8Array;
  n: number;
  totalSamples: number;
  skipped: { hidden: number; symlinks: number; other: number; emptyRecords: number };
  bytes: number;
  hashMs: number;
  commitMs: number;
}

export type HashResponse =
  | HashProgress
  | { id: number; type: "sample"; result: SampleResult }
  | { id: number; type: "dataset"; result: DatasetResult }
  | { id: number; type: "error"; code: string; message: string };
