import { buildLevels } from "../merkle/tree.ts";
import { toHex } from "../hex.ts";
import type { ContentStore } from "../storage/store.ts";
import { detectEncoding, hashSamples, type Encoding, type ProgressFn, type SampleHashes } from "./encodings.ts";
import { DATASET_FORMAT, encodeManifest, type DatasetManifest } from "./manifest.ts";
import { encodeShardIndex, SHARD_SIZE, type ShardEntry } from "./shard-index.ts";
import { sortUniqueHashes } from "./sort-unique.ts";

/** A dataset's commitment before storage: the sorted distinct leaves cut into aligned shards. */
export interface Commitment {
  encoding: Encoding;
  leaves: Uint8Array;
  n: number;
  totalSamples: number;
  root: Uint8Array;
  shardRoots: Uint8Array[];
  samples: SampleHashes;
}

export function commitSamples(samples: SampleHashes): Commitment {
  const leaves = sortUniqueHashes(samples.hashes);
  const n = leaves.length / 32;
  const shardRoots: Uint8Array[] = [];
  for (let start = 0; start < n; start += SHARD_SIZE) {
    const levels = buildLevels(leaves.subarray(start * 32, Math.min(n, start + SHARD_SIZE) * 32));
    shardRoots.push(levels[levels.length - 1]);
  }
  // The shards are aligned power-of-two subtrees, so the tree over their roots has the full tree's root.
  const top = buildLevels(concat(shardRoots));
  const root = top[top.length - 1].slice(0, 32);
  return { encoding: samples.encoding, leaves, n, totalSamples: samples.total, root, shardRoots, samples };
}

export interface CommitOptions {
  encoding?: Encoding;
  onProgress?: ProgressFn;
}

export function commitDataset(path: string, options: CommitOptions = {}): Commitment {
  const encoding = options.encoding ?? detectEncoding(path);
  return commitSamples(hashSamples(path, encoding, options.onProgress));
}

export interface DatasetMetadata {
  name: string;
  description?: string;
  license?: string | null;
  previousVersion?: string | null;
}

export interface StoredDataset {
  manifest: DatasetManifest;
  manifestCid: string;
  indexCid: string;
  shardCids: string[];
}

/** Writes shards, then the index, then the manifest: the manifest only ever names content already stored. */
export async function storeCommitment(c: Commitment, store: ContentStore, meta: DatasetMetadata): Promise<StoredDataset> {
  const shards: ShardEntry[] = [];
  for (let j = 0; j * SHARD_SIZE < c.n; j++) {
    const bytes = c.leaves.subarray(j * SHARD_SIZE * 32, Math.min(c.n, (j + 1) * SHARD_SIZE) * 32);
    const cid = await store.put(bytes, { name: `shard-${j}` });
    shards.push({ first: bytes.slice(0, 32), root: c.shardRoots[j], cid });
  }
  const indexCid = await store.put(encodeShardIndex({ shardSize: SHARD_SIZE, n: c.n, root: c.root, shards }), {
    name: "index",
  });
  const manifest: DatasetManifest = {
    format: DATASET_FORMAT,
    name: meta.name,
    description: meta.description ?? "",
    license: meta.license ?? null,
    encoding: c.encoding,
    commitment: "merkle-v1",
    root: toHex(c.root),
    n: c.n,
    totalSamples: c.totalSamples,
    duplicateSamples: c.totalSamples - c.n,
    skipped: c.samples.skipped,
    bytes: c.samples.bytes,
    shardSize: SHARD_SIZE,
    shardCount: shards.length,
    index: indexCid,
    previousVersion: meta.previousVersion ?? null,
  };
  const manifestCid = await store.put(encodeManifest(manifest), { name: "manifest.json" });
  return { manifest, manifestCid, indexCid, shardCids: shards.map((s) => s.cid) };
}

export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
