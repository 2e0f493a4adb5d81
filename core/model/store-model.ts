import type { ContentStore } from "../storage/store.ts";
import { weightsDigestOf } from "./digest.ts";
import { hashWeights, type HashedWeights, type HashWeightsOptions } from "./hash-weights.ts";
import { encodeModelManifest, MODEL_FORMAT, type ModelManifest } from "./manifest.ts";
import type { DeclaredRecord } from "./record.ts";

/** Storing a model for registration: its weights hashed into a manifest with its declared record (`model register`, `train`). */

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
