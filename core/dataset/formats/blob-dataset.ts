/**
 * A whole WebDataset or Parquet dataset given as Blobs (a browser's Files: the mint page), hashed by the rules
 * `provenant dataset hash` applies on disk (containers.ts): the files with the encoding's name endings, in byte
 * order of their paths, every other file skipped; each shard's keys or each row group's rows in order; no key split
 * between shards. Browser-safe: no node:* imports, so the same leaves come out of a browser as out of the CLI.
 */
import type { Compressors } from "hyparquet";
import { compressors as jsCompressors } from "hyparquet-compressors";
import { DatasetEmptyError } from "../../errors.ts";
import { compareBytes } from "../../hex.ts";
import { ENCODING_TABLE, type ContainerEncoding } from "../encoding-table.ts";
import { sha256Stream, sha256Sync } from "../sample-hash.ts";
import { ByteWriter } from "./canonical-json.ts";
import { openParquet, readRowGroup } from "./parquet-rows.ts";
import { blobFile } from "./single-sample.ts";
import { hashTarBlob } from "./tar-members.ts";
import { checkShardBoundaries } from "./webdataset.ts";

/** One file of the dataset: its path inside the chosen folder ("data/train-0.parquet") or its name, and its bytes. */
export interface DatasetBlob {
  path: string;
  blob: Blob;
}

export interface BlobDatasetResult {
  /** Samples hashed (rows; keys), duplicates included. */
  total: number;
  /** Bytes of the dataset's files as stored. */
  bytes: number;
  /** Files left out: not of the encoding (a README beside the shards). */
  otherFiles: number;
}

/** Many messages hashed in one call: data[ends[i-1], ends[i]) for each i, digests back to back (native.ts sha256Many). */
export type HashMany = (data: Uint8Array, ends: Uint32Array) => Uint8Array;

/**
 * A row hasher over a flushing writer: a row under the writer's 1 MiB is hashed in one call, or with `many` (the
 * CLI's native hasher) gathered with the next rows and hashed a batch at a time, since a call per row costs more
 * than the hash of a short row; a bigger row streams through an incremental hash as it is written, so no row is
 * held whole. Digests reach `push` in row order; `flush()` hands over the last batch (call it after the rows).
 */
export function rowHasher(push: (digest: Uint8Array) => void, many?: HashMany): { writer: ByteWriter; onRow: (w: ByteWriter) => void; flush: () => void } {
  let h = sha256Stream();
  const writer = new ByteWriter(64 << 10, (bytes) => h.update(bytes));
  let batch = new Uint8Array(many ? 1 << 20 : 0);
  const ends = new Uint32Array(many ? 4096 : 0);
  let used = 0;
  let count = 0;
  const flush = () => {
    if (count === 0) return;
    const digests = many!(batch.subarray(0, used), ends.subarray(0, count));
    for (let i = 0; i < count; i++) push(digests.subarray(32 * i, 32 * i + 32));
    used = 0;
    count = 0;
  };
  return {
    writer,
    flush,
    onRow(w) {
      if (w.flushed === 0) {
        const row = w.result();
        if (!many) return push(sha256Sync(row));
        if (used + row.length > batch.length) {
          flush();
          if (row.length > batch.length) batch = new Uint8Array(row.length);
        }
        batch.set(row, used);
        used += row.length;
        ends[count++] = used;
        if (count === ends.length) flush();
      } else {
        flush(); // the batch's rows come first
        h.update(w.result());
        push(h.digest());
        h = sha256Stream();
      }
    },
  };
}

const utf8 = new TextEncoder();

/** The dataset's files among `blobs`, in the CLI's walk order (byte order of the paths), and how many others there were. */
export function datasetBlobs(blobs: readonly DatasetBlob[], encoding: ContainerEncoding): { files: DatasetBlob[]; otherFiles: number } {
  const endings = ENCODING_TABLE[encoding].fileEndings;
  const files = blobs.filter((b) => endings.some((e) => b.path.toLowerCase().endsWith(e)));
  files.sort((a, b) => compareBytes(utf8.encode(a.path), utf8.encode(b.path)));
  return { files, otherFiles: blobs.length - files.length };
}

/**
 * Hashes every sample of the dataset, pushing each sample hash in dataset order; `onFile` after each file (bytes
 * of the files read so far). Throws DATASET_EMPTY when there is no sample, and any file's refusal as the CLI words it.
 */
export async function hashBlobDataset(
  blobs: readonly DatasetBlob[],
  encoding: ContainerEncoding,
  push: (digest: Uint8Array) => void,
  options: { compressors?: Compressors; onFile?: (bytes: number) => void } = {},
): Promise<BlobDatasetResult> {
  const { files, otherFiles } = datasetBlobs(blobs, encoding);
  let total = 0;
  let bytes = 0;
  const counted = (d: Uint8Array) => {
    total++;
    push(d);
  };
  const shards: Array<{ name: string; firstKey: string | null; lastKey: string | null }> = [];
  for (const f of files) {
    if (encoding === "webdataset") {
      let firstKey: string | null = null;
      let lastKey: string | null = null;
      for (const s of await hashTarBlob(f.blob, f.path)) {
        firstKey ??= s.key;
        lastKey = s.key;
        counted(s.digest);
      }
      shards.push({ name: f.path, firstKey, lastKey });
    } else {
      const src = await blobFile(f.blob, f.path).open();
      const { metadata, schema } = await openParquet(src);
      const hasher = rowHasher(counted);
      for (let g = 0; g < metadata.row_groups.length; g++) {
        await readRowGroup(src, metadata, schema, g, { compressors: options.compressors ?? jsCompressors, writer: hasher.writer, onRow: hasher.onRow });
        hasher.flush();
      }
    }
    bytes += f.blob.size;
    options.onFile?.(bytes);
  }
  checkShardBoundaries(shards);
  if (total === 0) throw new DatasetEmptyError(files.length === 1 ? files[0].path : "the chosen files");
  return { total, bytes, otherFiles };
}
