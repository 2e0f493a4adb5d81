import { closeSync, fstatSync, openSync, readSync, renameSync, writeSync } from "node:fs";
import { FormatError } from "../../errors.ts";

/**
 * A bucket file: the sample hashes of one work unit, grouped by their first byte (256 buckets), so the merge
 * can take bucket b from every file and sort just that slice in memory. That keeps peak memory near
 * n/256 hashes at any n: an external distribution sort.
 *   "PVNTRUN1" | 256 x u64 counts (big-endian) | hashes, bucket 0 first
 */
const MAGIC = Buffer.from("PVNTRUN1", "latin1");
export const BUCKETS = 256;
const HEADER = 8 + BUCKETS * 8;

let bodyScratch = Buffer.alloc(0);

/** Writes hashes (any order) as a bucket file, atomically: it either exists whole or not at all. */
export function writeBucketFile(path: string, hashes: Uint8Array): void {
  const n = hashes.length / 32;
  const counts = new Float64Array(BUCKETS);
  for (let i = 0; i < n; i++) counts[hashes[i * 32]]++;
  const header = Buffer.alloc(HEADER);
  MAGIC.copy(header, 0);
  const offsets = new Float64Array(BUCKETS);
  let at = 0;
  for (let b = 0; b < BUCKETS; b++) {
    header.writeBigUInt64BE(BigInt(counts[b]), 8 + b * 8);
    offsets[b] = at;
    at += counts[b];
  }
  // Word copies, not a Buffer call per hash; a misaligned input is copied once to get word views.
  const src = hashes.byteOffset % 4 === 0 ? hashes : hashes.slice();
  const words = new Uint32Array(src.buffer, src.byteOffset, n * 8);
  // One body buffer per process, reused file after file: a fresh one per file was not collected soon enough.
  if (bodyScratch.length < n * 32) bodyScratch = Buffer.allocUnsafeSlow(n * 32);
  const body = bodyScratch.subarray(0, n * 32);
  const bodyWords = new Uint32Array(body.buffer, body.byteOffset, n * 8);
  for (let i = 0; i < n; i++) {
    const o = offsets[src[i * 32]]++ * 8;
    for (let k = 0; k < 8; k++) bodyWords[o + k] = words[i * 8 + k];
  }
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, "w");
  try {
    writeSync(fd, header);
    for (let off = 0; off < body.length; off += 1 << 26) writeSync(fd, body, off, Math.min(1 << 26, body.length - off));
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

/**
 * Bucket files can come from other machines (`dataset combine`): a file whose header and size disagree, or that files
 * a hash under another first byte (which would commit an unsorted tree), is refused naming the file.
 * The native merge reports the same two failures; these are the words for both.
 */
export const bucketFileDamaged = (path: string) => new FormatError("MANIFEST_INVALID", `${path} is not a complete provenant bucket file`);
export const bucketFileMisfiled = (path: string) =>
  new FormatError("MANIFEST_INVALID", `${path} holds a hash outside its bucket: it was not written by provenant, or was changed`);

/** An open bucket file: bucket b's hashes are read on demand. */
export class BucketFileReader {
  readonly path: string;
  readonly counts: number[];
  private readonly offsets: number[];
  private readonly fd: number;

  constructor(path: string) {
    this.path = path;
    this.fd = openSync(path, "r");
    const header = Buffer.alloc(HEADER);
    // Sums in BigInt: a crafted count must not round or overflow its way past the size check.
    let sum = 0n;
    const counts: bigint[] = [];
    if (readSync(this.fd, header, 0, HEADER, 0) === HEADER && header.subarray(0, 8).equals(MAGIC)) {
      for (let b = 0; b < BUCKETS; b++) counts.push(header.readBigUInt64BE(8 + b * 8));
      sum = counts.reduce((a, c) => a + c, 0n);
    }
    if (counts.length !== BUCKETS || BigInt(HEADER) + sum * 32n !== BigInt(fstatSync(this.fd).size)) {
      closeSync(this.fd);
      throw bucketFileDamaged(path);
    }
    this.counts = [];
    this.offsets = [];
    let at = HEADER;
    for (let b = 0; b < BUCKETS; b++) {
      const c = Number(counts[b]);
      this.counts.push(c);
      this.offsets.push(at);
      at += c * 32;
    }
  }

  get total(): number {
    return this.counts.reduce((a, c) => a + c, 0);
  }

  /** Reads bucket b into `out` at byte `at`, checking every hash starts with byte b; returns the bytes read. */
  readBucketInto(b: number, out: Uint8Array, at: number): number {
    const len = this.counts[b] * 32;
    let done = 0;
    while (done < len) {
      const got = readSync(this.fd, out, at + done, len - done, this.offsets[b] + done);
      if (got === 0) throw bucketFileDamaged(this.path);
      done += got;
    }
    for (let i = at; i < at + len; i += 32) if (out[i] !== b) throw bucketFileMisfiled(this.path);
    return len;
  }

  close(): void {
    closeSync(this.fd);
  }
}
