import { createReadStream, readFileSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { InputError } from "../errors.ts";
import { sha256sumLine } from "../hex.ts";
import { encodingOfName, type ContainerEncoding } from "./encoding-table.ts";
import { bytePath, displayPath, inputError, walkFiles } from "./encodings.ts";
import { hashRowGroupOf, hashShardOf, listContainerFiles, parquetFileMetadata } from "./formats/containers.ts";
import { checkShardBoundaries, nameText } from "./formats/webdataset.ts";
import { encodingOfFileName, RecordSplitter, type SampleEncoding } from "./sample-hash.ts";

/**
 * One sample of a batch: its bytes in the encoding it was read as (hashed in each dataset's encoding), or its
 * hash: as given (a hash list), or (`hashedAs`) a WebDataset sample or Parquet row already hashed in its encoding.
 */
export type BatchSample = { label: string; bytes: Uint8Array; encoding: SampleEncoding } | { label: string; hash: Uint8Array; hashedAs?: ContainerEncoding };

/**
 * The samples of a batch, read from disk (the CLI's `--batch`): every file of a folder (hidden entries and
 * symbolic links skipped, as `dataset hash` skips them), every record of a JSONL or CSV file (split by
 * encodings-v1: empty JSONL lines skipped, the CSV header not a sample), every key of a WebDataset shard set or
 * every row of a Parquet file or folder (read as `dataset hash` reads them: formats/containers.ts), or every hash
 * of a hash list.
 */
export type BatchSource =
  | { kind: "files"; dir: string }
  | { kind: "records"; file: string; encoding: "jsonl" | "csv" }
  | { kind: "container"; path: string; encoding: ContainerEncoding }
  | { kind: "hashes"; file: string };

/**
 * Where a batch's samples come from. A folder is a folder of samples unless `container` says to read it as
 * WebDataset shards or Parquet files (a Hugging Face dataset folder); a .tar or .parquet file is read as one.
 */
export function batchSourceOf(path: string, hashList = false, container?: ContainerEncoding): BatchSource {
  let isDir: boolean;
  try {
    isDir = statSync(path).isDirectory();
  } catch (e) {
    throw inputError(path, e);
  }
  if (hashList) {
    if (isDir) throw new InputError("INPUT_INVALID", `${path} is a folder: a hash list is a file of SHA-256s, one a line`);
    return { kind: "hashes", file: path };
  }
  if (isDir) return container ? { kind: "container", path, encoding: container } : { kind: "files", dir: path };
  const encoding = encodingOfFileName(path);
  if (!container && (encoding === "jsonl" || encoding === "csv")) return { kind: "records", file: path, encoding };
  const named = encodingOfName(path);
  if (named === "webdataset" || named === "parquet") {
    if (container && container !== named) throw new InputError("INPUT_INVALID", `${path} is a ${named} file, not ${container}`);
    return { kind: "container", path, encoding: named };
  }
  throw new InputError(
    "INPUT_INVALID",
    `${path} is neither a folder nor a .jsonl/.csv/.tar/.parquet file: a batch is a folder of samples, one sample a line or a row, the keys of WebDataset shards, or a file of hashes one a line`,
  );
}

async function* fileSamples(dir: string): AsyncGenerator<BatchSample> {
  const walk = walkFiles(dir);
  for (const rel of walk.files) {
    const full = bytePath(walk.root + rel);
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(full);
    } catch (e) {
      throw inputError(displayPath(walk.root + rel), e);
    }
    yield { label: displayPath(rel), bytes, encoding: "files" };
  }
}

async function* recordSamples(file: string, encoding: "jsonl" | "csv"): AsyncGenerator<BatchSample> {
  let pending: BatchSample[] = [];
  // A JSONL record's line is the count of lines so far (records and empty ones); a CSV row is counted after the header.
  const splitter = new RecordSplitter(encoding, (record) => {
    const n = encoding === "jsonl" ? splitter.counts.records + splitter.counts.emptyRecords : splitter.counts.records;
    pending.push({ label: encoding === "jsonl" ? `line ${n}` : `row ${n}`, bytes: record.slice(), encoding });
  });
  try {
    for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) {
      splitter.push(chunk as Buffer);
      yield* pending;
      pending = [];
    }
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw inputError(file, e);
  }
  splitter.end();
  yield* pending;
}

async function* hashSamples(file: string): AsyncGenerator<BatchSample> {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw inputError(file, e);
  }
  for (const [i, line] of text.split("\n").entries()) {
    const trimmed = line.trim();
    if (trimmed === "") continue;
    const entry = sha256sumLine(trimmed);
    if (!entry) throw new InputError("INPUT_INVALID", `${file} line ${i + 1} does not start with a SHA-256 (64 hex digits, with or without 0x)`);
    yield { label: entry.name || `line ${i + 1}`, hash: entry.hash };
  }
}

/**
 * Every sample of WebDataset shards (labelled "<shard>:<key>") or of Parquet files ("<file> row <i>", from 0 in
 * each file), hashed as `dataset hash` hashes them; one shard or row group is held at a time.
 */
async function* containerSamples(path: string, encoding: ContainerEncoding): AsyncGenerator<BatchSample> {
  const { files } = listContainerFiles(resolve(path), encoding);
  const shards: Array<{ name: string; firstKey: string | null; lastKey: string | null }> = [];
  for (const f of files) {
    let unit: BatchSample[] = [];
    if (encoding === "webdataset") {
      const r = await hashShardOf(f, (hash, key) => unit.push({ label: `${f.rel}:${nameText(key)}`, hash, hashedAs: encoding }));
      shards.push({ name: f.name, firstKey: r.firstKey, lastKey: r.lastKey });
      // A key split between two shards is one sample to WebDataset's loader: refused as `dataset hash` refuses it.
      checkShardBoundaries(shards);
      yield* unit;
      continue;
    }
    let row = 0;
    const groups = parquetFileMetadata(f).row_groups.length;
    for (let g = 0; g < groups; g++) {
      await hashRowGroupOf(f, g, (hash) => unit.push({ label: `${f.rel} row ${row++}`, hash, hashedAs: encoding }));
      yield* unit;
      unit = [];
    }
  }
}

export function batchSamples(source: BatchSource): AsyncGenerator<BatchSample> {
  if (source.kind === "files") return fileSamples(source.dir);
  if (source.kind === "records") return recordSamples(source.file, source.encoding);
  if (source.kind === "container") return containerSamples(source.path, source.encoding);
  return hashSamples(source.file);
}
