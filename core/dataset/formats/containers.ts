/**
 * The encodings-v2 containers on disk: which files a WebDataset or Parquet dataset is made of (a shard or a
 * .parquet file, or a directory of them such as a Hugging Face dataset folder, optionally one split of it), the
 * work units they cut into (a shard; a row group), and hashing one unit. Node-side: files are read with node:fs.
 */
import { closeSync, fstatSync, openSync, readSync, statSync } from "node:fs";
import { basename, resolve } from "node:path";
import * as zlib from "node:zlib";
import type { Compressors, FileMetaData } from "hyparquet";
import { compressors as jsCompressors } from "hyparquet-compressors";
import { DatasetEmptyError, InputError } from "../../errors.ts";
import { ENCODING_TABLE, type ContainerEncoding } from "../encoding-table.ts";
import { bytePath, displayPath, emptySkippedCounts, HashSink, inputError, walkFiles, type SampleHashes, type SkippedCounts } from "../encodings.ts";
import { nativeHasher } from "../native.ts";
import type { SkippedEntry } from "../skipped.ts";
import { rowHasher } from "./blob-dataset.ts";
import { footerLength, openParquet, parseFooter, readRowGroup, type ByteSource } from "./parquet-rows.ts";
import { rowSchema } from "./parquet-schema.ts";
import { hashShard, type ShardResult } from "./tar-shard.ts";
import { checkShardBoundaries } from "./webdataset.ts";

export { isContainerEncoding, type ContainerEncoding } from "../encoding-table.ts";

/** One file of a container dataset: its absolute path as a byte string, how messages name it, its size. */
export interface ContainerFile {
  path: string;
  name: string;
  /** Its path relative to the dataset directory in text form, or its base name alone: what the plan hash covers. */
  rel: string;
  size: number;
}

export interface ContainerListing {
  files: ContainerFile[];
  /** Entries of a directory that are not part of the dataset: hidden, links, special files, other files. */
  skippedEntries: SkippedEntry[];
}

const endsWithAny = (name: string, endings: readonly string[]) => endings.some((e) => name.toLowerCase().endsWith(e));

/**
 * A Hugging Face split of a file, from its path relative to the dataset folder: `<split>-00000-of-00002….parquet`
 * names it in the file name; otherwise it is the file's directory ("plain_text/train/0000.parquet" is train), or
 * the file name itself for a file at the top.
 */
export function splitOf(relative: string): string {
  const parts = relative.split("/");
  const base = parts[parts.length - 1];
  const m = /^(.+?)-\d{5}-of-\d{5}[^/]*$/i.exec(base);
  if (m) return m[1];
  if (parts.length > 1) return parts[parts.length - 2];
  return base.replace(/\.[^.]*$/, "");
}

/**
 * The files of a dataset: `input` itself when it is a file, or every file with the encoding's name endings under a
 * directory, walked as `files` walks (byte order; hidden entries and links skipped and listed). Other regular files
 * (a README beside the shards) are skipped and listed as `other-file`. With `split`, only that split's files.
 */
export function listContainerFiles(input: string, encoding: ContainerEncoding, split?: string): ContainerListing {
  const endings = ENCODING_TABLE[encoding].fileEndings;
  let st;
  try {
    st = statSync(input);
  } catch (e) {
    throw inputError(input, e);
  }
  if (st.isFile()) {
    if (split !== undefined) throw new InputError("INPUT_INVALID", `a split picks files of a dataset directory, and ${input} is one file`);
    return { files: [{ path: Buffer.from(input).toString("latin1"), name: input, rel: basename(input), size: st.size }], skippedEntries: [] };
  }
  if (!st.isDirectory()) throw new InputError("INPUT_INVALID", `${input} is neither a file nor a directory`);
  const walk = walkFiles(input);
  const skippedEntries = [...walk.skippedEntries];
  const files: ContainerFile[] = [];
  const splits = new Set<string>();
  for (const rel of walk.files) {
    const text = displayPath(rel);
    if (!endsWithAny(rel, endings)) {
      skippedEntries.push({ path: text, reason: "other-file" });
      continue;
    }
    const s = splitOf(text);
    splits.add(s);
    if (split !== undefined && s !== split) continue;
    let size: number;
    try {
      size = statSync(bytePath(walk.root + rel)).size;
    } catch (e) {
      throw inputError(displayPath(walk.root + rel), e);
    }
    files.push({ path: walk.root + rel, name: text, rel: text, size });
  }
  if (split !== undefined && files.length === 0) {
    throw new InputError("INPUT_INVALID", `${input} has no files of split "${split}"${splits.size ? `: its splits are ${[...splits].sort().join(", ")}` : ""}`);
  }
  return { files, skippedEntries };
}

// ---- reading ----------------------------------------------------------------------------------------------

/** A file as a ByteSource read with synchronous calls (the reader awaits them as plain values). */
export function fileSource(path: string | Buffer, name: string): ByteSource & { close(): void } {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (e) {
    throw inputError(name, e);
  }
  const size = fstatSync(fd).size;
  return {
    name,
    size,
    read(offset, length) {
      const out = Buffer.allocUnsafe(length);
      let got = 0;
      while (got < length) {
        const n = readSync(fd, out, got, length - got, offset + got);
        if (n === 0) break;
        got += n;
      }
      return got === length ? out : out.subarray(0, got);
    },
    close: () => closeSync(fd),
  };
}

const exact = (out: Uint8Array, length: number) => {
  if (out.length !== length) throw new Error(`decompressed ${out.length} bytes, the page header says ${length}`);
  return out;
};

/** Decompressors: node's zlib where it has the codec (GZIP, BROTLI, ZSTD), hyparquet-compressors for the rest. */
export const nodeCompressors: Compressors = {
  ...jsCompressors,
  GZIP: (input, length) => exact(zlib.unzipSync(input), length),
  BROTLI: (input, length) => exact(zlib.brotliDecompressSync(input), length),
  // Node 22.15 and later; before, hyparquet-compressors' JavaScript zstd.
  ...("zstdDecompressSync" in zlib
    ? { ZSTD: (input: Uint8Array, length: number) => exact((zlib as unknown as { zstdDecompressSync: (b: Uint8Array) => Buffer }).zstdDecompressSync(input), length) }
    : {}),
};

/** A file's metadata (footer), read synchronously (planning is synchronous), with messages naming it. */
export function parquetFileMetadata(file: ContainerFile): FileMetaData {
  const src = fileSource(bytePath(file.path), file.name);
  try {
    const read = (offset: number, length: number) => src.read(offset, length) as Uint8Array;
    const length = footerLength(file.name, src.size, src.size >= 12 ? read(0, 4) : new Uint8Array(4), src.size >= 12 ? read(src.size - 8, 8) : new Uint8Array(8));
    const metadata = parseFooter(file.name, src.size, read(src.size - 8 - length, length + 8));
    rowSchema(metadata, file.name); // refuse an unsupported type at planning, before any hashing
    return metadata;
  } finally {
    src.close();
  }
}

/** Hashes row group `g` of a Parquet file, pushing each row's SHA-256 in order; returns the rows. */
export async function hashRowGroupOf(file: ContainerFile, g: number, push: (digest: Uint8Array) => void, onRows?: (rows: number) => void): Promise<number> {
  const src = fileSource(bytePath(file.path), file.name);
  try {
    const { metadata, schema } = await openParquet(src);
    if (g >= metadata.row_groups.length)
      throw new InputError("INPUT_INVALID", `${file.name} has ${metadata.row_groups.length} row groups, not ${g + 1}: it changed since the plan`);
    let rows = 0;
    const native = nativeHasher();
    const hasher = rowHasher(push, native ? (data, ends) => native.sha256Many(data, ends) : undefined);
    const read = await readRowGroup(src, metadata, schema, g, {
      compressors: nodeCompressors,
      writer: hasher.writer,
      onRow: (w) => {
        hasher.onRow(w);
        if (onRows && (++rows & 4095) === 0) onRows(rows);
      },
    });
    hasher.flush();
    return read;
  } finally {
    src.close();
  }
}

/** Hashes one shard's samples in order. */
export function hashShardOf(file: ContainerFile, push: (digest: Uint8Array, key: string) => void, onSamples?: (samples: number) => void): Promise<ShardResult> {
  let samples = 0;
  return hashShard(bytePath(file.path), file.name, (d, key) => {
    push(d, key);
    if (onSamples && (++samples & 1023) === 0) onSamples(samples);
  });
}

/** The manifest's counts of skipped entries: hidden, symlinks, and every other reason as other. */
export function countSkipped(entries: readonly SkippedEntry[]): SkippedCounts {
  const skipped = emptySkippedCounts();
  for (const e of entries) {
    if (e.reason === "hidden") skipped.hidden++;
    else if (e.reason === "symlink") skipped.symlinks++;
    else skipped.other++;
  }
  return skipped;
}

/**
 * Every sample hash of a container dataset in this process, in file and shard (or row) order: the reference the
 * parallel pipeline (scale/) is checked against, and the test vectors' generator.
 */
export async function hashContainerSamples(path: string, encoding: ContainerEncoding, split?: string): Promise<SampleHashes> {
  const { files, skippedEntries } = listContainerFiles(resolve(path), encoding, split);
  const sink = new HashSink();
  const shards: Array<{ name: string; firstKey: string | null; lastKey: string | null }> = [];
  let bytes = 0;
  for (const f of files) {
    bytes += f.size;
    if (encoding === "webdataset") {
      const r = await hashShardOf(f, sink.push);
      shards.push({ name: f.name, firstKey: r.firstKey, lastKey: r.lastKey });
    } else {
      const groups = parquetFileMetadata(f).row_groups.length;
      for (let g = 0; g < groups; g++) await hashRowGroupOf(f, g, sink.push);
    }
  }
  checkShardBoundaries(shards);
  if (sink.count === 0) throw new DatasetEmptyError(path);
  return { encoding, hashes: sink.result(), total: sink.count, skipped: countSkipped(skippedEntries), skippedEntries, bytes };
}
