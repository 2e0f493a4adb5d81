import { concatBytes } from "../../hex.ts";
import { sortUniqueHashes } from "../sort-unique.ts";
import { BUCKETS, BucketFileReader } from "./bucket-file.ts";

/**
 * Splits the 256 buckets into contiguous ranges of about equal hash counts, so ranges can be merged in parallel
 * and handed to the shard writer in order. More ranges than slots keep every slot busy; each range is about
 * 128 Ki hashes (4 MiB) where 256 buckets allow it: the first shard starts soon after the merge does, and the
 * reused range buffers are small (fresh memory costs about 2 s per GB to touch on these machines).
 */
export function bucketRanges(counts: number[], slots: number): Array<{ from: number; to: number }> {
  const total = counts.reduce((a, c) => a + c, 0);
  const want = Math.min(BUCKETS, Math.max(4 * slots, Math.ceil(total / (1 << 17))));
  const ranges: Array<{ from: number; to: number }> = [];
  let from = 0;
  let sum = 0;
  for (let b = 0; b < BUCKETS; b++) {
    sum += counts[b];
    // Close a range once the running total reaches its share of the whole.
    if (b === BUCKETS - 1 || sum >= (total * (ranges.length + 1)) / want) {
      ranges.push({ from, to: b + 1 });
      from = b + 1;
    }
  }
  return ranges.filter((r) => r.to > r.from);
}

/** Buckets [from, to) of the bucket files, each sorted without duplicates (buckets split by first byte, so they concatenate). */
export function mergeRangeJs(files: string[], from: number, to: number): Uint8Array {
  const readers = files.map((p) => new BucketFileReader(p));
  try {
    const parts: Uint8Array[] = [];
    for (let b = from; b < to; b++) {
      const total = readers.reduce((a, r) => a + r.counts[b], 0);
      if (total === 0) continue;
      const bucket = new Uint8Array(total * 32);
      let at = 0;
      for (const r of readers) at += r.readBucketInto(b, bucket, at);
      const sorted = sortUniqueHashes(bucket, 1);
      parts.push(sorted);
    }
    return concatBytes(parts);
  } finally {
    readers.forEach((r) => r.close());
  }
}
