import { toHex } from "../hex.ts";
import type { ContentStore } from "../storage/store.ts";
import { detectEncoding, hashSamples, type Encoding, type ProgressFn, type SampleHashes, type SkippedCounts } from "./encodings.ts";
import { DATASET_FORMAT, encodeManifest, type DatasetManifest } from "./manifest.ts";
import { encodeShardIndex, SHARD_SIZE } from "./shard-index.ts";
import { shardedRoot } from "./sharded-root.ts";
import { ShardWriter, type ShardedTree } from "./shard-writer.ts";
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
  const { root, shardRoots } = shardedRoot(leaves);
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
  root: Uint8Array;
  manifest: DatasetManifest;
  manifestCid: string;
  indexCid: string;
  shardCids: string[];
}

/** Counts the manifest records about the samples, whichever way they were hashed. */
export interface SampleStats {
  encoding: Encoding;
  totalSamples: number;
  skipped: SkippedCounts;
  bytes: number;
}

/** Writes shards, then the index, then the manifest: the manifest only ever names content already stored. */
export async function storeCommitment(c: Commitment, store: ContentStore, meta: DatasetMetadata): Promise<StoredDataset> {
  const writer = new ShardWriter(store);
  await writer.push(c.leaves);
  const tree = await writer.finish();
  return storeIndexAndManifest(tree, store, meta, {
    encoding: c.encoding,
    totalSamples: c.totalSamples,
    skipped: c.samples.skipped,
    bytes: c.samples.bytes,
  });
}

/** The last two writes of every commit path: the shard index, then the manifest naming it. */
export async function storeIndexAndManifest(tree: ShardedTree, store: ContentStore, meta: DatasetMetadata, stats: SampleStats): Promise<StoredDataset> {
  const indexCid = await store.put(encodeShardIndex({ shardSize: SHARD_SIZE, n: tree.n, root: tree.root, shards: tree.shards }), {
    name: "index",
  });
  const manifest: DatasetManifest = {
    format: DATASET_FORMAT,
    name: meta.name,
    description: meta.description ?? "",
    license: meta.license ?? null,
    encoding: stats.encoding,
    commitment: "merkle-v1",
    root: toHex(tree.root),
    n: tree.n,
    totalSamples: stats.totalSamples,
    duplicateSamples: stats.totalSamples - tree.n,
    skipped: stats.skipped,
    bytes: stats.bytes,
    shardSize: SHARD_SIZE,
    shardCount: tree.shards.length,
    index: indexCid,
    previousVersion: meta.previousVersion ?? null,
  };
  const manifestCid = await store.put(encodeManifest(manifest), { name: "manifest.json" });
  return { manifest, manifestCid, indexCid, shardCids: tree.shards.map((s) => s.cid), root: tree.root };
}
