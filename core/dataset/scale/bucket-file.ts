import { closeSync, fstatSync, openSync, readSync, renameSync, writeSync } from "node:fs";
import { FormatError } from "../../errors.ts";

/**
 * A run: the sample hashes of one work unit, grouped by their first byte (256 buckets), so the merge can
 * take bucket b from every run and sort just that slice in memory. That keeps peak memory near
 * n/256 hashes at any n: an external distribution sort.
 *   "PVNTRUN1" | 256 x u64 counts (big-endian) | hashes, bucket 0 first
 */
const MAGIC = Buffer.from("PVNTRUN1", "latin1");
export const BUCKETS = 256;
const HEADER = 8 + BUCKETS * 8;

let runBody = Buffer.alloc(0);

/** Writes hashes (any order) as a bucketed run, atomically: a run file either exists whole or not at all. */
export function writeRun(path: string, hashes: Uint8Array): void {
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
  // One body buffer per process, reused run after run: a fresh one per run was not collected soon enough.
  if (runBody.length < n * 32) runBody = Buffer.allocUnsafeSlow(n * 32);
  const body = runBody.subarray(0, n * 32);
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
 * Run files can come from other machines (`dataset combine`): a run whose header and size disagree, or that files
 * a hash under another first byte (which would commit an unsorted tree), is refused naming the file.
 * The native merge reports the same two failures; these are the words for both.
 */
export const runDamaged = (path: string) => new FormatError("MANIFEST_INVALID", `${path} is not a complete provenant run file`);
export const runMisfiled = (path: string) =>
  new FormatError("MANIFEST_INVALID", `${path} holds a hash outside its bucket: it was not written by provenant, or was changed`);

/** An open run: bucket b's hashes are read on demand. */
export class RunReader {
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
      throw runDamaged(path);
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
      if (got === 0) throw runDamaged(this.path);
      done += got;
    }
    for (let i = at; i < at + len; i += 32) if (out[i] !== b) throw runMisfiled(this.path);
    return len;
  }

  close(): void {
    closeSync(this.fd);
  }
}
