/// <reference lib="webworker" />
import { canonicalSample, RecordSplitter, sha256, sha256Stream, sha256Sync } from "../../core/dataset/sample-hash.ts";
import { isProvenantError } from "../../core/errors.ts";
import { shardedRoot } from "../../core/dataset/sharded-root.ts";
import { sortUniqueHashes } from "../../core/dataset/sort-unique.ts";
import { hashBlobDataset } from "../../core/dataset/formats/blob-dataset.ts";
import type { DatasetResult, HashRequest, HashResponse, SampleResult } from "./hash-protocol.ts";
import { MAX_BROWSER_LEAVES, STREAM_SAMPLE_BYTES } from "./limits.ts";

/**
 * Hashing off the page's thread: one sample to prove, or a whole dataset to mint (a folder's files, or a
 * JSONL/CSV file's records), with the canonical encodings of core/dataset/sample-hash.ts.
 */
declare const self: DedicatedWorkerGlobalScope;

const post = (m: HashResponse, transfer: Transferable[] = []) => self.postMessage(m, transfer);

/** Posts progress at most every 100 ms. */
function progressPoster(id: number, total: number | null, totalBytes: number) {
  let last = 0;
  return (done: number, bytes: number, force = false) => {
    const now = performance.now();
    if (!force && now - last < 100) return;
    last = now;
    post({ id, type: "progress", done, total, bytes, totalBytes });
  };
}

async function hashSample(req: Extract<HashRequest, { kind: "sample" }>): Promise<SampleResult> {
  const t0 = performance.now();
  const { file, encoding } = req;
  const progress = progressPoster(req.id, 1, file.size);
  let hash: Uint8Array;
  let streamed = false;
  let records: number | null = null;
  if (file.size <= STREAM_SAMPLE_BYTES) {
    const bytes = new Uint8Array(await file.arrayBuffer());
    hash = await sha256(canonicalSample(bytes, encoding));
    if (encoding !== "files") {
      const splitter = new RecordSplitter(encoding, () => {});
      splitter.push(bytes);
      try {
        // Counted as a dataset file would be; for CSV the first record is a header there, a record here.
        records = splitter.end().records + (encoding === "csv" ? 1 : 0);
      } catch {
        records = null;
      }
    }
  } else {
    // Too big to hold whole for WebCrypto: stream through an incremental hash, holding back the last two
    // bytes so canonicalSample can drop a final line ending exactly as it does on whole bytes.
    streamed = true;
    const h = sha256Stream();
    let tail: Uint8Array = new Uint8Array(0);
    let seen = 0;
    const reader = file.stream().getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      const joined = new Uint8Array(tail.length + value.length);
      joined.set(tail);
      joined.set(value, tail.length);
      const keep = Math.min(2, joined.length);
      h.update(joined.subarray(0, joined.length - keep));
      tail = joined.slice(joined.length - keep);
      seen += value.length;
      progress(0, seen);
    }
    h.update(canonicalSample(tail, encoding));
    hash = h.digest();
  }
  return { hash, bytes: file.size, records, ms: performance.now() - t0, streamed };
}

function finish(id: number, hashes: Uint8Array, total: number, base: Omit<DatasetResult, "leaves" | "root" | "n" | "commitMs">) {
  const t0 = performance.now();
  if (total === 0) throw Object.assign(new Error("there are no samples to hash: an empty dataset has no commitment"), { code: "DATASET_EMPTY" });
  // The same leaves and root as core/dataset/commit.ts; the server recomputes both before it stores anything.
  const leaves = sortUniqueHashes(hashes.subarray(0, total * 32));
  const { root } = shardedRoot(leaves);
  const result: DatasetResult = { ...base, leaves, root, n: leaves.length / 32, commitMs: performance.now() - t0 };
  post({ id, type: "dataset", result }, [leaves.buffer as ArrayBuffer]);
}

async function hashFiles(req: Extract<HashRequest, { kind: "files" }>): Promise<void> {
  const t0 = performance.now();
  const { entries } = req;
  const totalBytes = entries.reduce((a, e) => a + e.file.size, 0);
  const progress = progressPoster(req.id, entries.length, totalBytes);
  const hashes = new Uint8Array(entries.length * 32);
  let done = 0;
  let bytes = 0;
  // A few reads in flight keep the disk busy while earlier files hash.
  let next = 0;
  const lane = async () => {
    while (next < entries.length) {
      const i = next++;
      const file = entries[i].file;
      let digest: Uint8Array;
      if (file.size <= STREAM_SAMPLE_BYTES) {
        digest = await sha256(new Uint8Array(await file.arrayBuffer()));
      } else {
        const h = sha256Stream();
        const reader = file.stream().getReader();
        for (;;) {
          const { done: end, value } = await reader.read();
          if (end) break;
          h.update(value);
        }
        digest = h.digest();
      }
      hashes.set(digest, i * 32);
      done++;
      bytes += file.size;
      progress(done, bytes);
    }
  };
  await Promise.all(Array.from({ length: 8 }, lane));
  progress(done, bytes, true);
  finish(req.id, hashes, entries.length, {
    encoding: "files",
    totalSamples: entries.length,
    skipped: { hidden: req.skippedHidden, symlinks: 0, other: 0, emptyRecords: 0 },
    bytes,
    hashMs: performance.now() - t0,
  });
}

async function hashRecords(req: Extract<HashRequest, { kind: "records" }>): Promise<void> {
  const t0 = performance.now();
  const { file, encoding } = req;
  const progress = progressPoster(req.id, null, file.size);
  let hashes = new Uint8Array(32 * 65_536);
  let count = 0;
  const splitter = new RecordSplitter(encoding, (record) => {
    if (count >= MAX_BROWSER_LEAVES) {
      throw Object.assign(new Error(`${file.name} holds more than ${MAX_BROWSER_LEAVES.toLocaleString("en-US")} records, more than this page hashes`), {
        code: "FILE_TOO_BIG",
      });
    }
    if ((count + 1) * 32 > hashes.length) {
      const bigger = new Uint8Array(hashes.length * 2);
      bigger.set(hashes);
      hashes = bigger;
    }
    hashes.set(sha256Sync(record), count * 32);
    count++;
  });
  const reader = file.stream().getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    splitter.push(value);
    progress(count, splitter.counts.bytes);
  }
  const counts = splitter.end();
  progress(count, counts.bytes, true);
  finish(req.id, hashes, count, {
    encoding,
    totalSamples: count,
    skipped: { hidden: 0, symlinks: 0, other: 0, emptyRecords: counts.emptyRecords },
    bytes: counts.bytes,
    hashMs: performance.now() - t0,
  });
}

async function hashContainer(req: Extract<HashRequest, { kind: "container" }>): Promise<void> {
  const t0 = performance.now();
  const totalBytes = req.entries.reduce((a, e) => a + e.file.size, 0);
  const progress = progressPoster(req.id, null, totalBytes);
  let hashes = new Uint8Array(32 * 4096);
  let count = 0;
  const push = (digest: Uint8Array) => {
    if (count >= MAX_BROWSER_LEAVES) {
      throw Object.assign(new Error(`more than ${MAX_BROWSER_LEAVES.toLocaleString("en-US")} samples, more than this page hashes`), { code: "FILE_TOO_BIG" });
    }
    if ((count + 1) * 32 > hashes.length) {
      const bigger = new Uint8Array(hashes.length * 2);
      bigger.set(hashes);
      hashes = bigger;
    }
    hashes.set(digest, count * 32);
    count++;
  };
  const entries = req.entries.map((e) => ({ path: e.path, blob: e.file }));
  const r = await hashBlobDataset(entries, req.encoding, push, { onFile: (bytes) => progress(count, bytes) });
  progress(count, r.bytes, true);
  finish(req.id, hashes, count, {
    encoding: req.encoding,
    totalSamples: r.total,
    skipped: { hidden: req.skippedHidden, symlinks: 0, other: r.otherFiles, emptyRecords: 0 },
    bytes: r.bytes,
    hashMs: performance.now() - t0,
  });
}

self.onmessage = async (event: MessageEvent<HashRequest>) => {
  const req = event.data;
  try {
    if (req.kind === "sample") post({ id: req.id, type: "sample", result: await hashSample(req) });
    else if (req.kind === "files") await hashFiles(req);
    else if (req.kind === "container") await hashContainer(req);
    else await hashRecords(req);
  } catch (e) {
    const code = isProvenantError(e) ? e.code : ((e as { code?: string }).code ?? "INTERNAL");
    const message = (e as Error)?.message ?? String(e);
    const readable = (e as DOMException)?.name === "NotReadableError" ? "the browser could not read the file (was it moved or changed?)" : message;
    post({ id: req.id, type: "error", code: code === "INTERNAL" && readable !== message ? "INPUT_UNREADABLE" : code, message: readable });
  }
};
