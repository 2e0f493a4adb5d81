import type { Encoding } from "../../../../core/dataset/encoding-table.ts";
import { textSampleHash, type SampleEncoding } from "../../../../core/dataset/sample-hash.ts";
import { sha256sumLine, toHex } from "../../../../core/hex.ts";
import type { CliTarget } from "../../../_lib/cli-target.ts";
import { trouble } from "../../../_lib/errors.ts";
import { formatBytes, formatCount } from "../../../_lib/format.ts";
import { hashSampleFile } from "../../../_lib/hash-client.ts";
import { MAX_SAMPLE_BYTES } from "../../../_lib/limits.ts";
import { hashContainerSample, type ContainerSource } from "./prove-container-sample.ts";

/**
 * What the prove panel's inputs hand over (a file, a pasted record, a sample hash; for a WebDataset or Parquet
 * dataset a container source, prove-container-sample.ts), and its sample hash, computed in this browser: a worker
 * hashes files, the page hashes a pasted record. Only the hash leaves.
 */
export type SampleSource = { file: File } | { text: string } | { hash: string } | { container: ContainerSource };

export interface HashedSample {
  hash: Uint8Array;
  /** How the verdict names the sample. */
  label: string;
  /** Said beside the verdict (a multi-record file hashed as one sample). */
  warning: string | null;
  /** The sample as `provenant prove` takes it. */
  cliSample: string;
}

export interface SampleContext {
  datasetId: string;
  encoding: Encoding;
  /** What a copied command needs to reach this page's chain and deployment (app/_lib/cli-target.ts). */
  cli: CliTarget;
}

/** The terminal command that proves `cliSample` in the dataset, on the page's chain and deployment. */
export function cliProveCommand(cliSample: string, ctx: Pick<SampleContext, "datasetId" | "cli">): string {
  return `${ctx.cli.prefix}provenant prove ${cliSample} --dataset ${ctx.datasetId}${ctx.cli.flags}`;
}

/** The sample hash of `source`; `onProgress` gets the fraction of a file hashed (null when unknown). */
export async function hashSampleSource(source: SampleSource, ctx: SampleContext, onProgress: (fraction: number | null) => void): Promise<HashedSample> {
  if ("container" in source) return { ...(await hashContainerSample(source.container, ctx.encoding)), warning: null };
  // The file and text inputs are offered for files, jsonl and csv datasets only (prove-panel.tsx).
  const encoding = ctx.encoding as SampleEncoding;
  if ("file" in source) {
    const { file } = source;
    if (file.size > MAX_SAMPLE_BYTES) {
      throw trouble(
        "FILE_TOO_BIG",
        `${file.name} is ${formatBytes(file.size)}; this page hashes samples up to ${formatBytes(MAX_SAMPLE_BYTES)}.`,
        `Prove it from a terminal instead: ${cliProveCommand(`"${file.name}"`, ctx)}`,
      );
    }
    const recordEncoding = encoding === "jsonl" || encoding === "csv";
    // An empty file is never a record (empty records are not samples): proving it would answer a bare "Not in".
    if (file.size === 0 && recordEncoding) {
      throw trouble("INPUT_INVALID", `Nothing was proved: ${file.name} is empty (0 bytes). A sample of this ${encoding} dataset is one record: paste it in Record.`);
    }
    const r = await hashSampleFile(file, encoding, (p) => onProgress(p.totalBytes ? p.bytes / p.totalBytes : null));
    // A whole JSONL/CSV file is not one of its records: its hash is in no record dataset, though each line may be.
    if (recordEncoding && r.records !== null && r.records > 1) {
      throw trouble(
        "INPUT_INVALID",
        `A record dataset proves records: ${file.name} holds ${formatCount(r.records)} records, and the file as a whole is not one, so nothing was proved. Paste one record in Record, or check them all with the batch check (a model's page, "Was this sample used?") or from a terminal.`,
        `${cliProveCommand(`--batch "${file.name}"`, ctx)}`,
      );
    }
    const warning = file.size === 0 ? `${file.name} is empty: what was proved is the empty sample (the SHA-256 of no bytes).` : null;
    return { hash: r.hash, label: file.name, warning, cliSample: `"${file.name}"` };
  }
  if ("text" in source) {
    if (source.text.length === 0) throw trouble("INPUT_INVALID", "Paste a record first.");
    return {
      hash: await textSampleHash(source.text, encoding),
      label: encoding === "files" ? "pasted text (as a file's bytes)" : "pasted record",
      warning: null,
      cliSample: `--text '${source.text.length > 60 ? "<the record>" : source.text.replace(/'/g, "'\\''")}'`,
    };
  }
  const given = sha256sumLine(source.hash);
  if (!given) throw trouble("INPUT_INVALID", "A sample hash is a SHA-256: 64 hex digits, with or without 0x, as sha256sum prints it (a file name after it is fine).");
  return { hash: given.hash, label: given.name ? `given hash of ${given.name}` : "given hash", warning: null, cliSample: `--hash ${toHex(given.hash)}` };
}
