import type { ContentStore } from "../storage/store.ts";
import type { Hex32 } from "../hex.ts";
import { weightsDigestOf, filesOf, type WeightResource } from "./digest.ts";
import { hashWeights, type HashedWeights, type HashWeightsOptions } from "./hash-weights.ts";
import { encodeModelManifest, MODEL_FORMAT, readModelManifest, type ModelManifest } from "./manifest.ts";
import type { DeclaredRecord } from "./record.ts";

/** The manifest of hashed weights and a declared record; `description` is the effective one (ERC-721). */
export function buildModelManifest(hashed: HashedWeights, record: DeclaredRecord, description = ""): ModelManifest {
  return {
    format: MODEL_FORMAT,
    name: `${record.name} ${record.version}`,
    description,
    weights: {
      serialization: { method: "shards", hashType: "sha256", shardSize: hashed.shardSize },
      digest: weightsDigestOf(hashed.resources),
      bytes: hashed.bytes,
      resources: hashed.resources,
      hidden: hashed.hidden,
      empty: hashed.empty,
    },
    record,
  };
}

export interface StoredModel {
  manifest: ModelManifest;
  manifestCid: string;
  hashed: HashedWeights;
}

/** Hashes a weights directory and stores its manifest (the weights themselves are not uploaded). */
export async function hashAndStoreModel(
  dir: string,
  store: ContentStore,
  opts: { record: DeclaredRecord; description?: string } & HashWeightsOptions,
): Promise<StoredModel> {
  const hashed = await hashWeights(dir, opts);
  const manifest = buildModelManifest(hashed, opts.record, opts.description ?? "");
  const manifestCid = await store.put(encodeModelManifest(manifest), { name: "model-manifest.json" });
  return { manifest, manifestCid, hashed };
}

/** Reads and validates a stored model manifest; the store has checked the bytes against the CID. */
export async function loadModelManifest(store: ContentStore, cid: string): Promise<ModelManifest> {
  return readModelManifest(store, cid);
}

export interface WeightsComparison {
  ok: boolean;
  /** Digest of the files on disk under the manifest's shard size. */
  digest: Hex32;
  missing: string[];
  extra: string[];
  changed: string[];
  bytes: number;
  seconds: number;
}

/** Hashes `dir` the way `manifest` was made and lists the files that differ. */
export async function compareWeights(
  manifest: ModelManifest,
  dir: string,
  opts: Omit<HashWeightsOptions, "shardSize"> = {},
): Promise<WeightsComparison> {
  const hashed = await hashWeights(dir, { ...opts, shardSize: manifest.weights.serialization.shardSize });
  const digest = weightsDigestOf(hashed.resources);
  const want = new Map(filesOf(manifest.weights.resources).map((f) => [f.path, f]));
  const got = new Map(filesOf(hashed.resources).map((f) => [f.path, f]));
  const missing = [...want.keys()].filter((p) => !got.has(p));
  const extra = [...got.keys()].filter((p) => !want.has(p));
  const changed = [...want.values()]
    .filter((f) => got.has(f.path) && (got.get(f.path)!.digest !== f.digest || got.get(f.path)!.size !== f.size))
    .map((f) => f.path);
  return { ok: digest === manifest.weights.digest, digest, missing, extra, changed, bytes: hashed.bytes, seconds: hashed.seconds };
}

export type { WeightResource };
