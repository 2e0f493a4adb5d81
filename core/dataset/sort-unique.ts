/**
 * Sorts 32-byte hashes ascending (bytewise) and drops duplicates.
 * SHA-256 output is uniform, so a counting sort on the leading bits leaves buckets of a few entries, each
 * sorted by comparison: linear in practice, against n·log n compares of a plain sort. The bucket count grows
 * with n (up to 2^16). `skip` leading bytes are known to be equal (the merge's buckets share their first byte)
 * and are not used as the key.
 */
export function sortUniqueHashes(hashes: Uint8Array, skip = 0): Uint8Array {
  const n = hashes.length / 32;
  if (!Number.isInteger(n)) throw new RangeError("hashes must be whole 32-byte digests");
  const buf = Buffer.from(hashes.buffer, hashes.byteOffset, hashes.byteLength);
  const bits = Math.min(16, Math.max(1, Math.ceil(Math.log2(n + 1))));
  const buckets = 1 << bits;
  const key = (i: number) => ((buf[i * 32 + skip] << 8) | buf[i * 32 + skip + 1]) >>> (16 - bits);
  const starts = new Uint32Array(buckets + 1);
  for (let i = 0; i < n; i++) starts[key(i) + 1]++;
  for (let b = 0; b < buckets; b++) starts[b + 1] += starts[b];
  const fill = starts.slice(0, buckets);
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[fill[key(i)]++] = i;

  // buf.compare(target, tStart, tEnd, sStart, sEnd) orders the source range against the target range.
  const cmp = (a: number, b: number) => buf.compare(buf, b * 32, b * 32 + 32, a * 32, a * 32 + 32);
  const out = Buffer.allocUnsafe(n * 32);
  let written = 0;
  let last = -1;
  for (let b = 0; b < buckets; b++) {
    const s = starts[b];
    const e = starts[b + 1];
    if (e - s > 1) order.subarray(s, e).sort(cmp);
    for (let k = s; k < e; k++) {
      const i = order[k];
      if (last >= 0 && buf.compare(buf, i * 32, i * 32 + 32, last * 32, last * 32 + 32) === 0) continue;
      buf.copy(out, written * 32, i * 32, i * 32 + 32);
      written++;
      last = i;
    }
  }
  return new Uint8Array(out.buffer, out.byteOffset, written * 32);
}
