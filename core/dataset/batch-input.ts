import { createReadStream, readFileSync, statSync } from "node:fs";
import { InputError } from "../errors.ts";
import { sha256sumLine } from "../hex.ts";
/** One sample of a batch: its bytes (hashed in the dataset's encoding) or its hash as given. */
export type BatchSample = { label: string; bytes: Uint8Array } | { label: string; hash: Uint8Array };
import { bytePath, displayPath, inputError, walkFiles } from "./encodings.ts";
import { encodingOfFileName, RecordSplitter } from "./sample-hash.ts";

/**
 * The samples of a batch, read from disk (the CLI's `--batch`): every file of a folder (hidden entries and
 * symbolic links skipped, as `dataset hash` skips them), every record of a JSONL or CSV file (split by
 * encodings-v1: empty JSONL lines skipped, the CSV header not a sample), or every hash of a hash list.
 */
export type BatchSource = { kind: "files"; dir: string } | { kind: "records"; file: string; encoding: "jsonl" | "csv" } | { kind: "hashes"; file: string };

export function batchSourceOf(path: string, hashList = false): BatchSource {
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
  if (isDir) return { kind: "files", dir: path };
  const encoding = encodingOfFileName(path);
  if (encoding === "jsonl" || encoding === "csv") return { kind: "records", file: path, encoding };
  throw new InputError(
    "INPUT_INVALID",
    `${path} is neither a folder nor a .jsonl/.csv file: a batch is a folder of samples, one sample a line, or a file of hashes one a line`,
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
    yield { label: displayPath(rel), bytes };
  }
}

async function* recordSamples(file: string, encoding: "jsonl" | "csv"): AsyncGenerator<BatchSample> {
  let pending: BatchSample[] = [];
  // A JSONL record's line is the count of lines so far (records and empty ones); a CSV row is counted after the header.
  const splitter = new RecordSplitter(encoding, (record) => {
    const n = encoding === "jsonl" ? splitter.counts.records + splitter.counts.emptyRecords : splitter.counts.records;
    pending.push({ label: encoding === "jsonl" ? `line ${n}` : `row ${n}`, bytes: record.slice() });
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

export function batchSamples(source: BatchSource): AsyncGenerator<BatchSample> {
  if (source.kind === "files") return fileSamples(source.dir);
  if (source.kind === "records") return recordSamples(source.file, source.encoding);
  return hashSamples(source.file);
}
