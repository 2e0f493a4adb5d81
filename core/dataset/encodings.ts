import { closeSync, fstatSync, openSync, readdirSync, readSync, statSync } from "node:fs";
import { createHash, hash } from "node:crypto";
import { resolve } from "node:path";
import { DatasetEmptyError, FormatError, InputError } from "../errors.ts";
import { pathText } from "./path-text.ts";
import type { SkippedEntry, SkipReason } from "./skipped.ts";
import { errnoCode, nativeHasher, type NativeFailure } from "./native.ts";
import { describeFileEndings, encodingOfName, ENCODINGS, ENCODING_TABLE, type Encoding, type RecordEncoding } from "./encoding-table.ts";
import { RecordSplitter } from "./sample-hash.ts";

export { ENCODINGS, type Encoding } from "./encoding-table.ts";
export { canonicalSample } from "./sample-hash.ts";

export interface SkippedCounts {
  hidden: number;
  symlinks: number;
  other: number;
  emptyRecords: number;
}

export interface SampleHashes {
  encoding: Encoding;
  /** Every sample's SHA-256, in input order, duplicates included: total x 32 bytes. */
  hashes: Uint8Array;
  total: number;
  skipped: SkippedCounts;
  /**
   * `files`: every entry that is not a sample, in walk order; empty for record encodings. hashSamples always
   * sets it; hashes that came from elsewhere (leaves a browser sent) may have none.
   */
  skippedEntries?: SkippedEntry[];
  bytes: number;
}

export type ProgressFn = (done: number, total: number | null, bytes: number) => void;

export function parseEncoding(value: string): Encoding {
  if ((ENCODINGS as readonly string[]).includes(value)) return value as Encoding;
  throw new InputError("INPUT_INVALID", `unknown format "${value}": use one of ${ENCODINGS.join(", ")}`);
}

/** A directory is `files` (other encodings of a directory need --format); a file's name ending says the rest (encoding-table.ts). */
export function detectEncoding(path: string): Encoding {
  const st = statOrThrow(path);
  if (st.isDirectory()) return "files";
  const encoding = encodingOfName(path);
  if (encoding) return encoding;
  throw new FormatError(
    "FORMAT_UNSUPPORTED",
    `cannot tell the encoding of ${path}: give a directory (files) or a file ending in ${describeFileEndings()}, or name its encoding (${ENCODINGS.join(", ")})`,
    { hints: [{ remedy: "encoding" }] },
  );
}

/** The error a user sees when `path` cannot be used: missing, or there but unreadable. */
export function inputError(path: string, e: unknown): InputError {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === "ENOENT") return new InputError("INPUT_NOT_FOUND", `${path} does not exist`, { cause: e });
  return new InputError("INPUT_UNREADABLE", `cannot read ${path} (${code ?? "error"})`, { cause: e });
}

/** A path as messages name it: bytes in their text form (path-text.ts). Only on failure: it costs a decode. */
const shownPath = (path: string | Buffer) => (typeof path === "string" ? path : pathText(path));

function openForReading(path: string | Buffer): number {
  try {
    return openSync(path, "r");
  } catch (e) {
    throw inputError(shownPath(path), e);
  }
}

function statOrThrow(path: string) {
  try {
    return statSync(path);
  } catch (e) {
    throw inputError(path, e);
  }
}

/** A growable buffer of 32-byte digests, in the order they are pushed. */
export class HashSink {
  buf = new Uint8Array(32 * 1024);
  count = 0;
  // An arrow property, so `sink.push` can be handed on as a callback.
  push = (digest: Uint8Array) => {
    if ((this.count + 1) * 32 > this.buf.length) {
      const next = new Uint8Array(this.buf.length * 2);
      next.set(this.buf);
      this.buf = next;
    }
    this.buf.set(digest, this.count * 32);
    this.count++;
  };
  result() {
    return this.buf.subarray(0, this.count * 32);
  }
}

const sha256 = (data: Uint8Array) => hash("sha256", data, "buffer") as unknown as Buffer;

/**
 * Hashes every sample of `path` under `encoding`, in this process. Throws DATASET_EMPTY when there is none.
 * The encodings-v2 containers (webdataset, parquet) read asynchronously: formats/hash-container.ts.
 */
export function hashSamples(path: string, encoding: Encoding, onProgress?: ProgressFn): SampleHashes {
  if (ENCODING_TABLE[encoding].since !== 1) {
    throw new FormatError("FORMAT_UNSUPPORTED", `the ${encoding} encoding is read asynchronously: hash it with provenant dataset hash`);
  }
  const abs = resolve(path);
  const st = statOrThrow(abs);
  if (encoding === "files" && !st.isDirectory()) {
    throw new InputError("INPUT_INVALID", `${path} is not a directory: the files encoding hashes every file under a directory`);
  }
  if (encoding !== "files" && !st.isFile()) {
    throw new InputError("INPUT_INVALID", `${path} is not a file: the ${encoding} encoding reads one file`);
  }
  const result = encoding === "files" ? hashFiles(abs, onProgress) : hashRecords(abs, encoding as RecordEncoding, onProgress);
  if (result.total === 0) throw new DatasetEmptyError(path);
  return result;
}

export const emptySkippedCounts = (): SkippedCounts => ({ hidden: 0, symlinks: 0, other: 0, emptyRecords: 0 });

/**
 * A walk of a `files` dataset. Paths are byte strings (one char per byte, latin1), so a name that is not
 * UTF-8 keeps its exact bytes, and strings compare in byte order; `bytePath` makes one a path to open.
 */
export interface FileWalk {
  /** The directory, absolute, with a final `/`, as a byte string. */
  root: string;
  /** Regular files, relative to `root`, in walk order. */
  files: string[];
  skipped: SkippedCounts;
  skippedEntries: SkippedEntry[];
}

/** A byte string (FileWalk) as the path Node opens: a Buffer, never decoded as UTF-8. */
export const bytePath = (s: string): Buffer => Buffer.from(s, "latin1");

/** A byte-string path as people read it (path-text.ts): lossless, `%XX` for bytes that are not UTF-8. */
export const displayPath = (s: string): string => pathText(bytePath(s));

const DOT = 0x2e;

function skipReason(entry: { isSymbolicLink(): boolean; isFIFO(): boolean; isSocket(): boolean; isBlockDevice(): boolean; isCharacterDevice(): boolean }): SkipReason {
  if (entry.isSymbolicLink()) return "symlink";
  if (entry.isFIFO()) return "fifo";
  if (entry.isSocket()) return "socket";
  if (entry.isBlockDevice() || entry.isCharacterDevice()) return "device";
  return "other";
}

/** A walk of `dir` that has found nothing yet (the native walk, sized-walk.ts, fills one too). */
export function emptyFileWalk(dir: string): FileWalk {
  return { root: Buffer.from(resolve(dir).replace(/\/*$/, "/")).toString("latin1"), files: [], skipped: emptySkippedCounts(), skippedEntries: [] };
}

/** Lists and counts a skipped entry (`rel`: a byte string relative to the walk's root). */
export function recordSkipped(walk: FileWalk, rel: string, reason: SkipReason): void {
  walk.skippedEntries.push({ path: displayPath(rel), reason });
  if (reason === "hidden") walk.skipped.hidden++;
  else if (reason === "symlink") walk.skipped.symlinks++;
  else walk.skipped.other++;
}

/**
 * Walks `dir` depth first, each directory's entries in byte order of their names, reading names as bytes.
 * Regular files are samples; every other entry is skipped, counted and listed with its reason: hidden
 * (name starts with `.`; a hidden directory is skipped whole), symlink (never followed), fifo, socket,
 * device, other. A directory that cannot be listed stops the walk.
 */
export function walkFiles(dir: string): FileWalk {
  const walk = emptyFileWalk(dir);
  const root = walk.root;
  const skip = (rel: string, reason: SkipReason) => recordSkipped(walk, rel, reason);
  const visit = (rel: string) => {
    let entries;
    try {
      entries = readdirSync(bytePath(root + rel), { withFileTypes: true, encoding: "buffer" });
    } catch (e) {
      throw new InputError("INPUT_UNREADABLE", `cannot list ${displayPath(root + rel)} (${(e as NodeJS.ErrnoException).code})`, { cause: e });
    }
    entries.sort((a, b) => Buffer.compare(a.name, b.name));
    for (const entry of entries) {
      const p = rel + entry.name.toString("latin1");
      if (entry.name[0] === DOT) skip(p, "hidden");
      else if (entry.isDirectory()) visit(`${p}/`);
      else if (entry.isFile()) walk.files.push(p);
      else skip(p, skipReason(entry));
    }
  };
  visit("");
  return walk;
}

const LARGE_FILE = 64 * 1024 * 1024;

export interface ReadScratch {
  buf: Buffer;
  /** Size of the last file read. */
  size: number;
}

export function newScratch(): ReadScratch {
  return { buf: Buffer.allocUnsafe(1 << 20), size: 0 };
}

/**
 * SHA-256 of one file, read with synchronous calls into a reused buffer (about 7 µs a small file here).
 * `knownSize` (from a plan's listing) saves the fstat; a file that changed size since is still read whole.
 */
export function hashFile(path: string | Buffer, scratch: ReadScratch = newScratch(), knownSize?: number): Buffer {
  const fd = openForReading(path);
  try {
    const size = knownSize ?? fstatSync(fd).size;
    if (size > LARGE_FILE) {
      // Stream big files in 16 MiB reads rather than holding them whole.
      const h = createHash("sha256");
      // Reuse the scratch buffer: fresh memory costs about 2 s per GB to touch here, more than the hashing.
      if (scratch.buf.length < 16 << 20) scratch.buf = Buffer.allocUnsafe(16 << 20);
      const chunk = scratch.buf;
      let total = 0;
      for (;;) {
        const got = readSync(fd, chunk, 0, chunk.length, null);
        if (got === 0) break;
        h.update(chunk.subarray(0, got));
        total += got;
      }
      scratch.size = total;
      return h.digest();
    }
    if (scratch.buf.length < size + 1) scratch.buf = Buffer.allocUnsafe(Math.max(size + 1, scratch.buf.length * 2));
    let read = 0;
    for (;;) {
      const want = scratch.buf.length - read;
      const got = readSync(fd, scratch.buf, read, want, null);
      read += got;
      // A regular file reads short only at its end: the common case is one read call, no EOF probe.
      if (got < want) break;
      if (read === scratch.buf.length) {
        const bigger = Buffer.allocUnsafe(scratch.buf.length * 2);
        scratch.buf.copy(bigger);
        scratch.buf = bigger;
      }
    }
    scratch.size = read;
    return sha256(scratch.buf.subarray(0, read));
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw new InputError("INPUT_UNREADABLE", `cannot read ${shownPath(path)} (${(e as NodeJS.ErrnoException).code ?? "error"})`, { cause: e });
  } finally {
    closeSync(fd);
  }
}

function hashFiles(dir: string, onProgress?: ProgressFn): SampleHashes {
  const { root, files, skipped, skippedEntries } = walkFiles(dir);
  const sink = new HashSink();
  const scratch = newScratch();
  let bytes = 0;
  for (let i = 0; i < files.length; i++) {
    sink.push(hashFile(bytePath(root + files[i]), scratch));
    bytes += scratch.size;
    if (onProgress && (i & 1023) === 1023) onProgress(i + 1, files.length, bytes);
  }
  onProgress?.(files.length, files.length, bytes);
  return { encoding: "files", hashes: sink.result(), total: sink.count, skipped, skippedEntries, bytes };
}

/**
 * Streams a JSONL or CSV file in 16 MiB reads and hashes each record's raw bytes without its line ending.
 * JSONL: a record is a line; empty lines are skipped. CSV: the first record is the header and is not a sample;
 * a newline inside a double-quoted field belongs to the record.
 */
function hashRecords(path: string, encoding: RecordEncoding, onProgress?: ProgressFn): SampleHashes {
  const skipped = emptySkippedCounts();
  const native = nativeHasher();
  if (native) {
    const r = native.hashRecords(path, encoding === "csv", 0, -1, false, null, false);
    if (r.failure) throw nativeFailureError(path, r.failure);
    skipped.emptyRecords = r.emptyRecords;
    onProgress?.(r.count, null, r.bytes);
    return { encoding, hashes: r.digests!, total: r.count, skipped, bytes: r.bytes };
  }
  const sink = new HashSink();
  const bytes = hashRecordRange(path, encoding, { start: 0, end: Infinity, inQuotes: false }, sink.push, skipped, (b) => onProgress?.(sink.count, null, b));
  return { encoding, hashes: sink.result(), total: sink.count, skipped, skippedEntries: [], bytes };
}

/**
 * A byte range of a record file, for splitting one file over many processes or machines.
 * A record belongs to the range holding its first byte. `inQuotes` is the CSV quote state just before byte
 * `start - 1` (the parity of quotes in [0, start - 1)); JSONL ignores it.
 */
export interface RecordRange {
  start: number;
  end: number;
  inQuotes: boolean;
}

/**
 * Hashes the records that start inside `range`, reading past its end to finish the last one, with the one
 * record splitter (sample-hash.ts). Returns the number of bytes read. Throws INPUT_UNREADABLE or INPUT_INVALID
 * naming the file.
 */
export function hashRecordRange(
  path: string,
  encoding: RecordEncoding,
  range: RecordRange,
  push: (digest: Uint8Array) => void,
  skipped: SkippedCounts,
  onBytes?: (bytes: number) => void,
): number {
  const fd = openForReading(path);
  // Reading starts one byte early so a record starting exactly at range.start is seen to follow a line ending.
  const origin = range.start > 0 ? range.start - 1 : 0;
  const splitter = new RecordSplitter(encoding, (record) => push(sha256(record)), {
    midFile: range.start > 0,
    inQuotes: range.inQuotes,
    limit: range.end - origin,
  });
  const buf = Buffer.allocUnsafe(16 << 20);
  let bytes = 0;
  try {
    while (!splitter.done) {
      const got = readSync(fd, buf, 0, buf.length, origin + bytes);
      if (got === 0) break;
      bytes += got;
      splitter.push(buf.subarray(0, got));
      onBytes?.(bytes);
    }
    splitter.end();
  } catch (e) {
    if (e instanceof InputError && e.code === "INPUT_INVALID") throw new InputError("INPUT_INVALID", `${path}: ${e.message}`);
    if (e instanceof InputError) throw e;
    throw new InputError("INPUT_UNREADABLE", `cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? "error"})`, { cause: e });
  } finally {
    closeSync(fd);
  }
  skipped.emptyRecords += splitter.counts.emptyRecords;
  return bytes;
}

/** The error the JavaScript path throws for the same failure of the native hasher on `path`, word for word. */
export function nativeFailureError(path: string, f: NativeFailure): InputError {
  if (f.op === "quote") return new InputError("INPUT_INVALID", `${path}: a quoted field is not closed before the end of the file`);
  const code = f.op === "memory" ? "out of memory" : errnoCode(f.errno);
  if (f.op === "open") return inputError(path, { code });
  return new InputError("INPUT_UNREADABLE", `cannot read ${path} (${code})`);
}
