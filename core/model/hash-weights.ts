import { closeSync, openSync, readSync } from "node:fs";
import { createHash } from "node:crypto";
import { InputError } from "../errors.ts";
import { toHex } from "../hex.ts";
import { hashFile, newScratch, type ReadScratch } from "../dataset/encodings.ts";
import { ModelEmptyError } from "./errors.ts";
import type { WeightResource } from "./digest.ts";
import { hashShardsInParallel, type ShardTask } from "./hash-pool.ts";
import { listWeightFiles } from "./list.ts";

/**
 * Shard size of provenant-model-v1: 1,000,000,000 bytes, OpenSSF model-signing's default, so that the
 * resources Provenant lists are the ones `model_signing` computes with its shard serialization (same names,
 * same digests, same subject digest). A shard is the unit of parallel hashing: a 70 GB checkpoint of a few
 * 5-10 GB files still splits into 70 tasks for the worker threads, and one task never needs more than one
 * 8 MiB read buffer.
 */
export const MODEL_SHARD_SIZE = 1_000_000_000;

/** Shards at least this long are hashed on worker threads; shorter ones on the calling thread. */
export const PARALLEL_MIN_BYTES = 32 << 20;

export interface HashWeightsOptions {
  /** Bytes per shard; the format's is MODEL_SHARD_SIZE. Tests set small sizes to exercise splitting. */
  shardSize?: number;
  /** Worker threads for big shards (default: available parallelism, at most 16). */
  workers?: number;
  /** Shards of at least this many bytes go to the workers (default PARALLEL_MIN_BYTES). */
  parallelMinBytes?: number;
  onProgress?: (bytesDone: number, bytesTotal: number) => void;
}

export interface HashedWeights {
  resources: WeightResource[];
  shardSize: number;
  bytes: number;
  hidden: string[];
  empty: string[];
  seconds: number;
  /** Shards hashed on worker threads. */
  parallelShards: number;
}

/** SHA-256 of bytes [start, end) of a file, on the calling thread, through a reused buffer. */
function hashRange(abs: string, path: string, start: number, end: number, scratch: ReadScratch): string {
  let fd: number;
  try {
    fd = openSync(abs, "r");
  } catch (e) {
    throw new InputError("INPUT_UNREADABLE", `cannot read ${path} (${(e as NodeJS.ErrnoException).code})`, { cause: e });
  }
  try {
    const h = createHash("sha256");
    let pos = start;
    while (pos < end) {
      const got = readSync(fd, scratch.buf, 0, Math.min(scratch.buf.length, end - pos), pos);
      if (got === 0) throw new InputError("INPUT_UNREADABLE", `${path} became shorter while it was hashed`);
      h.update(scratch.buf.subarray(0, got));
      pos += got;
    }
    return toHex(h.digest());
  } finally {
    closeSync(fd);
  }
}

/**
 * Hashes a weights directory into manifest resources: every non-hidden, non-empty file, cut into shards of
 * `shardSize` bytes, each hashed with SHA-256; big shards on worker threads, in parallel. Resources come
 * back in manifest order. Throws MODEL_EMPTY when there is no byte to commit to.
 */
export async function hashWeights(dir: string, options: HashWeightsOptions = {}): Promise<HashedWeights> {
  const t0 = performance.now();
  const shardSize = options.shardSize ?? MODEL_SHARD_SIZE;
  if (!Number.isSafeInteger(shardSize) || shardSize < 1) throw new RangeError(`shard size ${shardSize}`);
  const parallelMin = options.parallelMinBytes ?? PARALLEL_MIN_BYTES;
  const listing = listWeightFiles(dir);
  if (listing.files.length === 0) throw new ModelEmptyError(dir);

  const resources: WeightResource[] = [];
  const big: { index: number; task: ShardTask }[] = [];
  const small: { index: number; task: ShardTask; whole: boolean }[] = [];
  let bytes = 0;
  for (const f of listing.files) {
    bytes += f.size;
    for (let start = 0; start < f.size; start += shardSize) {
      const end = Math.min(f.size, start + shardSize);
      const task = { abs: f.abs, path: f.path, start, end };
      const index = resources.push({ path: f.path, start, end, digest: "0x" }) - 1;
      if (end - start >= parallelMin) big.push({ index, task });
      else small.push({ index, task, whole: start === 0 && end === f.size });
    }
  }

  let done = 0;
  const progress = (n: number) => {
    done += n;
    options.onProgress?.(done, bytes);
  };
  const parallel = hashShardsInParallel(
    big.map((b) => b.task),
    { workers: options.workers, onBytes: progress },
  );
  // Small shards on this thread meanwhile, yielding now and then so the workers get their next tasks.
  const scratch = newScratch();
  let sinceYield = 0;
  for (const s of small) {
    const { task } = s;
    if (s.whole) {
      resources[s.index].digest = toHex(hashFile(task.abs, scratch));
      if (scratch.size !== task.end) throw new InputError("INPUT_UNREADABLE", `${task.path} changed size while it was hashed`);
    } else {
      resources[s.index].digest = hashRange(task.abs, task.path, task.start, task.end, scratch) as `0x${string}`;
    }
    progress(task.end - task.start);
    sinceYield += task.end - task.start + 4096;
    if (big.length > 0 && sinceYield > 64 << 20) {
      sinceYield = 0;
      await new Promise((r) => setImmediate(r));
    }
  }
  const digests = await parallel;
  big.forEach((b, i) => (resources[b.index].digest = digests[i]));
  return {
    resources,
    shardSize,
    bytes,
    hidden: listing.hidden,
    empty: listing.empty,
    seconds: (performance.now() - t0) / 1000,
    parallelShards: big.length,
  };
}
