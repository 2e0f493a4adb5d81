import { sha256 as nobleSha256 } from "@noble/hashes/sha2.js";
import { InputError } from "../errors.ts";
import { BROWSER_ENCODINGS, encodingOfName, type BrowserEncoding, type RecordEncoding } from "./encoding-table.ts";

/**
 * The canonical bytes and hashes of encodings-v1 (docs/formats/encodings-v1.md), browser-safe: no Buffer, no
 * node:* imports. The sample hash of one sample is computed here for everyone (the CLI's `prove`, the app, the
 * browser); the CLI hashes whole datasets with encodings.ts, and test/dataset/sample-hash.test.ts runs both over
 * the same bytes.
 */

/** The encodings hashed here (encoding-table.ts has them all). */
export type SampleEncoding = BrowserEncoding;

const NL = 0x0a;
const CR = 0x0d;
const QUOTE = 0x22;

/**
 * The canonical bytes of one sample given on its own (what `provenant prove` takes): a file's bytes under
 * `files`; for `jsonl` and `csv` a one-record file or text, without one final line ending (`\n` or `\r\n`).
 */
export function canonicalSample(bytes: Uint8Array, encoding: SampleEncoding): Uint8Array {
  if (encoding === "files") return bytes;
  let end = bytes.length;
  if (end > 0 && bytes[end - 1] === NL) end--;
  if (end > 0 && bytes[end - 1] === CR) end--;
  return bytes.subarray(0, end);
}

/**
 * node:crypto when Node runs this module, else undefined (a browser). Asked of the process at run time, not
 * imported, so that bundlers see no node:* import and the browser build stays free of it.
 */
const nodeCrypto = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process?.getBuiltinModule?.("node:crypto") as
  typeof import("node:crypto") | undefined;

/** Inputs up to this size are hashed synchronously in a browser; bigger ones go to WebCrypto. */
const SYNC_LIMIT = 64 * 1024;

/**
 * SHA-256, synchronously: node:crypto's one-shot native hash under Node (several times faster), JavaScript (noble)
 * in a browser, where it suits many small records (one call per JSONL line) better than a promise each.
 */
export function sha256Sync(bytes: Uint8Array): Uint8Array {
  return nodeCrypto ? nodeCrypto.hash("sha256", bytes, "buffer") : nobleSha256(bytes);
}

/** SHA-256 of any size: sha256Sync under Node and for small inputs, WebCrypto for big ones in a browser. */
export async function sha256(bytes: Uint8Array): Promise<Uint8Array> {
  if (nodeCrypto || bytes.length <= SYNC_LIMIT) return sha256Sync(bytes);
  return new Uint8Array(await globalThis.crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>));
}

/** An incremental SHA-256, for files too big to hold whole: node:crypto's under Node, JavaScript in a browser. */
export function sha256Stream(): { update(chunk: Uint8Array): void; digest(): Uint8Array } {
  if (nodeCrypto) {
    const n = nodeCrypto.createHash("sha256");
    return { update: (chunk) => void n.update(chunk), digest: () => n.digest() };
  }
  const h = nobleSha256.create();
  return { update: (chunk) => void h.update(chunk), digest: () => h.digest() };
}

/** The sample hash of one sample given on its own: SHA-256 of its canonical bytes. */
export function sampleHash(bytes: Uint8Array, encoding: SampleEncoding): Uint8Array {
  return sha256Sync(canonicalSample(bytes, encoding));
}

/** The sample hash of a text record (a pasted JSONL line), UTF-8 encoded as typed. */
export function textSampleHash(text: string, encoding: SampleEncoding): Uint8Array {
  return sampleHash(new TextEncoder().encode(text), encoding);
}

export interface RecordCounts {
  /** Records taken as samples. */
  records: number;
  /** Empty records, skipped (manifest `skipped.emptyRecords`). */
  emptyRecords: number;
  /** Bytes seen. */
  bytes: number;
}

/**
 * Where a splitter starts and stops inside a record file, for splitting one file over many processes
 * (core/dataset/scale/plan.ts). A record belongs to the range holding its first byte.
 */
export interface SplitRange {
  /**
   * The stream starts one byte before the range (or at the file's start): the bytes up to the first line ending
   * finish the previous range's record and are not emitted.
   */
  midFile: boolean;
  /** CSV: whether the stream's first byte lies inside quotes (the parity of the quotes before it). */
  inQuotes: boolean;
  /** Records starting at or after this stream offset belong to the next range: the splitter stops. */
  limit: number;
}

/**
 * Splits a JSONL or CSV byte stream into records exactly as encodings-v1 says, chunk by chunk, calling
 * `onRecord` with each record's raw bytes without its line ending. JSONL: a record is a line; a `\r` before
 * the `\n` belongs to the ending; empty lines are skipped and counted. CSV: the first record is the header and
 * is not a sample; a `"` toggles quoting, and a `\n` inside quotes belongs to the record. The bytes passed to
 * `onRecord` are only valid during the call. This is the one JavaScript splitter: the browser feeds it a File,
 * the CLI a file's byte range (encodings.ts); the native hasher (native/hash.c) is checked against it.
 */
export class RecordSplitter {
  readonly encoding: RecordEncoding;
  private readonly onRecord: (record: Uint8Array) => void;
  private carry: Uint8Array[] = [];
  private carryLength = 0;
  private inQuotes: boolean;
  private headerPending: boolean;
  /** False until the first line ending of a stream that starts mid-file: those bytes are the previous range's. */
  private aligned: boolean;
  private readonly limit: number;
  /** Stream offset of the current record's first byte. */
  private recordStart = 0;
  private stopped = false;
  readonly counts: RecordCounts = { records: 0, emptyRecords: 0, bytes: 0 };

  constructor(encoding: RecordEncoding, onRecord: (record: Uint8Array) => void, range?: SplitRange) {
    this.encoding = encoding;
    this.onRecord = onRecord;
    this.aligned = !range?.midFile;
    this.inQuotes = range?.midFile ? range.inQuotes : false;
    this.headerPending = encoding === "csv" && !range?.midFile;
    this.limit = range?.limit ?? Infinity;
  }

  /** Whether a record at or past the range's limit was reached: nothing more will be emitted. */
  get done(): boolean {
    return this.stopped;
  }

  private emit(record: Uint8Array): void {
    if (!this.aligned) {
      this.aligned = true;
      return;
    }
    if (this.recordStart >= this.limit) {
      this.stopped = true;
      return;
    }
    const stop = record.length > 0 && record[record.length - 1] === CR ? record.length - 1 : record.length;
    if (this.headerPending) {
      this.headerPending = false;
      return;
    }
    if (stop === 0) {
      this.counts.emptyRecords++;
      return;
    }
    this.counts.records++;
    this.onRecord(record.subarray(0, stop));
  }

  /** The record that ends at `chunk[to]` (exclusive) and began in earlier chunks or at `chunk[from]`. */
  private finishRecord(chunk: Uint8Array, from: number, to: number, chunkStart: number): void {
    if (this.carryLength === 0) this.emit(chunk.subarray(from, to));
    else {
      const record = new Uint8Array(this.carryLength + (to - from));
      let at = 0;
      for (const part of this.carry) {
        record.set(part, at);
        at += part.length;
      }
      record.set(chunk.subarray(from, to), at);
      this.carry = [];
      this.carryLength = 0;
      this.emit(record);
    }
    // The next record starts after this one's line ending.
    this.recordStart = chunkStart + to + 1;
  }

  push(chunk: Uint8Array): void {
    if (this.stopped) return;
    const chunkStart = this.counts.bytes;
    this.counts.bytes += chunk.length;
    let start = 0;
    if (this.encoding === "jsonl") {
      while (!this.stopped) {
        const nl = chunk.indexOf(NL, start);
        if (nl < 0) break;
        this.finishRecord(chunk, start, nl, chunkStart);
        start = nl + 1;
      }
    } else {
      let inQuotes = this.inQuotes;
      for (let i = 0; i < chunk.length && !this.stopped; i++) {
        const c = chunk[i];
        if (c === QUOTE) inQuotes = !inQuotes;
        else if (c === NL && !inQuotes) {
          this.inQuotes = inQuotes;
          this.finishRecord(chunk, start, i, chunkStart);
          start = i + 1;
        }
      }
      this.inQuotes = inQuotes;
    }
    if (start < chunk.length && !this.stopped) {
      // Keep a copy: the caller may reuse the chunk's memory (and a Buffer's own slice() would not copy).
      this.carry.push(Uint8Array.prototype.slice.call(chunk, start));
      this.carryLength += chunk.length - start;
    }
  }

  /** Ends the stream: emits an unterminated last record; a CSV quote still open is an error. */
  end(): RecordCounts {
    if (this.stopped) return this.counts;
    if (this.encoding === "csv" && this.inQuotes) {
      throw new InputError("INPUT_INVALID", "a quoted field is not closed before the end of the file");
    }
    if (this.carryLength > 0) this.finishRecord(new Uint8Array(0), 0, 0, this.counts.bytes);
    return this.counts;
  }
}

/**
 * The `files` rule for a path relative to the dataset directory ("a/b.png"): null when the file is a sample,
 * otherwise the hidden entry that excludes it ("a/.cache" for "a/.cache/x"). A hidden directory is one skipped
 * entry however many files it holds, as the CLI counts it. Browsers cannot see symbolic links (they follow
 * them) nor special files, which the CLI skips.
 */
export function hiddenEntryOf(relativePath: string): string | null {
  const parts = relativePath.split("/").filter((p) => p.length > 0);
  for (let i = 0; i < parts.length; i++) if (parts[i].startsWith(".")) return parts.slice(0, i + 1).join("/");
  return null;
}

/** The encoding a file name implies among those hashed here: `.jsonl`/`.ndjson` is jsonl, `.csv` is csv, else null. */
export function encodingOfFileName(name: string): SampleEncoding | null {
  return encodingOfName(name, BROWSER_ENCODINGS);
}
