import type { Hex32 } from "../hex.ts";
import { filesOf, weightsDigestOf } from "./digest.ts";
import { hashWeights, type HashWeightsOptions } from "./hash-weights.ts";
import type { ModelManifest } from "./manifest.ts";

/** Checking weights on disk against a stored model manifest (`verify model --weights`, the attestor's output check). */

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
export async function compareWeights(manifest: ModelManifest, dir: string, opts: Omit<HashWeightsOptions, "shardSize"> = {}): Promise<WeightsComparison> {
  const hashed = await hashWeights(dir, { ...opts, shardSize: manifest.weights.serialization.shardSize });
  const digest = weightsDigestOf(hashed.resources);
  const want = new Map(filesOf(manifest.weights.resources).map((f) => [f.path, f]));
  const got = new Map(filesOf(hashed.resources).map((f) => [f.path, f]));
  const missing = [...want.keys()].filter((p) => !got.has(p));
  const extra = [...got.keys()].filter((p) => !want.has(p));
  const changed = [...want.values()].filter((f) => got.has(f.path) && (got.get(f.path)!.digest !== f.digest || got.get(f.path)!.size !== f.size)).map((f) => f.path);
  return { ok: digest === manifest.weights.digest, digest, missing, extra, changed, bytes: hashed.bytes, seconds: hashed.seconds };
}
