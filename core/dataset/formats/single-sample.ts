/**
 * One sample given on its own, hashed exactly as a dataset's sample is: what `provenant prove` and the dApp's prove
 * panel take. Which inputs fit which encoding, and what each is hashed as, is said here once; each edge only says
 * how its files are read (GivenFile: node:fs paths for the CLI, cli/sample-input.ts; a browser's File, blobFile below).
 * Browser-safe: no node:* imports. The Parquet and tar readers are imported when a sample needs them: a proof of a
 * file or a record (most of them) does not load them.
 */
import type { Compressors } from "hyparquet";
import { InputError, type ErrorHint } from "../../errors.ts";
import { parseLooseHex32 } from "../../hex.ts";
import { ENCODING_TABLE, encodingOfName, type BrowserEncoding, type Encoding } from "../encoding-table.ts";
import { sampleHash, sha256, textSampleHash } from "../sample-hash.ts";
import { canonicalRowFromJson, ByteWriter } from "./canonical-json.ts";
import type { ByteSource } from "./parquet-rows.ts";
import { sampleFromMembers, utf8ByteString } from "./webdataset.ts";

/** A file the user gave as the sample or part of it, read the edge's way. */
export interface GivenFile {
  /** How messages name it (a path, a File's name); its last `/` segment is its name as a WebDataset member. */
  name: string;
  /** SHA-256 of its bytes: a `files` sample's hash, a WebDataset member's digest. */
  digest(): Promise<Uint8Array>;
  /** Its bytes, whole: a one-record file of a jsonl or csv dataset, or a `files` sample. */
  bytes(): Promise<Uint8Array>;
  /** Random access for a Parquet file; close() when done. */
  open(): Promise<ByteSource & { close?(): void }>;
  /** The SHA-256 of each sample of a WebDataset shard (a `.tar` holding the key to prove), in shard order. */
  shardSamples(): Promise<Uint8Array[]>;
}

/**
 * The sample as given: one file; several files (a WebDataset sample's members); a literal record (a JSONL line);
 * a Parquet row as JSON, or by index (from 0, across row groups) in a Parquet file; or the sample's SHA-256.
 */
export type GivenSample<F = GivenFile> = { file: F } | { files: F[] } | { text: string } | { rowJson: string } | { row: number; file: F } | { hash: string };

/** How each encoding takes one sample, in the library's words; the hints name the inputs that fit (each edge words them). */
export const SAMPLE_USE: Record<Encoding, { words: string; hints: ErrorHint[] }> = {
  files: { words: "give the sample as one file", hints: [{ remedy: "sampleFile" }] },
  jsonl: { words: "give one record, as a one-record file or as text", hints: [{ remedy: "sampleFile" }, { remedy: "sampleText" }] },
  csv: { words: "give one record, as a one-record file or as text", hints: [{ remedy: "sampleFile" }, { remedy: "sampleText" }] },
  webdataset: { words: "give the sample's member files (000123.jpg 000123.txt), or a .tar holding just that key", hints: [{ remedy: "sampleMembers" }] },
  parquet: { words: "give the row as JSON, or a .parquet file and the row's index in it", hints: [{ remedy: "sampleRowJson" }, { remedy: "sampleRow" }] },
};

/** The refusal of a sample that does not fit `encoding`; `given` names what the user handed in ("a literal record", "2 files"). */
export const sampleMisfitError = (given: string, encoding: Encoding): InputError =>
  new InputError("INPUT_INVALID", `a sample given as ${given} does not fit a ${encoding} dataset: ${SAMPLE_USE[encoding].words}`, {
    hints: SAMPLE_USE[encoding].hints,
  });

/**
 * Why `input` is not a sample of an `encoding` dataset (what was given, in words: "a literal record", "2 files"), or
 * null when it is one. The one statement of which input fits which encoding: givenSampleHash refuses by it, and a
 * check across datasets of several encodings (core/lineage/check-sample.ts) asks it per dataset.
 */
export function sampleMisfit(input: GivenSample<{ name: string }>, encoding: Encoding): string | null {
  if ("hash" in input) return null;
  if ("text" in input) return ENCODING_TABLE[encoding].since === 1 ? null : "a literal record";
  if ("rowJson" in input) return encoding === "parquet" ? null : "a JSON row";
  if ("row" in input) return encoding === "parquet" ? null : "a row index";
  const files = "files" in input ? input.files : [input.file];
  if (encoding === "webdataset") return null;
  if (files.length !== 1) return `${files.length} files`;
  if (encoding === "parquet") return `one file (${files[0].name})`;
  return null;
}

/**
 * The encoding a sample given this way is a sample of in its own right: member files or a .tar are a WebDataset
 * sample, a row a Parquet one, a literal record a JSONL line, any other one file a file. A dataset of an encoding
 * the input does not fit can hold it only as that (the same canonical bytes, so the same leaf); null for a hash.
 */
export function ownEncoding(input: GivenSample<{ name: string }>): Encoding | null {
  if ("hash" in input) return null;
  if ("text" in input) return "jsonl";
  if ("rowJson" in input || "row" in input) return "parquet";
  if ("files" in input && input.files.length !== 1) return "webdataset";
  const file = "files" in input ? input.files[0] : input.file;
  return encodingOfName(file.name) === "webdataset" ? "webdataset" : "files";
}

/** The SHA-256 the dataset's Merkle tree holds for this sample, if the dataset holds it. */
export async function givenSampleHash(input: GivenSample, encoding: Encoding, decompressors?: Compressors): Promise<Uint8Array> {
  const misfit = sampleMisfit(input, encoding);
  if (misfit !== null) throw sampleMisfitError(misfit, encoding);
  if ("hash" in input) return parseLooseHex32(input.hash, "the sample hash");
  if ("text" in input) return textSampleHash(input.text, encoding as BrowserEncoding);
  if ("rowJson" in input) return parquetRowJsonHash(input.rowJson);
  if ("row" in input) {
    const src = await input.file.open();
    try {
      return await sha256(await parquetRowBytes(src, input.row, decompressors));
    } finally {
      src.close?.();
    }
  }
  const files = "files" in input ? input.files : [input.file];
  if (encoding === "webdataset") return webdatasetFilesHash(files);
  return sampleHash(await files[0].bytes(), encoding as BrowserEncoding);
}

/** A WebDataset sample from its member files, or from a shard holding exactly one key. */
async function webdatasetFilesHash(files: readonly GivenFile[]): Promise<Uint8Array> {
  if (files.length === 1 && encodingOfName(files[0].name) === "webdataset") {
    const digests = await files[0].shardSamples();
    if (digests.length !== 1) throw new InputError("INPUT_INVALID", `${files[0].name} holds ${digests.length} samples: give a .tar holding just the one key to prove`);
    return digests[0];
  }
  const members = await Promise.all(files.map(async (f) => ({ name: utf8ByteString(f.name), digest: await f.digest() })));
  return sha256(sampleFromMembers(members));
}

/** A file as a browser has it (a File, or any Blob and its name), read through the Web APIs. */
export function blobFile(blob: Blob, name = (blob as File).name): GivenFile {
  return {
    name,
    bytes: async () => new Uint8Array(await blob.arrayBuffer()),
    digest: async () => sha256(new Uint8Array(await blob.arrayBuffer())),
    open: async () => ({ name, size: blob.size, read: async (offset, length) => new Uint8Array(await blob.slice(offset, offset + length).arrayBuffer()) }),
    shardSamples: async () => (await (await import("./tar-members.ts")).hashTarBlob(blob, name)).map((s) => s.digest),
  };
}

/** A WebDataset sample from its member files (names as typed: "000123.jpg"), each hashed whole. */
export function webdatasetSampleHash(members: ReadonlyArray<{ name: string; bytes: Uint8Array }>): Promise<Uint8Array> {
  return givenSampleHash({ files: members.map((m) => blobFile(new Blob([m.bytes as Uint8Array<ArrayBuffer>]), m.name)) }, "webdataset");
}

/** A Parquet row pasted as JSON, in the canonical form of docs/formats/encodings-v2.md (members in any order). */
export function parquetRowJsonHash(text: string): Promise<Uint8Array> {
  return sha256(canonicalRowFromJson(text));
}

/** The canonical bytes of row `index` (from 0, across row groups) of a Parquet file. */
export async function parquetRowBytes(src: ByteSource, index: number, decompressors?: Compressors): Promise<Uint8Array> {
  const { openParquet, readRowGroup, rowGroupStart } = await import("./parquet-rows.ts");
  const { metadata, schema } = await openParquet(src);
  const rows = Number(metadata.num_rows);
  if (!Number.isSafeInteger(index) || index < 0 || index >= rows) {
    throw new InputError("INPUT_INVALID", `${src.name} has ${rows} rows (0 to ${rows - 1}): there is no row ${index}`);
  }
  let g = 0;
  while (rowGroupStart(metadata, g + 1) <= index) g++;
  let out: Uint8Array | null = null;
  await readRowGroup(src, metadata, schema, g, {
    compressors: decompressors,
    writer: new ByteWriter(),
    skip: index - rowGroupStart(metadata, g),
    limit: 1,
    onRow: (w) => (out = w.result().slice()),
  });
  if (!out) throw new InputError("INPUT_INVALID", `${src.name}: row ${index} could not be read`);
  return out;
}
