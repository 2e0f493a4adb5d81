import type { Encoding } from "../../../../core/dataset/encoding-table.ts";
import { blobFile, givenSampleHash, type GivenFile, type GivenSample } from "../../../../core/dataset/formats/single-sample.ts";
import { isProvenantError } from "../../../../core/errors.ts";
import { trouble } from "../../../_lib/errors.ts";
import { formatBytes } from "../../../_lib/format.ts";
import { hashSampleFile } from "../../../_lib/hash-client.ts";
import { MAX_SAMPLE_BYTES } from "../../../_lib/limits.ts";

/**
 * The prove panel's samples of a WebDataset or Parquet dataset, as `provenant prove` takes them: the key's member
 * files (or a .tar holding just that key), a row of a .parquet file by its index, or a row pasted as JSON. Which
 * input fits which encoding and how it is hashed is core's (formats/single-sample.ts, the CLI's rules); this file
 * only reads the browser's Files, member digests in the hashing worker.
 */
export type ContainerSource = { members: File[] } | { rowOf: File; row: string } | { rowJson: string };

export interface HashedContainerSample {
  hash: Uint8Array;
  /** How the verdict names the sample. */
  label: string;
  /** The sample as `provenant prove` takes it. */
  cliSample: string;
}

/** Single-quoted for a POSIX shell; long text stands as a placeholder. */
const quoted = (s: string, what: string) => (s.length > 60 ? `'<${what}>'` : `'${s.replace(/'/g, "'\\''")}'`);

/** How this page says the library's hints (core/errors.ts ErrorHint) for a sample that does not fit. */
const HINT_WORDS: Record<string, string> = {
  sampleMembers: "Give all of the key's files together (000123.jpg and 000123.txt), or a .tar holding just that key.",
  sampleRowJson: "Paste the row as JSON under “Row as JSON”.",
  sampleRow: "Or choose the .parquet file and the row's index under “Row of a file”.",
};

/** A browser File read by core's rules; its digest is taken in the hashing worker, streamed, off the page's thread. */
function workerFile(file: File): GivenFile {
  if (file.size > MAX_SAMPLE_BYTES) {
    throw trouble(
      "FILE_TOO_BIG",
      `${file.name} is ${formatBytes(file.size)}; this page hashes files up to ${formatBytes(MAX_SAMPLE_BYTES)}.`,
      "Prove it from a terminal instead.",
    );
  }
  return { ...blobFile(file), digest: async () => (await hashSampleFile(file, "files")).hash };
}

/** A row index as typed: a whole number from 0. */
function rowIndex(text: string): number {
  const t = text.trim();
  if (!/^(0|[1-9][0-9]*)$/.test(t) || !Number.isSafeInteger(Number(t)))
    throw trouble("INPUT_INVALID", `“${text}” is not a row index: rows are numbered 0, 1, 2, … from the file's first row.`);
  return Number(t);
}

/** The sample hash of `source` in a dataset of `encoding`, by the same rules as `provenant prove`. */
export async function hashContainerSample(source: ContainerSource, encoding: Encoding): Promise<HashedContainerSample> {
  let given: GivenSample;
  let label: string;
  let cliSample: string;
  if ("members" in source) {
    if (source.members.length === 0) throw trouble("INPUT_INVALID", "Choose the sample's files first.");
    given = { files: source.members.map(workerFile) };
    label = source.members.map((f) => f.name).join(" + ");
    cliSample = source.members.map((f) => `"${f.name}"`).join(" ");
  } else if ("rowOf" in source) {
    const row = rowIndex(source.row);
    given = { row, file: blobFile(source.rowOf) };
    label = `row ${row} of ${source.rowOf.name}`;
    cliSample = `"${source.rowOf.name}" --row ${row}`;
  } else {
    if (source.rowJson.trim().length === 0) throw trouble("INPUT_INVALID", "Paste the row as JSON first.");
    given = { rowJson: source.rowJson };
    label = "pasted row (JSON)";
    cliSample = `--row-json ${quoted(source.rowJson, "the row as JSON")}`;
  }
  try {
    return { hash: await givenSampleHash(given, encoding), label, cliSample };
  } catch (e) {
    if (!isProvenantError(e) || e.hints.length === 0) throw e;
    const words = e.hints.flatMap((h) => (HINT_WORDS[h.remedy] ? [HINT_WORDS[h.remedy]] : []));
    throw trouble(e.code, e.message, words.join(" ") || undefined);
  }
}
