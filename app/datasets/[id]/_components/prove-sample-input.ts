import { networkFlag } from "../../../../core/chain/networks.ts";
import type { Encoding } from "../../../../core/dataset/encoding-table.ts";
import { textSampleHash, type SampleEncoding } from "../../../../core/dataset/sample-hash.ts";
import { parseHex32, toHex } from "../../../../core/hex.ts";
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
  chainId: number;
  encoding: Encoding;
}

/** The terminal command that proves `cliSample` in the dataset, on the page's chain. */
export function cliProveCommand(cliSample: string, ctx: Pick<SampleContext, "datasetId" | "chainId">): string {
  return `provenant prove ${cliSample} --dataset ${ctx.datasetId}${networkFlag(ctx.chainId)}`;
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
    const r = await hashSampleFile(file, encoding, (p) => onProgress(p.totalBytes ? p.bytes / p.totalBytes : null));
    const warning =
      r.records !== null && r.records > 1
        ? `${file.name} holds ${formatCount(r.records)} records, but a sample of this ${encoding} dataset is one record: the whole file was hashed as one sample. Paste a single line to prove it.`
        : null;
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
  let hash: Uint8Array;
  try {
    hash = parseHex32(source.hash.trim(), "the sample hash");
  } catch {
    throw trouble("INPUT_INVALID", "A sample hash is 0x followed by 64 hex digits: the SHA-256 of the sample's canonical bytes.");
  }
  return { hash, label: "given hash", warning: null, cliSample: `--hash ${toHex(hash)}` };
}
