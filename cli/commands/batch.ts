import { writeFileSync } from "node:fs";
import type { Command } from "commander";
import { InputError } from "../../core/errors.ts";
import { isContainerEncoding, type ContainerEncoding } from "../../core/dataset/encoding-table.ts";
import type { BatchProgress, BatchReport } from "../../core/lineage/check-batch.ts";
import type { Ancestry, CheckSampleIo } from "../../core/lineage/check-sample.ts";
import { jsonBigInt } from "../output.ts";

/** The batch options `prove` and `check-sample` share. */
export interface BatchOptions {
  batch?: string;
  hashList?: string;
  onChain?: string;
  out?: string;
  json?: boolean;
  batchFormat?: string;
}

export function withBatchOptions(cmd: Command): Command {
  return cmd
    .option(
      "--batch <path>",
      "many samples: every file of a folder, every record of a .jsonl/.csv file, every key of a .tar WebDataset shard, or every row of a .parquet file",
    )
    .option("--batch-format <encoding>", "with --batch on a folder: read it as webdataset (its .tar shards) or parquet (its .parquet files, e.g. a Hugging Face folder)")
    .option("--hash-list <file>", "many samples by hash: one SHA-256 a line (sha256sum's output works)")
    .option("--on-chain <n>", "with --batch: proofs per dataset also sent to the contract (every proof is verified locally)", "16");
}

export const isBatch = (opts: BatchOptions) => opts.batch !== undefined || opts.hashList !== undefined;

/** A progress line on a terminal's stderr, rewritten in place; nothing otherwise. */
function progressLine(json?: boolean): { onProgress: (p: BatchProgress) => void; stop: () => void } {
  if (json || !process.stderr.isTTY) return { onProgress: () => {}, stop: () => {} };
  return {
    onProgress: (p) => {
      const of = p.total === null ? "" : ` of ${p.total}`;
      const where = p.dataset ? ` (dataset #${p.dataset})` : "";
      process.stderr.write(`\r${p.phase} ${p.done}${of}${where}\x1b[K`);
    },
    stop: () => process.stderr.write("\r\x1b[K"),
  };
}

/** Runs a batch over `ancestry`; writes --out (CSV when it ends in .csv, JSON otherwise). */
export async function runBatch(ancestry: Ancestry, io: CheckSampleIo, opts: BatchOptions): Promise<{ ok: boolean; json: unknown; text: string }> {
  if (opts.batch !== undefined && opts.hashList !== undefined) throw new InputError("INPUT_INVALID", "give one of --batch and --hash-list");
  const onChain = Number(opts.onChain ?? "16");
  if (!Number.isSafeInteger(onChain) || onChain < 1) throw new InputError("INPUT_INVALID", `--on-chain must be a whole number from 1, got "${opts.onChain}"`);
  if (opts.batchFormat !== undefined && !isContainerEncoding(opts.batchFormat)) {
    throw new InputError("INPUT_INVALID", `--batch-format must be webdataset or parquet, got "${opts.batchFormat}"`);
  }
  // Loaded here, not with the options: `prove` of one sample takes these options and never needs the readers.
  const { batchSamples, batchSourceOf } = await import("../../core/dataset/batch-input.ts");
  const { batchCsv, checkBatch } = await import("../../core/lineage/check-batch.ts");
  const source = batchSourceOf((opts.batch ?? opts.hashList)!, opts.hashList !== undefined, opts.batchFormat as ContainerEncoding | undefined);
  const t0 = performance.now();
  const progress = progressLine(opts.json);
  let report: BatchReport;
  try {
    report = await checkBatch(ancestry, batchSamples(source), io, { onChain, onProgress: progress.onProgress });
  } finally {
    progress.stop();
  }
  const seconds = (performance.now() - t0) / 1000;
  if (report.summary.samples === 0) throw new InputError("INPUT_INVALID", `${opts.batch ?? opts.hashList} holds no sample`);
  if (opts.out) writeFileSync(opts.out, opts.out.toLowerCase().endsWith(".csv") ? batchCsv(report) : `${JSON.stringify(report, jsonBigInt, 2)}\n`);
  const s = report.summary;
  const lines = [
    `${s.samples} samples: ${s.in} in, ${s.out} out, ${s.unknown} unknown (${seconds.toFixed(2)} s)`,
    ...report.datasets.map((d, k) => {
      // Why samples are unknown: the dataset's one problem, or the first sample's reason.
      const why = d.problem ?? report.rows.find((r) => r.datasets[k].verdict === "unknown")?.datasets[k].reason;
      const as = d.hashedAs
        ? `; the samples are not ${ancestry.datasets[k].record?.encoding} samples, so each was looked up by its hash as a ${d.hashedAs} sample (in only if the dataset holds the same canonical bytes)`
        : "";
      return `  dataset #${d.datasetId}: ${d.in} in, ${d.out} out, ${d.unknown} unknown; ${d.reads} reads (${(d.bytesRead / 2 ** 20).toFixed(1)} MiB); contract accepted ${d.onChain.valid} of ${d.onChain.checked} proofs sent${as}${why ? `; unknown because ${why}` : ""}`;
    }),
    ...report.gaps.map((g) => `  gap: ${g}`),
    `every proof verified by the library against the root read from chain ${report.chainId}; a sample of them by the contract`,
  ];
  if (!opts.out && report.rows.length <= 100) {
    for (const r of report.rows) lines.push(`  ${r.verdict.padEnd(7)} ${r.label}`);
  }
  if (opts.out) lines.push(`per-sample results written to ${opts.out}`);
  else if (report.rows.length > 100) lines.push("per-sample results: write them with --out results.csv (or .json)");
  const ok = s.unknown === 0;
  return { ok, json: { ok, seconds, ...report }, text: lines.join("\n") };
}
