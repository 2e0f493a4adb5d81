/**
 * Sorts 32-byte hashes ascending (bytewise) and drops duplicates.
 * SHA-256 output is uniform, so a counting sort on the leading bits leaves slots of one entry or none, and
 * insertion sort finishes the rest: linear in practice, against n·log n compares of a plain sort. A big input is
 * first split on one byte (256 sequential write streams), so each part's counting sort runs inside the CPU cache.
 * `skip` leading bytes are known to be equal (the merge's buckets share their first byte) and are not used as keys.
 * Compares and copies work on 32-bit words: no Buffer call per hash.
 */
export function sortUniqueHashes(hashes: Uint8Array, skip = 0): Uint8Array {
  const n = hashes.length / 32;
  if (!Number.isInteger(n)) throw new RangeError("hashes must be whole 32-byte digests");
  if (!Number.isInteger(skip) || skip < 0 || skip > 29) throw new RangeError("sortUniqueHashes: skip must be 0..29");
  // Word views need 4-byte alignment; a misaligned input is copied once.
  const src = hashes.byteOffset % 4 === 0 ? hashes : hashes.slice();
  const words = new Uint32Array(src.buffer, src.byteOffset, n * 8);
  const out = new Uint32Array(n * 8);
  let written = 0;
  if (n <= IN_CACHE || skip === 29) {
    written = sortPart(words, 0, n, skip, out, 0);
  } else {
    const parts = new Uint32Array(257);
    for (let i = 0; i < n; i++) parts[src[i * 32 + skip] + 1]++;
    for (let b = 0; b < 256; b++) parts[b + 1] += parts[b];
    const fill = parts.slice(0, 256);
    const split = new Uint32Array(n * 8);
    for (let i = 0; i < n; i++) copyHash(words, i * 8, split, fill[src[i * 32 + skip]]++ * 8);
    for (let b = 0; b < 256; b++) written += sortPart(split, parts[b], parts[b + 1], skip + 1, out, written);
  }
  return new Uint8Array(out.buffer, 0, written * 32);
}

/** Above this many hashes, split on a byte first: the counting sort's slot table then stays in cache. */
const IN_CACHE = 1 << 15;

let slotScratch = new Uint32Array(0);

/**
 * Sorts hashes [from, to) of `w` on their bytes from `skip` on, writing the distinct ones to `out` from hash
 * index `at`; returns how many were written.
 */
function sortPart(w: Uint32Array, from: number, to: number, skip: number, out: Uint32Array, at: number): number {
  const n = to - from;
  if (n === 0) return 0;
  const bytes = new Uint8Array(w.buffer, w.byteOffset, w.length * 4);
  // About two slots per hash, so most slots hold one entry or none.
  const bits = Math.min(16, Math.ceil(Math.log2(n + 1)) + 1);
  const slots = 1 << bits;
  const shift = 24 - bits;
  if (slotScratch.length < slots + 1) slotScratch = new Uint32Array(slots + 1);
  const ends = slotScratch;
  ends.fill(0, 0, slots + 1);
  for (let i = from; i < to; i++) {
    const o = i * 32 + skip;
    ends[(((bytes[o] << 16) | (bytes[o + 1] << 8) | bytes[o + 2]) >>> shift) + 1]++;
  }
  ends[0] = at;
  for (let s = 0; s < slots; s++) ends[s + 1] += ends[s];
  for (let i = from; i < to; i++) {
    const o = i * 32 + skip;
    copyHash(w, i * 8, out, ends[((bytes[o] << 16) | (bytes[o + 1] << 8) | bytes[o + 2]) >>> shift]++ * 8);
  }
  // ends[s] is now the end of slot s, which begins where slot s - 1 ends; compact the distinct ones to `at`.
  let written = at;
  let begin = at;
  for (let s = 0; s < slots; s++) {
    const end = ends[s];
    if (end - begin > CROWDED) sortCrowded(out, begin, end);
    else if (end - begin > 1) insertionSort(out, begin, end);
    for (let k = begin; k < end; k++) {
      if (written > at && equalAt(out, k * 8, (written - 1) * 8)) continue;
      if (written !== k) copyHash(out, k * 8, out, written * 8);
      written++;
    }
    begin = end;
  }
  return written - at;
}

function copyHash(from: Uint32Array, i: number, to: Uint32Array, o: number): void {
  for (let k = 0; k < 8; k++) to[o + k] = from[i + k];
}

/** Reverses the bytes of a little-endian load, so words compare in the order of the bytes they hold. */
const be = (x: number) => (((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24)) >>> 0;

/** Whether hash a sorts before hash b (word offsets into w). */
function lessAt(w: Uint32Array, a: number, b: number): boolean {
  for (let k = 0; k < 8; k++) {
    const x = w[a + k];
    const y = w[b + k];
    if (x !== y) return be(x) < be(y);
  }
  return false;
}

function equalAt(w: Uint32Array, a: number, b: number): boolean {
  for (let k = 0; k < 8; k++) if (w[a + k] !== w[b + k]) return false;
  return true;
}

const held = new Uint32Array(8);

/**
 * Slots of SHA-256 output hold a few hashes; more than this many is input built to collide (bucket files can come
 * from elsewhere, `dataset combine`), which insertion sort would take n squared steps over.
 */
const CROWDED = 16;

/** Sorts a crowded slot [begin, end) of w in place with n log n compares. */
function sortCrowded(w: Uint32Array, begin: number, end: number): void {
  const copy = w.slice(begin * 8, end * 8);
  const order = Array.from({ length: end - begin }, (_, k) => k);
  order.sort((a, b) => (lessAt(copy, a * 8, b * 8) ? -1 : lessAt(copy, b * 8, a * 8) ? 1 : 0));
  order.forEach((k, i) => copyHash(copy, k * 8, w, (begin + i) * 8));
}

/** Sorts hashes [begin, end) of w in place; slots hold a few entries, so insertion sort is the fast one. */
function insertionSort(w: Uint32Array, begin: number, end: number): void {
  for (let k = begin + 1; k < end; k++) {
    if (!lessAt(w, k * 8, (k - 1) * 8)) continue;
    for (let j = 0; j < 8; j++) held[j] = w[k * 8 + j];
    let m = k;
    for (; m > begin && lessHeld(w, (m - 1) * 8); m--) copyHash(w, (m - 1) * 8, w, m * 8);
    for (let j = 0; j < 8; j++) w[m * 8 + j] = held[j];
  }
}

/** Whether the held hash sorts before the hash at word offset b of w. */
function lessHeld(w: Uint32Array, b: number): boolean {
  for (let k = 0; k < 8; k++) {
    const x = held[k];
    const y = w[b + k];
    if (x !== y) return be(x) < be(y);
  }
  return false;
}
